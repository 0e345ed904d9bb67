#include "carbon/config.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "base/files.h"
#include "base/time_text.h"
#include "carbon/http_source.h"

namespace harch {

namespace {

const char* const kFormats[] = {"electricitymaps-csv", "time-series-csv", "electricitymaps-json",
                                "watttime-json"};

constexpr Duration kMinRefresh = std::chrono::seconds(10);
constexpr Duration kMaxTimeout = std::chrono::minutes(5);

bool IsEnvName(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

void ReadDurationField(YamlContext& ctx, MapReader& m, std::string_view key, Duration* out) {
  if (auto n = m.Get(key)) {
    std::string text;
    if (!ctx.ReadString(*n, m.PathOf(key), &text)) return;
    auto d = ParseDuration(text);
    if (!d.ok()) {
      ctx.Fail(*n, m.PathOf(key), d.status().message());
    } else if (*d <= Duration{0}) {
      ctx.Fail(*n, m.PathOf(key), "must be positive");
    } else {
      *out = *d;
    }
  }
}

// A zone fetched over HTTP: the URL must be one this build can fetch and the format a JSON one.
void ReadUrlFields(YamlContext& ctx, MapReader& z, const YAML::Node& zn, const std::string& path,
                   ZoneSource* src) {
  if (src->url.empty()) {
    ctx.Fail(zn["url"], path + ".url", "must not be empty");
  } else if (auto u = ParseHttpUrl(src->url); !u.ok()) {
    ctx.Fail(zn["url"], path + ".url", u.status().message());
  }
  if (src->format != "electricitymaps-json" && src->format != "watttime-json" && !src->format.empty()) {
    ctx.Fail(zn["url"], path + ".url",
             "a url needs format electricitymaps-json or watttime-json, not " + src->format);
  }
  ReadDurationField(ctx, z, "refresh", &src->refresh);
  if (src->refresh < kMinRefresh && z.Has("refresh")) {
    ctx.Fail(zn["refresh"], path + ".refresh", "must be at least 10s");
  }
  ReadDurationField(ctx, z, "timeout", &src->timeout);
  if (src->timeout > kMaxTimeout) ctx.Fail(zn["timeout"], path + ".timeout", "must be at most 5m");
  z.OptionalString("tokenEnv", &src->token_env);
  if (z.Has("tokenEnv") && !IsEnvName(src->token_env)) {
    ctx.Fail(zn["tokenEnv"], path + ".tokenEnv",
             "'" + src->token_env + "' is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)");
  }
}

}  // namespace

std::optional<GpuPower> CarbonConfig::GpuPowerOf(const std::string& model) const {
  if (auto it = power.find(model); it != power.end()) return it->second;
  return DefaultGpuPower(model);
}

Result<CarbonConfig> ParseCarbonConfig(std::string_view yaml, const std::string& file) {
  HARCH_ASSIGN_OR_RETURN(YAML::Node root, LoadYaml(yaml, file));
  YamlContext ctx(file);
  CarbonConfig c;
  c.base_dir = std::filesystem::path(file).parent_path().string();
  MapReader top(ctx, root, "");
  top.ExpectKind("Carbon");
  if (auto meta = top.Require("metadata")) {
    MapReader m(ctx, *meta, "metadata");
    m.RequiredId("name", &c.name);
    m.Done();
  }
  if (auto body = top.Require("spec")) {
    MapReader s(ctx, *body, "spec");
    if (s.Has("defaultIntensity")) {
      double v = 0;
      s.RequiredDouble("defaultIntensity", &v, 1, 5000);
      c.default_intensity = v;
    }
    if (auto f = s.Get("forecast")) {
      MapReader fm(ctx, *f, "spec.forecast");
      fm.OptionalDouble("error", &c.forecast_error, 0, 1);
      ReadDurationField(ctx, fm, "horizon", &c.forecast_horizon);
      fm.Done();
    }
    ReadDurationField(ctx, s, "shiftStep", &c.shift_step);
    s.OptionalDouble("utilisation", &c.utilisation, 0, 1);
    if (auto e = s.Require("embodied")) {
      MapReader em(ctx, *e, "spec.embodied");
      em.RequiredDouble("kgPerGpu", &c.embodied.kg_per_gpu, 0, 100000);
      ReadDurationField(ctx, em, "lifetime", &c.embodied.lifetime);
      em.Done();
    }
    if (auto cs = s.Get("capacityScaling")) {
      MapReader cm(ctx, *cs, "spec.capacityScaling");
      CarbonConfig::CapacityScaling scaling;
      cm.RequiredDouble("threshold", &scaling.threshold, 1, 5000);
      cm.RequiredDouble("flexibleShare", &scaling.flexible_share, 0, 1);
      cm.Done();
      c.capacity_scaling = scaling;
    }
    if (auto r = s.Get("rates")) {
      MapReader rm(ctx, *r, "spec.rates");
      rm.OptionalDouble("gpuHourUsd", &c.gpu_hour_usd, 0, 1000);
      rm.OptionalDouble("spotDiscount", &c.spot_discount, 0, 1);
      rm.Done();
    }
    if (auto p = s.Get("power")) {
      if (!p->IsMap()) {
        ctx.Fail(*p, "spec.power", "expected a map of GPU model to {idleWatts, maxWatts}");
      } else {
        for (const auto& kv : *p) {
          const std::string model = kv.first.as<std::string>();
          MapReader pm(ctx, kv.second, "spec.power." + model);
          GpuPower g;
          pm.RequiredDouble("idleWatts", &g.idle_w, 0, 10000);
          pm.RequiredDouble("maxWatts", &g.max_w, 1, 10000);
          pm.Done();
          if (g.idle_w > g.max_w) ctx.Fail(kv.second, "spec.power." + model, "idleWatts exceeds maxWatts");
          c.power[model] = g;
        }
      }
    }
    if (auto zones = s.Require("zones")) {
      if (!zones->IsSequence() || zones->size() == 0) {
        ctx.Fail(*zones, "spec.zones", "expected a list of zones");
      } else {
        for (size_t i = 0; i < zones->size(); ++i) {
          const std::string path = "spec.zones[" + std::to_string(i) + "]";
          MapReader z(ctx, (*zones)[i], path);
          ZoneSource src;
          src.ref = ctx.Ref((*zones)[i], path);
          z.RequiredString("zone", &src.zone);
          z.RequiredString("format", &src.format);
          if (!src.format.empty() &&
              std::find(std::begin(kFormats), std::end(kFormats), src.format) == std::end(kFormats)) {
            ctx.Fail((*zones)[i]["format"], path + ".format",
                     "unknown format '" + src.format +
                         "' (electricitymaps-csv, time-series-csv, electricitymaps-json, watttime-json)");
          }
          const YAML::Node& zn = (*zones)[i];
          const bool has_files = z.Has("files");
          const bool has_url = z.Has("url");
          z.OptionalStringList("files", &src.files);
          z.OptionalString("url", &src.url);
          if (has_files && has_url) {
            ctx.Fail(zn["url"], path + ".url", "give files or url, not both");
          } else if (has_url) {
            ReadUrlFields(ctx, z, zn, path, &src);
          } else {
            if (src.files.empty()) ctx.Fail(zn, path + ".files", "at least one file (or a url)");
            for (const char* key : {"refresh", "tokenEnv", "timeout"}) {
              if (z.Has(key)) ctx.Fail(zn[key], path + "." + key, "only with url");
            }
          }
          z.OptionalBool("standIn", &src.stand_in);
          z.OptionalString("note", &src.note);
          z.Done();
          for (const auto& other : c.zones) {
            if (other.zone == src.zone) ctx.Fail((*zones)[i], path + ".zone", "zone " + src.zone + " is listed twice");
          }
          c.zones.push_back(std::move(src));
        }
      }
    }
    s.Done();
  }
  top.Done();
  if (ctx.failed()) return ctx.status();
  return c;
}

Result<CarbonConfig> LoadCarbonConfigFile(const std::string& path) {
  HARCH_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParseCarbonConfig(text, path);
}

Result<std::map<std::string, IntensitySeries>> LoadZones(const CarbonConfig& config,
                                                        std::map<std::string, std::string>* failed_urls) {
  std::map<std::string, IntensitySeries> out;
  for (const ZoneSource& z : config.zones) {
    if (!z.url.empty()) {
      auto fetched = FetchZone(z);
      if (fetched.ok()) {
        out[z.zone] = std::move(*fetched);
      } else if (config.default_intensity) {
        // The zone starts without data: its intensity is the declared default until a refresh
        // succeeds.
        if (failed_urls) (*failed_urls)[z.zone] = fetched.status().message();
      } else {
        return fetched.status().WithContext(z.ref.ToString());
      }
      continue;
    }
    std::vector<IntensitySeries> parts;
    for (const std::string& f : z.files) {
      const bool absolute = !f.empty() && f.front() == '/';
      const std::string path = config.base_dir.empty() || absolute ? f : config.base_dir + "/" + f;
      auto text = ReadFile(path);
      if (!text.ok()) return text.status().WithContext(z.ref.ToString() + ": zone " + z.zone);
      Result<IntensitySeries> s = InvalidArgument("unreachable");
      if (z.format == "electricitymaps-csv") {
        s = ReadElectricityMapsCsv(*text, path);
      } else if (z.format == "time-series-csv") {
        s = ReadTimeSeriesCsv(*text, path, z.zone);
      } else if (z.format == "electricitymaps-json") {
        s = ParseElectricityMapsJson(*text, path);
      } else {
        s = ParseWattTimeJson(*text, path);
      }
      if (!s.ok()) return s.status();
      // The zone is the configuration's name for it, whatever the file calls it.
      parts.emplace_back(z.zone, s->points());
    }
    HARCH_ASSIGN_OR_RETURN(IntensitySeries joined, Concat(parts));
    out[z.zone] = std::move(joined);
  }
  return out;
}

}  // namespace harch

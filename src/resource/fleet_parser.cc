// YAML -> FleetSpec. The document format is described in docs/fleet-spec.md.
#include <cctype>
#include <limits>

#include "base/files.h"
#include "resource/fleet_spec.h"

namespace harch {
namespace {

constexpr int64_t kMaxCount = 100'000;       // racks or nodes in one entry
constexpr int64_t kMaxGpusPerNode = 64;
constexpr Bytes kMaxNodeMemory = TiB(64);
constexpr Bytes kMaxGpuMemory = TiB(4);

std::string Index(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

void ReadGpuModel(YamlContext& ctx, const YAML::Node& n, const std::string& path,
                  GpuModelSpec* out) {
  MapReader m(ctx, n, path);
  out->ref = ctx.Ref(n, path);
  GpuModel& model = out->model;
  m.RequiredString("name", &model.name);
  model.family = model.name;
  m.OptionalString("family", &model.family);
  m.RequiredBytes("memory", &model.memory, MiB(256), kMaxGpuMemory);
  if (auto cc = m.Require("computeCapability")) {
    std::string text;
    if (ctx.ReadString(*cc, m.PathOf("computeCapability"), &text)) {
      auto parsed = ParseComputeCapability(text);
      if (parsed.ok()) {
        model.compute_capability = *parsed;
      } else {
        ctx.Fail(*cc, m.PathOf("computeCapability"), parsed.status().message());
      }
    }
  }
  int64_t tdp = 0;
  m.RequiredInt("tdpWatts", &tdp, 1, 5000);
  model.tdp_watts = static_cast<int>(tdp);
  m.OptionalBool("mig", &model.mig_capable);
  int64_t slice_gb = 0;
  m.OptionalInt("migSliceMemoryGB", &slice_gb, 1, 1024);
  model.mig_slice_gb = static_cast<int>(slice_gb);
  if (m.ok() && model.mig_capable && slice_gb == 0) {
    ctx.Fail(n, m.PathOf("migSliceMemoryGB"), "required when mig is true");
  }
  m.Done();
}

void ReadGpuGroup(YamlContext& ctx, const YAML::Node& n, const std::string& path,
                  GpuGroupSpec* out) {
  MapReader m(ctx, n, path);
  out->ref = ctx.Ref(n, path);
  m.RequiredString("model", &out->model);
  m.RequiredInt("count", &out->count, 1, kMaxGpusPerNode);
  Bytes memory;
  if (m.Has("memory")) {
    m.OptionalBytes("memory", &memory, MiB(256), kMaxGpuMemory);
    out->memory = memory;
  }
  if (auto nv = m.Get("nvlink")) {
    std::string s;
    if (ctx.ReadString(*nv, m.PathOf("nvlink"), &s)) {
      if (s == "none") {
        out->nvlink = NodeNvlink::kNone;
      } else if (s == "nvswitch") {
        out->nvlink = NodeNvlink::kNvswitch;
      } else if (s == "pairs") {
        out->nvlink = NodeNvlink::kPairs;
      } else {
        ctx.Fail(*nv, m.PathOf("nvlink"), "must be one of none, nvswitch, pairs; got '" + s + "'");
      }
    }
  }
  m.OptionalInt("pcieSwitches", &out->pcie_switches, 1, kMaxGpusPerNode);
  m.OptionalInt("hostBridges", &out->host_bridges, 1, kMaxGpusPerNode);
  m.OptionalBool("migEnabled", &out->mig_enabled);
  m.Done();
}

// Reads the node fields shared by templates and node entries into `shape`.
void ReadNodeShape(YamlContext& ctx, MapReader& m, NodeShape* shape) {
  if (auto cpu = m.Get("cpu")) {
    std::string text;
    if (ctx.ReadString(*cpu, m.PathOf("cpu"), &text)) {
      auto parsed = ParseMilliCpu(text);
      if (!parsed.ok()) {
        ctx.Fail(*cpu, m.PathOf("cpu"), parsed.status().message());
      } else if (parsed->value <= 0 || parsed->value > 100'000'000) {
        ctx.Fail(*cpu, m.PathOf("cpu"), "must be between 1m and 100000 cores");
      } else {
        shape->cpu = *parsed;
      }
    }
  }
  if (m.Has("memory")) {
    Bytes memory;
    m.OptionalBytes("memory", &memory, MiB(1), kMaxNodeMemory);
    shape->memory = memory;
  }
  if (m.Has("numaNodes")) {
    int64_t numa = 0;
    m.OptionalInt("numaNodes", &numa, 1, 64);
    shape->numa_nodes = numa;
  }
  m.OptionalStringMap("labels", &shape->labels);
  if (auto gpus = m.Get("gpus")) {
    GpuGroupSpec group;
    ReadGpuGroup(ctx, *gpus, m.PathOf("gpus"), &group);
    shape->gpus = std::move(group);
  }
}

void ReadTemplate(YamlContext& ctx, const YAML::Node& n, const std::string& path,
                  NodeTemplateSpec* out) {
  MapReader m(ctx, n, path);
  out->ref = ctx.Ref(n, path);
  m.RequiredId("name", &out->name);
  ReadNodeShape(ctx, m, &out->shape);
  m.Done();
}

void ReadHealth(YamlContext& ctx, const YAML::Node& n, const std::string& path, Health* out) {
  std::string s;
  if (!ctx.ReadString(n, path, &s)) return;
  if (auto h = ParseHealth(s)) {
    *out = *h;
  } else {
    ctx.Fail(n, path, "must be one of healthy, degraded, failed; got '" + s + "'");
  }
}

void ReadNodeEntry(YamlContext& ctx, const YAML::Node& n, const std::string& path,
                   NodeEntrySpec* out) {
  MapReader m(ctx, n, path);
  out->ref = ctx.Ref(n, path);
  m.RequiredId("name", &out->name);
  if (m.Has("count")) {
    int64_t count = 0;
    m.OptionalInt("count", &count, 1, kMaxCount);
    out->count = count;
  }
  m.OptionalString("template", &out->template_name);
  ReadNodeShape(ctx, m, &out->shape);
  if (auto h = m.Get("health")) ReadHealth(ctx, *h, m.PathOf("health"), &out->health);
  if (auto gh = m.Get("gpuHealth")) {
    const std::string gpath = m.PathOf("gpuHealth");
    if (!gh->IsMap()) {
      ctx.Fail(*gh, gpath, "expected a mapping of GPU index to health");
    } else {
      for (const auto& kv : *gh) {
        int64_t index = 0;
        if (!ctx.ReadInt(kv.first, gpath, &index, 0, kMaxGpusPerNode - 1)) break;
        Health health = Health::kHealthy;
        ReadHealth(ctx, kv.second, gpath + "." + std::to_string(index), &health);
        if (!out->gpu_health.emplace(index, health).second) {
          ctx.Fail(kv.first, gpath, "GPU index " + std::to_string(index) + " listed twice");
        }
      }
    }
  }
  m.Done();
}

void ReadRack(YamlContext& ctx, const YAML::Node& n, const std::string& path, RackSpec* out) {
  MapReader m(ctx, n, path);
  out->ref = ctx.Ref(n, path);
  m.RequiredId("id", &out->id);
  if (m.Has("count")) {
    int64_t count = 0;
    m.OptionalInt("count", &count, 1, kMaxCount);
    out->count = count;
  }
  if (auto nv = m.Get("nvlink")) {
    std::string s;
    if (ctx.ReadString(*nv, m.PathOf("nvlink"), &s)) {
      if (s == "none") {
        out->nvlink = RackNvlink::kNone;
      } else if (s == "multi-node") {
        out->nvlink = RackNvlink::kMultiNode;
      } else {
        ctx.Fail(*nv, m.PathOf("nvlink"), "must be none or multi-node; got '" + s + "'");
      }
    }
  }
  if (auto nodes = m.Require("nodes")) {
    const std::string npath = m.PathOf("nodes");
    if (ctx.ExpectSequence(*nodes, npath)) {
      if (nodes->size() == 0) ctx.Fail(*nodes, npath, "a rack needs at least one node entry");
      for (size_t i = 0; i < nodes->size() && !ctx.failed(); ++i) {
        ReadNodeEntry(ctx, (*nodes)[i], Index(npath, i), &out->nodes.emplace_back());
      }
    }
  }
  m.Done();
}

void ReadHub(YamlContext& ctx, const YAML::Node& n, const std::string& path, HubSpec* out) {
  MapReader m(ctx, n, path);
  out->ref = ctx.Ref(n, path);
  m.RequiredId("id", &out->id);
  out->name = out->id;
  m.OptionalString("name", &out->name);
  if (auto c = m.Require("country")) {
    if (ctx.ReadString(*c, m.PathOf("country"), &out->country)) {
      const auto& s = out->country;
      if (!IsCountryCode(s)) {
        ctx.Fail(*c, m.PathOf("country"),
                 "must be an ISO 3166-1 alpha-2 code such as MA; got '" + s + "'");
      }
    }
  }
  m.OptionalString("carbonZone", &out->carbon_zone);
  m.OptionalBool("carbonZoneStandIn", &out->carbon_zone_stand_in);
  m.OptionalDouble("pue", &out->pue, 1.0, 5.0);
  m.OptionalDouble("energyPriceUsdPerKwh", &out->energy_price_usd_per_kwh, 0.0, 100.0);
  if (auto racks = m.Require("racks")) {
    const std::string rpath = m.PathOf("racks");
    if (ctx.ExpectSequence(*racks, rpath)) {
      for (size_t i = 0; i < racks->size() && !ctx.failed(); ++i) {
        ReadRack(ctx, (*racks)[i], Index(rpath, i), &out->racks.emplace_back());
      }
    }
  }
  m.Done();
}

void ReadLink(YamlContext& ctx, const YAML::Node& n, const std::string& path, WanLinkSpec* out) {
  MapReader m(ctx, n, path);
  out->ref = ctx.Ref(n, path);
  m.RequiredString("from", &out->from);
  m.RequiredString("to", &out->to);
  m.RequiredDouble("latencyMs", &out->latency_ms, 0.0, 10'000.0);
  m.RequiredDouble("bandwidthGbps", &out->bandwidth_gbps, 0.001, 1'000'000.0);
  if (auto e = m.Get("energyKwhPerGB")) {
    const std::string epath = m.PathOf("energyKwhPerGB");
    double v = 0;
    if (ctx.ReadDouble(*e, epath, &v, -std::numeric_limits<double>::infinity(),
                       std::numeric_limits<double>::infinity())) {
      if (v < 0) {
        ctx.Fail(*e, epath, "must not be negative (kWh to move one GB over the link); got " + e->Scalar());
      } else if (v > kMaxWanEnergyKwhPerGB) {
        ctx.Fail(*e, epath, "'" + e->Scalar() +
                                "' kWh/GB is absurd: published estimates for transmission networks "
                                "are below 0.1 kWh/GB since 2015 (the limit is 10)");
      } else {
        out->energy_kwh_per_gb = v;
      }
    }
  }
  m.Done();
}

template <typename T, typename Fn>
void ReadList(YamlContext& ctx, MapReader& m, std::string_view key, bool required,
              std::vector<T>* out, Fn read_one) {
  auto n = required ? m.Require(key) : m.Get(key);
  if (!n) return;
  const std::string path = m.PathOf(key);
  if (!ctx.ExpectSequence(*n, path)) return;
  for (size_t i = 0; i < n->size() && !ctx.failed(); ++i) {
    read_one(ctx, (*n)[i], Index(path, i), &out->emplace_back());
  }
}

}  // namespace

std::string_view HealthName(Health h) {
  switch (h) {
    case Health::kHealthy: return "healthy";
    case Health::kDegraded: return "degraded";
    case Health::kFailed: return "failed";
  }
  return "unknown";
}

std::optional<Health> ParseHealth(std::string_view s) {
  if (s == "healthy") return Health::kHealthy;
  if (s == "degraded") return Health::kDegraded;
  if (s == "failed") return Health::kFailed;
  return std::nullopt;
}

Result<FleetSpec> ParseFleetSpec(std::string_view yaml, const std::string& file) {
  HARCH_ASSIGN_OR_RETURN(YAML::Node root, LoadYaml(yaml, file));
  YamlContext ctx(file);
  FleetSpec spec;
  MapReader top(ctx, root, "");
  top.ExpectKind("Fleet");
  if (auto meta = top.Require("metadata")) {
    MapReader m(ctx, *meta, "metadata");
    m.RequiredId("name", &spec.name);
    m.Done();
  }
  if (auto body = top.Require("spec")) {
    MapReader m(ctx, *body, "spec");
    ReadList(ctx, m, "gpuModels", false, &spec.models, ReadGpuModel);
    ReadList(ctx, m, "nodeTemplates", false, &spec.templates, ReadTemplate);
    ReadList(ctx, m, "hubs", true, &spec.hubs, ReadHub);
    ReadList(ctx, m, "wanLinks", false, &spec.links, ReadLink);
    m.Done();
  }
  top.Done();
  if (ctx.failed()) return ctx.status();
  return spec;
}

Result<FleetSpec> LoadFleetSpecFile(const std::string& path) {
  HARCH_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParseFleetSpec(text, path);
}

}  // namespace harch

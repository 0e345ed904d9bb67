#include "server/footprint.h"

#include <algorithm>
#include <set>

#include "base/time_text.h"
#include "carbon/accounting.h"

namespace harch {

namespace {

constexpr double kJoulesPerKwh = 3.6e6;
// Readings covering at least this share of the GPU time make the energy "measured": the first
// interval of a run (before its first reading) is never covered.
constexpr double kMeasuredShare = 0.99;
// Unknown jobs listed in the totals; the count covers them all.
constexpr int kMaxUnknownListed = 100;

const Hub* FindHub(const Topology& topo, const std::string& id) {
  for (const Hub& h : topo.hubs()) {
    if (h.id == id) return &h;
  }
  return nullptr;
}

bool Windowed(const FootprintScope& s) { return s.from || s.to; }

// The part of `run` inside the scope's window, or nullopt when none (an empty run counts only
// when no window is asked for).
std::optional<std::pair<Time, Time>> Clip(const GpuRunRecord& run, const FootprintScope& scope,
                                          Time now) {
  if (!scope.hub.empty() && run.hub != scope.hub) return std::nullopt;
  Time start = run.start;
  Time end = run.end.value_or(std::max(now, run.start));
  if (scope.from) start = std::max(start, *scope.from);
  if (scope.to) end = std::min(end, *scope.to);
  if (end < start || (Windowed(scope) && end == start)) return std::nullopt;
  return std::make_pair(start, end);
}

// The share of a bucket's covered span inside the window.
double BucketWeight(const MeasuredBucket& b, const FootprintScope& scope) {
  if (!Windowed(scope)) return 1;
  const Time lo = scope.from.value_or(b.first);
  const Time hi = scope.to.value_or(b.last);
  if (b.last <= b.first) return b.first >= lo && (b.first < hi || !scope.to) ? 1 : 0;
  const Time a = std::max(b.first, lo);
  const Time z = std::min(b.last, hi);
  if (z <= a) return 0;
  return std::chrono::duration<double>(z - a).count() /
         std::chrono::duration<double>(b.last - b.first).count();
}

struct JobTotal {
  Footprint f;
  double measured_kwh = 0;
  double measured_gpu_hours = 0;
  std::set<std::string> stand_ins;
  bool any = false;  // some GPU time in scope
};

Result<GpuPower> PowerOf(const CarbonConfig& cfg, const std::string& model) {
  if (auto p = cfg.GpuPowerOf(model)) return *p;
  return FailedPrecondition("no power figures for GPU model " + model +
                            " (add it under spec.power)");
}

// The model for every run in scope; then, where readings cover the time, the measured energy
// replaces the model's for that GPU time, at the intensity of those times.
Result<JobTotal> AccountJob(const JobRecord& r, const JobSpec& spec, const Topology& topo,
                            const CarbonSignal& carbon, const MeasuredEnergy* measured, Time now,
                            const FootprintScope& scope) {
  const CarbonConfig& cfg = carbon.config();
  JobTotal total;
  for (const GpuRunRecord& run : r.runs) {
    const auto span = Clip(run, scope, now);
    if (!span) continue;
    const Hub* hub = FindHub(topo, run.hub);
    if (!hub) return FailedPrecondition("hub " + run.hub + " is no longer in the fleet");
    HARCH_ASSIGN_OR_RETURN(GpuPower power, PowerOf(cfg, run.model));
    const HubRates rates{hub->pue, hub->energy_price_usd_per_kwh, cfg.gpu_hour_usd,
                         cfg.spot_discount};
    const GpuRun g{span->first, span->second, run.gpus, cfg.utilisation, spec.spot_tolerant};
    HARCH_ASSIGN_OR_RETURN(Footprint f,
                           Account(g, power, cfg.embodied, rates, carbon.Zone(hub->carbon_zone),
                                   cfg.default_intensity, hub->carbon_zone));
    total.f += f;
    total.any = true;
    if (hub->carbon_zone_stand_in) total.stand_ins.insert(hub->carbon_zone);
  }
  if (!measured || !total.any) return total;
  for (const auto& [key, b] : measured->buckets) {
    const auto& [hub_id, model, bucket_start] = key;
    if (!scope.hub.empty() && hub_id != scope.hub) continue;
    const double w = BucketWeight(b, scope);
    if (w <= 0) continue;
    const Hub* hub = FindHub(topo, hub_id);
    if (!hub) return FailedPrecondition("hub " + hub_id + " is no longer in the fleet");
    HARCH_ASSIGN_OR_RETURN(GpuPower power, PowerOf(cfg, model));
    Footprint d;
    std::optional<double> intensity;
    if (const IntensitySeries* zone = carbon.Zone(hub->carbon_zone)) {
      intensity = b.last > b.first ? zone->Mean(b.first, b.last) : zone->At(b.first);
    }
    if (!intensity) {
      if (!cfg.default_intensity) {
        return FailedPrecondition("zone " + hub->carbon_zone + " has no carbon intensity at " +
                                  FormatTime(b.first) +
                                  " (measured energy), and no default is declared");
      }
      intensity = *cfg.default_intensity;
      d.intensity_defaulted = true;
    }
    const double covered_h = b.gpu_seconds / 3600.0 * w;
    const double model_kwh = covered_h * power.At(cfg.utilisation) / 1000.0 * hub->pue;
    const double measured_kwh = b.joules / kJoulesPerKwh * w * hub->pue;
    d.energy_kwh = measured_kwh - model_kwh;
    d.operational_kg = d.energy_kwh * *intensity / 1000.0;
    d.cost_usd = d.energy_kwh * hub->energy_price_usd_per_kwh;
    total.f += d;
    total.measured_kwh += measured_kwh;
    total.measured_gpu_hours += covered_h;
  }
  return total;
}

void FillSum(const Footprint& f, double measured_kwh, v1::FootprintSum* out) {
  out->set_energy_kwh(f.energy_kwh);
  out->set_emissions_kgco2e(f.total_kg());
  out->set_operational_kgco2e(f.operational_kg);
  out->set_embodied_kgco2e(f.embodied_kg);
  out->set_mean_intensity_g_per_kwh(f.intensity_g_per_kwh);
  out->set_gpu_hours(f.gpu_hours);
  out->set_cost_usd(f.cost_usd);
  out->set_measured_energy_kwh(measured_kwh);
}

struct Sum {
  int jobs = 0;
  int unknown = 0;
  Footprint f;
  double measured_kwh = 0;
  std::set<std::string> stand_ins;
  void Add(const JobTotal& t) {
    f += t.f;
    measured_kwh += t.measured_kwh;
    stand_ins.insert(t.stand_ins.begin(), t.stand_ins.end());
  }
  void Fill(v1::FootprintSum* out) const {
    out->set_jobs(jobs);
    out->set_jobs_unknown(unknown);
    FillSum(f, measured_kwh, out);
  }
};

}  // namespace

void MeasuredEnergy::Add(const std::string& hub, const std::string& model, Time from, Time to,
                         double joules, double gpus) {
  const double total_s = std::chrono::duration<double>(to - from).count();
  for (Time t = from; t < to;) {
    const Time bucket = Time(t.time_since_epoch() / kMeasuredBucket * kMeasuredBucket);
    const Time end = std::min(to, bucket + kMeasuredBucket);
    const double s = std::chrono::duration<double>(end - t).count();
    MeasuredBucket& b = buckets[{hub, model, bucket}];
    if (b.gpu_seconds == 0 && b.joules == 0) {
      b.first = t;
      b.last = end;
    } else {
      b.first = std::min(b.first, t);
      b.last = std::max(b.last, end);
    }
    b.joules += joules * s / total_s;
    b.gpu_seconds += gpus * s;
    t = end;
  }
}

v1::Footprint JobFootprint(const JobRecord& r, const JobSpec& spec, const Topology& topo,
                           const CarbonSignal* carbon, Time now) {
  return JobFootprint(r, spec, topo, carbon, nullptr, now);
}

v1::Footprint JobFootprint(const JobRecord& r, const JobSpec& spec, const Topology& topo,
                           const CarbonSignal* carbon, const MeasuredEnergy* measured, Time now,
                           const FootprintScope& scope) {
  v1::Footprint out;
  if (r.runs.empty()) {
    out.set_note("it has not run yet");
    return out;
  }
  if (!carbon) {
    out.set_note("the server has no carbon config (--carbon)");
    return out;
  }
  auto t = AccountJob(r, spec, topo, *carbon, measured, now, scope);
  if (!t.ok()) {
    out.set_note(std::string(t.status().message()));
    return out;
  }
  const Footprint& total = t->f;
  out.set_known(true);
  out.set_energy_kwh(total.energy_kwh);
  out.set_emissions_kgco2e(total.total_kg());
  out.set_operational_kgco2e(total.operational_kg);
  out.set_embodied_kgco2e(total.embodied_kg);
  out.set_mean_intensity_g_per_kwh(total.intensity_g_per_kwh);
  out.set_gpu_hours(total.gpu_hours);
  out.set_cost_usd(total.cost_usd);
  for (const auto& z : t->stand_ins) out.add_stand_in_zones(z);
  const double share =
      total.gpu_hours > 0 ? std::min(1.0, t->measured_gpu_hours / total.gpu_hours) : 0;
  out.set_energy_source(t->measured_gpu_hours <= 0 ? "model"
                        : share >= kMeasuredShare  ? "measured"
                                                   : "mixed");
  out.set_measured_share(share);
  out.set_measured_energy_kwh(t->measured_kwh);
  if (total.intensity_defaulted)
    out.set_note("a zone had no data for part of the run: the declared defaultIntensity was used");
  return out;
}

Result<v1::FootprintTotals> SumFootprints(const std::vector<FootprintJob>& jobs,
                                          const v1::FootprintRequest& req, const Topology& topo,
                                          const CarbonSignal* carbon, Time now) {
  FootprintScope scope;
  if (!req.hub().empty() && !FindHub(topo, req.hub())) {
    std::string hubs;
    for (const Hub& h : topo.hubs()) hubs += (hubs.empty() ? "" : ", ") + h.id;
    return InvalidArgument("hub: no hub '" + req.hub() + "' in the fleet (" + hubs + ")");
  }
  if (!req.from().empty()) {
    auto t = ParseTime(req.from());
    if (!t.ok())
      return InvalidArgument("from: '" + req.from() +
                             "' is not an RFC 3339 time: " + t.status().message());
    scope.from = *t;
  }
  if (!req.to().empty()) {
    auto t = ParseTime(req.to());
    if (!t.ok())
      return InvalidArgument("to: '" + req.to() +
                             "' is not an RFC 3339 time: " + t.status().message());
    scope.to = *t;
  }
  if (scope.from && scope.to && *scope.to < *scope.from) {
    return InvalidArgument("to: " + req.to() + " is before from " + req.from());
  }
  if (scope.from && !scope.to && *scope.from > now) {
    return InvalidArgument("from: " + req.from() + " is in the future (to defaults to now, " +
                           FormatTime(now) + ")");
  }
  if (!scope.to) scope.to = now;

  v1::FootprintTotals out;
  if (scope.from) *out.mutable_from() = ToTimestamp(*scope.from);
  *out.mutable_to() = ToTimestamp(*scope.to);
  if (!carbon) out.set_note("the server has no carbon config (--carbon): no footprint is known");

  std::map<std::string, Sum> hubs;
  std::map<std::string, Sum> tenants;
  Sum all;
  int unknown_listed = 0;
  for (const FootprintJob& j : jobs) {
    const JobRecord& r = *j.rec;
    if (!req.tenant().empty() && r.tenant != req.tenant() &&
        r.tenant.rfind(req.tenant() + "/", 0) != 0) {
      continue;
    }
    std::set<std::string> ran_in;  // hubs where it has GPU time in scope
    for (const GpuRunRecord& run : r.runs) {
      if (!req.hub().empty() && run.hub != req.hub()) continue;
      if (Clip(run, scope, now)) ran_in.insert(run.hub);
    }
    if (ran_in.empty()) continue;
    bool unknown = false;
    Sum& tenant = tenants[r.tenant];
    for (const std::string& h : ran_in) {
      Sum& hub = hubs[h];
      ++hub.jobs;
      Result<JobTotal> t =
          carbon
              ? AccountJob(r, *j.spec, topo, *carbon, j.measured, now, {h, scope.from, scope.to})
              : Result<JobTotal>(FailedPrecondition("the server has no carbon config (--carbon)"));
      if (!t.ok()) {
        ++hub.unknown;
        unknown = true;
        if (unknown_listed++ < kMaxUnknownListed) {
          v1::UnknownFootprint* u = out.add_unknown();
          u->set_job(r.id);
          u->set_tenant(r.tenant);
          u->set_hub(h);
          u->set_note(t.status().message());
        }
        continue;
      }
      hub.Add(*t);
      tenant.Add(*t);
      all.Add(*t);
    }
    ++tenant.jobs;
    ++all.jobs;
    tenant.unknown += unknown;
    all.unknown += unknown;
  }
  if (unknown_listed > kMaxUnknownListed) {
    const std::string more =
        std::to_string(unknown_listed - kMaxUnknownListed) + " more unknown parts not listed";
    out.set_note(out.note().empty() ? more : out.note() + "; " + more);
  }
  for (const Hub& h : topo.hubs()) {
    if (!req.hub().empty() && h.id != req.hub()) continue;
    v1::HubFootprint* hf = out.add_hubs();
    hf->set_hub(h.id);
    hf->set_carbon_zone(h.carbon_zone);
    hf->set_stand_in(h.carbon_zone_stand_in);
    hubs[h.id].Fill(hf->mutable_sum());
  }
  for (const auto& [name, sum] : tenants) {
    v1::TenantFootprint* tf = out.add_tenants();
    tf->set_tenant(name);
    sum.Fill(tf->mutable_sum());
    for (const auto& z : sum.stand_ins) tf->add_stand_in_zones(z);
  }
  all.Fill(out.mutable_total());
  for (const auto& z : all.stand_ins) out.add_stand_in_zones(z);
  return out;
}

}  // namespace harch

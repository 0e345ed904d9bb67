// synthetic: a seeded job generator configured by a `kind: SyntheticWorkload` document
// (docs/sim.md, ### synthetic; examples/workloads/synthetic-gangs.yaml).
//
// Each attribute (arrivals, sizes, durations, tenants, ...) draws from its own random stream
// derived from the seed, so changing one part of the configuration, e.g. the arrival rate for a
// load sweep, leaves every other attribute of job i unchanged.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <numbers>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "base/random.h"
#include "base/yaml_reader.h"
#include "sim/workload_readers.h"

namespace harch::workload_internal {
namespace {

constexpr int64_t kMaxJobs = 1'000'000;
constexpr size_t kMaxChoices = 1000;
constexpr double kMaxWeight = 1e9;
constexpr int64_t kMaxGpusPerReplica = 64;
constexpr int64_t kMaxReplicas = 10'000;
constexpr double kMaxDurationSeconds = 366.0 * 86'400;  // as expectedDuration of a job spec
constexpr double kMaxMeanGapSeconds = 86'400;
constexpr double kMaxArrivalSeconds = 1e12;

std::string Index(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

struct DurationChoice {
  bool lognormal = true;
  double median_s = 0;
  double sigma = 0;
  double min_s = 1;
  double max_s = kMaxDurationSeconds;
  double weight = 0;
};

struct KindChoice {
  WorkloadKind kind = WorkloadKind::kBatch;
  LatencySensitivity latency = LatencySensitivity::kLow;
  double weight = 0;
};

struct JurisdictionChoice {
  std::vector<std::string> countries;  // empty: no data constraint
  double weight = 0;
};

struct SizeChoice {
  int replicas = 1;
  int gpus_per_replica = 0;
  int64_t share = 0;
  std::string mig;
  double gpu_fraction = 1;  // of one GPU per replica, for CPU and memory
  std::vector<std::string> models;
  std::optional<NvlinkRequirement> nvlink;
  bool exclusive = false;
  std::vector<DurationChoice> durations;  // empty: the global list
  std::vector<KindChoice> kinds;          // empty: the global list
  std::vector<JurisdictionChoice> jurisdictions;  // empty: the global list
  double weight = 0;
};

struct TenantChoice {
  std::string tenant;
  double weight = 0;
};

struct PriorityChoice {
  PriorityClass cls;
  bool preemptible = true;
  double weight = 0;
};

struct Config {
  std::string name;
  int64_t jobs = 0;
  bool poisson = true;
  double mean_gap_s = 0;
  double diurnal_amplitude = 0;
  double peak_hour = 0;
  double cpu_per_gpu = 8;
  Bytes memory_per_gpu = GiB(64);
  double gang_nvlink_required = 0;
  bool oracle_estimates = true;
  // Deadlines: this share of the jobs that are not latency-sensitive must end within their
  // service time plus `deadline_slack_s` of arriving (flexible work for carbon shifting).
  double deadline_share = 0;
  double deadline_slack_s = 0;
  double interruptible_share = 0;  // of the jobs with a deadline: they checkpoint (may pause)
  std::vector<SizeChoice> sizes;
  std::vector<DurationChoice> durations;
  std::vector<TenantChoice> tenants{{"default", 1}};
  std::vector<JurisdictionChoice> jurisdictions{{{}, 1}};
  std::vector<PriorityChoice> priorities{{{"normal", 50}, true, 1}};
  std::vector<KindChoice> kinds{{WorkloadKind::kBatch, LatencySensitivity::kLow, 1}};
};

LatencySensitivity DefaultLatency(WorkloadKind k) {
  switch (k) {
    case WorkloadKind::kInference: return LatencySensitivity::kHigh;
    case WorkloadKind::kInteractive: return LatencySensitivity::kMedium;
    default: return LatencySensitivity::kLow;
  }
}


// A duration string ("90s", "2d12h") as seconds in (0, 366d].
bool ReadSeconds(YamlContext& ctx, const YAML::Node& n, const std::string& path, double max_s,
                 double* out) {
  std::string text;
  if (!ctx.ReadString(n, path, &text)) return false;
  auto d = ParseDuration(text);
  if (!d.ok()) {
    ctx.Fail(n, path, d.status().message());
    return false;
  }
  const double s = static_cast<double>(d->count()) / 1e6;
  if (s <= 0) {
    ctx.Fail(n, path, "must be longer than zero");
    return false;
  }
  if (s > max_s) {
    ctx.Fail(n, path, "'" + text + "' is longer than the limit of " +
                          std::to_string(static_cast<int64_t>(max_s)) + "s");
    return false;
  }
  *out = s;
  return true;
}

void OptionalSeconds(YamlContext& ctx, MapReader& m, std::string_view key, double max_s,
                     double* out) {
  if (auto n = m.Get(key)) ReadSeconds(ctx, *n, m.PathOf(key), max_s, out);
}
void RequiredSeconds(YamlContext& ctx, MapReader& m, std::string_view key, double max_s,
                     double* out) {
  if (auto n = m.Require(key)) ReadSeconds(ctx, *n, m.PathOf(key), max_s, out);
}

// A list of weighted choices: each entry a mapping read by read_one, plus its `weight`.
template <typename T, typename Fn>
void ReadChoices(YamlContext& ctx, MapReader& m, std::string_view key, bool required,
                 std::vector<T>* out, Fn read_one) {
  auto n = required ? m.Require(key) : m.Get(key);
  if (!n) return;
  const std::string path = m.PathOf(key);
  if (!ctx.ExpectSequence(*n, path)) return;
  if (n->size() == 0 || n->size() > kMaxChoices) {
    ctx.Fail(*n, path, "must have 1 to " + std::to_string(kMaxChoices) + " entries");
    return;
  }
  std::vector<T> choices;
  double total = 0;
  for (size_t i = 0; i < n->size() && !ctx.failed(); ++i) {
    MapReader e(ctx, (*n)[i], Index(path, i));
    T choice;
    read_one(e, &choice);
    e.RequiredDouble("weight", &choice.weight, 0, kMaxWeight);
    e.Done();
    total += choice.weight;
    choices.push_back(std::move(choice));
  }
  if (!ctx.failed() && !(total > 0)) ctx.Fail(*n, path, "the weights add up to zero");
  *out = std::move(choices);
}

void ReadDurationChoice(YamlContext& ctx, MapReader& e, DurationChoice* d) {
  std::string dist;
  e.RequiredString("distribution", &dist);
  if (!e.ok()) return;
  if (dist == "lognormal") {
    d->lognormal = true;
    RequiredSeconds(ctx, e, "median", kMaxDurationSeconds, &d->median_s);
    e.RequiredDouble("sigma", &d->sigma, 0, 5);
    OptionalSeconds(ctx, e, "min", kMaxDurationSeconds, &d->min_s);
    OptionalSeconds(ctx, e, "max", kMaxDurationSeconds, &d->max_s);
  } else if (dist == "uniform") {
    d->lognormal = false;
    RequiredSeconds(ctx, e, "min", kMaxDurationSeconds, &d->min_s);
    RequiredSeconds(ctx, e, "max", kMaxDurationSeconds, &d->max_s);
  } else {
    ctx.Fail(e.node()["distribution"], e.PathOf("distribution"),
             "must be lognormal or uniform; got '" + dist + "'");
    return;
  }
  if (e.ok() && d->min_s > d->max_s) {
    ctx.Fail(e.node(), e.path(), "min is longer than max");
  }
}

void ReadKindChoice(YamlContext& ctx, MapReader& e, KindChoice* k) {
  std::string text;
  e.RequiredString("kind", &text);
  if (!e.ok()) return;
  if (auto kind = ParseWorkloadKind(text)) {
    k->kind = *kind;
  } else {
    ctx.Fail(e.node()["kind"], e.PathOf("kind"),
             "must be one of training, inference, batch, interactive, pipeline; got '" + text +
                 "'");
    return;
  }
  k->latency = DefaultLatency(k->kind);
  if (auto l = e.Get("latency")) {
    if (ctx.ReadString(*l, e.PathOf("latency"), &text)) {
      if (auto lat = ParseLatencySensitivity(text)) {
        k->latency = *lat;
      } else {
        ctx.Fail(*l, e.PathOf("latency"), "must be one of low, medium, high; got '" + text + "'");
      }
    }
  }
}

void ReadJurisdictionChoice(YamlContext& ctx, MapReader& e, JurisdictionChoice* j) {
  auto cn = e.Require("countries");
  if (!cn) return;
  const std::string path = e.PathOf("countries");
  if (cn->IsScalar() && cn->Scalar() == "none") return;  // no data constraint
  if (!ctx.ReadStringList(*cn, path, &j->countries)) return;
  if (j->countries.empty()) {
    ctx.Fail(*cn, path, "must name at least one country, or be none");
  }
  for (size_t i = 0; i < j->countries.size() && !ctx.failed(); ++i) {
    if (!IsCountryCode(j->countries[i])) {
      ctx.Fail((*cn)[i], Index(path, i),
               "must be an ISO 3166-1 alpha-2 code such as MA; got '" +
                   j->countries[i] + "'");
    }
  }
}

void ReadSizeChoice(YamlContext& ctx, MapReader& e, SizeChoice* s) {
  const bool has_gpus = e.Has("gpus");
  const bool has_share = e.Has("gpuShare");
  const bool has_mig = e.Has("mig");
  if (has_gpus + has_share + has_mig != 1) {
    ctx.Fail(e.node(), e.path(), "needs exactly one of gpus, gpuShare or mig");
    return;
  }
  if (has_gpus) {
    int64_t gpus = 0;
    e.RequiredInt("gpus", &gpus, 1, kMaxGpusPerReplica * kMaxReplicas);
    int64_t per_replica = gpus;
    e.OptionalInt("gpusPerReplica", &per_replica, 1, kMaxGpusPerReplica);
    if (!e.ok()) return;
    if (!e.Has("gpusPerReplica") && gpus > kMaxGpusPerReplica) {
      ctx.Fail(e.node(), e.path(), "more than 64 GPUs need gpusPerReplica (the GPUs of one "
                                   "replica are on one node)");
      return;
    }
    if (gpus % per_replica != 0) {
      ctx.Fail(e.node()["gpusPerReplica"], e.PathOf("gpusPerReplica"),
               std::to_string(per_replica) + " does not divide gpus " + std::to_string(gpus));
      return;
    }
    s->gpus_per_replica = static_cast<int>(per_replica);
    s->replicas = static_cast<int>(gpus / per_replica);
    s->gpu_fraction = static_cast<double>(per_replica);
  } else if (has_share) {
    const YAML::Node n = *e.Get("gpuShare");
    std::string text;
    if (!ctx.ReadString(n, e.PathOf("gpuShare"), &text)) return;
    auto share = ParseMilliGpu(text);
    if (!share.ok() || share->value < 1 || share->value > 999) {
      ctx.Fail(n, e.PathOf("gpuShare"),
               "must be a share of one GPU between 1m and 999m such as 250m; got '" + text + "'");
      return;
    }
    s->share = share->value;
    s->gpu_fraction = static_cast<double>(share->value) / 1000;
  } else {
    const YAML::Node n = *e.Get("mig");
    if (!ctx.ReadString(n, e.PathOf("mig"), &s->mig)) return;
    const char slices = s->mig.empty() ? '0' : s->mig[0];
    if (s->mig.size() < 6 || std::string_view("12347").find(slices) == std::string_view::npos ||
        s->mig.substr(1, 2) != "g." || !s->mig.ends_with("gb")) {
      ctx.Fail(n, e.PathOf("mig"), "must be a MIG profile such as 1g.10gb or 3g.40gb; got '" +
                                       s->mig + "'");
      return;
    }
    s->gpu_fraction = (slices - '0') / 7.0;
  }
  e.OptionalStringList("models", &s->models);
  for (size_t i = 0; i < s->models.size() && e.ok(); ++i) {
    if (s->models[i].empty()) {
      ctx.Fail(e.node()["models"][i], Index(e.PathOf("models"), i),
               "a GPU model name must not be empty");
    }
  }
  if (auto nv = e.Get("nvlink")) {
    std::string text;
    if (ctx.ReadString(*nv, e.PathOf("nvlink"), &text)) {
      if (text == "none") {
        s->nvlink = NvlinkRequirement::kNone;
      } else if (text == "preferred") {
        s->nvlink = NvlinkRequirement::kPreferred;
      } else if (text == "required") {
        s->nvlink = NvlinkRequirement::kRequired;
      } else {
        ctx.Fail(*nv, e.PathOf("nvlink"), "must be one of none, preferred, required; got '" +
                                              text + "'");
      }
    }
  }
  e.OptionalBool("exclusiveNode", &s->exclusive);
  ReadChoices(ctx, e, "durations", false, &s->durations,
              [&](MapReader& m, DurationChoice* d) { ReadDurationChoice(ctx, m, d); });
  ReadChoices(ctx, e, "kinds", false, &s->kinds,
              [&](MapReader& m, KindChoice* k) { ReadKindChoice(ctx, m, k); });
  ReadChoices(ctx, e, "jurisdictions", false, &s->jurisdictions,
              [&](MapReader& m, JurisdictionChoice* j) { ReadJurisdictionChoice(ctx, m, j); });
}

void ReadArrivals(YamlContext& ctx, const YAML::Node& n, Config* c) {
  MapReader m(ctx, n, "spec.arrivals");
  std::string process;
  m.RequiredString("process", &process);
  if (m.ok() && process != "poisson" && process != "fixed") {
    ctx.Fail(n["process"], m.PathOf("process"), "must be poisson or fixed; got '" + process + "'");
  }
  c->poisson = process == "poisson";
  const bool has_gap = m.Has("meanInterArrival");
  const bool has_rate = m.Has("ratePerHour");
  if (m.ok() && has_gap == has_rate) {
    ctx.Fail(n, "spec.arrivals", "needs exactly one of meanInterArrival or ratePerHour");
  }
  OptionalSeconds(ctx, m, "meanInterArrival", kMaxMeanGapSeconds, &c->mean_gap_s);
  double rate = 0;
  m.OptionalDouble("ratePerHour", &rate, 3600 / kMaxMeanGapSeconds, 3.6e7);
  if (has_rate && rate > 0) c->mean_gap_s = 3600 / rate;
  if (auto d = m.Get("diurnal")) {
    MapReader dm(ctx, *d, m.PathOf("diurnal"));
    dm.RequiredDouble("amplitude", &c->diurnal_amplitude, 0, 0.9);
    dm.OptionalDouble("peakHour", &c->peak_hour, 0, 24);
    dm.Done();
  }
  m.Done();
}

void ReadSpec(YamlContext& ctx, const YAML::Node& n, Config* c) {
  MapReader m(ctx, n, "spec");
  // Required fields are checked after Done(), so that a misspelt one is reported as such.
  std::vector<std::string> missing;
  for (const char* key : {"jobs", "arrivals", "sizes", "durations"}) {
    if (!m.Has(key)) missing.emplace_back(key);
  }
  m.OptionalInt("jobs", &c->jobs, 1, kMaxJobs);
  if (auto a = m.Get("arrivals")) ReadArrivals(ctx, *a, c);
  if (auto r = m.Get("resources")) {
    MapReader rm(ctx, *r, m.PathOf("resources"));
    rm.OptionalDouble("cpuPerGpu", &c->cpu_per_gpu, 0.001, 1000);
    rm.OptionalBytes("memoryPerGpu", &c->memory_per_gpu, MiB(1), TiB(1));
    rm.Done();
  }
  ReadChoices(ctx, m, "sizes", false, &c->sizes,
              [&](MapReader& e, SizeChoice* s) { ReadSizeChoice(ctx, e, s); });
  ReadChoices(ctx, m, "durations", false, &c->durations,
              [&](MapReader& e, DurationChoice* d) { ReadDurationChoice(ctx, e, d); });
  ReadChoices(ctx, m, "tenants", false, &c->tenants, [&](MapReader& e, TenantChoice* t) {
    if (auto tn = e.Require("tenant")) {
      if (ctx.ReadString(*tn, e.PathOf("tenant"), &t->tenant)) {
        if (auto why = TenantPathError(t->tenant)) ctx.Fail(*tn, e.PathOf("tenant"), *why);
      }
    }
  });
  ReadChoices(ctx, m, "jurisdictions", false, &c->jurisdictions,
              [&](MapReader& e, JurisdictionChoice* j) { ReadJurisdictionChoice(ctx, e, j); });
  ReadChoices(ctx, m, "priorities", false, &c->priorities, [&](MapReader& e, PriorityChoice* p) {
    std::string name;
    e.RequiredString("class", &name);
    if (!e.ok()) return;
    if (auto cls = FindPriorityClass(name)) {
      p->cls = *cls;
    } else {
      std::string valid;
      for (const auto& pc : PriorityClasses()) valid += (valid.empty() ? "" : ", ") + pc.name;
      ctx.Fail(e.node()["class"], e.PathOf("class"),
               "unknown priority class '" + name + "'; valid: " + valid);
    }
    e.OptionalBool("preemptible", &p->preemptible);
  });
  ReadChoices(ctx, m, "kinds", false, &c->kinds,
              [&](MapReader& e, KindChoice* k) { ReadKindChoice(ctx, e, k); });
  if (auto g = m.Get("gangs")) {
    MapReader gm(ctx, *g, m.PathOf("gangs"));
    gm.OptionalDouble("nvlinkRequiredShare", &c->gang_nvlink_required, 0, 1);
    gm.Done();
  }
  if (auto d = m.Get("deadlines")) {
    MapReader dm(ctx, *d, m.PathOf("deadlines"));
    dm.RequiredDouble("share", &c->deadline_share, 0, 1);
    RequiredSeconds(ctx, dm, "slack", kMaxDurationSeconds, &c->deadline_slack_s);
    dm.OptionalDouble("interruptibleShare", &c->interruptible_share, 0, 1);
    dm.Done();
  }
  if (auto x = m.Get("expectedDuration")) {
    std::string text;
    if (ctx.ReadString(*x, m.PathOf("expectedDuration"), &text)) {
      if (text == "oracle" || text == "none") {
        c->oracle_estimates = text == "oracle";
      } else {
        ctx.Fail(*x, m.PathOf("expectedDuration"), "must be oracle or none; got '" + text + "'");
      }
    }
  }
  m.Done();
  if (!ctx.failed() && m.ok() && !missing.empty()) {
    ctx.Fail(n, m.PathOf(missing.front()), "missing required field");
  }
}

Result<Config> ParseConfig(std::string_view text, const std::string& file) {
  HARCH_ASSIGN_OR_RETURN(YAML::Node root, LoadYaml(text, file));
  YamlContext ctx(file);
  Config c;
  MapReader top(ctx, root, "");
  top.ExpectKind("SyntheticWorkload");
  if (auto meta = top.Require("metadata")) {
    MapReader m(ctx, *meta, "metadata");
    m.RequiredId("name", &c.name);
    if (m.ok() && c.name.size() > 56) {
      ctx.Fail((*meta)["name"], "metadata.name",
               "is longer than 56 characters (job ids append -NNNNNN)");
    }
    m.Done();
  }
  if (auto spec = top.Require("spec")) ReadSpec(ctx, *spec, &c);
  top.Done();
  if (ctx.failed()) return ctx.status();
  return c;
}

// An independent stream per attribute.
Random Stream(uint64_t seed, uint64_t stream) {
  Random mix(seed ^ (stream * 0xd1b54a32d192ed03ULL));
  return Random(mix.Next());
}

template <typename T>
const T& Pick(Random& rng, const std::vector<T>& choices) {
  double total = 0;
  for (const T& c : choices) total += c.weight;
  double x = rng.UniformDouble() * total;
  const T* last = &choices.front();
  for (const T& c : choices) {
    if (c.weight <= 0) continue;
    if (x < c.weight) return c;
    x -= c.weight;
    last = &c;
  }
  return *last;  // rounding at the very end of the range
}

double StandardNormal(Random& rng) {
  const double u1 = 1.0 - rng.UniformDouble();  // (0, 1]
  const double u2 = rng.UniformDouble();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

double DrawSeconds(Random& rng, const DurationChoice& d) {
  double s = d.lognormal ? std::exp(std::log(d.median_s) + d.sigma * StandardNormal(rng))
                         : d.min_s + rng.UniformDouble() * (d.max_s - d.min_s);
  return std::clamp(s, std::max(d.min_s, 1e-6), std::min(d.max_s, kMaxDurationSeconds));
}

// The arrival rate's multiplier at time t (seconds from midnight of day 0): mean 1 over a day.
double Diurnal(const Config& c, double t) {
  const double hours = t / 3600.0 - c.peak_hour;
  return 1.0 + c.diurnal_amplitude * std::cos(2.0 * std::numbers::pi * hours / 24.0);
}

double NextArrival(const Config& c, Random& rng, double t) {
  const double a = c.diurnal_amplitude;
  if (!c.poisson) return t + (a > 0 ? c.mean_gap_s / Diurnal(c, t) : c.mean_gap_s);
  if (a == 0) return t - c.mean_gap_s * std::log(1.0 - rng.UniformDouble());
  // Thinning (Lewis and Shedler): candidates at the peak rate, kept with rate(t) / peak rate.
  const double peak_gap = c.mean_gap_s / (1.0 + a);
  while (true) {
    t -= peak_gap * std::log(1.0 - rng.UniformDouble());
    if (rng.UniformDouble() * (1.0 + a) < Diurnal(c, t)) return t;
  }
}

std::string JobId(const std::string& prefix, int64_t i) {
  std::string digits = std::to_string(i);
  if (digits.size() < 6) digits.insert(0, 6 - digits.size(), '0');
  return prefix + "-" + digits;
}

std::string Describe(const Config& c) {
  std::ostringstream out;
  out << (c.poisson ? "poisson" : "fixed") << ", mean inter-arrival " << c.mean_gap_s << " s";
  if (c.diurnal_amplitude > 0) {
    out << ", diurnal amplitude " << c.diurnal_amplitude << " peaking at hour " << c.peak_hour
        << " (t = 0 is midnight)";
  }
  return out.str();
}

}  // namespace

Status ReadSynthetic(const std::string& path, std::string_view text,
                     const WorkloadOptions& options, Workload* out) {
  HARCH_ASSIGN_OR_RETURN(Config c, ParseConfig(text, path));
  int64_t n = c.jobs;
  if (options.max_jobs > 0 && options.max_jobs < n) {
    out->dropped["beyond-max-jobs"] = n - options.max_jobs;
    n = options.max_jobs;
  }
  enum : uint64_t { kArrivals = 1, kSizes, kDurations, kTenants, kJurisdictions, kPriorities,
                    kKinds, kNvlink, kDeadlines, kInterruptible };
  Random arrivals = Stream(options.seed, kArrivals);
  Random sizes = Stream(options.seed, kSizes);
  Random durations = Stream(options.seed, kDurations);
  Random tenants = Stream(options.seed, kTenants);
  Random jurisdictions = Stream(options.seed, kJurisdictions);
  Random priorities = Stream(options.seed, kPriorities);
  Random kinds = Stream(options.seed, kKinds);
  Random nvlink = Stream(options.seed, kNvlink);
  Random deadlines = Stream(options.seed, kDeadlines);
  Random interruptible = Stream(options.seed, kInterruptible);

  out->jobs.reserve(static_cast<size_t>(n));
  double t = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (i > 0) t = NextArrival(c, arrivals, t);
    if (t > kMaxArrivalSeconds) {
      return InvalidArgument(path + ": arrivals run past " +
                             std::to_string(static_cast<int64_t>(kMaxArrivalSeconds)) +
                             " s at job " + std::to_string(i) + "; raise the arrival rate");
    }
    const SizeChoice& size = Pick(sizes, c.sizes);
    const DurationChoice& dist = Pick(durations, size.durations.empty() ? c.durations
                                                                        : size.durations);
    const double service_s = DrawSeconds(durations, dist);
    const TenantChoice& tenant = Pick(tenants, c.tenants);
    const JurisdictionChoice& where = Pick(jurisdictions, size.jurisdictions.empty() ? c.jurisdictions : size.jurisdictions);
    const PriorityChoice& prio = Pick(priorities, c.priorities);
    const KindChoice& kind = Pick(kinds, size.kinds.empty() ? c.kinds : size.kinds);
    const bool nvlink_required = nvlink.Bernoulli(c.gang_nvlink_required);
    const bool has_deadline = deadlines.Bernoulli(c.deadline_share);

    SimJob& job = out->jobs.emplace_back();
    job.id = JobId(c.name, i);
    job.arrival = SecondsToDuration(t);
    job.service = std::max(Duration{1}, SecondsToDuration(service_s));
    job.qos = prio.cls.name;
    JobSpec& spec = job.spec;
    spec.name = job.id;
    spec.ref = SourceRef{path, 0, 0, "spec"};
    spec.tenant = tenant.tenant;
    spec.kind = kind.kind;
    spec.latency = kind.latency;
    spec.priority_class = prio.cls.name;
    spec.priority = prio.cls.value;
    spec.preemptible = prio.preemptible;
    if (c.oracle_estimates) spec.expected_duration = job.service;
    if (has_deadline && kind.latency != LatencySensitivity::kHigh) {
      job.deadline_after = job.service + SecondsToDuration(c.deadline_slack_s);
      spec.interruptible = interruptible.Bernoulli(c.interruptible_share);
    }
    if (!where.countries.empty()) {
      DataObject& data = spec.data.emplace_back();
      data.name = "data";
      data.jurisdiction = where.countries;
      data.ref = spec.ref;
    }
    TaskGroupSpec& group = spec.task_groups.emplace_back();
    group.name = "main";
    group.ref = spec.ref;
    group.replicas = size.replicas;
    group.gpus_per_replica = size.gpus_per_replica;
    group.gpu_share = MilliGpu{size.share};
    group.mig_profile = size.mig;
    group.gpu.models = size.models;
    group.gpu.exclusive_node = size.exclusive;
    if (size.nvlink) {
      group.gpu.nvlink = *size.nvlink;
    } else if (size.replicas > 1 && nvlink_required) {
      group.gpu.nvlink = NvlinkRequirement::kRequired;
    }
    group.cpu_per_replica =
        MilliCpu{std::max<int64_t>(1, std::llround(c.cpu_per_gpu * 1000 * size.gpu_fraction))};
    group.memory_per_replica = Bytes{std::max<int64_t>(
        MiB(1).value,
        std::llround(static_cast<double>(c.memory_per_gpu.value) * size.gpu_fraction))};
  }

  out->notes["generator"] = "synthetic '" + c.name + "', seed " + std::to_string(options.seed) +
                            ", " + std::to_string(c.jobs) + " jobs";
  out->notes["arrivals"] = Describe(c);
  out->notes["streams"] = "each attribute draws from its own stream of the seed: changing one "
                          "mix leaves the others of every job unchanged";
  out->notes["expected-duration"] =
      c.oracle_estimates ? "set to the service time: an oracle estimate no real scheduler has"
                         : "not set";
  if (c.deadline_share > 0) {
    out->notes["deadlines"] = "a share of " + std::to_string(c.deadline_share) +
                              " of the jobs that are not latency-sensitive must end within their "
                              "service time + " + std::to_string(static_cast<int64_t>(c.deadline_slack_s)) +
                              " s of arriving";
  }
  return Status::Ok();
}

}  // namespace harch::workload_internal

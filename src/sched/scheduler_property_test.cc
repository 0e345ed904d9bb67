// Property tests of the scheduler (scheduler.cc, cycle.cc, placer.cc, preemption.cc) on seeded
// random small fleets and random job mixes, driven over a simulated timeline.
//
// Every case builds a fleet of at most 24 GPUs (1-3 hubs in MA/SN/FR; NVSwitch H100/A100 nodes,
// PCIe pairs, MIG-mode A100s, L4s, sometimes a multi-node GB200 rack), a random queue config
// (tenants a, b, c and a/x with weights, guaranteed quotas and borrowing limits), and submits
// random jobs over time: 1-3 task groups of whole GPUs, shares or MIG instances, random tenants,
// priority classes, latency, preemptibility, durations, data with jurisdiction sets (some
// disjoint), NVLink requirements, exclusive nodes, (anti-)affinity. Jobs finish when their
// expected duration has elapsed; nodes go down and GPUs fail now and then, and come back.
// After EVERY Schedule() it checks:
//   (a) no grant of a running job lies outside the jurisdiction its data allows;
//   (b) no GPU or MIG slice is given twice: the per-GPU use recomputed from the running jobs'
//       placements equals the topology's state exactly, and the topology holds no allocation
//       that no running job owns;
//   (c) gangs are all or nothing: one placement per task group with the right units, every
//       replica on one node, all groups in one hub; pending jobs hold nothing;
//   (d) tenants stay within guaranteed + borrowLimit for every family, and the scheduler's
//       accounting equals the use recomputed from the running jobs;
//   (e) every job is in exactly one state and accounted for; pending jobs carry a constraint;
//   and: a preemption victim is preemptible, of a class no higher than its preemptor, requeued,
//   and evicted only for a preemptor that is bound in the same cycle; the batch step is never
//   worse than greedy; a job whose data allows no hub of the fleet is refused; after a drain
//   period with no arrivals and all hardware back, every job that fits the idle fleet alone has
//   run. Separately: (f) no job waits past the aging bound plus the longest job when capacity
//   frees up regularly, determinism of the event sequence, and a case where the batch step
//   strictly beats greedy.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/random.h"
#include "resource/fleet_spec.h"
#include "resource/placement.h"
#include "resource/topology.h"
#include "sched/framework.h"
#include "sched/job.h"
#include "sched/job_spec.h"
#include "sched/plugins/plugins.h"
#include "sched/queues.h"
#include "sched/scheduler.h"

namespace harch {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

constexpr Duration kTick = minutes(5);
const Time kStart = Time(hours(24 * 365 * 56));
constexpr int kMaxFleetGpus = 24;

template <typename T>
const T& Pick(Random& rng, const std::vector<T>& v) {
  return v[static_cast<size_t>(rng.Uniform(0, static_cast<int64_t>(v.size()) - 1))];
}

int64_t UnitMilli(const GpuGrant& g) { return g.mig_shape >= 0 ? kWholeGpu.value : g.milli.value; }

std::string Minutes(Duration d) {
  return std::to_string(std::chrono::duration_cast<minutes>(d).count()) + " min";
}

// --- Random fleets --------------------------------------------------------------------------------

NodeEntrySpec MakeNode(Random& rng, const std::string& name, const std::string& model, int gpus,
                       NodeNvlink nvlink, bool mig) {
  NodeEntrySpec n;
  n.name = name;
  n.shape.cpu = MilliCpu{64000};
  n.shape.memory = GiB(512);
  n.shape.numa_nodes = rng.Uniform(1, 2);
  if (rng.Bernoulli(0.3)) n.shape.labels["tier"] = "gold";
  GpuGroupSpec g;
  g.model = model;
  g.count = gpus;
  g.nvlink = nvlink;
  g.mig_enabled = mig;
  n.shape.gpus = g;
  return n;
}

FleetSpec RandomFleet(Random& rng) {
  static const std::vector<std::string> kCountries{"MA", "SN", "FR"};
  FleetSpec spec;
  spec.name = "prop";
  const int hubs = static_cast<int>(rng.Uniform(1, 3));
  for (int h = 0; h < hubs; ++h) {
    HubSpec hub;
    hub.id = "h" + std::to_string(h);
    hub.country = Pick(rng, kCountries);
    spec.hubs.push_back(hub);
  }
  int budget = static_cast<int>(rng.Uniform(8, kMaxFleetGpus));
  for (int r = 0; budget > 0 && r < 6; ++r) {
    RackSpec rack;
    rack.id = "r" + std::to_string(r);
    if (budget >= 4 && rng.Bernoulli(0.15)) {
      // An NVL72-like rack: trays of GB200 in one multi-node NVLink domain.
      rack.nvlink = RackNvlink::kMultiNode;
      const int trays = static_cast<int>(rng.Uniform(2, 3));
      for (int t = 0; t < trays && budget >= 2; ++t) {
        const int gpus = std::min(budget, static_cast<int>(rng.Uniform(2, 4)));
        budget -= gpus;
        rack.nodes.push_back(MakeNode(rng, "t" + std::to_string(t), "GB200", gpus, NodeNvlink::kNone, false));
      }
    } else {
      const int nodes = static_cast<int>(rng.Uniform(1, 2));
      for (int n = 0; n < nodes && budget > 0; ++n) {
        const std::string name = "n" + std::to_string(n);
        int gpus = 0;
        switch (rng.Uniform(0, 4)) {
          case 0:
            gpus = std::min(budget, static_cast<int>(Pick(rng, std::vector<int64_t>{4, 8})));
            rack.nodes.push_back(MakeNode(rng, name, "H100-SXM", gpus, NodeNvlink::kNvswitch, false));
            break;
          case 1:
            gpus = std::min(budget, static_cast<int>(Pick(rng, std::vector<int64_t>{2, 4, 8})));
            rack.nodes.push_back(
                MakeNode(rng, name, "A100-SXM", gpus, NodeNvlink::kNvswitch, rng.Bernoulli(0.5)));
            break;
          case 2:
            gpus = std::min(budget, static_cast<int>(Pick(rng, std::vector<int64_t>{2, 4})));
            rack.nodes.push_back(MakeNode(rng, name, "L40S", gpus,
                                          gpus % 2 == 0 ? NodeNvlink::kPairs : NodeNvlink::kNone, false));
            break;
          case 3:
            gpus = std::min(budget, static_cast<int>(Pick(rng, std::vector<int64_t>{2, 4})));
            rack.nodes.push_back(MakeNode(rng, name, "H100-PCIe", gpus,
                                          gpus % 2 == 0 ? NodeNvlink::kPairs : NodeNvlink::kNone, false));
            break;
          default:
            gpus = std::min(budget, static_cast<int>(rng.Uniform(1, 2)));
            rack.nodes.push_back(MakeNode(rng, name, "L4", gpus, NodeNvlink::kNone, false));
            break;
        }
        budget -= gpus;
      }
    }
    spec.hubs[static_cast<size_t>(rng.Uniform(0, hubs - 1))].racks.push_back(std::move(rack));
  }
  return spec;
}

std::vector<std::string> Families(const Topology& topo) {
  std::set<std::string> out;
  for (size_t g = 0; g < topo.gpus().size(); ++g) out.insert(topo.model_of(GpuIdx(g)).family);
  return {out.begin(), out.end()};
}

const std::vector<std::string>& Tenants() {
  static const std::vector<std::string> kTenants{"a", "b", "c", "a/x"};
  return kTenants;
}

QueueConfig RandomQueues(Random& rng, const std::vector<std::string>& families, bool limits) {
  QueueConfig q;
  q.usage_half_life = Pick(rng, std::vector<Duration>{minutes(30), hours(1), hours(2)});
  for (const std::string& path : Tenants()) {
    if (path == "a/x" && rng.Bernoulli(0.5)) continue;  // sometimes only implied by jobs
    TenantSpec t;
    t.path = path;
    t.weight = static_cast<double>(rng.Uniform(1, 3));
    const int quotas = static_cast<int>(rng.Uniform(0, 2));
    std::set<std::string> used;
    for (int i = 0; i < quotas; ++i) {
      QuotaSpec qs;
      qs.family = rng.Bernoulli(0.35) ? "*" : Pick(rng, families);
      if (!used.insert(qs.family).second) continue;
      qs.guaranteed_milli = rng.Uniform(0, 8) * 1000;
      if (limits && rng.Bernoulli(0.7)) qs.borrow_limit_milli = rng.Uniform(0, 8) * 1000;
      t.quota.push_back(qs);
    }
    q.tenants.push_back(t);
  }
  return q;
}

// --- Random jobs ----------------------------------------------------------------------------------

struct JobMix {
  double multi_group = 0.3;
  double share = 0.2;
  double mig = 0.15;
  double data = 0.4;
  double affinity = 0.06;
  double preemptible = 0.7;
};

// What the job generator knows of the fleet, so that most jobs can run somewhere.
struct FleetInfo {
  std::vector<std::string> families;
  std::vector<std::string> countries;  // of the hubs
  bool mig = false;                    // has GPUs in MIG mode
};

FleetInfo InfoOf(const Topology& topo) {
  FleetInfo info;
  std::set<std::string> families, countries;
  for (size_t g = 0; g < topo.gpus().size(); ++g) {
    families.insert(topo.model_of(GpuIdx(g)).family);
    info.mig |= topo.gpus()[g].mig_enabled;
  }
  for (const Hub& h : topo.hubs()) countries.insert(h.country);
  info.families.assign(families.begin(), families.end());
  info.countries.assign(countries.begin(), countries.end());
  return info;
}

// 1-3 countries, mostly ones the fleet has hubs in; sometimes any of MA, SN, FR, DE.
std::vector<std::string> RandomCountries(Random& rng, const FleetInfo& fleet) {
  static const std::vector<std::string> kAll{"MA", "SN", "FR", "DE"};
  std::vector<std::string> out;
  const int n = static_cast<int>(rng.Uniform(1, 3));
  for (int i = 0; i < n; ++i) out.push_back(Pick(rng, rng.Bernoulli(0.75) ? fleet.countries : kAll));
  return out;
}

JobSpec RandomJob(Random& rng, const FleetInfo& fleet, const JobMix& mix) {
  const std::vector<std::string>& families = fleet.families;
  static const std::vector<std::string> kMig{"1g.10gb", "1g.10gb", "2g.20gb", "3g.40gb"};
  JobSpec spec;
  spec.name = "j" + std::to_string(rng.Uniform(0, 11));
  spec.tenant = Pick(rng, Tenants());
  spec.kind = static_cast<WorkloadKind>(rng.Uniform(0, 4));
  const PriorityClass& pc = Pick(rng, PriorityClasses());
  spec.priority_class = pc.name;
  spec.priority = pc.value;
  spec.latency = static_cast<LatencySensitivity>(rng.Uniform(0, 2));
  spec.preemptible = rng.Bernoulli(mix.preemptible);
  spec.expected_duration = Duration(minutes(5 * rng.Uniform(2, 24)));  // 10 min .. 2 h
  const int groups = rng.Bernoulli(mix.multi_group) ? static_cast<int>(rng.Uniform(2, 3)) : 1;
  for (int i = 0; i < groups; ++i) {
    TaskGroupSpec g;
    g.name = "g" + std::to_string(i);
    const double kind = rng.UniformDouble();
    if (kind < mix.mig && (fleet.mig || rng.Bernoulli(0.1))) {
      g.mig_profile = Pick(rng, kMig);
      g.replicas = static_cast<int>(rng.Uniform(1, 2));
    } else if (kind < mix.mig + mix.share) {
      g.gpu_share = MilliGpu{Pick(rng, std::vector<int64_t>{250, 500, 500, 750})};
      g.replicas = static_cast<int>(rng.Uniform(1, 3));
    } else {
      g.gpus_per_replica = static_cast<int>(Pick(rng, std::vector<int64_t>{1, 1, 2, 2, 4, 8}));
      g.replicas = rng.Bernoulli(0.75) ? 1 : 2;
      if (g.gpus_per_replica >= 2 && rng.Bernoulli(0.15)) g.gpu.nvlink = NvlinkRequirement::kRequired;
      if (rng.Bernoulli(0.05)) g.gpu.exclusive_node = true;
    }
    if (rng.Bernoulli(0.2)) g.gpu.models = {Pick(rng, families)};
    spec.task_groups.push_back(g);
  }
  if (rng.Bernoulli(mix.data)) {
    const int objects = static_cast<int>(rng.Uniform(1, 2));
    for (int i = 0; i < objects; ++i) {
      spec.data.push_back({"d" + std::to_string(i), RandomCountries(rng, fleet), GiB(1), {}});
    }
    if (rng.Bernoulli(0.1)) spec.data = {{"x", {"MA"}, GiB(1), {}}, {"y", {"FR", "SN"}, GiB(1), {}}};
  }
  if (rng.Bernoulli(mix.affinity)) {
    AffinityTerm t;
    t.target = AffinityTarget::kJob;
    t.scope = rng.Bernoulli(0.5) ? AffinityScope::kNode : AffinityScope::kHub;
    t.job = "j" + std::to_string(rng.Uniform(0, 11));
    (rng.Bernoulli(0.6) ? spec.anti_affinity : spec.affinity).push_back(t);
  }
  return spec;
}

// True when `spec` alone, submitted to a fresh scheduler on the idle fleet, starts at once.
bool FitsOnIdleFleet(const Topology& pristine, const QueueConfig& queues, const std::string& profile,
                     const JobSpec& spec) {
  Topology topo = pristine;
  ManualClock clock(kStart), budget(kStart);
  Random rng(1);
  Scheduler s(&topo, std::move(PluginRegistry::Default().MakeProfile(profile)).value(), queues,
              SchedulerConfig{}, &clock, &rng, &budget);
  auto id = s.Submit(spec);
  if (!id.ok()) return false;
  s.Schedule();
  return s.Find(*id)->state == JobState::kRunning;
}

// A job, for failure messages.
std::string DescribeJob(const Job& j) {
  std::ostringstream os;
  os << "job " << j.id.value << " '" << j.spec.name << "' tenant " << j.spec.tenant << " "
     << j.spec.priority_class << (j.spec.preemptible ? " preemptible" : "") << ", "
     << JobStateName(j.state) << " (" << j.pending_constraint << ": " << j.pending_reason << ")";
  for (const auto& g : j.spec.task_groups) {
    os << "; group " << g.name << ": " << g.replicas << " x ";
    if (g.gpus_per_replica > 0) {
      os << g.gpus_per_replica << " GPUs";
    } else if (!g.mig_profile.empty()) {
      os << g.mig_profile;
    } else {
      os << g.gpu_share.value << "m";
    }
    for (const auto& m : g.gpu.models) os << " " << m;
    if (g.gpu.nvlink == NvlinkRequirement::kRequired) os << " nvlink";
    if (g.gpu.exclusive_node) os << " exclusive";
  }
  for (const auto& d : j.spec.data) {
    os << "; data " << d.name << " [";
    for (const auto& c : d.jurisdiction) os << c << " ";
    os << "]";
  }
  for (const auto& t : j.spec.affinity) os << "; affinity " << t.job;
  for (const auto& t : j.spec.anti_affinity) os << "; anti-affinity " << t.job;
  return os.str();
}

// --- The invariants -------------------------------------------------------------------------------

struct Tally {
  int cycles = 0;
  int submitted = 0;
  int rejected = 0;
  int placements = 0;
  int preemptions = 0;
  int lost = 0;
  int batch_improved = 0;
  int multi_group_runs = 0;
  int mig_runs = 0;
  int share_runs = 0;
  int data_runs = 0;
  int quota_blocks = 0;
  int max_pending = 0;
  std::map<std::string, int> constraints;
  std::map<std::string, int> rejections;  // by constraint
  int started_then_preempted = 0;  // in the same cycle
};

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

void CheckInvariants(const Scheduler& s, const Topology& topo, const QueueConfig& queues,
                     const std::vector<JobId>& accepted, const CycleStats& stats,
                     const std::set<JobId>& preempted_now, Tally* tally) {
  const std::vector<const Job*> running = s.JobsIn(JobState::kRunning);
  const std::vector<const Job*> pending = s.JobsIn(JobState::kPending);

  // (e) Every accepted job is known and in exactly one state; nothing else exists.
  size_t in_states = 0;
  std::set<JobId> seen;
  for (JobState st : {JobState::kPending, JobState::kRunning, JobState::kSucceeded,
                      JobState::kFailed, JobState::kCancelled}) {
    for (const Job* j : s.JobsIn(st)) {
      EXPECT_TRUE(seen.insert(j->id).second) << "job " << j->id.value << " in two states";
      EXPECT_EQ(j->state, st);
      ++in_states;
    }
  }
  EXPECT_EQ(in_states, accepted.size()) << "pending + running + finished != submitted - rejected";
  for (JobId id : accepted) {
    const Job* j = s.Find(id);
    ASSERT_NE(j, nullptr) << "job " << id.value << " lost";
    EXPECT_TRUE(seen.count(id));
  }
  EXPECT_EQ(stats.pending, static_cast<int>(pending.size()));
  tally->max_pending = std::max(tally->max_pending, stats.pending);
  for (const Job* j : pending) {
    EXPECT_TRUE(j->placement.empty()) << "pending job " << j->id.value << " holds a placement";
    EXPECT_FALSE(j->started.has_value());
    EXPECT_FALSE(j->pending_constraint.empty()) << "pending job " << j->id.value << " has no constraint";
    EXPECT_FALSE(j->pending_reason.empty()) << "pending job " << j->id.value << " has no reason";
    if (preempted_now.count(j->id)) {
      EXPECT_EQ(j->pending_constraint, "preempted");
    }
    ++tally->constraints[j->pending_constraint];
    if (j->pending_constraint == "quota") ++tally->quota_blocks;
  }
  for (JobState st : {JobState::kSucceeded, JobState::kFailed, JobState::kCancelled}) {
    for (const Job* j : s.JobsIn(st)) {
      EXPECT_TRUE(j->placement.empty());
      EXPECT_TRUE(j->finished.has_value());
    }
  }

  // (b) Per-GPU use recomputed from the running jobs' placements.
  std::vector<int64_t> milli(topo.gpus().size(), 0);
  std::vector<uint8_t> mig(topo.gpus().size(), 0);
  std::set<uint64_t> owned;
  std::map<std::string, FamilyMilli> usage;  // by tenant path, ancestors included
  for (const Job* j : running) {
    SCOPED_TRACE("running job " + std::to_string(j->id.value) + " (" + j->spec.name + ")");
    EXPECT_TRUE(j->started.has_value());
    const JobSpec& spec = j->spec;
    // (c) One placement per task group, in one hub.
    ASSERT_EQ(j->placement.size(), spec.task_groups.size()) << "a partial gang runs";
    std::set<uint32_t> hubs;
    const auto allowed = AllowedJurisdiction(spec);
    for (size_t gi = 0; gi < spec.task_groups.size(); ++gi) {
      const TaskGroupSpec& group = spec.task_groups[gi];
      const GroupPlacement& gp = j->placement[gi];
      EXPECT_EQ(gp.group, group.name);
      const Allocation* alloc = topo.FindAllocation(gp.allocation);
      ASSERT_NE(alloc, nullptr) << "group " << group.name << " has no allocation";
      EXPECT_EQ(alloc->grants, gp.grants);
      EXPECT_EQ(alloc->exclusive_nodes, group.gpu.exclusive_node);
      EXPECT_TRUE(owned.insert(gp.allocation.value).second) << "an allocation owned twice";
      // Units.
      const int units = group.gpus_per_replica > 0 ? group.replicas * group.gpus_per_replica
                                                   : group.replicas;
      ASSERT_EQ(static_cast<int>(gp.grants.size()), units) << "group " << group.name;
      std::map<uint32_t, int> per_node;
      std::set<uint32_t> domains, whole_gpus;
      for (const GpuGrant& g : gp.grants) {
        ASSERT_TRUE(g.gpu.valid() && g.gpu.value < topo.gpus().size());
        const Gpu& gpu = topo.gpu(g.gpu);
        const GpuModel& model = topo.model_of(g.gpu);
        ++per_node[gpu.node.value];
        domains.insert(gpu.domain.value);
        hubs.insert(gpu.hub.value);
        EXPECT_TRUE(topo.Schedulable(g.gpu, /*allow_degraded=*/true))
            << gpu.id << " is down or failed but still runs job " << j->id.value;
        if (group.gpus_per_replica > 0) {
          EXPECT_EQ(g.milli, kWholeGpu);
          EXPECT_EQ(g.mig_shape, -1);
          EXPECT_TRUE(whole_gpus.insert(g.gpu.value).second) << "one GPU twice in a gang";
        } else if (!group.mig_profile.empty()) {
          EXPECT_EQ(std::optional<int>(g.mig_shape), FindMigShape(model, group.mig_profile));
        } else {
          EXPECT_EQ(g.milli, group.gpu_share);
          EXPECT_EQ(g.mig_shape, -1);
        }
        if (!group.gpu.models.empty()) {
          EXPECT_TRUE(std::any_of(group.gpu.models.begin(), group.gpu.models.end(),
                                  [&](const std::string& q) { return GpuCatalog::Matches(model, q); }))
              << gpu.id << " is a " << model.name;
        }
        // (a) Sovereignty.
        if (allowed) {
          const std::string& country = topo.hub(gpu.hub).country;
          EXPECT_TRUE(Contains(*allowed, country))
              << "SOVEREIGNTY VIOLATION: " << gpu.id << " is in " << country;
        }
        // (b) Accumulate.
        if (g.mig_shape >= 0) {
          ASSERT_GE(g.mig_start, 0);
          const uint8_t bits = MigSliceBits(MigShapes()[g.mig_shape], g.mig_start);
          EXPECT_EQ(mig[g.gpu.value] & bits, 0) << "MIG slices of " << gpu.id << " given twice";
          mig[g.gpu.value] |= bits;
        } else {
          milli[g.gpu.value] += g.milli.value;
        }
      }
      // Every replica on one node: each node holds whole replicas.
      const int replica_size = std::max(1, group.gpus_per_replica);
      for (const auto& [node, n] : per_node) {
        EXPECT_EQ(n % replica_size, 0) << "a replica of " << group.name << " spans nodes";
      }
      if (group.gpu.nvlink == NvlinkRequirement::kRequired) {
        EXPECT_EQ(domains.size(), 1u) << "NVLink required but " << domains.size() << " domains";
      }
      if (group.gpu.exclusive_node) {
        for (const auto& [node, n] : per_node) {
          EXPECT_EQ(topo.node(NodeIdx(node)).exclusive_owner, gp.allocation.value);
        }
      }
      if (group.gpus_per_replica == 0 && !group.mig_profile.empty()) ++tally->mig_runs;
      if (group.gpus_per_replica == 0 && group.mig_profile.empty()) ++tally->share_runs;
    }
    EXPECT_EQ(hubs.size(), 1u) << "the groups of one job span hubs";
    if (spec.task_groups.size() > 1) ++tally->multi_group_runs;
    if (allowed) ++tally->data_runs;
    // Usage for (d), by family, for the tenant and every ancestor.
    FamilyMilli use;
    for (const auto& gp : j->placement) {
      for (const auto& g : gp.grants) use[topo.model_of(g.gpu).family] += UnitMilli(g);
    }
    for (std::string p = spec.tenant; !p.empty();) {
      for (const auto& [f, m] : use) usage[p][f] += m;
      const auto slash = p.rfind('/');
      p = slash == std::string::npos ? "" : p.substr(0, slash);
    }
  }
  for (size_t g = 0; g < topo.gpus().size(); ++g) {
    const Gpu& gpu = topo.gpus()[g];
    EXPECT_LE(milli[g], kWholeGpu.value) << gpu.id << " over-committed";
    EXPECT_EQ(gpu.used_milli, milli[g]) << gpu.id << ": topology and running jobs disagree";
    EXPECT_EQ(gpu.mig_mask, mig[g]) << gpu.id << ": MIG slices disagree";
  }
  // Nothing is allocated that no running job owns (pending jobs hold nothing).
  for (const auto& [id, alloc] : topo.allocations()) {
    EXPECT_TRUE(owned.count(id.value)) << "allocation " << id.value << " (" << alloc.owner
                                       << ") belongs to no running job";
  }
  EXPECT_EQ(topo.allocations().size(), owned.size());

  // (d) Quotas: within guaranteed + borrowLimit, and the scheduler's accounting is exact.
  for (const TenantSpec& t : queues.tenants) {
    const FamilyMilli& use = usage[t.path];
    for (const QuotaSpec& q : t.quota) {
      if (!q.borrow_limit_milli) continue;
      int64_t used = 0;
      for (const auto& [f, m] : use) used += (q.family == "*" || f == q.family) ? m : 0;
      EXPECT_LE(used, q.guaranteed_milli + *q.borrow_limit_milli)
          << "tenant " << t.path << " uses " << used << " milli-GPU of " << q.family
          << " over its quota";
    }
  }
  for (const auto& [path, tenant] : s.tenants().tenants()) {
    int64_t total = 0;
    for (const auto& [f, m] : tenant.usage) {
      const auto it = usage[path].find(f);
      EXPECT_EQ(m, it == usage[path].end() ? 0 : it->second) << "tenant " << path << " " << f;
      total += m;
    }
    EXPECT_EQ(tenant.usage_total, total);
  }
  for (const auto& [path, use] : usage) {
    for (const auto& [f, m] : use) {
      ASSERT_TRUE(s.tenants().tenants().count(path)) << path;
      const auto& tu = s.tenants().tenants().at(path).usage;
      EXPECT_EQ(tu.count(f) ? tu.at(f) : 0, m) << "tenant " << path << " " << f;
    }
  }

  // The batch step keeps the best order it tried, the queue order among them.
  if (s.profile().batch) {
    EXPECT_GE(stats.objective, stats.greedy_objective - 1e-9);
    if (stats.objective > stats.greedy_objective + 1e-9) ++tally->batch_improved;
  } else {
    EXPECT_DOUBLE_EQ(stats.objective, stats.greedy_objective);
  }
  ++tally->cycles;
}

// --- The simulation -------------------------------------------------------------------------------

struct SimOptions {
  std::string profile = "harch";
  int arrival_ticks = 40;      // 200 min of arrivals
  int max_drain_ticks = 600;   // then up to 50 h with no arrivals
  double node_down = 0.03;     // per tick
  double gpu_fail = 0.03;
  bool limits = true;
  JobMix mix;
};

class Simulation {
 public:
  Simulation(uint64_t seed, SimOptions opts)
      : seed_(seed), opts_(std::move(opts)), rng_(seed), sched_rng_(seed ^ 0x5eed), clock_(kStart),
        budget_(kStart), spec_(RandomFleet(rng_)) {}

  void Run(Tally* tally) {
    auto built = BuildTopology(spec_);
    ASSERT_TRUE(built.ok()) << built.status().ToString() << "\n" << WriteFleetSpec(spec_);
    topo_ = std::make_unique<Topology>(std::move(built).value());
    pristine_ = std::make_unique<Topology>(*topo_);
    fleet_ = InfoOf(*topo_);
    queues_ = RandomQueues(rng_, fleet_.families, opts_.limits);
    auto profile = PluginRegistry::Default().MakeProfile(opts_.profile);
    ASSERT_TRUE(profile.ok());
    sched_ = std::make_unique<Scheduler>(topo_.get(), std::move(profile).value(), queues_,
                                         SchedulerConfig{}, &clock_, &sched_rng_, &budget_);
    for (int tick = 0; tick < opts_.arrival_ticks; ++tick) {
      Step(tick, /*arrivals=*/true, tally);
      if (::testing::Test::HasFailure()) return;
    }
    // Drain: hardware comes back, nothing new arrives; stop once nothing runs.
    for (auto& [node, until] : down_) (void)topo_->SetNodeState(node, NodeState::kUp);
    for (auto& [gpu, until] : failed_) (void)topo_->SetGpuHealth(gpu, Health::kHealthy);
    down_.clear();
    failed_.clear();
    for (int tick = 0; tick < opts_.max_drain_ticks; ++tick) {
      Step(opts_.arrival_ticks + tick, /*arrivals=*/false, tally);
      if (::testing::Test::HasFailure()) return;
      if (sched_->JobsIn(JobState::kRunning).empty()) break;
    }
    EXPECT_FALSE(reclaim_ping_pong_) << "two jobs reclaimed GPUs from each other";
    ASSERT_TRUE(sched_->JobsIn(JobState::kRunning).empty())
        << "the drain did not finish" << RecentEvents() << [&] {
             std::string out;
             for (const Job* j : sched_->JobsIn(JobState::kRunning)) out += "\n running " + DescribeJob(*j);
             for (const Job* j : sched_->JobsIn(JobState::kPending)) out += "\n pending " + DescribeJob(*j);
             return out;
           }();
    // Every job still pending on the idle, healthy fleet cannot start even alone on it.
    if (opts_.profile != "fifo") {  // FIFO: a job that never fits blocks all behind it, by design
      for (const Job* j : sched_->JobsIn(JobState::kPending)) {
        EXPECT_FALSE(FitsOnIdleFleet(*pristine_, queues_, opts_.profile, j->spec))
            << "fits the idle fleet alone but never ran: " << DescribeJob(*j) << RecentEvents();
      }
    }
  }

  const std::vector<std::string>& log() const { return log_; }
  std::string RecentEvents() const {
    std::string out = "\nrecent events:";
    for (size_t i = log_.size() > 30 ? log_.size() - 30 : 0; i < log_.size(); ++i) out += "\n  " + log_[i];
    return out;
  }
  std::string Describe() const {
    return "seed " + std::to_string(seed_) + " profile " + opts_.profile + "\nfleet:\n" +
           WriteFleetSpec(spec_);
  }

 private:
  void Step(int tick, bool arrivals, Tally* tally) {
    SCOPED_TRACE("tick " + std::to_string(tick));
    clock_.Advance(kTick);
    const Time now = clock_.Now();
    // Jobs whose expected duration has elapsed finish (some fail).
    for (const Job* j : sched_->JobsIn(JobState::kRunning)) {
      if (*j->started + *j->spec.expected_duration <= now) finishing_.push_back(j->id);
    }
    for (JobId id : finishing_) {
      ASSERT_TRUE(sched_->Finish(id, !rng_.Bernoulli(0.1)).ok());
    }
    finishing_.clear();
    // Hardware: repairs, then new failures.
    for (auto it = down_.begin(); it != down_.end();) {
      if (it->second <= tick) {
        (void)topo_->SetNodeState(it->first, NodeState::kUp);
        it = down_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto it = failed_.begin(); it != failed_.end();) {
      if (it->second <= tick) {
        (void)topo_->SetGpuHealth(it->first, Health::kHealthy);
        it = failed_.erase(it);
      } else {
        ++it;
      }
    }
    if (arrivals && rng_.Bernoulli(opts_.node_down)) {
      const NodeIdx n(static_cast<size_t>(rng_.Uniform(0, static_cast<int64_t>(topo_->nodes().size()) - 1)));
      if (topo_->node(n).state == NodeState::kUp) {
        const std::vector<JobId> lost = sched_->NodeDown(n);
        tally->lost += static_cast<int>(lost.size());
        for (JobId id : lost) EXPECT_EQ(sched_->Find(id)->state, JobState::kPending);
        down_[n] = tick + static_cast<int>(rng_.Uniform(1, 12));
      }
    }
    if (arrivals && rng_.Bernoulli(opts_.gpu_fail)) {
      const GpuIdx g(static_cast<size_t>(rng_.Uniform(0, static_cast<int64_t>(topo_->gpus().size()) - 1)));
      if (topo_->gpu(g).health == Health::kHealthy) {
        const std::vector<JobId> lost = sched_->GpuFailed(g);
        tally->lost += static_cast<int>(lost.size());
        for (JobId id : lost) EXPECT_EQ(sched_->Find(id)->state, JobState::kPending);
        failed_[g] = tick + static_cast<int>(rng_.Uniform(1, 12));
      }
    }
    // Now and then a pending job is cancelled.
    if (arrivals && rng_.Bernoulli(0.03)) {
      const auto pending = sched_->JobsIn(JobState::kPending);
      if (!pending.empty()) {
        const JobId id = Pick(rng_, pending)->id;
        ASSERT_TRUE(sched_->Cancel(id).ok());
      }
    }
    if (arrivals) {
      const int n = static_cast<int>(rng_.Uniform(0, 2));
      for (int i = 0; i < n; ++i) Submit(RandomJob(rng_, fleet_, opts_.mix), tally);
    }
    const CycleStats stats = sched_->Schedule();
    std::set<JobId> preempted_now;
    const std::vector<SchedEvent> events = sched_->TakeEvents();
    for (size_t i = 0; i < events.size(); ++i) {
      const SchedEvent& e = events[i];
      if (e.type == "Scheduled") ++tally->placements;
      log_.push_back(std::to_string((e.time - kStart).count()) + " " + std::to_string(e.job.value) +
                     " " + e.type + " " + e.message);
      if (e.type != "Preempted") continue;
      preempted_now.insert(e.job);
      ++tally->preemptions;
      // A victim is preemptible, of a lower class (or borrowing from a tenant that reclaims),
      // requeued, and evicted only for a preemptor that is bound right after it.
      const Job* victim = sched_->Find(e.job);
      EXPECT_TRUE(victim->spec.preemptible);
      EXPECT_NE(victim->state, JobState::kRunning) << "job " << e.job.value << " was preempted";
      const std::string key = "preempted by job ";
      const size_t at = e.message.find(key);
      ASSERT_NE(at, std::string::npos) << e.message;
      const JobId by{std::stoull(e.message.substr(at + key.size()))};
      const Job* preemptor = sched_->Find(by);
      ASSERT_NE(preemptor, nullptr) << e.message;
      EXPECT_GE(preemptor->spec.priority, victim->spec.priority);
      bool bound = false;
      for (size_t k = i + 1; k < events.size() && !bound; ++k) {
        bound = events[k].job == by && events[k].type == "Scheduled";
      }
      for (size_t k = 0; k < i; ++k) {
        if (events[k].job == e.job && events[k].type == "Scheduled") ++tally->started_then_preempted;
      }
      if (preemptor->spec.priority == victim->spec.priority) {
        reclaims_.insert({e.job.value, by.value});
        reclaim_ping_pong_ |= reclaims_.count({by.value, e.job.value}) > 0;
      }
      EXPECT_TRUE(bound) << "job " << e.job.value << " was evicted for job " << by.value
                         << ", which did not start: " << DescribeJob(*preemptor) << RecentEvents();
    }
    CheckInvariants(*sched_, *topo_, queues_, accepted_, stats, preempted_now, tally);
  }

  void Submit(JobSpec spec, Tally* tally) {
    ++tally->submitted;
    const auto allowed = AllowedJurisdiction(spec);
    bool anywhere = !allowed.has_value();
    if (allowed) {
      for (const Hub& h : topo_->hubs()) anywhere |= Contains(*allowed, h.country);
    }
    auto id = sched_->Submit(spec);
    if (!id.ok()) {
      ++tally->rejected;
      EXPECT_EQ(id.status().code(), Code::kFailedPrecondition) << id.status().ToString();
      const std::string& msg = id.status().message();
      EXPECT_NE(msg.find("can never fit"), std::string::npos) << msg;
      // "job 'j1' can never fit: task group g0: <constraint>: <reason>"
      const size_t g = msg.find(": task group ");
      const size_t c = g == std::string::npos ? g : msg.find(": ", g + 13);
      const size_t e = c == std::string::npos ? c : msg.find(": ", c + 2);
      ++tally->rejections[e == std::string::npos ? "?" : msg.substr(c + 2, e - c - 2)];
      return;
    }
    // A job whose data may be processed in no hub of this fleet is refused, never queued, even
    // when it also waits for an affinity partner.
    EXPECT_TRUE(anywhere) << "accepted a job whose data allows no hub of the fleet";
    accepted_.push_back(*id);
  }

  uint64_t seed_;
  SimOptions opts_;
  Random rng_;
  Random sched_rng_;
  ManualClock clock_;
  ManualClock budget_;
  FleetSpec spec_;
  std::unique_ptr<Topology> topo_;
  std::unique_ptr<Topology> pristine_;
  FleetInfo fleet_;
  QueueConfig queues_;
  std::unique_ptr<Scheduler> sched_;
  std::vector<JobId> accepted_;
  std::vector<JobId> finishing_;
  std::map<NodeIdx, int> down_;
  std::map<GpuIdx, int> failed_;
  std::vector<std::string> log_;
  std::set<std::pair<uint64_t, uint64_t>> reclaims_;  // (victim, preemptor) of the same class
  bool reclaim_ping_pong_ = false;  // two jobs reclaimed from each other
};

TEST(SchedulerPropertyTest, InvariantsHoldEveryCycle) {
  constexpr int kSeeds = 24;
  Tally tally;
  const std::vector<std::string> profiles = PluginRegistry::Default().ProfileNames();
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    SimOptions opts;
    // Most cases run the default profile; every profile gets some.
    opts.profile = seed % 3 == 0 ? profiles[(seed / 3) % profiles.size()] : "harch";
    Simulation sim(seed, opts);
    SCOPED_TRACE(sim.Describe());
    sim.Run(&tally);
    if (::testing::Test::HasFailure()) break;  // one seed's report is enough to debug
  }
  // The generator must exercise what the invariants are about, or they prove little.
  EXPECT_GT(tally.cycles, 1000);
  EXPECT_GT(tally.placements, 300);
  EXPECT_GT(tally.rejected, 0);
  EXPECT_GT(tally.preemptions, 0);
  EXPECT_GT(tally.lost, 0);
  EXPECT_GT(tally.multi_group_runs, 0);
  EXPECT_GT(tally.mig_runs, 0);
  EXPECT_GT(tally.share_runs, 0);
  EXPECT_GT(tally.data_runs, 0);
  EXPECT_GT(tally.quota_blocks, 0);
  EXPECT_GT(tally.batch_improved, 0) << "the batch step never beat greedy on random mixes";
  std::ostringstream summary;
  summary << tally.cycles << " cycles, " << tally.submitted << " submitted, " << tally.rejected
          << " rejected, " << tally.placements << " placements, " << tally.preemptions
          << " preemptions, " << tally.lost << " lost, batch improved " << tally.batch_improved
          << ", max pending " << tally.max_pending << ", started and preempted in one cycle "
          << tally.started_then_preempted << "; pending by constraint:";
  for (const auto& [c, n] : tally.constraints) summary << " " << c << "=" << n;
  summary << "; rejected by constraint:";
  for (const auto& [c, n] : tally.rejections) summary << " " << c << "=" << n;
  RecordProperty("tally", summary.str());
  std::cout << "[ tally    ] " << summary.str() << "\n";
}

// Same seed, same events: the scheduler's only inputs are the clock, the seeded Random and the
// calls made to it.
TEST(SchedulerPropertyTest, Deterministic) {
  size_t events = 0;
  for (uint64_t seed : {4u, 11u, 26u}) {
    for (const char* profile : {"harch", "backfill"}) {
      SimOptions opts;
      opts.profile = profile;
      opts.arrival_ticks = 30;
      Tally t1, t2;
      Simulation a(seed, opts), b(seed, opts);
      a.Run(&t1);
      b.Run(&t2);
      ASSERT_FALSE(::testing::Test::HasFailure());
      EXPECT_EQ(a.log(), b.log()) << "seed " << seed << " profile " << profile;
      events += a.log().size();
    }
  }
  EXPECT_GT(events, 300u);
}

// --- (f) Aging: no starvation -----------------------------------------------------------------

// A fleet of N identical nodes of G NVSwitch GPUs is kept full for six hours by a stream of
// high-priority jobs that each take a whole node and end exactly when the next ones arrive, so
// whenever a node frees, a fresher high-priority job is waiting for it. Without aging every
// lower-priority job submitted into that stream would wait for the stream to end; with aging it
// must start within the aging bound plus the longest job in the mix (plus slack for the queue it
// joins). Lower-priority jobs are not preemptible here, so once started they finish.
TEST(SchedulerPropertyTest, NoStarvationPastTheAgingBound) {
  constexpr Duration kAgingBound = hours(1);
  constexpr int kBurstTicks = 96;  // 8 h
  int checked = 0, overtaken = 0;
  Duration longest_wait{0};
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Random rng(seed * 7919);
    // The fleet.
    FleetSpec spec;
    spec.name = "aging";
    const int hubs = static_cast<int>(rng.Uniform(1, 2));
    for (int h = 0; h < hubs; ++h) {
      HubSpec hub;
      hub.id = "h" + std::to_string(h);
      hub.country = Pick(rng, std::vector<std::string>{"MA", "SN", "FR"});
      spec.hubs.push_back(hub);
    }
    const int nodes = static_cast<int>(rng.Uniform(1, 3));
    const int gpus = static_cast<int>(Pick(rng, std::vector<int64_t>{4, 8}));
    for (int n = 0; n < nodes; ++n) {
      RackSpec rack;
      rack.id = "r" + std::to_string(n);
      rack.nodes.push_back(MakeNode(rng, "n", Pick(rng, std::vector<std::string>{"H100-SXM", "A100-SXM"}),
                                    gpus, NodeNvlink::kNvswitch, false));
      spec.hubs[static_cast<size_t>(rng.Uniform(0, hubs - 1))].racks.push_back(rack);
    }
    Topology topo = std::move(BuildTopology(spec)).value();
    const Topology pristine = topo;
    QueueConfig queues = RandomQueues(rng, Families(topo), /*limits=*/false);
    ManualClock clock(kStart), budget(kStart);
    Random sched_rng(seed);
    Scheduler s(&topo, std::move(PluginRegistry::Default().MakeProfile("harch")).value(), queues,
                SchedulerConfig{}, &clock, &sched_rng, &budget);

    // The stream: N jobs of one node each, lasting `period` ticks, every `period` ticks.
    const int period = static_cast<int>(rng.Uniform(1, 3));
    auto stream_job = [&](int i) {
      JobSpec j;
      j.name = "stream" + std::to_string(i);
      j.tenant = Pick(rng, Tenants());
      j.kind = WorkloadKind::kInference;
      j.priority_class = "high";
      j.priority = 100;
      j.preemptible = false;
      j.expected_duration = Duration(kTick * period);
      TaskGroupSpec g;
      g.name = "main";
      g.gpus_per_replica = gpus;
      j.task_groups.push_back(g);
      return j;
    };
    // The rest: a few jobs of lower classes at random times during the stream.
    std::multimap<int, JobSpec> later;
    Duration longest = kTick * period;
    const int others = static_cast<int>(rng.Uniform(2, 3));
    for (int i = 0; i < others; ++i) {
      JobSpec j;
      j.name = "other" + std::to_string(i);
      j.tenant = Pick(rng, Tenants());
      j.kind = static_cast<WorkloadKind>(rng.Uniform(0, 4));
      const PriorityClass pc = PriorityClasses()[static_cast<size_t>(rng.Uniform(2, 4))];
      j.priority_class = pc.name;
      j.priority = pc.value;
      j.preemptible = false;
      j.expected_duration = Duration(minutes(5 * rng.Uniform(2, 6)));  // 10 .. 30 min
      longest = std::max(longest, *j.expected_duration);
      TaskGroupSpec g;
      g.name = "main";
      g.gpus_per_replica = static_cast<int>(rng.Uniform(1, gpus));
      j.task_groups.push_back(g);
      later.emplace(static_cast<int>(rng.Uniform(1, kBurstTicks / 2)), j);
    }
    const Duration bound = kAgingBound + longest + hours(1);

    std::map<JobId, Duration> worst;  // the longest stint in the queue per job
    std::map<JobId, bool> fits;
    std::set<JobId> lower;
    int stream = 0;
    for (int tick = 0; tick < kBurstTicks + 240; ++tick) {
      clock.Advance(kTick);
      const Time now = clock.Now();
      for (const Job* j : s.JobsIn(JobState::kRunning)) {
        if (*j->started + *j->spec.expected_duration <= now) {
          ASSERT_TRUE(s.Finish(j->id, true).ok());
        }
      }
      if (tick < kBurstTicks && tick % period == 0) {
        for (int n = 0; n < nodes; ++n) {
          auto id = s.Submit(stream_job(stream++));
          ASSERT_TRUE(id.ok());
          fits[*id] = true;
        }
      }
      for (auto [it, end] = later.equal_range(tick); it != end; ++it) {
        auto id = s.Submit(it->second);
        ASSERT_TRUE(id.ok()) << id.status().ToString();
        fits[*id] = FitsOnIdleFleet(pristine, queues, "harch", it->second);
        lower.insert(*id);
      }
      const std::vector<const Job*> waiting_before = s.JobsIn(JobState::kPending);
      const CycleStats stats = s.Schedule();
      (void)stats;
      for (const Job* j : waiting_before) {
        const Job* now_j = s.Find(j->id);
        if (now_j->state == JobState::kRunning) {
          const Duration waited = *now_j->started - now_j->queued_since;
          worst[j->id] = std::max(worst[j->id], waited);
        } else if (now_j->state == JobState::kPending) {
          worst[j->id] = std::max(worst[j->id], now - now_j->queued_since);
          // Count the cycles in which a higher-priority job that arrived later started ahead.
          if (lower.count(j->id)) {
            for (const Job* r : s.JobsIn(JobState::kRunning)) {
              if (r->started == now && r->spec.priority > now_j->spec.priority &&
                  r->submitted >= now_j->submitted) {
                ++overtaken;
                break;
              }
            }
          }
        }
      }
      if (tick >= kBurstTicks && s.JobsIn(JobState::kRunning).empty() &&
          s.JobsIn(JobState::kPending).empty()) {
        break;
      }
    }
    for (const auto& [id, w] : worst) {
      if (!fits[id]) continue;
      ++checked;
      longest_wait = std::max(longest_wait, w);
      const Job* j = s.Find(id);
      EXPECT_LE(w, bound) << "job " << id.value << " (" << j->spec.name << ", " << j->spec.priority_class
                          << ") waited " << Minutes(w) << "; the bound is " << Minutes(bound);
      EXPECT_TRUE(IsFinal(j->state)) << "job " << id.value << " never finished";
    }
  }
  EXPECT_GT(checked, 100);
  EXPECT_GT(overtaken, 5) << "the stream never overtook a waiting job: no pressure to age against";
  std::cout << "[ aging    ] " << checked << " jobs, longest wait " << Minutes(longest_wait)
            << ", overtaken " << overtaken << " times\n";
}

// --- The batch step -------------------------------------------------------------------------------

// The queue order packs badly: a 4-GPU job queued first leaves half of the only 8-GPU node idle
// and blocks the 8-GPU job behind it. Largest-first places 8 GPUs instead of 4.
TEST(SchedulerPropertyTest, BatchStepBeatsAPoorQueueOrder) {
  FleetSpec spec;
  spec.name = "one";
  HubSpec hub;
  hub.id = "h";
  hub.country = "MA";
  RackSpec rack;
  rack.id = "r";
  Random rng(1);
  rack.nodes.push_back(MakeNode(rng, "n", "H100-SXM", 8, NodeNvlink::kNvswitch, false));
  hub.racks.push_back(rack);
  spec.hubs.push_back(hub);
  for (const char* profile : {"harch", "binpack"}) {
    SCOPED_TRACE(profile);
    Topology topo = std::move(BuildTopology(spec)).value();
    ManualClock clock(kStart), budget(kStart);
    Random srng(7);
    Scheduler s(&topo, std::move(PluginRegistry::Default().MakeProfile(profile)).value(), QueueConfig{},
                SchedulerConfig{}, &clock, &srng, &budget);
    auto job = [](const std::string& name, int gpus) {
      JobSpec j;
      j.name = name;
      j.tenant = "a";
      j.expected_duration = Duration(hours(1));
      TaskGroupSpec g;
      g.name = "main";
      g.gpus_per_replica = gpus;
      j.task_groups.push_back(g);
      return j;
    };
    const JobId small = *s.Submit(job("small", 4));
    clock.Advance(std::chrono::seconds(1));
    const JobId large = *s.Submit(job("large", 8));
    const CycleStats stats = s.Schedule();
    const double w = Scheduler::Weight(job("x", 1));
    if (s.profile().batch) {
      EXPECT_GE(stats.orders_tried, 2);
      EXPECT_DOUBLE_EQ(stats.greedy_objective, 4 * w);
      EXPECT_DOUBLE_EQ(stats.objective, 8 * w);
      EXPECT_GT(stats.objective, stats.greedy_objective);
      EXPECT_EQ(s.Find(large)->state, JobState::kRunning);
      EXPECT_EQ(s.Find(small)->state, JobState::kPending);
    } else {
      // Without the batch step the queue order stands.
      EXPECT_DOUBLE_EQ(stats.objective, stats.greedy_objective);
      EXPECT_DOUBLE_EQ(stats.objective, 4 * w);
      EXPECT_EQ(s.Find(small)->state, JobState::kRunning);
      EXPECT_EQ(s.Find(large)->state, JobState::kPending);
    }
  }
}

}  // namespace
}  // namespace harch

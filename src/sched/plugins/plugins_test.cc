// Unit tests of the built-in scheduler plugins (sched/plugins/*.cc), each made through
// PluginRegistry::Default() and run against a small inline fleet: queue sorts, filters, scores,
// the quota permit, and the named profiles.
#include "sched/plugins/plugins.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "resource/fleet_spec.h"
#include "resource/placement.h"
#include "resource/topology.h"
#include "sched/framework.h"
#include "sched/job.h"
#include "sched/queues.h"

namespace harch {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using std::chrono::hours;
using std::chrono::minutes;

// Two hubs. MA: rack r1 (an 8 x H100 NVSwitch node labelled gold, a 2 x L4 node), rack r2 (an
// 8 x A100 NVSwitch node, a 4 x L40S PCIe node, a node with a model of unknown family). SN: a
// node of two A100s in MIG mode, labelled gold.
constexpr char kFleet[] = R"(
apiVersion: harchos.io/v1alpha1
kind: Fleet
metadata: {name: plugins}
spec:
  gpuModels:
    - {name: X1, family: XF, memory: 32GiB, computeCapability: "8.0", tdpWatts: 300}
  hubs:
    - id: ma
      country: MA
      racks:
        - id: r1
          nodes:
            - {name: h100, cpu: 64, memory: 1TiB, labels: {tier: gold}, gpus: {model: H100-SXM, count: 8, nvlink: nvswitch}}
            - {name: l4, cpu: 16, memory: 64GiB, gpus: {model: L4, count: 2}}
        - id: r2
          nodes:
            - {name: a100, cpu: 64, memory: 1TiB, gpus: {model: A100-SXM, count: 8, nvlink: nvswitch}}
            - {name: l40s, cpu: 32, memory: 256GiB, gpus: {model: L40S, count: 4}}
            - {name: x1, cpu: 8, memory: 64GiB, gpus: {model: X1, count: 1}}
    - id: sn
      country: SN
      racks:
        - id: r3
          nodes:
            - {name: mig, cpu: 32, memory: 512GiB, labels: {tier: gold}, gpus: {model: A100-SXM, count: 2, migEnabled: true}}
)";

Topology MakeFleet() {
  auto spec = ParseFleetSpec(kFleet, "plugins.yaml");
  EXPECT_TRUE(spec.ok()) << spec.status().ToString();
  auto topo = BuildTopology(*spec);
  EXPECT_TRUE(topo.ok()) << topo.status().ToString();
  return std::move(topo).value();
}

// A JobDirectory over a fixed set of "running" jobs.
class FakeJobs final : public JobDirectory {
 public:
  void Add(const Job* job) { jobs_.push_back(job); }
  std::vector<const Job*> RunningByName(const std::string& name) const override {
    std::vector<const Job*> out;
    for (const Job* j : jobs_) {
      if (j->spec.name == name && j->state == JobState::kRunning) out.push_back(j);
    }
    return out;
  }

 private:
  std::vector<const Job*> jobs_;
};

const Time kNow = Time(hours(24 * 365 * 56));

Job MakeJob(uint64_t id, int priority = 50, Time queued = kNow) {
  Job j;
  j.id = JobId{id};
  j.spec.name = "job" + std::to_string(id);
  j.spec.tenant = "a";
  j.spec.priority = priority;
  j.submitted = j.queued_since = queued;
  TaskGroupSpec g;
  g.name = "main";
  g.gpus_per_replica = 1;
  j.spec.task_groups.push_back(g);
  return j;
}

GpuIdx Gpu(const Topology& topo, const std::string& id) {
  auto g = topo.FindGpu(id);
  EXPECT_TRUE(g.has_value()) << id;
  return g.value_or(GpuIdx());
}

NodeIdx NodeOf(const Topology& topo, const std::string& id) {
  auto n = topo.FindNode(id);
  EXPECT_TRUE(n.has_value()) << id;
  return n.value_or(NodeIdx());
}

// A plan of whole GPUs, costed as the planner would.
Plan PlanOn(const Topology& topo, const std::vector<std::string>& gpus) {
  Plan p;
  for (const auto& id : gpus) p.grants.push_back(GpuGrant{Gpu(topo, id)});
  p.cost = CostOf(topo, p.grants);
  return p;
}

std::vector<std::string> Gpus(const std::string& node, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(node + "/gpu" + std::to_string(i));
  return out;
}

class PluginsTest : public ::testing::Test {
 protected:
  PluginsTest() : topo_(MakeFleet()), tenants_(QueueConfig{}) {}
  SchedContext Ctx(Time now = kNow) const { return SchedContext{topo_, tenants_, jobs_, now}; }

  Topology topo_;
  TenantTree tenants_;
  FakeJobs jobs_;
  const PluginRegistry& reg_ = PluginRegistry::Default();
};

// --- QueueSort ------------------------------------------------------------------------------------

TEST_F(PluginsTest, AgedPriorityRampsToTheCriticalClass) {
  const Job j = MakeJob(1, 10, kNow);
  EXPECT_DOUBLE_EQ(AgedPriority(j, kNow, hours(1)), 10.0);
  EXPECT_DOUBLE_EQ(AgedPriority(j, kNow + minutes(15), hours(1)), 260.0);
  EXPECT_DOUBLE_EQ(AgedPriority(j, kNow + minutes(30), hours(1)), 510.0);
  EXPECT_DOUBLE_EQ(AgedPriority(j, kNow + hours(1), hours(1)), 1010.0);
  EXPECT_DOUBLE_EQ(AgedPriority(j, kNow + hours(5), hours(1)), 1010.0) << "capped at the bound";
  EXPECT_DOUBLE_EQ(AgedPriority(j, kNow - hours(1), hours(1)), 10.0) << "never negative";
  EXPECT_DOUBLE_EQ(AgedPriority(j, kNow + minutes(30), hours(2)), 260.0) << "longer bound, slower";
  EXPECT_DOUBLE_EQ(AgedPriority(j, kNow + minutes(1), Duration(0)), 1010.0);
}

TEST_F(PluginsTest, PriorityFairSortsByPriorityFirst) {
  auto sort = reg_.MakeSort("priority-fair");
  EXPECT_EQ(sort->Name(), "priority-fair");
  const Job high = MakeJob(2, 100), low = MakeJob(1, 10);
  EXPECT_TRUE(sort->Less(Ctx(), high, low));
  EXPECT_FALSE(sort->Less(Ctx(), low, high));
  EXPECT_FALSE(sort->Less(Ctx(), high, high)) << "irreflexive";
}

TEST_F(PluginsTest, PriorityFairAgesOldJobsPastNewerHigherOnes) {
  auto sort = reg_.MakeSort("priority-fair");
  const Job old_low = MakeJob(1, 10, kNow - minutes(10));   // 10 + 166.7
  const Job new_high = MakeJob(2, 100, kNow);               // 100
  EXPECT_TRUE(sort->Less(Ctx(), old_low, new_high));
  const Job newer_low = MakeJob(3, 10, kNow - minutes(5));  // 10 + 83.3 < 100
  EXPECT_TRUE(sort->Less(Ctx(), new_high, newer_low));
  // After the aging bound a low job is ahead of a fresh critical one (1010 > 1000).
  const Job starving = MakeJob(4, 10, kNow - hours(1));
  const Job critical = MakeJob(5, 1000, kNow);
  EXPECT_TRUE(sort->Less(Ctx(), starving, critical));
  // ...but a critical job that has waited as long stays ahead.
  const Job old_critical = MakeJob(6, 1000, kNow - hours(2));
  EXPECT_TRUE(sort->Less(Ctx(), old_critical, starving));
  // A sort with a longer aging bound ages more slowly.
  auto slow = MakePriorityFairSort(hours(10));
  EXPECT_TRUE(slow->Less(Ctx(), new_high, old_low));
}

TEST_F(PluginsTest, PriorityFairThenLatency) {
  auto sort = reg_.MakeSort("priority-fair");
  Job a = MakeJob(1), b = MakeJob(2);
  a.spec.latency = LatencySensitivity::kLow;
  b.spec.latency = LatencySensitivity::kHigh;
  EXPECT_TRUE(sort->Less(Ctx(), b, a));
  EXPECT_FALSE(sort->Less(Ctx(), a, b));
  b.spec.latency = LatencySensitivity::kMedium;
  EXPECT_TRUE(sort->Less(Ctx(), b, a));
}

TEST_F(PluginsTest, PriorityFairThenFairShareThenQueuedSince) {
  // Tenant "heavy" has used GPUs; "light" has not.
  tenants_.Advance(kNow - hours(1));
  tenants_.Add("heavy", {{"H100", 8000}});
  tenants_.Advance(kNow);
  ASSERT_GT(tenants_.FairShareKey("heavy"), 0.0);
  // Both past the aging bound, so their aged priorities are equal; "heavy" queued earlier.
  Job h = MakeJob(1, 50, kNow - hours(3));
  Job l = MakeJob(2, 50, kNow - hours(2));
  h.spec.tenant = "heavy";
  l.spec.tenant = "light";
  ASSERT_EQ(AgedPriority(h, kNow, hours(1)), AgedPriority(l, kNow, hours(1)));
  auto fair = reg_.MakeSort("priority-fair");
  EXPECT_TRUE(fair->Less(Ctx(), l, h)) << "the tenant with less use goes first";
  EXPECT_FALSE(fair->Less(Ctx(), h, l));
  // Without fair share ("priority"), the earlier queued job goes first.
  auto prio = reg_.MakeSort("priority");
  EXPECT_EQ(prio->Name(), "priority");
  EXPECT_TRUE(prio->Less(Ctx(), h, l));
  EXPECT_FALSE(prio->Less(Ctx(), l, h));
  // Same tenant: queued_since, then id.
  l.spec.tenant = "heavy";
  EXPECT_TRUE(fair->Less(Ctx(), h, l));
  Job h2 = MakeJob(7, 50, h.queued_since);
  h2.spec.tenant = "heavy";
  EXPECT_TRUE(fair->Less(Ctx(), h, h2));
  EXPECT_FALSE(fair->Less(Ctx(), h2, h));
}

TEST_F(PluginsTest, FifoSortsBySubmissionOnly) {
  auto sort = reg_.MakeSort("fifo");
  EXPECT_EQ(sort->Name(), "fifo");
  Job first = MakeJob(5, 0, kNow - minutes(10));
  Job second = MakeJob(3, 1000, kNow - minutes(5));
  second.spec.latency = LatencySensitivity::kHigh;
  EXPECT_TRUE(sort->Less(Ctx(), first, second));
  EXPECT_FALSE(sort->Less(Ctx(), second, first));
  // Requeueing moves queued_since but not the submission time.
  first.queued_since = kNow;
  EXPECT_TRUE(sort->Less(Ctx(), first, second));
  Job twin = MakeJob(9, 0, first.submitted);
  EXPECT_TRUE(sort->Less(Ctx(), first, twin)) << "ties: the lower id";
}

// --- Filters -------------------------------------------------------------------------------------

TEST_F(PluginsTest, ResourcesFilterWholeGpus) {
  auto f = reg_.MakeFilter("resources");
  EXPECT_EQ(f->Name(), "resources");
  Job j = MakeJob(1);
  TaskGroupSpec& g = j.spec.task_groups[0];
  g.replicas = 3;
  g.gpus_per_replica = 4;
  g.gpu.models = {"H100", "A100"};
  g.gpu.min_memory = GiB(40);
  g.gpu.min_compute_capability = 80;
  g.gpu.nvlink = NvlinkRequirement::kRequired;
  g.gpu.exclusive_node = true;
  PlacementRequest req;
  EXPECT_EQ(f->Filter(Ctx(), j, g, &req), std::nullopt);
  EXPECT_EQ(req.count, 12);
  EXPECT_EQ(req.replica_size, 4);
  EXPECT_EQ(req.share, kWholeGpu);
  EXPECT_EQ(req.mig_profile, "");
  EXPECT_THAT(req.models, ElementsAre("H100", "A100"));
  EXPECT_EQ(req.min_memory, GiB(40));
  EXPECT_EQ(req.min_compute_capability, 80);
  EXPECT_EQ(req.nvlink, NvlinkPolicy::kRequired);
  EXPECT_TRUE(req.exclusive_node);
  EXPECT_FALSE(req.allow_multi_hub);

  g.gpu.nvlink = NvlinkRequirement::kPreferred;
  g.gpu.exclusive_node = false;
  PlacementRequest req2;
  EXPECT_EQ(f->Filter(Ctx(), j, g, &req2), std::nullopt);
  EXPECT_EQ(req2.nvlink, NvlinkPolicy::kPreferred);
  EXPECT_FALSE(req2.exclusive_node);
  g.gpu.nvlink = NvlinkRequirement::kNone;
  EXPECT_EQ(f->Filter(Ctx(), j, g, &req2), std::nullopt);
  EXPECT_EQ(req2.nvlink, NvlinkPolicy::kPreferred);
}

TEST_F(PluginsTest, ResourcesFilterSharesAndMig) {
  auto f = reg_.MakeFilter("resources");
  Job j = MakeJob(1);
  TaskGroupSpec& g = j.spec.task_groups[0];
  g.gpus_per_replica = 0;
  g.replicas = 3;
  g.gpu_share = MilliGpu{250};
  PlacementRequest req;
  EXPECT_EQ(f->Filter(Ctx(), j, g, &req), std::nullopt);
  EXPECT_EQ(req.count, 3);
  EXPECT_EQ(req.replica_size, 1);
  EXPECT_EQ(req.share, MilliGpu{250});
  EXPECT_EQ(req.mig_profile, "");

  g.gpu_share = MilliGpu{0};
  g.mig_profile = "3g.40gb";
  g.replicas = 2;
  g.gpu.min_memory = GiB(20);
  PlacementRequest mig;
  EXPECT_EQ(f->Filter(Ctx(), j, g, &mig), std::nullopt);
  EXPECT_EQ(mig.count, 2);
  EXPECT_EQ(mig.replica_size, 1);
  EXPECT_EQ(mig.share, kWholeGpu);
  EXPECT_EQ(mig.mig_profile, "3g.40gb");
  EXPECT_EQ(mig.min_memory, GiB(20));
  // The request it builds is one the planner accepts on this fleet: two instances in SN.
  auto out = FindPlacement(topo_, mig);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_TRUE(out->fits()) << out->no_fit.reason;
  for (const auto& grant : out->plan->grants) {
    EXPECT_GE(grant.mig_shape, 0);
    EXPECT_EQ(topo_.hub(topo_.gpu(grant.gpu).hub).id, "sn");
  }
}

JobSpec WithData(std::vector<std::vector<std::string>> sets) {
  JobSpec spec = MakeJob(1).spec;
  int i = 0;
  for (auto& s : sets) spec.data.push_back({"d" + std::to_string(i++), std::move(s), {}, {}});
  return spec;
}

TEST_F(PluginsTest, SovereigntyFilterIntersectsTheDataSets) {
  auto f = reg_.MakeFilter("sovereignty");
  EXPECT_EQ(f->Name(), "sovereignty");
  Job j = MakeJob(1);
  j.spec = WithData({{"MA", "SN"}, {"FR", "SN"}});
  PlacementRequest req;
  EXPECT_EQ(f->Filter(Ctx(), j, j.spec.task_groups[0], &req), std::nullopt);
  EXPECT_THAT(req.jurisdiction, ElementsAre("SN"));

  j.spec = WithData({{"SN", "MA", "MA"}});
  PlacementRequest one;
  EXPECT_EQ(f->Filter(Ctx(), j, j.spec.task_groups[0], &one), std::nullopt);
  EXPECT_THAT(one.jurisdiction, ElementsAre("MA", "SN"));

  // The planner then keeps the work inside: an A100 in SN only (the MIG node is not whole).
  j.spec = WithData({{"SN"}});
  PlacementRequest sn;
  sn.mig_profile = "1g.10gb";
  EXPECT_EQ(f->Filter(Ctx(), j, j.spec.task_groups[0], &sn), std::nullopt);
  auto out = FindPlacement(topo_, sn);
  ASSERT_TRUE(out.ok() && out->fits());
  EXPECT_EQ(topo_.hub(topo_.gpu(out->plan->grants[0].gpu).hub).country, "SN");
}

TEST_F(PluginsTest, SovereigntyFilterDisjointIsPermanent) {
  auto f = reg_.MakeFilter("sovereignty");
  Job j = MakeJob(1);
  j.spec = WithData({{"MA"}, {"FR", "SN"}});
  PlacementRequest req;
  auto why = f->Filter(Ctx(), j, j.spec.task_groups[0], &req);
  ASSERT_TRUE(why.has_value());
  EXPECT_EQ(why->constraint, "sovereignty");
  EXPECT_TRUE(why->permanent);
  EXPECT_THAT(why->reason, HasSubstr("do not intersect"));
  EXPECT_THAT(why->reason, HasSubstr("d0 [MA]"));
  EXPECT_THAT(why->reason, HasSubstr("d1 [FR,SN]"));
}

TEST_F(PluginsTest, SovereigntyFilterWithoutDataAllowsAnywhere) {
  auto f = reg_.MakeFilter("sovereignty");
  Job j = MakeJob(1);
  PlacementRequest req;
  EXPECT_EQ(f->Filter(Ctx(), j, j.spec.task_groups[0], &req), std::nullopt);
  EXPECT_TRUE(req.jurisdiction.empty());
}

AffinityTerm JobTerm(std::string job, AffinityScope scope = AffinityScope::kNode, bool required = true) {
  AffinityTerm t;
  t.target = AffinityTarget::kJob;
  t.job = std::move(job);
  t.scope = scope;
  t.required = required;
  return t;
}

AffinityTerm LabelTerm(std::map<std::string, std::string> labels, bool required = true) {
  AffinityTerm t;
  t.target = AffinityTarget::kLabels;
  t.labels = std::move(labels);
  t.required = required;
  return t;
}

std::set<std::string> NodeIds(const Topology& topo, const std::vector<NodeIdx>& nodes) {
  std::set<std::string> out;
  for (NodeIdx n : nodes) out.insert(topo.node(n).id);
  return out;
}

std::set<std::string> AllNodesBut(const Topology& topo, const std::set<std::string>& keep) {
  std::set<std::string> out;
  for (const Node& n : topo.nodes()) {
    if (!keep.count(n.id)) out.insert(n.id);
  }
  return out;
}

class AffinityFilterTest : public PluginsTest {
 protected:
  AffinityFilterTest() {
    web_ = MakeJob(50);
    web_.spec.name = "web";
    web_.state = JobState::kRunning;
    GroupPlacement gp;
    gp.group = "main";
    gp.grants = {GpuGrant{Gpu(topo_, "r2-l40s/gpu0")}, GpuGrant{Gpu(topo_, "r2-l40s/gpu1")}};
    web_.placement.push_back(gp);
    jobs_.Add(&web_);
    // A job of the same name that is not running must not count.
    stopped_ = MakeJob(51);
    stopped_.spec.name = "web";
    stopped_.state = JobState::kSucceeded;
    jobs_.Add(&stopped_);
  }
  Job web_, stopped_;
  std::unique_ptr<FilterPlugin> f_ = reg_.MakeFilter("affinity");
};

TEST_F(AffinityFilterTest, RequiredLabelsBecomeNodeLabels) {
  EXPECT_EQ(f_->Name(), "affinity");
  Job j = MakeJob(1);
  j.spec.affinity.push_back(LabelTerm({{"tier", "gold"}}));
  j.spec.affinity.push_back(LabelTerm({{"zone", "z1"}}, /*required=*/false));  // a score only
  PlacementRequest req;
  req.node_labels = {{"os", "linux"}};
  EXPECT_EQ(f_->Filter(Ctx(), j, j.spec.task_groups[0], &req), std::nullopt);
  EXPECT_EQ(req.node_labels, (std::map<std::string, std::string>{{"os", "linux"}, {"tier", "gold"}}));
  EXPECT_TRUE(req.excluded_nodes.empty());
}

TEST_F(AffinityFilterTest, AntiAffinityToARunningJobExcludesItsNodes) {
  Job j = MakeJob(1);
  j.spec.anti_affinity.push_back(JobTerm("web"));
  PlacementRequest req;
  req.excluded_nodes = {NodeOf(topo_, "r1-l4")};  // kept
  EXPECT_EQ(f_->Filter(Ctx(), j, j.spec.task_groups[0], &req), std::nullopt);
  EXPECT_EQ(NodeIds(topo_, req.excluded_nodes), (std::set<std::string>{"r1-l4", "r2-l40s"}));
  EXPECT_TRUE(std::is_sorted(req.excluded_nodes.begin(), req.excluded_nodes.end()));
  // Hub scope: every node of the hub the job runs in.
  Job hub = MakeJob(2);
  hub.spec.anti_affinity.push_back(JobTerm("web", AffinityScope::kHub));
  PlacementRequest hreq;
  EXPECT_EQ(f_->Filter(Ctx(), hub, hub.spec.task_groups[0], &hreq), std::nullopt);
  EXPECT_EQ(NodeIds(topo_, hreq.excluded_nodes), AllNodesBut(topo_, {"r3-mig"}));
  // Anti-affinity to a job that is not running excludes nothing.
  Job none = MakeJob(3);
  none.spec.anti_affinity.push_back(JobTerm("ghost"));
  PlacementRequest nreq;
  EXPECT_EQ(f_->Filter(Ctx(), none, none.spec.task_groups[0], &nreq), std::nullopt);
  EXPECT_TRUE(nreq.excluded_nodes.empty());
}

TEST_F(AffinityFilterTest, AntiAffinityToLabelsExcludesLabelledNodes) {
  Job j = MakeJob(1);
  j.spec.anti_affinity.push_back(LabelTerm({{"tier", "gold"}}));
  PlacementRequest req;
  EXPECT_EQ(f_->Filter(Ctx(), j, j.spec.task_groups[0], &req), std::nullopt);
  EXPECT_EQ(NodeIds(topo_, req.excluded_nodes), (std::set<std::string>{"r1-h100", "r3-mig"}));
}

TEST_F(AffinityFilterTest, AffinityToARunningJobKeepsOnlyItsNodes) {
  Job j = MakeJob(1);
  j.spec.affinity.push_back(JobTerm("web"));
  PlacementRequest req;
  EXPECT_EQ(f_->Filter(Ctx(), j, j.spec.task_groups[0], &req), std::nullopt);
  EXPECT_EQ(NodeIds(topo_, req.excluded_nodes), AllNodesBut(topo_, {"r2-l40s"}));
  Job hub = MakeJob(2);
  hub.spec.affinity.push_back(JobTerm("web", AffinityScope::kHub));
  PlacementRequest hreq;
  EXPECT_EQ(f_->Filter(Ctx(), hub, hub.spec.task_groups[0], &hreq), std::nullopt);
  EXPECT_EQ(NodeIds(topo_, hreq.excluded_nodes), (std::set<std::string>{"r3-mig"}));
}

TEST_F(AffinityFilterTest, AffinityToAJobThatIsNotRunningBlocks) {
  Job j = MakeJob(1);
  j.spec.affinity.push_back(JobTerm("ghost"));
  PlacementRequest req;
  auto why = f_->Filter(Ctx(), j, j.spec.task_groups[0], &req);
  ASSERT_TRUE(why.has_value());
  EXPECT_EQ(why->constraint, "affinity");
  EXPECT_FALSE(why->permanent) << "the other job may start later";
  EXPECT_THAT(why->reason, HasSubstr("'ghost'"));
  // A preferred term to a missing job does not block.
  Job soft = MakeJob(2);
  soft.spec.affinity.push_back(JobTerm("ghost", AffinityScope::kNode, /*required=*/false));
  PlacementRequest sreq;
  EXPECT_EQ(f_->Filter(Ctx(), soft, soft.spec.task_groups[0], &sreq), std::nullopt);
  EXPECT_TRUE(sreq.excluded_nodes.empty());
}

// --- Scores --------------------------------------------------------------------------------------

TEST_F(PluginsTest, TopologyScorePrefersNarrowSpans) {
  auto s = reg_.MakeScore("topology");
  EXPECT_EQ(s->Name(), "topology");
  const Job j = MakeJob(1);
  const TaskGroupSpec& g = j.spec.task_groups[0];
  const Plan nv = PlanOn(topo_, {"r1-h100/gpu0", "r1-h100/gpu1"});
  const Plan node = PlanOn(topo_, {"r2-l40s/gpu0", "r2-l40s/gpu1"});
  const Plan rack = PlanOn(topo_, {"r1-h100/gpu0", "r1-l4/gpu0"});
  const Plan hub = PlanOn(topo_, {"r1-h100/gpu0", "r2-a100/gpu0"});
  ASSERT_EQ(nv.cost.span, LinkClass::kNvlink);
  ASSERT_EQ(rack.cost.span, LinkClass::kRack);
  ASSERT_EQ(hub.cost.span, LinkClass::kHub);
  const double s_nv = s->Score(Ctx(), j, g, nv), s_node = s->Score(Ctx(), j, g, node),
               s_rack = s->Score(Ctx(), j, g, rack), s_hub = s->Score(Ctx(), j, g, hub);
  EXPECT_GT(s_nv, s_node);
  EXPECT_GT(s_node, s_rack);
  EXPECT_GT(s_rack, s_hub);
  EXPECT_DOUBLE_EQ(s_nv, 0.8 * (1.0 - 1.0 / 8.0) + 0.2);
  for (double v : {s_nv, s_node, s_rack, s_hub}) {
    EXPECT_GE(v, 0.0);
    EXPECT_LE(v, 1.0);
  }
  // Same span, fewer domains is better.
  Plan one = nv, two = nv;
  one.cost.domains = 1;
  two.cost.domains = 2;
  EXPECT_GT(s->Score(Ctx(), j, g, one), s->Score(Ctx(), j, g, two));
  // A WAN span scores lowest.
  Plan wan = nv;
  wan.cost.span = LinkClass::kWan;
  wan.cost.domains = 2;
  EXPECT_LT(s->Score(Ctx(), j, g, wan), s_hub);
}

TEST_F(PluginsTest, FragmentationScorePrefersStrandingNothing) {
  auto s = reg_.MakeScore("fragmentation");
  EXPECT_EQ(s->Name(), "fragmentation");
  const Job j = MakeJob(1);
  const TaskGroupSpec& g = j.spec.task_groups[0];
  // All eight GPUs of an NVSwitch domain strand nothing; one of them strands seven.
  const Plan whole = PlanOn(topo_, Gpus("r1-h100", 8));
  const Plan partial = PlanOn(topo_, {"r1-h100/gpu0"});
  EXPECT_EQ(whole.cost.stranded_delta, 0);
  EXPECT_GT(partial.cost.stranded_delta, 0);
  EXPECT_DOUBLE_EQ(s->Score(Ctx(), j, g, whole), 1.0);
  EXPECT_LT(s->Score(Ctx(), j, g, partial), 1.0);
  EXPECT_GT(s->Score(Ctx(), j, g, partial), 0.0);
  Plan worse = partial, better = partial, filling = partial;
  worse.cost.stranded_delta = 6;
  better.cost.stranded_delta = 1;
  filling.cost.stranded_delta = -3;  // fills a partly used domain
  EXPECT_GT(s->Score(Ctx(), j, g, better), s->Score(Ctx(), j, g, worse));
  EXPECT_DOUBLE_EQ(s->Score(Ctx(), j, g, better), 0.5);
  EXPECT_DOUBLE_EQ(s->Score(Ctx(), j, g, filling), 1.0);
}

TEST_F(PluginsTest, HeterogeneityScorePrefersTheRightModel) {
  auto s = reg_.MakeScore("heterogeneity");
  EXPECT_EQ(s->Name(), "heterogeneity");
  Job train = MakeJob(1), infer = MakeJob(2);
  train.spec.kind = WorkloadKind::kTraining;
  infer.spec.kind = WorkloadKind::kInference;
  const TaskGroupSpec& g = train.spec.task_groups[0];
  const Plan h100 = PlanOn(topo_, {"r1-h100/gpu0"});
  const Plan a100 = PlanOn(topo_, {"r2-a100/gpu0"});
  const Plan l40s = PlanOn(topo_, {"r2-l40s/gpu0"});
  const Plan l4 = PlanOn(topo_, {"r1-l4/gpu0"});
  auto score = [&](const Job& j, const Plan& p) { return s->Score(Ctx(), j, g, p); };
  // Training: the fastest model wins, and the order follows the throughput table.
  EXPECT_GT(score(train, h100), score(train, a100));
  EXPECT_GT(score(train, a100), score(train, l40s));
  EXPECT_GT(score(train, l40s), score(train, l4));
  // Inference: the L40S is relatively good at it: it overtakes the A100, and it scores higher
  // for inference than for training.
  EXPECT_GT(score(infer, l40s), score(infer, a100));
  EXPECT_GT(score(infer, l40s), score(train, l40s));
  EXPECT_GT(score(infer, h100), score(infer, l4));
  for (const Plan* p : {&h100, &a100, &l40s, &l4}) {
    for (const Job* j : {&train, &infer}) {
      EXPECT_GT(score(*j, *p), 0.0);
      EXPECT_LE(score(*j, *p), 1.0);
    }
  }
  // A family the table does not know scores in the middle; an empty plan scores 0.
  EXPECT_DOUBLE_EQ(score(train, PlanOn(topo_, {"r2-x1/gpu0"})), 0.5);
  EXPECT_DOUBLE_EQ(score(train, Plan{}), 0.0);
}

TEST_F(PluginsTest, RelativeThroughputTable) {
  EXPECT_DOUBLE_EQ(RelativeThroughput("A100", WorkloadKind::kTraining), 1.0);
  EXPECT_DOUBLE_EQ(RelativeThroughput("H100", WorkloadKind::kTraining), 2.5);
  EXPECT_DOUBLE_EQ(RelativeThroughput("L40S", WorkloadKind::kInference), 1.1);
  EXPECT_DOUBLE_EQ(RelativeThroughput("L40S", WorkloadKind::kTraining), 0.6);
  EXPECT_DOUBLE_EQ(RelativeThroughput("XF", WorkloadKind::kTraining), 1.0) << "unknown: 1.0";
}

TEST_F(PluginsTest, AffinityScoreForPreferredTerms) {
  auto s = reg_.MakeScore("affinity");
  EXPECT_EQ(s->Name(), "affinity");
  Job j = MakeJob(1);
  const TaskGroupSpec& g = j.spec.task_groups[0];
  const Plan gold = PlanOn(topo_, {"r1-h100/gpu0", "r1-h100/gpu1"});
  const Plan plain = PlanOn(topo_, {"r2-a100/gpu0", "r2-a100/gpu1"});
  const Plan half = PlanOn(topo_, {"r1-h100/gpu0", "r1-l4/gpu0"});
  EXPECT_DOUBLE_EQ(s->Score(Ctx(), j, g, plain), 1.0) << "no preferred terms";
  j.spec.affinity.push_back(LabelTerm({{"tier", "gold"}}, /*required=*/false));
  EXPECT_DOUBLE_EQ(s->Score(Ctx(), j, g, gold), 1.0);
  EXPECT_DOUBLE_EQ(s->Score(Ctx(), j, g, plain), 0.0);
  EXPECT_DOUBLE_EQ(s->Score(Ctx(), j, g, half), 0.5);
  // Required terms are the filter's business, not the score's.
  j.spec.affinity.push_back(LabelTerm({{"tier", "silver"}}, /*required=*/true));
  EXPECT_DOUBLE_EQ(s->Score(Ctx(), j, g, gold), 1.0);
  // A preferred anti-affinity term counts the other way.
  Job anti = MakeJob(2);
  anti.spec.anti_affinity.push_back(LabelTerm({{"tier", "gold"}}, /*required=*/false));
  EXPECT_DOUBLE_EQ(s->Score(Ctx(), anti, g, gold), 0.0);
  EXPECT_DOUBLE_EQ(s->Score(Ctx(), anti, g, plain), 1.0);
  // Preferred job affinity: beside a running job of that name.
  Job web = MakeJob(50);
  web.spec.name = "web";
  web.state = JobState::kRunning;
  GroupPlacement gp;
  gp.group = "main";
  gp.grants = {GpuGrant{Gpu(topo_, "r2-a100/gpu3")}};
  web.placement.push_back(gp);
  jobs_.Add(&web);
  Job near = MakeJob(3);
  near.spec.affinity.push_back(JobTerm("web", AffinityScope::kNode, /*required=*/false));
  EXPECT_DOUBLE_EQ(s->Score(Ctx(), near, g, plain), 1.0);
  EXPECT_DOUBLE_EQ(s->Score(Ctx(), near, g, gold), 0.0);
  near.spec.anti_affinity.push_back(JobTerm("web", AffinityScope::kHub, /*required=*/false));
  EXPECT_DOUBLE_EQ(s->Score(Ctx(), near, g, plain), 0.5) << "mean of the two terms";
}

// --- Permit --------------------------------------------------------------------------------------

GroupPlacement Placement(const Topology& topo, const std::vector<std::string>& gpus,
                         MilliGpu milli = kWholeGpu) {
  GroupPlacement gp;
  gp.group = "main";
  for (const auto& id : gpus) gp.grants.push_back(GpuGrant{Gpu(topo, id), milli});
  return gp;
}

TEST_F(PluginsTest, QuotaPermit) {
  QueueConfig qc;
  qc.tenants.push_back({"t", 1.0, {QuotaSpec{"H100", 4000, 4000}}, {}});
  TenantTree tenants(qc);
  auto p = reg_.MakePermit("quota");
  EXPECT_EQ(p->Name(), "quota");
  Job j = MakeJob(1);
  j.spec.tenant = "t/sub";
  const SchedContext ctx{topo_, tenants, jobs_, kNow};
  const std::vector<GroupPlacement> eight{Placement(topo_, Gpus("r1-h100", 8))};
  EXPECT_EQ(p->Permit(ctx, j, eight), std::nullopt) << "4 guaranteed + 4 borrowable";
  tenants.Add("t", {{"H100", 1000}});
  auto why = p->Permit(ctx, j, eight);
  ASSERT_TRUE(why.has_value());
  EXPECT_EQ(why->constraint, "quota");
  EXPECT_FALSE(why->permanent);
  EXPECT_THAT(why->reason, HasSubstr("tenant t would use 9 H100 GPUs"));
  // Shares count their milli-GPU; groups add up.
  tenants.Add("t", {{"H100", 6000}});  // 7 in use: one left
  const std::vector<GroupPlacement> two_halves{Placement(topo_, {"r1-h100/gpu0"}, MilliGpu{500}),
                                               Placement(topo_, {"r1-h100/gpu1"}, MilliGpu{500})};
  EXPECT_EQ(p->Permit(ctx, j, two_halves), std::nullopt);
  const std::vector<GroupPlacement> three_halves{
      Placement(topo_, {"r1-h100/gpu0", "r1-h100/gpu2"}, MilliGpu{500}),
      Placement(topo_, {"r1-h100/gpu1"}, MilliGpu{500})};
  EXPECT_NE(p->Permit(ctx, j, three_halves), std::nullopt);
  // Other families are not under the quota.
  EXPECT_EQ(p->Permit(ctx, j, {Placement(topo_, Gpus("r2-a100", 8))}), std::nullopt);
  // A MIG instance counts as a whole GPU of its family (A100 here, so still fine)...
  GroupPlacement mig;
  mig.group = "main";
  mig.grants.push_back(GpuGrant{Gpu(topo_, "r3-mig/gpu0"), kWholeGpu, 0, 0});
  EXPECT_EQ(p->Permit(ctx, j, {mig}), std::nullopt);
  // ...and refuses when its family is full.
  QueueConfig qa;
  qa.tenants.push_back({"t", 1.0, {QuotaSpec{"A100", 0, 500}}, {}});
  TenantTree ta(qa);
  const SchedContext actx{topo_, ta, jobs_, kNow};
  EXPECT_NE(p->Permit(actx, j, {mig}), std::nullopt);
}

// --- Profiles ------------------------------------------------------------------------------------

std::vector<std::string> Names(const Profile& p) {
  std::vector<std::string> out;
  for (const auto& f : p.filters) out.emplace_back(f->Name());
  return out;
}

TEST(PluginRegistryTest, EveryProfileBuilds) {
  const auto& reg = PluginRegistry::Default();
  EXPECT_THAT(reg.ProfileNames(), ElementsAre("harch", "harch-carbon", "fifo", "backfill", "binpack",
                                                "fair"));
  for (const std::string& name : reg.ProfileNames()) {
    SCOPED_TRACE(name);
    auto p = reg.MakeProfile(name);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_EQ(p->name, name);
    ASSERT_NE(p->sort, nullptr);
    // Every profile enforces the hard constraints; harch-carbon adds its wait-for-clean-hours
    // filter after them.
    std::vector<std::string> filters = Names(*p);
    if (name == "harch-carbon") {
      ASSERT_FALSE(filters.empty());
      EXPECT_EQ(filters.back(), "carbon");
      filters.pop_back();
    }
    EXPECT_THAT(filters, ElementsAre("resources", "sovereignty", "affinity"));
    ASSERT_EQ(p->permits.size(), 1u);
    EXPECT_EQ(p->permits[0]->Name(), "quota");
    for (const auto& [score, weight] : p->scores) EXPECT_GT(weight, 0.0);
  }
}

TEST(PluginRegistryTest, ProfileSwitches) {
  const auto& reg = PluginRegistry::Default();
  auto harch = std::move(reg.MakeProfile("harch")).value();
  EXPECT_EQ(harch.sort->Name(), "priority-fair");
  std::vector<std::string> scores;
  for (const auto& [s, w] : harch.scores) scores.emplace_back(s->Name());
  EXPECT_THAT(scores, ElementsAre("topology", "fragmentation", "heterogeneity", "affinity"));
  EXPECT_TRUE(harch.batch && harch.backfill && harch.preemption && harch.split_candidates &&
              harch.skip_blocked);

  auto fifo = std::move(reg.MakeProfile("fifo")).value();
  EXPECT_EQ(fifo.sort->Name(), "fifo");
  EXPECT_FALSE(fifo.backfill || fifo.skip_blocked || fifo.preemption || fifo.batch ||
               fifo.split_candidates);
  EXPECT_TRUE(fifo.scores.empty());

  auto backfill = std::move(reg.MakeProfile("backfill")).value();
  EXPECT_EQ(backfill.sort->Name(), "fifo");
  EXPECT_TRUE(backfill.backfill);
  EXPECT_FALSE(backfill.preemption || backfill.batch);

  auto binpack = std::move(reg.MakeProfile("binpack")).value();
  EXPECT_EQ(binpack.sort->Name(), "priority");
  scores.clear();
  for (const auto& [s, w] : binpack.scores) scores.emplace_back(s->Name());
  EXPECT_THAT(scores, ElementsAre("fragmentation", "topology"));
  EXPECT_FALSE(binpack.batch);
  EXPECT_TRUE(binpack.preemption);

  auto fair = std::move(reg.MakeProfile("fair")).value();
  EXPECT_EQ(fair.sort->Name(), "priority-fair");
  EXPECT_FALSE(fair.split_candidates || fair.batch);
  EXPECT_TRUE(fair.scores.empty());
}

TEST(PluginRegistryTest, UnknownProfile) {
  auto p = PluginRegistry::Default().MakeProfile("greedy");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(p.status().message(), HasSubstr("unknown policy 'greedy'"));
  EXPECT_THAT(p.status().message(), HasSubstr("harch, harch-carbon, fifo, backfill, binpack, fair"));
  EXPECT_FALSE(PluginRegistry::Default().MakeProfile("").ok());
  EXPECT_FALSE(PluginRegistry::Default().MakeProfile("HARCH").ok());
}

TEST(PluginRegistryTest, NamedPluginsReportTheirNames) {
  const auto& reg = PluginRegistry::Default();
  for (const char* n : {"priority-fair", "priority", "fifo"}) EXPECT_EQ(reg.MakeSort(n)->Name(), n);
  for (const char* n : {"resources", "sovereignty", "affinity"}) EXPECT_EQ(reg.MakeFilter(n)->Name(), n);
  for (const char* n : {"topology", "fragmentation", "heterogeneity", "affinity"}) {
    EXPECT_EQ(reg.MakeScore(n)->Name(), n);
  }
  EXPECT_EQ(reg.MakePermit("quota")->Name(), "quota");
}

}  // namespace
}  // namespace harch

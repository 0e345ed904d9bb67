// Scenario tests of placement queries (placement.cc) on small fleets written inline.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "resource/fleet_spec.h"
#include "resource/placement.h"
#include "resource/test_fleet.h"
#include "resource/topology.h"

namespace harch {
namespace {

using ::testing::HasSubstr;

PlacementOutcome Place(const Topology& topo, const PlacementRequest& req) {
  auto out = FindPlacement(topo, req);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? *out : PlacementOutcome{};
}

// Places and then allocates the plan, which must succeed.
Plan PlaceAndTake(Topology& topo, const PlacementRequest& req) {
  const PlacementOutcome out = Place(topo, req);
  EXPECT_TRUE(out.fits()) << out.no_fit.constraint << ": " << out.no_fit.reason;
  if (!out.fits()) return {};
  auto id = topo.Allocate("test", out.plan->grants, req.exclusive_node);
  EXPECT_TRUE(id.ok()) << id.status().ToString();
  return *out.plan;
}

GpuIdx G(const Topology& topo, std::string_view id) {
  auto g = topo.FindGpu(id);
  EXPECT_TRUE(g.has_value()) << id;
  return g.value_or(GpuIdx());
}

void Take(Topology& topo, std::vector<std::string> gpu_ids) {
  std::vector<GpuGrant> grants;
  for (const auto& id : gpu_ids) grants.push_back({G(topo, id)});
  auto a = topo.Allocate("filler", grants, false);
  EXPECT_TRUE(a.ok()) << a.status().ToString();
}

std::set<std::string> NodesOf(const Topology& topo, const Plan& plan) {
  std::set<std::string> out;
  for (const GpuGrant& g : plan.grants) out.insert(topo.node(topo.gpu(g.gpu).node).id);
  return out;
}
std::set<uint32_t> DomainsOf(const Topology& topo, const Plan& plan) {
  std::set<uint32_t> out;
  for (const GpuGrant& g : plan.grants) out.insert(topo.gpu(g.gpu).domain.value);
  return out;
}
std::set<std::string> HubsOf(const Topology& topo, const Plan& plan) {
  std::set<std::string> out;
  for (const GpuGrant& g : plan.grants) out.insert(topo.hub(topo.gpu(g.gpu).hub).id);
  return out;
}
std::set<std::string> RacksOf(const Topology& topo, const Plan& plan) {
  std::set<std::string> out;
  for (const GpuGrant& g : plan.grants) out.insert(topo.rack(topo.gpu(g.gpu).rack).id);
  return out;
}
size_t DistinctGpus(const Plan& plan) {
  std::set<GpuIdx> s;
  for (const GpuGrant& g : plan.grants) s.insert(g.gpu);
  return s.size();
}

// Morocco: rack r1 with three 8-GPU NVSwitch H100 nodes, rack r2 with two, rack r3 with two L4s.
// Senegal: one 8-GPU A100 node.
constexpr char kHgxFleet[] = R"(  nodeTemplates:
    - {name: hgx, cpu: 64, memory: 1TiB, numaNodes: 2,
       gpus: {model: H100-SXM, count: 8, nvlink: nvswitch, pcieSwitches: 4}}
  hubs:
    - id: ma
      country: MA
      racks:
        - id: r1
          nodes: [{name: n, count: 3, template: hgx}]
        - id: r2
          nodes: [{name: n, count: 2, template: hgx}]
        - id: r3
          nodes: [{name: l4, count: 2, cpu: 8, memory: 64GiB, gpus: {model: L4, count: 1}}]
    - id: sn
      country: SN
      racks:
        - id: s1
          nodes:
            - {name: a, cpu: 64, memory: 1TiB, labels: {tier: gold},
               gpus: {model: A100-SXM, count: 8, nvlink: nvswitch}}
  wanLinks:
    - {from: ma, to: sn, latencyMs: 30, bandwidthGbps: 40}
)";

class HgxFleetTest : public ::testing::Test {
 protected:
  HgxFleetTest() : topo_(MustBuild(kHgxFleet)) {}
  Topology topo_;
};

// --- Topology-aware choices -----------------------------------------------------------------------

TEST_F(HgxFleetTest, EightInOneDomainPicksOneDomain) {
  PlacementRequest req;
  req.count = 8;
  req.nvlink = NvlinkPolicy::kRequired;
  const uint64_t gen = topo_.generation();
  const PlacementOutcome out = Place(topo_, req);
  EXPECT_EQ(topo_.generation(), gen) << "placement only reads";
  ASSERT_TRUE(out.fits()) << out.no_fit.reason;
  EXPECT_EQ(out.plan->grants.size(), 8u);
  EXPECT_EQ(DistinctGpus(*out.plan), 8u);
  EXPECT_EQ(DomainsOf(topo_, *out.plan).size(), 1u);
  EXPECT_EQ(out.plan->cost.span, LinkClass::kNvlink);
  EXPECT_EQ(out.plan->cost.domains, 1);
  EXPECT_EQ(out.plan->cost.nodes, 1);
  EXPECT_EQ(out.plan->cost.link_distance, 28);  // 28 pairs, each NVLink (1)
  EXPECT_EQ(out.plan->cost.stranded_delta, 0);  // takes a whole domain
  for (const GpuGrant& g : out.plan->grants) {
    EXPECT_EQ(g.milli, kWholeGpu);
    EXPECT_EQ(g.mig_shape, -1);
  }
}

TEST_F(HgxFleetTest, BestFitPrefersAPartlyUsedDomainWithExactlyEnoughRoom) {
  Take(topo_, {"r2-n02/gpu0", "r2-n02/gpu1", "r2-n02/gpu2"});  // r2-n02 has 5 free
  PlacementRequest req;
  req.count = 5;
  req.nvlink = NvlinkPolicy::kRequired;
  Plan plan = PlaceAndTake(topo_, req);
  EXPECT_EQ(NodesOf(topo_, plan), (std::set<std::string>{"r2-n02"}));
  EXPECT_EQ(plan.cost.stranded_delta, -5) << "fills the partly used domain";
  // Now a 4 goes to an idle domain (none has less room), stranding 4.
  req.count = 4;
  const PlacementOutcome out = Place(topo_, req);
  ASSERT_TRUE(out.fits());
  EXPECT_EQ(out.plan->cost.stranded_delta, 4);
  EXPECT_EQ(NodesOf(topo_, *out.plan).size(), 1u);
}

TEST_F(HgxFleetTest, BestFitPrefersTheTightestPartlyUsedDomain) {
  Take(topo_, {"r1-n01/gpu0"});                                  // 7 free
  Take(topo_, {"r1-n03/gpu0", "r1-n03/gpu1", "r1-n03/gpu2"});    // 5 free
  PlacementRequest req;
  req.count = 4;
  const PlacementOutcome out = Place(topo_, req);
  ASSERT_TRUE(out.fits());
  EXPECT_EQ(NodesOf(topo_, *out.plan), (std::set<std::string>{"r1-n03"}));
  EXPECT_EQ(out.plan->cost.span, LinkClass::kNvlink);
}

TEST_F(HgxFleetTest, SixteenGpusSpanExactlyTwoNodesOfOneRack) {
  PlacementRequest req;
  req.count = 16;
  const PlacementOutcome out = Place(topo_, req);
  ASSERT_TRUE(out.fits()) << out.no_fit.reason;
  EXPECT_EQ(DistinctGpus(*out.plan), 16u);
  EXPECT_EQ(NodesOf(topo_, *out.plan).size(), 2u);
  EXPECT_EQ(RacksOf(topo_, *out.plan).size(), 1u);
  EXPECT_EQ(RacksOf(topo_, *out.plan), (std::set<std::string>{"r2"})) << "best fit: r2 has exactly 16";
  EXPECT_EQ(out.plan->cost.span, LinkClass::kRack);
  EXPECT_EQ(out.plan->cost.nodes, 2);
  EXPECT_EQ(out.plan->cost.domains, 2);
}

TEST_F(HgxFleetTest, TenGpusUseAWholeNodeAndPartOfAnother) {
  PlacementRequest req;
  req.count = 10;
  const Plan plan = PlaceAndTake(topo_, req);
  EXPECT_EQ(plan.grants.size(), 10u);
  EXPECT_EQ(plan.cost.nodes, 2);
  EXPECT_EQ(plan.cost.span, LinkClass::kRack);
  std::map<std::string, int> per_node;
  for (const GpuGrant& g : plan.grants) ++per_node[topo_.node(topo_.gpu(g.gpu).node).id];
  std::vector<int> counts;
  for (const auto& [node, n] : per_node) counts.push_back(n);
  std::sort(counts.begin(), counts.end());
  EXPECT_EQ(counts, (std::vector<int>{2, 8}));
}

TEST_F(HgxFleetTest, WithinANodeTheFewestNumaNodes) {
  // 4 GPUs on an 8-GPU HGX node with 2 NUMA nodes: all on one socket.
  PlacementRequest req;
  req.count = 4;
  const PlacementOutcome out = Place(topo_, req);
  ASSERT_TRUE(out.fits());
  std::set<int> numa;
  for (const GpuGrant& g : out.plan->grants) numa.insert(topo_.gpu(g.gpu).numa);
  EXPECT_EQ(numa.size(), 1u);
}

TEST_F(HgxFleetTest, MoreThanAHubNeedsMultiHub) {
  PlacementRequest req;
  req.count = 44;  // Morocco has 42, Senegal 8
  PlacementOutcome out = Place(topo_, req);
  ASSERT_FALSE(out.fits());
  EXPECT_EQ(out.no_fit.constraint, "hub");
  EXPECT_TRUE(out.no_fit.permanent);
  EXPECT_THAT(out.no_fit.reason, HasSubstr("42"));
  req.allow_multi_hub = true;
  out = Place(topo_, req);
  ASSERT_TRUE(out.fits()) << out.no_fit.reason;
  EXPECT_EQ(out.plan->cost.span, LinkClass::kWan);
  EXPECT_EQ(HubsOf(topo_, *out.plan).size(), 2u);
  EXPECT_EQ(DistinctGpus(*out.plan), 44u);
  EXPECT_TRUE(topo_.Allocate("x", out.plan->grants, false).ok());
}

TEST_F(HgxFleetTest, HubSpanWhenNoRackHoldsTheRequest) {
  PlacementRequest req;
  req.count = 30;  // r1 has 24, r2 16: two racks of Morocco
  req.jurisdiction = {"MA"};
  const PlacementOutcome out = Place(topo_, req);
  ASSERT_TRUE(out.fits());
  EXPECT_EQ(out.plan->cost.span, LinkClass::kHub);
  EXPECT_EQ(HubsOf(topo_, *out.plan), (std::set<std::string>{"ma"}));
  EXPECT_EQ(RacksOf(topo_, *out.plan).size(), 2u);
  EXPECT_EQ(out.plan->cost.nodes, 4) << "24 + 6: the fewest nodes";
}

// --- Hard constraints -----------------------------------------------------------------------------

TEST_F(HgxFleetTest, JurisdictionSenegalNeverLandsInMorocco) {
  PlacementRequest req;
  req.jurisdiction = {"SN"};
  for (int count : {1, 3, 8}) {
    req.count = count;
    const PlacementOutcome out = Place(topo_, req);
    ASSERT_TRUE(out.fits()) << count;
    EXPECT_EQ(HubsOf(topo_, *out.plan), (std::set<std::string>{"sn"}));
  }
  // More than Senegal has: no fit, even though Morocco is idle.
  req.count = 9;
  req.allow_multi_hub = true;
  const PlacementOutcome out = Place(topo_, req);
  ASSERT_FALSE(out.fits());
  EXPECT_EQ(out.no_fit.constraint, "hardware");
  EXPECT_TRUE(out.no_fit.permanent);
}

TEST_F(HgxFleetTest, JurisdictionListAllowsEither) {
  Take(topo_, {"s1-a/gpu0"});
  PlacementRequest req;
  req.jurisdiction = {"FR", "SN"};
  req.count = 7;
  const PlacementOutcome out = Place(topo_, req);
  ASSERT_TRUE(out.fits());
  EXPECT_EQ(HubsOf(topo_, *out.plan), (std::set<std::string>{"sn"}));
}

TEST_F(HgxFleetTest, HubFilter) {
  PlacementRequest req;
  req.hub = "sn";
  req.count = 2;
  const PlacementOutcome out = Place(topo_, req);
  ASSERT_TRUE(out.fits());
  EXPECT_EQ(HubsOf(topo_, *out.plan), (std::set<std::string>{"sn"}));
  // A hub outside the jurisdiction: nothing is located.
  req.jurisdiction = {"MA"};
  const PlacementOutcome none = Place(topo_, req);
  ASSERT_FALSE(none.fits());
  EXPECT_EQ(none.no_fit.constraint, "hub");
  EXPECT_TRUE(none.no_fit.permanent);
}

TEST_F(HgxFleetTest, ModelMemoryAndComputeCapabilityFilters) {
  PlacementRequest req;
  req.count = 2;
  req.models = {"L4"};
  PlacementOutcome out = Place(topo_, req);
  ASSERT_TRUE(out.fits());
  for (const GpuGrant& g : out.plan->grants) EXPECT_EQ(topo_.model_of(g.gpu).name, "L4");
  EXPECT_EQ(out.plan->cost.span, LinkClass::kRack);

  req.models = {"a100", "L4"};  // families and names, any case
  req.count = 9;
  out = Place(topo_, req);
  ASSERT_FALSE(out.fits()) << "8 A100s and 2 L4s live in different hubs";
  EXPECT_EQ(out.no_fit.constraint, "hub");

  req = {};
  req.count = 1;
  req.min_memory = GiB(40);
  out = Place(topo_, req);
  ASSERT_TRUE(out.fits());
  EXPECT_NE(topo_.model_of(out.plan->grants[0].gpu).name, "L4");

  req = {};
  req.count = 8;
  req.min_compute_capability = 90;
  req.jurisdiction = {"SN"};
  out = Place(topo_, req);
  ASSERT_FALSE(out.fits());
  EXPECT_EQ(out.no_fit.constraint, "hardware");
  EXPECT_THAT(out.no_fit.reason, HasSubstr("only 0"));
}

TEST_F(HgxFleetTest, NodeLabelsFilter) {
  PlacementRequest req;
  req.count = 1;
  req.node_labels = {{"tier", "gold"}};
  PlacementOutcome out = Place(topo_, req);
  ASSERT_TRUE(out.fits());
  EXPECT_EQ(topo_.node(topo_.gpu(out.plan->grants[0].gpu).node).id, "s1-a");
  req.node_labels = {{"tier", "silver"}};
  out = Place(topo_, req);
  ASSERT_FALSE(out.fits());
  EXPECT_EQ(out.no_fit.constraint, "hardware");
  EXPECT_TRUE(out.no_fit.permanent);
  req.node_labels = {{"tier", "gold"}, {"zone", "x"}};
  EXPECT_FALSE(Place(topo_, req).fits()) << "every label must match";
}

TEST_F(HgxFleetTest, ExclusiveNodePicksOnlyIdleNodes) {
  Take(topo_, {"r1-n01/gpu0"});
  PlacementRequest req;
  req.count = 1;
  req.models = {"H100"};
  // Not exclusive: best fit packs next to the busy GPU.
  PlacementOutcome out = Place(topo_, req);
  ASSERT_TRUE(out.fits());
  EXPECT_EQ(NodesOf(topo_, *out.plan), (std::set<std::string>{"r1-n01"}));
  // Exclusive: an idle node, held whole.
  req.exclusive_node = true;
  const Plan plan = PlaceAndTake(topo_, req);
  const std::set<std::string> held = NodesOf(topo_, plan);
  ASSERT_EQ(held.size(), 1u);
  EXPECT_NE(*held.begin(), "r1-n01");
  // Nothing else goes onto the held node.
  req.exclusive_node = false;
  req.count = 7;
  req.nvlink = NvlinkPolicy::kRequired;
  for (int i = 0; i < 3; ++i) {
    out = Place(topo_, req);
    if (!out.fits()) break;
    EXPECT_EQ(NodesOf(topo_, *out.plan).count(*held.begin()), 0u);
    ASSERT_TRUE(topo_.Allocate("x", out.plan->grants, false).ok());
  }
}

TEST_F(HgxFleetTest, ExclusiveWithNoIdleNodeIsACapacityProblem) {
  for (const Node& n : topo_.nodes()) {
    if (topo_.hub(n.hub).id == "sn") Take(topo_, {topo_.gpu(n.gpus[0]).id});
  }
  PlacementRequest req;
  req.jurisdiction = {"SN"};
  req.exclusive_node = true;
  const PlacementOutcome out = Place(topo_, req);
  ASSERT_FALSE(out.fits());
  EXPECT_EQ(out.no_fit.constraint, "capacity");
  EXPECT_FALSE(out.no_fit.permanent);
  EXPECT_THAT(out.no_fit.reason, HasSubstr("idle nodes"));
}

TEST_F(HgxFleetTest, DegradedGpusAreSkippedUnlessAllowed) {
  for (const Node& n : topo_.nodes()) {
    if (topo_.hub(n.hub).id == "sn") topo_.SetGpuHealth(n.gpus[3], Health::kDegraded);
  }
  PlacementRequest req;
  req.jurisdiction = {"SN"};
  req.count = 8;
  PlacementOutcome out = Place(topo_, req);
  ASSERT_FALSE(out.fits());
  EXPECT_EQ(out.no_fit.constraint, "health");
  EXPECT_FALSE(out.no_fit.permanent);
  req.count = 7;
  out = Place(topo_, req);
  ASSERT_TRUE(out.fits());
  for (const GpuGrant& g : out.plan->grants) EXPECT_EQ(topo_.gpu(g.gpu).health, Health::kHealthy);
  req.count = 8;
  req.allow_degraded = true;
  out = Place(topo_, req);
  ASSERT_TRUE(out.fits());
  EXPECT_EQ(out.plan->grants.size(), 8u);
}

TEST(PlacementHealthTest, DegradedNodesAndFailedGpus) {
  Topology topo = MustBuild(R"(  hubs:
    - id: h
      country: MA
      racks:
        - id: r
          nodes:
            - {name: d, cpu: 8, memory: 64GiB, health: degraded, gpus: {model: L4, count: 1}}
            - {name: f, cpu: 8, memory: 64GiB, gpuHealth: {0: failed}, gpus: {model: L4, count: 2}}
)");
  PlacementRequest req;
  req.count = 1;
  PlacementOutcome out = Place(topo, req);
  ASSERT_TRUE(out.fits());
  EXPECT_EQ(topo.gpu(out.plan->grants[0].gpu).id, "r-f/gpu1");
  req.count = 2;
  out = Place(topo, req);
  ASSERT_FALSE(out.fits());
  EXPECT_EQ(out.no_fit.constraint, "health");
  req.allow_degraded = true;
  out = Place(topo, req);
  ASSERT_TRUE(out.fits());
  std::set<std::string> ids;
  for (const GpuGrant& g : out.plan->grants) ids.insert(topo.gpu(g.gpu).id);
  EXPECT_EQ(ids, (std::set<std::string>{"r-d/gpu0", "r-f/gpu1"})) << "failed GPUs never";
}

TEST_F(HgxFleetTest, DownAndCordonedNodesAreSkipped) {
  topo_.SetNodeState(*topo_.FindNode("s1-a"), NodeState::kCordoned);
  PlacementRequest req;
  req.jurisdiction = {"SN"};
  PlacementOutcome out = Place(topo_, req);
  ASSERT_FALSE(out.fits());
  EXPECT_EQ(out.no_fit.constraint, "health");
  topo_.SetNodeState(*topo_.FindNode("s1-a"), NodeState::kUp);
  EXPECT_TRUE(Place(topo_, req).fits());
  topo_.RemoveNode(*topo_.FindNode("s1-a"));
  out = Place(topo_, req);
  ASSERT_FALSE(out.fits());
  EXPECT_EQ(out.no_fit.constraint, "jurisdiction") << "a removed node is gone";
}

// --- Why it does not fit --------------------------------------------------------------------------

TEST_F(HgxFleetTest, NoFitUnknownJurisdiction) {
  PlacementRequest req;
  req.jurisdiction = {"FR"};
  const PlacementOutcome out = Place(topo_, req);
  ASSERT_FALSE(out.fits());
  EXPECT_EQ(out.no_fit.constraint, "jurisdiction");
  EXPECT_TRUE(out.no_fit.permanent);
  EXPECT_THAT(out.no_fit.reason, HasSubstr("FR"));
  EXPECT_THAT(out.no_fit.reason, HasSubstr("ma (MA)"));
}

TEST_F(HgxFleetTest, NoFitTooManyGpusOfAModel) {
  PlacementRequest req;
  req.models = {"L4"};
  req.count = 3;
  const PlacementOutcome out = Place(topo_, req);
  ASSERT_FALSE(out.fits());
  EXPECT_EQ(out.no_fit.constraint, "hardware");
  EXPECT_TRUE(out.no_fit.permanent);
  EXPECT_THAT(out.no_fit.reason, HasSubstr("only 2"));
  EXPECT_THAT(out.no_fit.reason, HasSubstr("model L4"));
}

TEST_F(HgxFleetTest, NoFitLargerThanTheLargestDomain) {
  PlacementRequest req;
  req.count = 16;
  req.nvlink = NvlinkPolicy::kRequired;
  const PlacementOutcome out = Place(topo_, req);
  ASSERT_FALSE(out.fits());
  EXPECT_EQ(out.no_fit.constraint, "nvlink");
  EXPECT_TRUE(out.no_fit.permanent);
  EXPECT_THAT(out.no_fit.reason, HasSubstr("has 8"));
}

TEST_F(HgxFleetTest, NoFitFleetFull) {
  for (const Node& n : topo_.nodes()) {
    std::vector<std::string> ids;
    for (GpuIdx g : n.gpus) ids.push_back(topo_.gpu(g).id);
    Take(topo_, ids);
  }
  PlacementRequest req;
  const PlacementOutcome out = Place(topo_, req);
  ASSERT_FALSE(out.fits());
  EXPECT_EQ(out.no_fit.constraint, "capacity");
  EXPECT_FALSE(out.no_fit.permanent);
  EXPECT_THAT(out.no_fit.reason, HasSubstr("only 0"));
}

TEST_F(HgxFleetTest, NoFitBusyDomainsNameTheLargestFreeOne) {
  // The issue's example: 2 GPUs taken on every 8-GPU node in Morocco.
  for (const Node& n : topo_.nodes()) {
    if (n.gpus.size() == 8 && topo_.hub(n.hub).country == "MA") {
      Take(topo_, {topo_.gpu(n.gpus[0]).id, topo_.gpu(n.gpus[5]).id});
    }
  }
  PlacementRequest req;
  req.count = 8;
  req.jurisdiction = {"MA"};
  req.nvlink = NvlinkPolicy::kRequired;
  const PlacementOutcome out = Place(topo_, req);
  ASSERT_FALSE(out.fits());
  EXPECT_EQ(out.no_fit.constraint, "nvlink");
  EXPECT_FALSE(out.no_fit.permanent);
  EXPECT_THAT(out.no_fit.reason, HasSubstr("has 6 free GPUs"));
  EXPECT_THAT(out.no_fit.reason, HasSubstr("in MA"));
  // Preferred instead of required: it spans two domains of one rack.
  req.nvlink = NvlinkPolicy::kPreferred;
  const PlacementOutcome spread = Place(topo_, req);
  ASSERT_TRUE(spread.fits());
  EXPECT_EQ(spread.plan->cost.span, LinkClass::kRack);
  EXPECT_EQ(spread.plan->cost.domains, 2);
}

// --- MIG and shares -------------------------------------------------------------------------------

constexpr char kMigFleet[] = R"(  hubs:
    - id: h
      country: MA
      racks:
        - id: r
          nodes:
            - {name: mig, cpu: 8, memory: 64GiB, gpus: {model: A100-SXM, count: 2, migEnabled: true}}
            - {name: plain, cpu: 8, memory: 64GiB, gpus: {model: A100-SXM, count: 2}}
            - {name: l4, cpu: 8, memory: 64GiB, gpus: {model: L4, count: 3}}
)";

TEST(PlacementMigTest, MigRequestsLandOnMigModeGpusAtValidStarts) {
  Topology topo = MustBuild(kMigFleet);
  PlacementRequest req;
  req.mig_profile = "3g.40gb";
  req.count = 3;
  const Plan plan = PlaceAndTake(topo, req);
  ASSERT_EQ(plan.grants.size(), 3u);
  const int shape = *FindMigShape(topo.model_of(plan.grants[0].gpu), "3g.40gb");
  for (const GpuGrant& g : plan.grants) {
    EXPECT_TRUE(topo.gpu(g.gpu).mig_enabled);
    EXPECT_EQ(g.mig_shape, shape);
    EXPECT_TRUE(MigShapes()[shape].start_mask >> g.mig_start & 1) << g.mig_start;
  }
  // Two on one GPU (0 and 4), one on the other; one 3g is left.
  req.count = 1;
  const Plan last = PlaceAndTake(topo, req);
  ASSERT_EQ(last.grants.size(), 1u);
  req.count = 1;
  const PlacementOutcome full = Place(topo, req);
  ASSERT_FALSE(full.fits());
  EXPECT_EQ(full.no_fit.constraint, "capacity");
  for (const Gpu& g : topo.gpus()) {
    if (g.mig_enabled) {
      EXPECT_EQ(g.mig_mask, 0xFF) << g.id;
    }
  }
}

TEST(PlacementMigTest, SmallProfilesPackOneGpu) {
  Topology topo = MustBuild(kMigFleet);
  PlacementRequest req;
  req.mig_profile = "1g.10gb";
  req.count = 7;
  const Plan plan = PlaceAndTake(topo, req);
  EXPECT_EQ(DistinctGpus(plan), 1u);
  std::set<int> starts;
  for (const GpuGrant& g : plan.grants) starts.insert(g.mig_start);
  EXPECT_EQ(starts, (std::set<int>{0, 1, 2, 3, 4, 5, 6}));
  // Then a 4g goes to the other GPU, and a second 4g finds no room.
  req.mig_profile = "4g.40gb";
  req.count = 1;
  const Plan four = PlaceAndTake(topo, req);
  EXPECT_NE(four.grants[0].gpu, plan.grants[0].gpu);
  EXPECT_EQ(four.grants[0].mig_start, 0);
  EXPECT_FALSE(Place(topo, req).fits());
  req.mig_profile = "3g.40gb";
  const Plan three = PlaceAndTake(topo, req);
  EXPECT_EQ(three.grants[0].gpu, four.grants[0].gpu);
  EXPECT_EQ(three.grants[0].mig_start, 4);
}

TEST(PlacementMigTest, MigMemoryAndModelFilters) {
  Topology topo = MustBuild(kMigFleet);
  PlacementRequest req;
  req.mig_profile = "3g.40gb";
  req.min_memory = GiB(41);
  PlacementOutcome out = Place(topo, req);
  ASSERT_FALSE(out.fits());
  EXPECT_EQ(out.no_fit.constraint, "hardware");
  EXPECT_TRUE(out.no_fit.permanent);
  req.min_memory = GiB(40);
  EXPECT_TRUE(Place(topo, req).fits());
  // Five 3g instances exist (2 per MIG GPU is 4).
  req.count = 5;
  out = Place(topo, req);
  ASSERT_FALSE(out.fits());
  EXPECT_EQ(out.no_fit.constraint, "hardware");
  EXPECT_THAT(out.no_fit.reason, HasSubstr("only 4 MIG 3g.40gb instances"));
}

TEST(PlacementMigTest, WholeGpuRequestsAvoidMigModeGpus) {
  Topology topo = MustBuild(kMigFleet);
  PlacementRequest req;
  req.models = {"A100"};
  req.count = 2;
  const Plan plan = PlaceAndTake(topo, req);
  for (const GpuGrant& g : plan.grants) EXPECT_FALSE(topo.gpu(g.gpu).mig_enabled);
  EXPECT_FALSE(Place(topo, req).fits());
}

TEST(PlacementShareTest, SharesPackOntoAnAlreadySharedGpuFirst) {
  Topology topo = MustBuild(kMigFleet);
  const GpuIdx shared = G(topo, "r-l4/gpu2");
  ASSERT_TRUE(topo.Allocate("s", {{shared, MilliGpu{500}}}, false).ok());
  PlacementRequest req;
  req.models = {"L4"};
  req.share = MilliGpu{250};
  req.count = 1;
  Plan plan = PlaceAndTake(topo, req);
  ASSERT_EQ(plan.grants.size(), 1u);
  EXPECT_EQ(plan.grants[0].gpu, shared);
  EXPECT_EQ(plan.grants[0].milli.value, 250);
  plan = PlaceAndTake(topo, req);
  EXPECT_EQ(plan.grants[0].gpu, shared);
  EXPECT_EQ(topo.gpu(shared).used_milli, 1000);
  // Full now: the next share opens another GPU.
  plan = PlaceAndTake(topo, req);
  EXPECT_NE(plan.grants[0].gpu, shared);
}

TEST(PlacementShareTest, SeveralSharesOfOneGpuInOneRequest) {
  Topology topo = MustBuild(kMigFleet);
  PlacementRequest req;
  req.models = {"L4"};
  req.share = MilliGpu{300};
  req.count = 3;
  const Plan plan = PlaceAndTake(topo, req);
  EXPECT_EQ(plan.grants.size(), 3u);
  EXPECT_EQ(DistinctGpus(plan), 1u);
  EXPECT_EQ(plan.cost.span, LinkClass::kSelf);
  EXPECT_EQ(topo.gpu(plan.grants[0].gpu).used_milli, 900);
  // 3 GPUs x 3 shares of 300 each = 9; 6 left.
  req.count = 7;
  const PlacementOutcome out = Place(topo, req);
  ASSERT_FALSE(out.fits());
  EXPECT_EQ(out.no_fit.constraint, "capacity");
  req.count = 6;
  EXPECT_TRUE(Place(topo, req).fits());
}

// --- Requests that are wrong in themselves ----------------------------------------------------------

TEST_F(HgxFleetTest, ValidateRequestErrors) {
  auto expect_invalid = [&](const PlacementRequest& req, std::string_view phrase) {
    const Status st = ValidateRequest(topo_, req);
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << phrase;
    EXPECT_THAT(st.message(), HasSubstr(std::string(phrase)));
    auto out = FindPlacement(topo_, req);
    EXPECT_FALSE(out.ok()) << "FindPlacement validates too: " << phrase;
  };
  PlacementRequest ok;
  EXPECT_TRUE(ValidateRequest(topo_, ok).ok());

  PlacementRequest r = ok;
  r.models = {"H200"};
  expect_invalid(r, "unknown GPU model 'H200'");
  r = ok;
  r.mig_profile = "5g.50gb";
  expect_invalid(r, "unknown MIG profile '5g.50gb'");
  r = ok;
  r.jurisdiction = {"Morocco"};
  expect_invalid(r, "ISO 3166-1 alpha-2");
  r.jurisdiction = {"ma"};
  expect_invalid(r, "got 'ma'");
  r = ok;
  r.count = 0;
  expect_invalid(r, "count must be between 1 and");
  r.count = -3;
  expect_invalid(r, "got -3");
  r.count = 100'001;
  expect_invalid(r, "count must be between 1 and");
  r = ok;
  r.hub = "casablanca";
  expect_invalid(r, "unknown hub 'casablanca'");
  r = ok;
  r.share = MilliGpu{0};
  expect_invalid(r, "share must be between");
  r.share = MilliGpu{1001};
  expect_invalid(r, "share must be between");
  r = ok;
  r.mig_profile = "1g.10gb";
  r.share = MilliGpu{500};
  expect_invalid(r, "not both");
  r = ok;
  r.min_memory = Bytes{-1};
  expect_invalid(r, "negative");

  // Known names in any case, and profiles of models not in this fleet, are fine.
  r = ok;
  r.models = {"h100", "GB200"};
  r.mig_profile = "3G.40GB";
  EXPECT_TRUE(ValidateRequest(topo_, r).ok());
}

TEST(DescribeRequestTest, NamesTheFilters) {
  PlacementRequest req;
  EXPECT_EQ(DescribeRequest(req), "any GPU");
  req.jurisdiction = {"MA", "SN"};
  req.models = {"H100"};
  req.min_memory = GiB(40);
  EXPECT_EQ(DescribeRequest(req), "in MA/SN, model H100, >= 40GiB");
}

// --- Inside a node ---------------------------------------------------------------------------------

TEST(PlacementInsideNodeTest, PairsNodePrefersWholeBridgedPairs) {
  Topology topo = MustBuild(R"(  hubs:
    - id: h
      country: SN
      racks:
        - id: r
          nodes:
            - {name: pp, cpu: 8, memory: 64GiB, numaNodes: 2,
               gpus: {model: H100-PCIe, count: 8, nvlink: pairs, pcieSwitches: 4}}
)");
  Take(topo, {"r-pp/gpu0"});  // its partner gpu1 is alone now
  PlacementRequest req;
  req.count = 2;
  PlacementOutcome out = Place(topo, req);
  ASSERT_TRUE(out.fits());
  EXPECT_EQ(out.plan->cost.span, LinkClass::kNvlink) << "a whole free pair";
  req.count = 1;
  out = Place(topo, req);
  ASSERT_TRUE(out.fits());
  EXPECT_EQ(topo.gpu(out.plan->grants[0].gpu).id, "r-pp/gpu1") << "best fit: the lone partner";
  req.count = 4;
  req.nvlink = NvlinkPolicy::kRequired;
  out = Place(topo, req);
  ASSERT_FALSE(out.fits());
  EXPECT_EQ(out.no_fit.constraint, "nvlink");
  EXPECT_TRUE(out.no_fit.permanent);
  EXPECT_THAT(out.no_fit.reason, HasSubstr("has 2"));
}

TEST(PlacementInsideNodeTest, PcieOnlyNodeKeepsGpusOnOneSwitch) {
  Topology topo = MustBuild(R"(  hubs:
    - id: h
      country: MA
      racks:
        - id: r
          nodes:
            - {name: l, cpu: 8, memory: 64GiB, numaNodes: 2,
               gpus: {model: L40S, count: 4, pcieSwitches: 2}}
)");
  Take(topo, {"r-l/gpu1"});
  PlacementRequest req;
  req.count = 2;
  const PlacementOutcome out = Place(topo, req);
  ASSERT_TRUE(out.fits());
  EXPECT_EQ(out.plan->cost.span, LinkClass::kPcieSwitch) << "gpu2 + gpu3, not gpu0 + gpu2";
}

TEST(PlacementInsideNodeTest, MultiNodeDomainUsesTheFewestTrays) {
  Topology topo = MustBuild(R"(  hubs:
    - id: h
      country: MA
      racks:
        - id: nvl
          nvlink: multi-node
          nodes:
            - {name: t, count: 4, cpu: 8, memory: 64GiB, gpus: {model: GB200, count: 4}}
)");
  Take(topo, {"nvl-t02/gpu0"});
  PlacementRequest req;
  req.count = 7;
  req.nvlink = NvlinkPolicy::kRequired;
  const PlacementOutcome out = Place(topo, req);
  ASSERT_TRUE(out.fits());
  EXPECT_EQ(out.plan->cost.span, LinkClass::kNvlink);
  EXPECT_EQ(out.plan->cost.domains, 1);
  EXPECT_EQ(out.plan->cost.nodes, 2);
  // 4 from a whole tray, and the best fit for the other 3 is the tray with exactly 3 left.
  EXPECT_EQ(NodesOf(topo, *out.plan).count("nvl-t02"), 1u);
}

}  // namespace
}  // namespace harch

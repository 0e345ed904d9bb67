// Tests of fleet summaries and fragmentation (summary.cc).
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "resource/fleet_spec.h"
#include "resource/summary.h"
#include "resource/test_fleet.h"
#include "resource/topology.h"

namespace harch {
namespace {

// Hub a (MA): an 8-GPU NVSwitch node, a 4-GPU PCIe node, a 2-GPU MIG-mode A100 node.
// Hub b (SN): a 4-GPU node of bridged pairs and a 1-GPU L4 node.
constexpr char kFleet[] = R"(  hubs:
    - id: a
      name: Alpha
      country: MA
      carbonZone: ES
      carbonZoneStandIn: true
      racks:
        - id: r
          nodes:
            - {name: sw, cpu: 8, memory: 64GiB, gpus: {model: H100-SXM, count: 8, nvlink: nvswitch}}
            - {name: pc, cpu: 8, memory: 64GiB, gpus: {model: L40S, count: 4}}
            - {name: mg, cpu: 8, memory: 64GiB, gpus: {model: A100-SXM, count: 2, migEnabled: true}}
    - id: b
      country: SN
      carbonZone: ZA
      racks:
        - id: s
          nodes:
            - {name: pp, cpu: 8, memory: 64GiB, gpus: {model: H100-PCIe, count: 4, nvlink: pairs}}
            - {name: l4, cpu: 8, memory: 64GiB, gpus: {model: L4, count: 1}}
)";

class SummaryTest : public ::testing::Test {
 protected:
  SummaryTest() : topo_(MustBuild(kFleet)) {}

  GpuIdx G(std::string_view id) const {
    auto g = topo_.FindGpu(id);
    EXPECT_TRUE(g.has_value()) << id;
    return g.value_or(GpuIdx());
  }
  NodeIdx N(std::string_view id) const {
    auto n = topo_.FindNode(id);
    EXPECT_TRUE(n.has_value()) << id;
    return n.value_or(NodeIdx());
  }
  AllocationId Take(std::vector<GpuGrant> grants) {
    auto id = topo_.Allocate("t", std::move(grants), false);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : AllocationId{};
  }
  // Takes whole GPUs `first`..`last` of `node`.
  AllocationId TakeRange(std::string_view node, int first, int last) {
    std::vector<GpuGrant> grants;
    for (int i = first; i <= last; ++i) grants.push_back({G(std::string(node) + "/gpu" + std::to_string(i))});
    return Take(std::move(grants));
  }

  Topology topo_;
};

void ExpectCounts(const GpuCounts& c, int total, int free, int allocated, int unavailable,
                  int stranded) {
  EXPECT_EQ(c.total, total);
  EXPECT_EQ(c.free, free);
  EXPECT_EQ(c.allocated, allocated);
  EXPECT_EQ(c.unavailable, unavailable);
  EXPECT_EQ(c.stranded, stranded);
  EXPECT_EQ(c.free + c.allocated + c.unavailable, c.total);
}

// A hub's NVLink domain shapes as "kind:gpus:count" strings, easy to compare and print.
std::vector<std::string> Shapes(const HubSummary& hub) {
  std::vector<std::string> out;
  for (const DomainShape& d : hub.domains) {
    out.push_back(std::string(DomainKindName(d.kind)) + ":" + std::to_string(d.gpus) + ":" +
                  std::to_string(d.count));
  }
  return out;
}
using Strings = std::vector<std::string>;

TEST_F(SummaryTest, IdleFleet) {
  const FleetSummary s = Summarize(topo_);
  EXPECT_EQ(s.nodes, 5);
  ExpectCounts(s.gpus, 19, 19, 0, 0, 0);
  EXPECT_DOUBLE_EQ(s.fragmentation, 0.0);
  ASSERT_EQ(s.hubs.size(), 2u);

  const HubSummary& a = s.hubs[0];
  EXPECT_EQ(a.id, "a");
  EXPECT_EQ(a.name, "Alpha");
  EXPECT_EQ(a.country, "MA");
  EXPECT_EQ(a.carbon_zone, "ES");
  EXPECT_TRUE(a.carbon_zone_stand_in);
  EXPECT_EQ(a.nodes, 3);
  EXPECT_EQ(a.nodes_up, 3);
  ExpectCounts(a.gpus, 14, 14, 0, 0, 0);
  EXPECT_EQ(a.models, (std::map<std::string, int>{{"A100-SXM", 2}, {"H100-SXM", 8}, {"L40S", 4}}));
  EXPECT_EQ(Shapes(a), (Strings{"none:1:6", "nvswitch:8:1"}));
  EXPECT_EQ(a.largest_free_domain, 8);
  EXPECT_EQ(a.mig_gpus, 2);

  const HubSummary& b = s.hubs[1];
  EXPECT_EQ(b.id, "b");
  EXPECT_EQ(b.name, "b");
  EXPECT_EQ(b.country, "SN");
  EXPECT_FALSE(b.carbon_zone_stand_in);
  ExpectCounts(b.gpus, 5, 5, 0, 0, 0);
  EXPECT_EQ(Shapes(b), (Strings{"none:1:1", "bridge:2:2"}));
  EXPECT_EQ(b.largest_free_domain, 2);
  EXPECT_EQ(b.mig_gpus, 0);
}

TEST_F(SummaryTest, AllocationsStrandFreeGpusInPartlyUsedDomains) {
  TakeRange("r-sw", 0, 2);  // 3 of 8 in the NVSwitch domain: 5 stranded
  const FleetSummary s = Summarize(topo_);
  ExpectCounts(s.gpus, 19, 16, 3, 0, 5);
  ExpectCounts(s.hubs[0].gpus, 14, 11, 3, 0, 5);
  EXPECT_EQ(s.hubs[0].largest_free_domain, 5);
  EXPECT_DOUBLE_EQ(s.fragmentation, 5.0 / 16.0);
}

TEST_F(SummaryTest, SharesAndMigInstancesCountAsAllocated) {
  Take({{G("r-pc/gpu0"), MilliGpu{250}}});
  auto shape = FindMigShape(topo_.model_of(G("r-mg/gpu0")), "1g.10gb");
  ASSERT_TRUE(shape.has_value());
  Take({{G("r-mg/gpu0"), kWholeGpu, *shape, 6}});
  const FleetSummary s = Summarize(topo_);
  ExpectCounts(s.gpus, 19, 17, 2, 0, 0);  // singleton domains strand nothing
  EXPECT_EQ(s.hubs[0].mig_gpus, 2);
}

TEST_F(SummaryTest, AllocationsAndFailures) {
  TakeRange("r-sw", 0, 2);
  Take({{G("r-pc/gpu0"), MilliGpu{500}}});
  auto shape = FindMigShape(topo_.model_of(G("r-mg/gpu0")), "3g.40gb");
  ASSERT_TRUE(shape.has_value());
  Take({{G("r-mg/gpu0"), kWholeGpu, *shape, 4}});
  TakeRange("s-pp", 0, 0);  // half of the first pair: its partner is stranded
  topo_.SetGpuHealth(G("r-sw/gpu7"), Health::kFailed);  // in the already partly used domain
  topo_.SetGpuHealth(G("s-l4/gpu0"), Health::kFailed);
  topo_.SetNodeState(N("r-pc"), NodeState::kDown);  // gpu0 stays allocated; gpu1-3 unavailable

  const FleetSummary s = Summarize(topo_);
  EXPECT_EQ(s.nodes, 5);
  ExpectCounts(s.gpus, 19, 8, 6, 5, 5);
  EXPECT_DOUBLE_EQ(s.fragmentation, 5.0 / 8.0);

  const HubSummary& a = s.hubs[0];
  EXPECT_EQ(a.nodes, 3);
  EXPECT_EQ(a.nodes_up, 2);
  ExpectCounts(a.gpus, 14, 5, 5, 4, 4);
  EXPECT_EQ(a.largest_free_domain, 4);

  const HubSummary& b = s.hubs[1];
  EXPECT_EQ(b.nodes_up, 2);
  ExpectCounts(b.gpus, 5, 3, 1, 1, 1);
  EXPECT_EQ(b.largest_free_domain, 2);  // the second pair is whole
}

TEST_F(SummaryTest, DegradedAndCordonedGpus) {
  topo_.SetGpuHealth(G("s-l4/gpu0"), Health::kDegraded);  // still usable when allowed
  topo_.SetNodeState(N("r-pc"), NodeState::kCordoned);
  const FleetSummary s = Summarize(topo_);
  EXPECT_EQ(s.hubs[0].nodes_up, 2);
  ExpectCounts(s.hubs[0].gpus, 14, 10, 0, 4, 0);
  ExpectCounts(s.hubs[1].gpus, 5, 5, 0, 0, 0);
}

TEST_F(SummaryTest, RemovedNodesAreNeitherFreeNorCounted) {
  TakeRange("r-sw", 0, 2);
  topo_.RemoveNode(N("r-pc"));
  const FleetSummary s = Summarize(topo_);
  EXPECT_EQ(s.nodes, 4);
  EXPECT_EQ(s.hubs[0].nodes, 2);
  EXPECT_EQ(s.hubs[0].nodes_up, 2);
  EXPECT_EQ(s.gpus.free, 12);
  EXPECT_EQ(s.gpus.allocated, 3);
  EXPECT_EQ(s.gpus.stranded, 5);
  EXPECT_DOUBLE_EQ(s.fragmentation, 5.0 / 12.0);
}

TEST_F(SummaryTest, ReleaseRestoresTheIdleSummary) {
  const AllocationId a = TakeRange("r-sw", 0, 6);
  const AllocationId b = TakeRange("s-pp", 1, 2);
  EXPECT_EQ(Summarize(topo_).gpus.stranded, 1 + 2);
  ASSERT_TRUE(topo_.Release(a).ok());
  ASSERT_TRUE(topo_.Release(b).ok());
  const FleetSummary s = Summarize(topo_);
  ExpectCounts(s.gpus, 19, 19, 0, 0, 0);
  EXPECT_DOUBLE_EQ(s.fragmentation, 0.0);
}

TEST_F(SummaryTest, GpusWithoutNvlinkAreNoFreeDomain) {
  TakeRange("r-sw", 0, 7);  // hub a's only NVLink domain is full; its PCIe GPUs are idle
  const FleetSummary s = Summarize(topo_);
  ExpectCounts(s.hubs[0].gpus, 14, 6, 8, 0, 0);
  EXPECT_EQ(s.hubs[0].largest_free_domain, 0);
}

TEST_F(SummaryTest, FullFleetHasNoFragmentation) {
  for (const Gpu& g : topo_.gpus()) {
    const GpuIdx idx = *topo_.FindGpu(g.id);
    if (g.mig_enabled) {
      Take({{idx, kWholeGpu, 5, 0}});  // 7g: the whole GPU
    } else {
      Take({{idx}});
    }
  }
  const FleetSummary s = Summarize(topo_);
  ExpectCounts(s.gpus, 19, 0, 19, 0, 0);
  EXPECT_DOUBLE_EQ(s.fragmentation, 0.0);
  EXPECT_EQ(s.hubs[0].largest_free_domain, 0);
}

TEST(SummaryMultiNodeTest, MultiNodeDomainCountsAsOneShape) {
  Topology topo = MustBuild(R"(  hubs:
    - id: h
      country: MA
      racks:
        - id: nvl
          nvlink: multi-node
          nodes:
            - {name: t, count: 3, cpu: 8, memory: 64GiB, gpus: {model: GB200, count: 4}}
)");
  auto g = topo.FindGpu("nvl-t02/gpu1");
  ASSERT_TRUE(g.has_value());
  ASSERT_TRUE(topo.Allocate("x", {{*g}}, false).ok());
  const FleetSummary s = Summarize(topo);
  ASSERT_EQ(s.hubs.size(), 1u);
  EXPECT_EQ(Shapes(s.hubs[0]), (Strings{"multi-node:12:1"}));
  ExpectCounts(s.gpus, 12, 11, 1, 0, 11);
  EXPECT_EQ(s.hubs[0].largest_free_domain, 11);
  EXPECT_DOUBLE_EQ(s.fragmentation, 1.0);
}

}  // namespace
}  // namespace harch

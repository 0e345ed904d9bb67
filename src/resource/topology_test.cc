// Tests of the live topology (topology.cc): link classes, allocation, and live updates.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "resource/fleet_spec.h"
#include "resource/placement.h"
#include "resource/test_fleet.h"
#include "resource/topology.h"

namespace harch {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Two hubs. r1 holds an NVSwitch node (sw), a node of bridged pairs (pp) and a PCIe-only node
// (pc); r2 an NVSwitch node of 4 (a), a MIG-mode node (m) and an L4 (l4); nvl is a multi-node
// NVLink rack of two trays; h2 has one node of two L4s.
constexpr char kFleet[] = R"(  hubs:
    - id: h1
      country: MA
      racks:
        - id: r1
          nodes:
            - {name: sw, cpu: 8, memory: 64GiB, numaNodes: 2,
               gpus: {model: H100-SXM, count: 8, nvlink: nvswitch, pcieSwitches: 4}}
            - {name: pp, cpu: 8, memory: 64GiB, numaNodes: 2,
               gpus: {model: H100-PCIe, count: 8, nvlink: pairs, pcieSwitches: 2}}
            - {name: pc, cpu: 8, memory: 64GiB, numaNodes: 1,
               gpus: {model: L40S, count: 8, pcieSwitches: 4, hostBridges: 2}}
        - id: r2
          nodes:
            - {name: a, cpu: 8, memory: 64GiB, gpus: {model: A100-SXM, count: 4, nvlink: nvswitch}}
            - {name: m, cpu: 8, memory: 64GiB, gpus: {model: A100-SXM, count: 2, migEnabled: true}}
            - {name: l4, cpu: 8, memory: 64GiB, gpus: {model: L4, count: 1}}
        - id: nvl
          nvlink: multi-node
          nodes:
            - {name: tray, count: 2, cpu: 8, memory: 64GiB, gpus: {model: GB200, count: 4}}
    - id: h2
      country: SN
      racks:
        - id: s1
          nodes:
            - {name: x, cpu: 8, memory: 64GiB, gpus: {model: L4, count: 2}}
)";

class TopologyTest : public ::testing::Test {
 protected:
  TopologyTest() : topo_(MustBuild(kFleet)) {}

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
  LinkClass D(std::string_view a, std::string_view b) const { return topo_.Distance(G(a), G(b)); }

  static GpuGrant Whole(GpuIdx g) { return {g, kWholeGpu, -1, -1}; }
  static GpuGrant Share(GpuIdx g, int64_t milli) { return {g, MilliGpu{milli}, -1, -1}; }
  static GpuGrant Mig(GpuIdx g, int shape, int start) { return {g, kWholeGpu, shape, start}; }

  AllocationId MustAllocate(std::vector<GpuGrant> grants, bool exclusive = false) {
    auto id = topo_.Allocate("test", std::move(grants), exclusive);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : AllocationId{};
  }
  Status TryAllocate(std::vector<GpuGrant> grants, bool exclusive = false) {
    auto id = topo_.Allocate("test", std::move(grants), exclusive);
    return id.ok() ? Status::Ok() : id.status();
  }
  int ShapeOf(std::string_view profile) const {
    auto s = FindMigShape(topo_.catalog().at(*topo_.catalog().Find("A100-SXM")), profile);
    EXPECT_TRUE(s.has_value()) << profile;
    return s.value_or(0);
  }

  Topology topo_;
};

// --- Structure ------------------------------------------------------------------------------------

TEST_F(TopologyTest, Structure) {
  EXPECT_EQ(topo_.hubs().size(), 2u);
  EXPECT_EQ(topo_.racks().size(), 4u);
  EXPECT_EQ(topo_.nodes().size(), 9u);
  EXPECT_EQ(topo_.gpus().size(), 8u + 8 + 8 + 4 + 2 + 1 + 8 + 2);
  // Every GPU is in exactly one domain, and the domain lists it.
  std::vector<int> seen(topo_.gpus().size(), 0);
  for (const NvlinkDomain& d : topo_.domains()) {
    for (GpuIdx g : d.gpus) {
      ++seen[g.value];
      EXPECT_EQ(topo_.gpu(g).domain.value,
                static_cast<uint32_t>(&d - topo_.domains().data()));
    }
  }
  for (int s : seen) EXPECT_EQ(s, 1);

  const NvlinkDomain& nvl = topo_.domain(topo_.gpu(G("nvl-tray01/gpu0")).domain);
  EXPECT_EQ(nvl.kind, DomainKind::kMultiNode);
  EXPECT_EQ(nvl.gpus.size(), 8u);
  EXPECT_FALSE(nvl.node.valid());
  EXPECT_EQ(topo_.domain(topo_.gpu(G("r1-pp/gpu3")).domain).kind, DomainKind::kBridge);
  EXPECT_EQ(topo_.domain(topo_.gpu(G("r1-pp/gpu3")).domain).gpus.size(), 2u);
  EXPECT_EQ(topo_.domain(topo_.gpu(G("r1-pc/gpu3")).domain).kind, DomainKind::kNone);
  EXPECT_EQ(topo_.domain(topo_.gpu(G("r1-pc/gpu3")).domain).gpus.size(), 1u);
  EXPECT_EQ(topo_.domain(topo_.gpu(G("r1-sw/gpu3")).domain).kind, DomainKind::kNvswitch);
  EXPECT_TRUE(topo_.gpu(G("r2-m/gpu1")).mig_enabled);
  EXPECT_FALSE(topo_.gpu(G("r2-a/gpu1")).mig_enabled);

  EXPECT_FALSE(topo_.FindGpu("r1-sw/gpu8").has_value());
  EXPECT_FALSE(topo_.FindGpu("r1-sw").has_value());
  EXPECT_FALSE(topo_.FindGpu("nope/gpu0").has_value());
  EXPECT_FALSE(topo_.FindHub("h3").has_value());
  EXPECT_EQ(topo_.hub(*topo_.FindHub("h2")).country, "SN");
}

// --- Link classes ---------------------------------------------------------------------------------

TEST_F(TopologyTest, DistanceSameGpuIsSelf) {
  EXPECT_EQ(D("r1-sw/gpu0", "r1-sw/gpu0"), LinkClass::kSelf);
}

TEST_F(TopologyTest, DistanceNvswitchDomain) {
  EXPECT_EQ(D("r1-sw/gpu0", "r1-sw/gpu7"), LinkClass::kNvlink);
  EXPECT_EQ(D("r1-sw/gpu2", "r1-sw/gpu5"), LinkClass::kNvlink);
}

TEST_F(TopologyTest, DistanceInsideAPairsNode) {
  // 8 GPUs, 2 PCIe switches (GPUs 0-3 and 4-7), 2 NUMA nodes, bridges 0-1, 2-3, ...
  EXPECT_EQ(D("r1-pp/gpu0", "r1-pp/gpu1"), LinkClass::kNvlink);
  EXPECT_EQ(D("r1-pp/gpu6", "r1-pp/gpu7"), LinkClass::kNvlink);
  EXPECT_EQ(D("r1-pp/gpu0", "r1-pp/gpu2"), LinkClass::kPcieSwitch);
  EXPECT_EQ(D("r1-pp/gpu1", "r1-pp/gpu3"), LinkClass::kPcieSwitch);
  EXPECT_EQ(D("r1-pp/gpu0", "r1-pp/gpu4"), LinkClass::kNode);
  EXPECT_EQ(D("r1-pp/gpu3", "r1-pp/gpu7"), LinkClass::kNode);
}

TEST_F(TopologyTest, DistanceInsideAPcieOnlyNode) {
  // 8 GPUs, 4 switches (pairs of GPUs), 2 host bridges (GPUs 0-3, 4-7), 1 NUMA node.
  EXPECT_EQ(D("r1-pc/gpu0", "r1-pc/gpu1"), LinkClass::kPcieSwitch);
  EXPECT_EQ(D("r1-pc/gpu0", "r1-pc/gpu2"), LinkClass::kHostBridge);
  EXPECT_EQ(D("r1-pc/gpu1", "r1-pc/gpu3"), LinkClass::kHostBridge);
  EXPECT_EQ(D("r1-pc/gpu0", "r1-pc/gpu4"), LinkClass::kNuma);
  EXPECT_EQ(D("r1-pc/gpu3", "r1-pc/gpu7"), LinkClass::kNuma);
  EXPECT_EQ(D("s1-x/gpu0", "s1-x/gpu1"), LinkClass::kPcieSwitch);
}

TEST_F(TopologyTest, DistanceAcrossNodesRacksAndHubs) {
  EXPECT_EQ(D("r1-sw/gpu0", "r1-pp/gpu0"), LinkClass::kRack);
  EXPECT_EQ(D("r1-pp/gpu7", "r1-pc/gpu0"), LinkClass::kRack);
  EXPECT_EQ(D("r2-a/gpu0", "r2-l4/gpu0"), LinkClass::kRack);
  EXPECT_EQ(D("r1-sw/gpu0", "r2-a/gpu0"), LinkClass::kHub);
  EXPECT_EQ(D("nvl-tray01/gpu0", "r2-a/gpu0"), LinkClass::kHub);
  EXPECT_EQ(D("r1-sw/gpu0", "s1-x/gpu0"), LinkClass::kWan);
  EXPECT_EQ(D("nvl-tray02/gpu3", "s1-x/gpu1"), LinkClass::kWan);
}

TEST_F(TopologyTest, DistanceAcrossTraysOfAMultiNodeRack) {
  EXPECT_EQ(D("nvl-tray01/gpu0", "nvl-tray02/gpu3"), LinkClass::kNvlink);
  EXPECT_EQ(D("nvl-tray01/gpu0", "nvl-tray01/gpu3"), LinkClass::kNvlink);
}

TEST_F(TopologyTest, DistanceIsSymmetric) {
  const size_t n = topo_.gpus().size();
  for (size_t a = 0; a < n; ++a) {
    for (size_t b = 0; b < n; ++b) {
      ASSERT_EQ(topo_.Distance(GpuIdx(a), GpuIdx(b)), topo_.Distance(GpuIdx(b), GpuIdx(a)));
      ASSERT_EQ(topo_.Distance(GpuIdx(a), GpuIdx(b)) == LinkClass::kSelf, a == b);
    }
  }
}

TEST_F(TopologyTest, WanLinks) {
  Topology topo = MustBuild(R"(  hubs:
    - {id: a, country: MA, racks: []}
    - {id: b, country: SN, racks: []}
    - {id: c, country: FR, racks: []}
  wanLinks:
    - {from: a, to: b, latencyMs: 12, bandwidthGbps: 40}
)");
  const HubIdx a = *topo.FindHub("a"), b = *topo.FindHub("b"), c = *topo.FindHub("c");
  ASSERT_TRUE(topo.wan_link(b, a).has_value());
  EXPECT_DOUBLE_EQ(topo.wan_link(b, a)->latency_ms, 12);
  EXPECT_FALSE(topo.wan_link(a, c).has_value());
  EXPECT_FALSE(topo.AddWanLink(a, a, {1, 1}).ok());
  EXPECT_EQ(topo.AddWanLink(b, a, {1, 1}).code(), Code::kAlreadyExists);
  EXPECT_TRUE(topo.AddWanLink(c, a, {7, 1}).ok());
  EXPECT_DOUBLE_EQ(topo.wan_link(a, c)->latency_ms, 7);
}

TEST_F(TopologyTest, WanPathTakesTheLeastLatencyChainOfLinks) {
  // a-b direct is slow; a-c-b is faster. d is joined to nothing.
  Topology topo = MustBuild(R"(  hubs:
    - {id: a, country: MA, racks: []}
    - {id: b, country: SN, racks: []}
    - {id: c, country: FR, racks: []}
    - {id: d, country: ES, racks: []}
  wanLinks:
    - {from: a, to: b, latencyMs: 50, bandwidthGbps: 100, energyKwhPerGB: 0.001}
    - {from: a, to: c, latencyMs: 10, bandwidthGbps: 40, energyKwhPerGB: 0.002}
    - {from: c, to: b, latencyMs: 15, bandwidthGbps: 10, energyKwhPerGB: 0.003}
)");
  const HubIdx a = *topo.FindHub("a"), b = *topo.FindHub("b"), c = *topo.FindHub("c"),
               d = *topo.FindHub("d");
  auto ab = topo.WanPath(a, b);
  ASSERT_TRUE(ab.has_value());
  EXPECT_DOUBLE_EQ(ab->latency_ms, 25);
  EXPECT_DOUBLE_EQ(ab->bandwidth_gbps, 10);  // the narrowest hop
  EXPECT_DOUBLE_EQ(ab->energy_kwh_per_gb, 0.005);
  EXPECT_EQ(ab->hops, 2);
  auto ba = topo.WanPath(b, a);
  ASSERT_TRUE(ba.has_value());
  EXPECT_DOUBLE_EQ(ba->latency_ms, 25);
  auto ac = topo.WanPath(a, c);
  ASSERT_TRUE(ac.has_value());
  EXPECT_EQ(ac->hops, 1);
  EXPECT_DOUBLE_EQ(ac->latency_ms, 10);
  auto aa = topo.WanPath(a, a);
  ASSERT_TRUE(aa.has_value());
  EXPECT_EQ(aa->hops, 0);
  EXPECT_DOUBLE_EQ(aa->latency_ms, 0);
  EXPECT_DOUBLE_EQ(aa->energy_kwh_per_gb, 0);
  EXPECT_TRUE(std::isinf(aa->bandwidth_gbps));
  EXPECT_FALSE(topo.WanPath(a, d).has_value());
  EXPECT_FALSE(topo.WanPath(d, b).has_value());
  const auto from_c = topo.WanRoutesFrom(c);
  ASSERT_EQ(from_c.size(), 4u);
  EXPECT_DOUBLE_EQ(from_c[b.value]->latency_ms, 15);
  EXPECT_DOUBLE_EQ(from_c[a.value]->latency_ms, 10);
  EXPECT_FALSE(from_c[d.value].has_value());
}

// --- Allocate / Release ---------------------------------------------------------------------------

TEST_F(TopologyTest, AllocateAndRelease) {
  const uint64_t gen = topo_.generation();
  const AllocationId id = MustAllocate({Whole(G("r1-sw/gpu0")), Whole(G("r1-sw/gpu1"))});
  EXPECT_GT(topo_.generation(), gen);
  EXPECT_FALSE(topo_.Idle(G("r1-sw/gpu0")));
  EXPECT_EQ(topo_.gpu(G("r1-sw/gpu0")).used_milli, 1000);
  EXPECT_EQ(topo_.node(N("r1-sw")).busy_gpus, 2);
  const Allocation* alloc = topo_.FindAllocation(id);
  ASSERT_NE(alloc, nullptr);
  EXPECT_EQ(alloc->owner, "test");
  EXPECT_EQ(alloc->grants.size(), 2u);
  EXPECT_FALSE(alloc->exclusive_nodes);
  EXPECT_EQ(topo_.allocations().size(), 1u);

  ASSERT_TRUE(topo_.Release(id).ok());
  EXPECT_TRUE(topo_.Idle(G("r1-sw/gpu0")));
  EXPECT_EQ(topo_.node(N("r1-sw")).busy_gpus, 0);
  EXPECT_EQ(topo_.FindAllocation(id), nullptr);
  EXPECT_EQ(topo_.Release(id).code(), Code::kNotFound);
  EXPECT_EQ(topo_.Release(AllocationId{12345}).code(), Code::kNotFound);
}

TEST_F(TopologyTest, AllocationIdsAreNeverReused) {
  const AllocationId a = MustAllocate({Whole(G("r1-sw/gpu0"))});
  ASSERT_TRUE(topo_.Release(a).ok());
  EXPECT_FALSE(topo_.Allocate("x", {Whole(G("r1-sw/gpu0")), Whole(G("r1-sw/gpu0"))}, false).ok());
  const AllocationId b = MustAllocate({Whole(G("r1-sw/gpu0"))});
  const AllocationId c = MustAllocate({Whole(G("r1-sw/gpu1"))});
  EXPECT_NE(a, b);
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_NE(a.value, 0u);
}

TEST_F(TopologyTest, EmptyAllocationIsRefused) {
  auto id = topo_.Allocate("x", {}, false);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), Code::kInvalidArgument);
}

TEST_F(TopologyTest, GangIsAllOrNothingWhenTheLastGrantIsInvalid) {
  const uint64_t gen = topo_.generation();
  for (bool exclusive : {false, true}) {
    SCOPED_TRACE(exclusive);
    auto id = topo_.Allocate("gang",
                             {Whole(G("r1-sw/gpu0")), Whole(G("r1-sw/gpu1")),
                              Share(G("r1-pc/gpu0"), 500), Whole(GpuIdx(uint32_t{999'999}))},
                             exclusive);
    ASSERT_FALSE(id.ok());
    EXPECT_EQ(id.status().code(), Code::kInvalidArgument);
    for (const Gpu& g : topo_.gpus()) {
      EXPECT_EQ(g.used_milli, 0) << g.id;
      EXPECT_EQ(g.mig_mask, 0) << g.id;
    }
    for (const Node& n : topo_.nodes()) {
      EXPECT_EQ(n.busy_gpus, 0) << n.id;
      EXPECT_EQ(n.exclusive_owner, 0u) << n.id;
    }
    EXPECT_THAT(topo_.allocations(), IsEmpty());
  }
  EXPECT_EQ(topo_.generation(), gen);
  // A default (invalid) index is refused too.
  EXPECT_FALSE(topo_.Allocate("x", {Whole(G("r1-sw/gpu0")), Whole(GpuIdx())}, true).ok());
  EXPECT_TRUE(topo_.Idle(G("r1-sw/gpu0")));
  EXPECT_EQ(topo_.node(N("r1-sw")).exclusive_owner, 0u);
}

TEST_F(TopologyTest, GangIsAllOrNothingWhenTheLastGpuIsTaken) {
  const AllocationId held = MustAllocate({Whole(G("r1-sw/gpu7"))});
  auto id = topo_.Allocate("gang", {Whole(G("r1-sw/gpu0")), Whole(G("r1-sw/gpu1")),
                                    Whole(G("r1-sw/gpu7"))},
                           false);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), Code::kFailedPrecondition);
  EXPECT_TRUE(topo_.Idle(G("r1-sw/gpu0")));
  EXPECT_TRUE(topo_.Idle(G("r1-sw/gpu1")));
  EXPECT_EQ(topo_.node(N("r1-sw")).busy_gpus, 1);
  EXPECT_EQ(topo_.allocations().size(), 1u);
  EXPECT_NE(topo_.FindAllocation(held), nullptr);
}

TEST_F(TopologyTest, DoubleAllocationOfAWholeGpuIsRefused) {
  MustAllocate({Whole(G("r1-sw/gpu0"))});
  EXPECT_EQ(TryAllocate({Whole(G("r1-sw/gpu0"))}).code(), Code::kFailedPrecondition);
  EXPECT_EQ(TryAllocate({Share(G("r1-sw/gpu0"), 1)}).code(), Code::kFailedPrecondition);
  // The same GPU twice in one gang.
  EXPECT_EQ(TryAllocate({Whole(G("r1-sw/gpu1")), Whole(G("r1-sw/gpu1"))}).code(),
            Code::kFailedPrecondition);
  EXPECT_TRUE(topo_.Idle(G("r1-sw/gpu1")));
}

TEST_F(TopologyTest, FractionalSharesAddUpToAtMostOneGpu) {
  const GpuIdx g = G("r1-pc/gpu0");
  const AllocationId a = MustAllocate({Share(g, 300)});
  MustAllocate({Share(g, 300)});
  MustAllocate({Share(g, 300)});
  EXPECT_EQ(topo_.gpu(g).used_milli, 900);
  EXPECT_EQ(TryAllocate({Share(g, 300)}).code(), Code::kFailedPrecondition);
  EXPECT_EQ(TryAllocate({Whole(g)}).code(), Code::kFailedPrecondition);
  MustAllocate({Share(g, 100)});
  EXPECT_EQ(topo_.gpu(g).used_milli, 1000);
  EXPECT_EQ(TryAllocate({Share(g, 1)}).code(), Code::kFailedPrecondition);
  EXPECT_EQ(topo_.node(N("r1-pc")).busy_gpus, 1) << "one GPU, however many shares";
  ASSERT_TRUE(topo_.Release(a).ok());
  EXPECT_EQ(topo_.gpu(g).used_milli, 700);
  MustAllocate({Share(g, 300)});
  // Two shares of the same GPU in one gang count together.
  const GpuIdx h = G("r1-pc/gpu1");
  EXPECT_FALSE(TryAllocate({Share(h, 600), Share(h, 600)}).ok());
  EXPECT_EQ(topo_.gpu(h).used_milli, 0);
  MustAllocate({Share(h, 500), Share(h, 500)});
  EXPECT_EQ(topo_.gpu(h).used_milli, 1000);
}

TEST_F(TopologyTest, SharesOutsideTheRangeAreRefused) {
  const GpuIdx g = G("r1-pc/gpu0");
  EXPECT_EQ(TryAllocate({Share(g, 0)}).code(), Code::kInvalidArgument);
  EXPECT_EQ(TryAllocate({Share(g, -100)}).code(), Code::kInvalidArgument);
  EXPECT_EQ(TryAllocate({Share(g, 1001)}).code(), Code::kInvalidArgument);
  EXPECT_TRUE(topo_.Idle(g));
}

TEST_F(TopologyTest, MigGrantsOnlyOnMigModeGpus) {
  const int g3 = ShapeOf("3g.40gb");
  Status st = TryAllocate({Mig(G("r2-a/gpu0"), g3, 0)});  // A100, not in MIG mode
  EXPECT_EQ(st.code(), Code::kFailedPrecondition);
  EXPECT_THAT(st.message(), HasSubstr("not in MIG mode"));
  EXPECT_FALSE(TryAllocate({Mig(G("r2-l4/gpu0"), g3, 0)}).ok());  // no MIG at all
  st = TryAllocate({Whole(G("r2-m/gpu0"))});
  EXPECT_EQ(st.code(), Code::kFailedPrecondition);
  EXPECT_THAT(st.message(), HasSubstr("MIG mode"));
  EXPECT_FALSE(TryAllocate({Share(G("r2-m/gpu0"), 500)}).ok());
  EXPECT_TRUE(topo_.Idle(G("r2-m/gpu0")));
}

TEST_F(TopologyTest, MigSlicesDoNotOverlap) {
  const GpuIdx g = G("r2-m/gpu0");
  const int g1 = ShapeOf("1g.10gb"), g3 = ShapeOf("3g.40gb"), g4 = ShapeOf("4g.40gb"),
            g7 = ShapeOf("7g.80gb");
  const AllocationId four = MustAllocate({Mig(g, g4, 0)});
  EXPECT_EQ(topo_.gpu(g).mig_mask, 0b0000'1111);
  EXPECT_EQ(topo_.gpu(g).used_milli, 0);
  EXPECT_FALSE(topo_.Idle(g));
  EXPECT_EQ(TryAllocate({Mig(g, g1, 2)}).code(), Code::kFailedPrecondition);
  EXPECT_EQ(TryAllocate({Mig(g, g3, 0)}).code(), Code::kFailedPrecondition);
  EXPECT_EQ(TryAllocate({Mig(g, g7, 0)}).code(), Code::kFailedPrecondition);
  const AllocationId three = MustAllocate({Mig(g, g3, 4)});
  EXPECT_EQ(topo_.gpu(g).mig_mask, 0xFF);
  EXPECT_EQ(TryAllocate({Mig(g, g1, 6)}).code(), Code::kFailedPrecondition);
  ASSERT_TRUE(topo_.Release(four).ok());
  EXPECT_EQ(topo_.gpu(g).mig_mask, 0b1111'0000);
  // Overlap inside one gang is refused and rolled back.
  EXPECT_FALSE(TryAllocate({Mig(g, g1, 0), Mig(g, g1, 1), Mig(g, g1, 1)}).ok());
  EXPECT_EQ(topo_.gpu(g).mig_mask, 0b1111'0000);
  MustAllocate({Mig(g, g1, 0), Mig(g, g1, 1), Mig(g, g1, 2), Mig(g, g1, 3)});
  EXPECT_EQ(topo_.gpu(g).mig_mask, 0xFF);
  ASSERT_TRUE(topo_.Release(three).ok());
  EXPECT_EQ(topo_.node(N("r2-m")).busy_gpus, 1);
}

TEST_F(TopologyTest, MigStartsMustBeValid) {
  const GpuIdx g = G("r2-m/gpu1");
  const int g2 = ShapeOf("2g.20gb"), g3 = ShapeOf("3g.40gb"), g7 = ShapeOf("7g.80gb");
  EXPECT_EQ(TryAllocate({Mig(g, g3, 2)}).code(), Code::kInvalidArgument);
  EXPECT_EQ(TryAllocate({Mig(g, g2, 1)}).code(), Code::kInvalidArgument);
  EXPECT_EQ(TryAllocate({Mig(g, g2, 6)}).code(), Code::kInvalidArgument);
  EXPECT_EQ(TryAllocate({Mig(g, g7, 1)}).code(), Code::kInvalidArgument);
  EXPECT_EQ(TryAllocate({Mig(g, g3, -1)}).code(), Code::kInvalidArgument);
  EXPECT_EQ(TryAllocate({Mig(g, g3, 8)}).code(), Code::kInvalidArgument);
  EXPECT_FALSE(TryAllocate({Mig(g, static_cast<int>(MigShapes().size()), 0)}).ok());
  EXPECT_TRUE(topo_.Idle(g));
  MustAllocate({Mig(g, g2, 4)});
  EXPECT_EQ(topo_.gpu(g).mig_mask, 0b0011'0000);
}

TEST_F(TopologyTest, ExclusiveAllocationBlocksTheNodeUntilReleased) {
  const AllocationId ex = MustAllocate({Whole(G("r2-a/gpu0"))}, /*exclusive=*/true);
  EXPECT_EQ(topo_.node(N("r2-a")).exclusive_owner, ex.value);
  Status st = TryAllocate({Whole(G("r2-a/gpu1"))});
  EXPECT_EQ(st.code(), Code::kFailedPrecondition);
  EXPECT_THAT(st.message(), HasSubstr("exclusively"));
  EXPECT_FALSE(TryAllocate({Share(G("r2-a/gpu2"), 100)}).ok());
  EXPECT_FALSE(TryAllocate({Whole(G("r2-a/gpu3"))}, true).ok());
  // A gang touching the held node fails as a whole.
  EXPECT_FALSE(TryAllocate({Whole(G("r2-l4/gpu0")), Whole(G("r2-a/gpu1"))}).ok());
  EXPECT_TRUE(topo_.Idle(G("r2-l4/gpu0")));
  // Other nodes are unaffected.
  MustAllocate({Whole(G("r1-sw/gpu0"))});

  ASSERT_TRUE(topo_.Release(ex).ok());
  EXPECT_EQ(topo_.node(N("r2-a")).exclusive_owner, 0u);
  MustAllocate({Whole(G("r2-a/gpu1"))});
}

TEST_F(TopologyTest, ExclusiveNeedsAnIdleNode) {
  MustAllocate({Whole(G("r2-a/gpu0"))});
  Status st = TryAllocate({Whole(G("r2-a/gpu1"))}, /*exclusive=*/true);
  EXPECT_EQ(st.code(), Code::kFailedPrecondition);
  EXPECT_THAT(st.message(), HasSubstr("not idle"));
  EXPECT_TRUE(topo_.Idle(G("r2-a/gpu1")));
  EXPECT_EQ(topo_.node(N("r2-a")).exclusive_owner, 0u);
  // Several GPUs of one idle node (and of two nodes) in one exclusive allocation are fine.
  const AllocationId ex =
      MustAllocate({Whole(G("r1-sw/gpu0")), Whole(G("r1-sw/gpu1")), Whole(G("r1-pc/gpu0"))}, true);
  EXPECT_EQ(topo_.node(N("r1-sw")).exclusive_owner, ex.value);
  EXPECT_EQ(topo_.node(N("r1-pc")).exclusive_owner, ex.value);
  EXPECT_TRUE(topo_.FindAllocation(ex)->exclusive_nodes);
}

TEST_F(TopologyTest, FailedGpusAndUnavailableNodesTakeNoWork) {
  topo_.SetGpuHealth(G("r1-sw/gpu0"), Health::kFailed);
  EXPECT_FALSE(topo_.Schedulable(G("r1-sw/gpu0"), true));
  EXPECT_EQ(TryAllocate({Whole(G("r1-sw/gpu0"))}).code(), Code::kFailedPrecondition);

  // Degraded GPUs are scheduled only when allowed, but Allocate itself accepts them.
  topo_.SetGpuHealth(G("r1-sw/gpu1"), Health::kDegraded);
  EXPECT_FALSE(topo_.Schedulable(G("r1-sw/gpu1"), false));
  EXPECT_TRUE(topo_.Schedulable(G("r1-sw/gpu1"), true));
  MustAllocate({Whole(G("r1-sw/gpu1"))});

  topo_.SetNodeState(N("r1-pc"), NodeState::kCordoned);
  EXPECT_FALSE(topo_.Schedulable(G("r1-pc/gpu0"), true));
  EXPECT_FALSE(TryAllocate({Whole(G("r1-pc/gpu0"))}).ok());
  topo_.SetNodeState(N("r1-pc"), NodeState::kUp);
  EXPECT_TRUE(topo_.Schedulable(G("r1-pc/gpu0"), false));
  MustAllocate({Whole(G("r1-pc/gpu0"))});
}

TEST(TopologyHealthTest, DegradedOrFailedNodesFromTheSpec) {
  Topology topo = MustBuild(R"(  hubs:
    - id: h
      country: MA
      racks:
        - id: r
          nodes:
            - {name: d, cpu: 8, memory: 64GiB, health: degraded, gpus: {model: L4, count: 1}}
            - {name: f, cpu: 8, memory: 64GiB, health: failed, gpus: {model: L4, count: 1}}
)");
  const GpuIdx d = *topo.FindGpu("r-d/gpu0");
  const GpuIdx f = *topo.FindGpu("r-f/gpu0");
  EXPECT_FALSE(topo.Schedulable(d, false));
  EXPECT_TRUE(topo.Schedulable(d, true));
  EXPECT_FALSE(topo.Schedulable(f, true));
  EXPECT_FALSE(topo.Allocate("x", {{f}}, false).ok());
}

// --- Live updates ---------------------------------------------------------------------------------

TEST_F(TopologyTest, FailedGpuReturnsTheAllocationsOnIt) {
  const AllocationId a = MustAllocate({Whole(G("r1-sw/gpu0"))});
  const AllocationId b = MustAllocate({Whole(G("r1-sw/gpu1")), Whole(G("r1-sw/gpu2"))});
  const AllocationId c = MustAllocate({Share(G("r1-pc/gpu0"), 500)});
  const AllocationId d = MustAllocate({Share(G("r1-pc/gpu0"), 250)});
  EXPECT_THAT(topo_.SetGpuHealth(G("r1-sw/gpu2"), Health::kFailed), ElementsAre(b));
  EXPECT_EQ(topo_.gpu(G("r1-sw/gpu2")).health, Health::kFailed);
  EXPECT_THAT(topo_.SetGpuHealth(G("r1-sw/gpu2"), Health::kFailed), IsEmpty()) << "no change";
  EXPECT_THAT(topo_.SetGpuHealth(G("r1-sw/gpu0"), Health::kDegraded), IsEmpty());
  EXPECT_THAT(topo_.SetGpuHealth(G("r1-sw/gpu0"), Health::kFailed), ElementsAre(a));
  EXPECT_THAT(topo_.SetGpuHealth(G("r1-pc/gpu0"), Health::kFailed), ElementsAre(c, d));
  EXPECT_THAT(topo_.SetGpuHealth(G("r1-pc/gpu5"), Health::kFailed), IsEmpty());
  // The allocations stay until released; releasing frees the GPU.
  EXPECT_NE(topo_.FindAllocation(b), nullptr);
  ASSERT_TRUE(topo_.Release(b).ok());
  EXPECT_TRUE(topo_.Idle(G("r1-sw/gpu2")));
  topo_.SetGpuHealth(G("r1-sw/gpu2"), Health::kHealthy);
  MustAllocate({Whole(G("r1-sw/gpu2"))});
}

TEST_F(TopologyTest, NodeDownReturnsTheAllocationsOnTheNode) {
  const AllocationId a = MustAllocate({Whole(G("r1-sw/gpu0"))});
  const AllocationId b = MustAllocate({Whole(G("r1-sw/gpu5")), Whole(G("r1-pc/gpu0"))});
  const AllocationId c = MustAllocate({Whole(G("r1-pc/gpu1"))});
  EXPECT_THAT(topo_.SetNodeState(N("r1-sw"), NodeState::kCordoned), IsEmpty());
  EXPECT_THAT(topo_.SetNodeState(N("r1-sw"), NodeState::kDown), ElementsAre(a, b));
  EXPECT_EQ(topo_.node(N("r1-sw")).state, NodeState::kDown);
  EXPECT_THAT(topo_.SetNodeState(N("r1-sw"), NodeState::kDown), IsEmpty()) << "no change";
  EXPECT_THAT(topo_.SetNodeState(N("r1-pc"), NodeState::kDown), ElementsAre(b, c));
  EXPECT_THAT(topo_.SetNodeState(N("r2-a"), NodeState::kDown), IsEmpty());
  EXPECT_THAT(topo_.SetNodeState(N("r1-sw"), NodeState::kUp), IsEmpty());
  EXPECT_TRUE(topo_.Schedulable(G("r1-sw/gpu1"), false));
}

TEST_F(TopologyTest, RemoveNode) {
  const AllocationId a = MustAllocate({Whole(G("r1-pc/gpu0"))});
  const GpuIdx g = G("r1-pc/gpu3");
  const NodeIdx n = N("r1-pc");
  EXPECT_THAT(topo_.RemoveNode(n), ElementsAre(a));
  EXPECT_EQ(topo_.node(n).state, NodeState::kRemoved);
  EXPECT_EQ(topo_.node(n).id, "r1-pc") << "the index stays valid";
  EXPECT_FALSE(topo_.FindNode("r1-pc").has_value());
  EXPECT_FALSE(topo_.FindGpu("r1-pc/gpu3").has_value());
  EXPECT_FALSE(topo_.Schedulable(g, true));
  EXPECT_FALSE(TryAllocate({Whole(g)}).ok());
  EXPECT_THAT(topo_.RemoveNode(n), IsEmpty()) << "removing twice is a no-op";
  EXPECT_THAT(topo_.SetNodeState(n, NodeState::kUp), IsEmpty());
  EXPECT_EQ(topo_.node(n).state, NodeState::kRemoved) << "a removed node does not come back up";
  ASSERT_TRUE(topo_.Release(a).ok());
}

NodeDef Def(const Topology& topo, std::string id, std::string_view model, int gpus,
            NodeNvlink nvlink = NodeNvlink::kNone) {
  NodeDef def;
  def.id = std::move(id);
  def.cpu = MilliCpu{8000};
  def.memory = GiB(64);
  def.model = *topo.catalog().Find(model);
  def.gpu_count = gpus;
  def.gpu_memory = topo.catalog().at(def.model).memory;
  def.nvlink = nvlink;
  return def;
}

TEST_F(TopologyTest, AddNodeToAMultiNodeRackJoinsItsDomain) {
  const GpuIdx first = G("nvl-tray01/gpu0");
  const DomainIdx dom = topo_.gpu(first).domain;
  const size_t domains = topo_.domains().size();
  const RackIdx rack = topo_.gpu(first).rack;
  auto added = topo_.AddNode(rack, Def(topo_, "nvl-tray03", "GB200", 4));
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_EQ(topo_.domains().size(), domains) << "no new domain";
  EXPECT_EQ(topo_.domain(dom).gpus.size(), 12u);
  const GpuIdx g = G("nvl-tray03/gpu2");
  EXPECT_EQ(topo_.gpu(g).domain, dom);
  EXPECT_EQ(topo_.Distance(first, g), LinkClass::kNvlink);
  EXPECT_EQ(topo_.rack(rack).nodes.size(), 3u);
  EXPECT_EQ(topo_.node(*added).hub, topo_.gpu(first).hub);
}

TEST_F(TopologyTest, AddNodeWithNvswitchGetsItsOwnDomain) {
  const RackIdx rack = topo_.gpu(G("r1-sw/gpu0")).rack;
  const size_t domains = topo_.domains().size();
  auto added = topo_.AddNode(rack, Def(topo_, "r1-new", "H100-SXM", 8, NodeNvlink::kNvswitch));
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_EQ(topo_.domains().size(), domains + 1);
  EXPECT_EQ(D("r1-new/gpu0", "r1-new/gpu7"), LinkClass::kNvlink);
  EXPECT_EQ(D("r1-new/gpu0", "r1-sw/gpu0"), LinkClass::kRack);
  MustAllocate({Whole(G("r1-new/gpu3"))});
}

TEST_F(TopologyTest, AddNodeRefusesBadDefinitions) {
  const RackIdx rack = topo_.gpu(G("r1-sw/gpu0")).rack;
  EXPECT_EQ(topo_.AddNode(rack, Def(topo_, "r1-sw", "L4", 1)).status().code(),
            Code::kAlreadyExists);
  NodeDef mig = Def(topo_, "r1-mig", "L4", 1);
  mig.mig_enabled = true;
  EXPECT_EQ(topo_.AddNode(rack, mig).status().code(), Code::kInvalidArgument);
  EXPECT_FALSE(topo_.AddNode(rack, Def(topo_, "r1-odd", "H100-PCIe", 3, NodeNvlink::kPairs)).ok());
  NodeDef bad_health = Def(topo_, "r1-bh", "L4", 2);
  bad_health.gpu_health[2] = Health::kFailed;
  EXPECT_FALSE(topo_.AddNode(rack, bad_health).ok());
  NodeDef bad_pcie = Def(topo_, "r1-bp", "L4", 2);
  bad_pcie.pcie_switches = 3;
  EXPECT_FALSE(topo_.AddNode(rack, bad_pcie).ok());
  EXPECT_FALSE(topo_.FindNode("r1-mig").has_value());
  EXPECT_FALSE(topo_.FindNode("r1-odd").has_value());
  EXPECT_EQ(topo_.nodes().size(), 9u);
}

TEST_F(TopologyTest, SetMigMode) {
  // A model without MIG.
  EXPECT_EQ(topo_.SetMigMode(G("r2-l4/gpu0"), true).code(), Code::kFailedPrecondition);
  EXPECT_FALSE(topo_.gpu(G("r2-l4/gpu0")).mig_enabled);
  // A busy MIG-capable GPU.
  const AllocationId a = MustAllocate({Whole(G("r2-a/gpu0"))});
  EXPECT_EQ(topo_.SetMigMode(G("r2-a/gpu0"), true).code(), Code::kFailedPrecondition);
  EXPECT_FALSE(topo_.gpu(G("r2-a/gpu0")).mig_enabled);
  ASSERT_TRUE(topo_.Release(a).ok());
  // Idle: fine, and whole grants stop while MIG grants start.
  ASSERT_TRUE(topo_.SetMigMode(G("r2-a/gpu0"), true).ok());
  EXPECT_TRUE(topo_.gpu(G("r2-a/gpu0")).mig_enabled);
  EXPECT_FALSE(TryAllocate({Whole(G("r2-a/gpu0"))}).ok());
  const AllocationId m = MustAllocate({Mig(G("r2-a/gpu0"), ShapeOf("2g.20gb"), 0)});
  EXPECT_EQ(topo_.SetMigMode(G("r2-a/gpu0"), false).code(), Code::kFailedPrecondition);
  ASSERT_TRUE(topo_.Release(m).ok());
  ASSERT_TRUE(topo_.SetMigMode(G("r2-a/gpu0"), false).ok());
  MustAllocate({Whole(G("r2-a/gpu0"))});
  // Asking for the mode a GPU is already in is fine.
  EXPECT_TRUE(topo_.SetMigMode(G("r2-m/gpu0"), true).ok());
}

}  // namespace
}  // namespace harch

namespace harch {
namespace {

TEST(TopologyNodeShareTest, CpuAndMemoryAreAllOrNothingAndReleased) {
  Topology topo = MustBuild(R"(  hubs:
    - id: h
      country: MA
      racks:
        - id: r
          nodes:
            - {name: n, cpu: 64, memory: 256GiB, gpus: {model: L40S, count: 4}}
)");
  const NodeIdx n = *topo.FindNode("r-n");
  const GpuIdx g0 = *topo.FindGpu("r-n/gpu0"), g1 = *topo.FindGpu("r-n/gpu1");
  auto a = topo.Allocate("a", {{g0}}, false, {{n, MilliCpu{48'000}, GiB(100)}});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(topo.node(n).used_cpu.value, 48'000);
  // 48 + 32 cores > 64: refused, and the GPU it asked for stays free.
  auto b = topo.Allocate("b", {{g1}}, false, {{n, MilliCpu{32'000}, GiB(10)}});
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("CPU"), std::string::npos) << b.status().message();
  EXPECT_TRUE(topo.Idle(g1));
  EXPECT_EQ(topo.node(n).used_cpu.value, 48'000);
  ASSERT_TRUE(topo.Release(*a).ok());
  EXPECT_EQ(topo.node(n).used_cpu.value, 0);
  EXPECT_EQ(topo.node(n).used_memory.value, 0);
  EXPECT_TRUE(topo.Allocate("b", {{g1}}, false, {{n, MilliCpu{32'000}, GiB(10)}}).ok());
}

TEST(TopologyNodeShareTest, PlannerCountsReplicasByHostResources) {
  Topology topo = MustBuild(R"(  hubs:
    - id: h
      country: MA
      racks:
        - id: r
          nodes:
            - {name: n, count: 2, cpu: 64, memory: 256GiB, gpus: {model: L40S, count: 4}}
)");
  PlacementRequest req;
  req.count = 3;
  req.cpu_per_replica = MilliCpu{30'000};  // two replicas per node by CPU
  auto out = FindPlacement(topo, req);
  ASSERT_TRUE(out.ok() && out->fits());
  EXPECT_EQ(out->plan->cost.nodes, 2);
  ASSERT_EQ(out->plan->node_shares.size(), 2u);
  int64_t cpu = 0;
  for (const auto& s : out->plan->node_shares) cpu += s.cpu.value;
  EXPECT_EQ(cpu, 90'000);
  req.count = 5;  // 2 + 2 by CPU, though 8 GPUs are free
  out = FindPlacement(topo, req);
  ASSERT_TRUE(out.ok());
  EXPECT_FALSE(out->fits());
  EXPECT_TRUE(out->no_fit.permanent);
}

}  // namespace
}  // namespace harch

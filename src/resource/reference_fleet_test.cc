// Tests against the reference fleet, examples/fleets/reference.yaml (1,798 GPUs in three hubs).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "base/files.h"
#include "resource/fleet_spec.h"
#include "resource/placement.h"
#include "resource/summary.h"
#include "resource/topology.h"

namespace harch {
namespace {

using ::testing::HasSubstr;

constexpr char kRelative[] = "examples/fleets/reference.yaml";

// $HARCH_SOURCE_DIR/examples/fleets/reference.yaml (set by CTest), else the same path relative to
// the working directory or one of its parents.
std::optional<std::string> FindReference() {
  namespace fs = std::filesystem;
  if (const char* src = std::getenv("HARCH_SOURCE_DIR"); src != nullptr && *src != '\0') {
    const fs::path p = fs::path(src) / kRelative;
    if (fs::exists(p)) return p.string();
  }
  std::error_code ec;
  fs::path dir = fs::current_path(ec);
  for (int up = 0; up < 6 && !ec; ++up) {
    const fs::path p = dir / kRelative;
    if (fs::exists(p)) return p.string();
    if (!dir.has_parent_path() || dir.parent_path() == dir) break;
    dir = dir.parent_path();
  }
  return std::nullopt;
}

class ReferenceFleetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = FindReference();
    if (!path_) {
      GTEST_SKIP() << "cannot find " << kRelative
                   << ": set HARCH_SOURCE_DIR to the source tree (CTest does) or run from it";
    }
    auto topo = LoadTopologyFile(*path_);
    ASSERT_TRUE(topo.ok()) << topo.status().ToString();
    topo_.emplace(std::move(topo).value());
  }

  const Topology& topo() const { return *topo_; }
  Topology& mutable_topo() { return *topo_; }
  HubIdx Hub(std::string_view id) const {
    auto h = topo_->FindHub(id);
    EXPECT_TRUE(h.has_value()) << id;
    return h.value_or(HubIdx());
  }
  // Domains of `kind` and size `gpus` in hub `hub`.
  int CountDomains(std::string_view hub, DomainKind kind, size_t gpus) const {
    int n = 0;
    for (const NvlinkDomain& d : topo_->domains()) {
      n += d.hub == Hub(hub) && d.kind == kind && d.gpus.size() == gpus ? 1 : 0;
    }
    return n;
  }
  PlacementOutcome Place(const PlacementRequest& req) const {
    auto out = FindPlacement(*topo_, req);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? *out : PlacementOutcome{};
  }

  std::optional<std::string> path_;
  std::optional<Topology> topo_;
};

TEST_F(ReferenceFleetTest, Totals) {
  EXPECT_EQ(topo().gpus().size(), 1798u);
  EXPECT_EQ(topo().nodes().size(), 18u + 104 + 64 + 32 + 24 + 62);
  EXPECT_EQ(topo().hubs().size(), 3u);
  EXPECT_EQ(topo().racks().size(), 1u + 13 + 7 + 1 + 4 + 3 + 2);
}

TEST_F(ReferenceFleetTest, Hubs) {
  std::map<std::string, int> gpus;
  for (const Gpu& g : topo().gpus()) ++gpus[topo().hub(g.hub).id];
  EXPECT_EQ(gpus, (std::map<std::string, int>{{"dakhla", 904}, {"tangier", 640}, {"dakar", 254}}));
  EXPECT_EQ(topo().hub(Hub("dakhla")).country, "MA");
  EXPECT_EQ(topo().hub(Hub("tangier")).country, "MA");
  EXPECT_EQ(topo().hub(Hub("dakar")).country, "SN");
  EXPECT_EQ(topo().hub(Hub("dakhla")).carbon_zone, "ES");
  EXPECT_TRUE(topo().hub(Hub("dakar")).carbon_zone_stand_in);
  EXPECT_DOUBLE_EQ(topo().hub(Hub("tangier")).pue, 1.25);
  ASSERT_TRUE(topo().wan_link(Hub("dakar"), Hub("tangier")).has_value());
  EXPECT_DOUBLE_EQ(topo().wan_link(Hub("dakar"), Hub("tangier"))->latency_ms, 45);
  EXPECT_DOUBLE_EQ(topo().wan_link(Hub("dakhla"), Hub("dakar"))->bandwidth_gbps, 40);
}

TEST_F(ReferenceFleetTest, NvlinkDomains) {
  EXPECT_EQ(CountDomains("dakhla", DomainKind::kMultiNode, 72), 1);
  EXPECT_EQ(CountDomains("dakhla", DomainKind::kNvswitch, 8), 104);
  EXPECT_EQ(CountDomains("tangier", DomainKind::kNvswitch, 8), 64);
  EXPECT_EQ(CountDomains("tangier", DomainKind::kNone, 1), 128);
  EXPECT_EQ(CountDomains("dakar", DomainKind::kBridge, 2), 96);
  EXPECT_EQ(CountDomains("dakar", DomainKind::kNone, 1), 62);
  // Nothing else.
  EXPECT_EQ(topo().domains().size(), 1u + 104 + 64 + 128 + 96 + 62);

  auto tray = topo().FindGpu("dakhla-nvl72-tray18/gpu3");
  auto other = topo().FindGpu("dakhla-nvl72-tray01/gpu0");
  ASSERT_TRUE(tray && other);
  EXPECT_EQ(topo().Distance(*tray, *other), LinkClass::kNvlink);
}

TEST_F(ReferenceFleetTest, MigModeGpus) {
  std::map<std::string, int> mig;
  for (const Gpu& g : topo().gpus()) mig[topo().hub(g.hub).id] += g.mig_enabled ? 1 : 0;
  EXPECT_EQ(mig["tangier"], 64);
  EXPECT_EQ(mig["dakhla"], 0);
  EXPECT_EQ(mig["dakar"], 0);
  auto n = topo().FindNode("tangier-a100-mig-n05");
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(topo().node(*n).labels.at("harchos.io/mig"), "enabled");
  EXPECT_EQ(topo().node(*n).labels.at("harchos.io/system"), "hgx-a100");
}

TEST_F(ReferenceFleetTest, NodeIdsAndModels) {
  for (const char* id : {"dakhla-nvl72-tray01", "dakhla-nvl72-tray18", "dakhla-h100-01-n01",
                         "dakhla-h100-13-n08", "tangier-a100-07-n08", "tangier-l40s-04-n08",
                         "dakar-h100p-03-n08", "dakar-l4-02-n31"}) {
    EXPECT_TRUE(topo().FindNode(id).has_value()) << id;
  }
  EXPECT_FALSE(topo().FindNode("dakhla-h100-14-n01").has_value());
  std::map<std::string, int> models;
  for (size_t g = 0; g < topo().gpus().size(); ++g) ++models[topo().model_of(GpuIdx(g)).name];
  EXPECT_EQ(models, (std::map<std::string, int>{{"A100-SXM", 512},
                                                {"GB200", 72},
                                                {"H100-PCIe", 192},
                                                {"H100-SXM", 832},
                                                {"L4", 62},
                                                {"L40S", 128}}));
}

TEST_F(ReferenceFleetTest, Summary) {
  const FleetSummary s = Summarize(topo());
  EXPECT_EQ(s.nodes, 304);
  EXPECT_EQ(s.gpus.total, 1798);
  EXPECT_EQ(s.gpus.free, 1798);
  EXPECT_EQ(s.gpus.stranded, 0);
  ASSERT_EQ(s.hubs.size(), 3u);
  EXPECT_EQ(s.hubs[0].gpus.total, 904);
  EXPECT_EQ(s.hubs[0].largest_free_domain, 72);
  EXPECT_EQ(s.hubs[1].mig_gpus, 64);
  EXPECT_EQ(s.hubs[2].largest_free_domain, 2);
}

TEST_F(ReferenceFleetTest, SixtyFourGpusLandInTheNvl72Domain) {
  PlacementRequest req;
  req.count = 64;
  for (NvlinkPolicy policy : {NvlinkPolicy::kPreferred, NvlinkPolicy::kRequired}) {
    req.nvlink = policy;
    const PlacementOutcome out = Place(req);
    ASSERT_TRUE(out.fits()) << out.no_fit.reason;
    ASSERT_EQ(out.plan->grants.size(), 64u);
    std::set<GpuIdx> distinct;
    for (const GpuGrant& g : out.plan->grants) {
      distinct.insert(g.gpu);
      EXPECT_EQ(topo().domain(topo().gpu(g.gpu).domain).id, "dakhla-nvl72/nvl");
    }
    EXPECT_EQ(distinct.size(), 64u);
    EXPECT_EQ(out.plan->cost.span, LinkClass::kNvlink);
    EXPECT_EQ(out.plan->cost.domains, 1);
    EXPECT_EQ(out.plan->cost.nodes, 16) << "the fewest 4-GPU trays";
  }
}

TEST_F(ReferenceFleetTest, SeventyThreeGpusCannotShareADomain) {
  PlacementRequest req;
  req.count = 73;
  req.nvlink = NvlinkPolicy::kRequired;
  const PlacementOutcome out = Place(req);
  ASSERT_FALSE(out.fits());
  EXPECT_EQ(out.no_fit.constraint, "nvlink");
  EXPECT_TRUE(out.no_fit.permanent);
  EXPECT_THAT(out.no_fit.reason, HasSubstr("72"));
}

TEST_F(ReferenceFleetTest, SenegalHasNoEightGpuDomain) {
  PlacementRequest req;
  req.count = 8;
  req.jurisdiction = {"SN"};
  req.nvlink = NvlinkPolicy::kRequired;
  PlacementOutcome out = Place(req);
  ASSERT_FALSE(out.fits());
  EXPECT_EQ(out.no_fit.constraint, "nvlink");
  EXPECT_TRUE(out.no_fit.permanent);
  EXPECT_THAT(out.no_fit.reason, HasSubstr("has 2"));
  // Without the domain requirement, 8 fit in one Dakar node.
  req.nvlink = NvlinkPolicy::kPreferred;
  out = Place(req);
  ASSERT_TRUE(out.fits());
  for (const GpuGrant& g : out.plan->grants) EXPECT_EQ(topo().hub(topo().gpu(g.gpu).hub).id, "dakar");
  EXPECT_EQ(out.plan->cost.nodes, 1);
}

TEST_F(ReferenceFleetTest, IssueExampleLargestFreeDomainHasSix) {
  // Take 2 GPUs on every 8-GPU H100 node in Morocco; then 8 H100s in one domain there cannot fit,
  // and the answer names the largest free domain: 6 GPUs.
  int taken = 0;
  for (const Node& node : topo().nodes()) {
    if (node.gpus.size() != 8 || topo().hub(node.hub).country != "MA") continue;
    if (topo().model_of(node.gpus[0]).family != "H100") continue;
    ASSERT_TRUE(mutable_topo().Allocate("filler", {{node.gpus[0]}, {node.gpus[1]}}, false).ok());
    ++taken;
  }
  EXPECT_EQ(taken, 104);
  PlacementRequest req;
  req.count = 8;
  req.models = {"H100"};
  req.jurisdiction = {"MA"};
  req.nvlink = NvlinkPolicy::kRequired;
  const PlacementOutcome out = Place(req);
  ASSERT_FALSE(out.fits());
  EXPECT_EQ(out.no_fit.constraint, "nvlink");
  EXPECT_FALSE(out.no_fit.permanent);
  EXPECT_THAT(out.no_fit.reason, HasSubstr("has 6 free"));
  // Six still fit in one domain.
  req.count = 6;
  EXPECT_TRUE(Place(req).fits());
}

TEST_F(ReferenceFleetTest, MigProfilesLandOnTheMigRack) {
  PlacementRequest req;
  req.count = 10;
  req.mig_profile = "3g.40gb";
  const PlacementOutcome out = Place(req);
  ASSERT_TRUE(out.fits()) << out.no_fit.reason;
  for (const GpuGrant& g : out.plan->grants) {
    EXPECT_TRUE(topo().gpu(g.gpu).mig_enabled);
    EXPECT_EQ(topo().rack(topo().gpu(g.gpu).rack).id, "tangier-a100-mig");
  }
  EXPECT_TRUE(mutable_topo().Allocate("mig", out.plan->grants, false).ok());
}

TEST_F(ReferenceFleetTest, RoundTripsThroughTheWriter) {
  auto text = ReadFile(*path_);
  ASSERT_TRUE(text.ok());
  auto spec = ParseFleetSpec(*text, "reference.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  const std::string written = WriteFleetSpec(*spec);
  auto again = ParseFleetSpec(written, "written.yaml");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  auto topo2 = BuildTopology(*again);
  ASSERT_TRUE(topo2.ok()) << topo2.status().ToString();
  ASSERT_EQ(topo2->gpus().size(), topo().gpus().size());
  ASSERT_EQ(topo2->nodes().size(), topo().nodes().size());
  ASSERT_EQ(topo2->domains().size(), topo().domains().size());
  for (size_t i = 0; i < topo().gpus().size(); ++i) {
    const Gpu& a = topo().gpus()[i];
    const Gpu& b = topo2->gpus()[i];
    ASSERT_EQ(a.id, b.id);
    EXPECT_EQ(a.model, b.model);
    EXPECT_EQ(a.memory, b.memory);
    EXPECT_EQ(a.mig_enabled, b.mig_enabled);
    EXPECT_EQ(topo().domain(a.domain).id, topo2->domain(b.domain).id);
  }
  for (size_t i = 0; i < topo().nodes().size(); ++i) {
    EXPECT_EQ(topo().nodes()[i].labels, topo2->nodes()[i].labels);
    EXPECT_EQ(topo().nodes()[i].memory, topo2->nodes()[i].memory);
  }
  EXPECT_EQ(WriteFleetSpec(*again), written);
}

}  // namespace
}  // namespace harch

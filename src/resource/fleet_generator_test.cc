// Tests of the synthetic fleet generator (fleet_generator.cc).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "resource/fleet_generator.h"
#include "resource/fleet_spec.h"
#include "resource/topology.h"

namespace harch {
namespace {

FleetSpec MustGenerate(int64_t gpus, int hubs, uint64_t seed = 1) {
  auto spec = GenerateFleet({gpus, hubs, seed});
  EXPECT_TRUE(spec.ok()) << spec.status().ToString();
  return spec.ok() ? std::move(spec).value() : FleetSpec{};
}

// GPUs the spec expands to, per hub, counted from the spec itself (templates x counts).
std::map<std::string, int64_t> SpecGpusPerHub(const FleetSpec& spec) {
  std::map<std::string, const NodeTemplateSpec*> templates;
  for (const auto& t : spec.templates) templates[t.name] = &t;
  std::map<std::string, int64_t> out;
  for (const auto& hub : spec.hubs) {
    int64_t& n = out[hub.id];
    for (const auto& rack : hub.racks) {
      for (const auto& entry : rack.nodes) {
        int64_t per_node = 0;
        if (entry.shape.gpus) {
          per_node = entry.shape.gpus->count;
        } else if (auto it = templates.find(entry.template_name);
                   it != templates.end() && it->second->shape.gpus) {
          per_node = it->second->shape.gpus->count;
        } else {
          ADD_FAILURE() << "node entry " << entry.name << " has no GPUs";
        }
        n += rack.count.value_or(1) * entry.count.value_or(1) * per_node;
      }
    }
  }
  return out;
}

int64_t Sum(const std::map<std::string, int64_t>& m) {
  int64_t s = 0;
  for (const auto& [k, v] : m) s += v;
  return s;
}

TEST(FleetGeneratorTest, ExactGpuCountInTheSpec) {
  for (int64_t gpus : {1, 7, 1798, 10'000, 100'000, 1'000'000}) {
    for (int hubs = 1; hubs <= 5; ++hubs) {
      if (gpus < hubs) continue;
      SCOPED_TRACE("gpus " + std::to_string(gpus) + " hubs " + std::to_string(hubs));
      const FleetSpec spec = MustGenerate(gpus, hubs);
      ASSERT_EQ(spec.hubs.size(), static_cast<size_t>(hubs));
      const auto per_hub = SpecGpusPerHub(spec);
      EXPECT_EQ(Sum(per_hub), gpus);
      // Spread evenly: hub sizes differ by at most one.
      int64_t lo = gpus, hi = 0;
      for (const auto& [id, n] : per_hub) {
        lo = std::min(lo, n);
        hi = std::max(hi, n);
      }
      EXPECT_LE(hi - lo, 1);
    }
  }
}

TEST(FleetGeneratorTest, ExactGpuCountInTheTopology) {
  for (int64_t gpus : {1, 7, 1798, 10'000}) {
    for (int hubs = 1; hubs <= 5; ++hubs) {
      if (gpus < hubs) continue;
      SCOPED_TRACE("gpus " + std::to_string(gpus) + " hubs " + std::to_string(hubs));
      auto topo = BuildTopology(MustGenerate(gpus, hubs));
      ASSERT_TRUE(topo.ok()) << topo.status().ToString();
      EXPECT_EQ(topo->gpus().size(), static_cast<size_t>(gpus));
      EXPECT_EQ(topo->hubs().size(), static_cast<size_t>(hubs));
    }
  }
}

TEST(FleetGeneratorTest, HundredThousandGpusBuild) {
  auto topo = BuildTopology(MustGenerate(100'000, 3, 7));
  ASSERT_TRUE(topo.ok()) << topo.status().ToString();
  EXPECT_EQ(topo->gpus().size(), 100'000u);
  std::map<uint32_t, int64_t> per_hub;
  for (const Gpu& g : topo->gpus()) ++per_hub[g.hub.value];
  EXPECT_EQ(per_hub, (std::map<uint32_t, int64_t>{{0, 33'334}, {1, 33'333}, {2, 33'333}}));
}

TEST(FleetGeneratorTest, HubsCountriesAndLinks) {
  const FleetSpec spec = MustGenerate(5000, 5);
  const std::vector<std::string> countries{"MA", "SN", "FR", "DE", "ES"};
  std::set<std::string> ids;
  for (size_t h = 0; h < spec.hubs.size(); ++h) {
    EXPECT_EQ(spec.hubs[h].country, countries[h]);
    ids.insert(spec.hubs[h].id);
  }
  EXPECT_EQ(ids.size(), 5u);
  // A WAN link between every pair of hubs, once.
  ASSERT_EQ(spec.links.size(), 10u);
  std::set<std::pair<std::string, std::string>> pairs;
  for (const auto& l : spec.links) {
    EXPECT_NE(l.from, l.to);
    EXPECT_GT(l.bandwidth_gbps, 0);
    pairs.insert(std::minmax(l.from, l.to));
  }
  EXPECT_EQ(pairs.size(), 10u);
  auto topo = BuildTopology(spec);
  ASSERT_TRUE(topo.ok()) << topo.status().ToString();
  for (uint32_t a = 0; a < 5; ++a) {
    for (uint32_t b = 0; b < 5; ++b) {
      EXPECT_EQ(topo->wan_link(HubIdx(a), HubIdx(b)).has_value(), a != b);
    }
  }
}

TEST(FleetGeneratorTest, MixOfHardware) {
  auto topo = BuildTopology(MustGenerate(20'000, 2, 3));
  ASSERT_TRUE(topo.ok()) << topo.status().ToString();
  std::map<DomainKind, int> kinds;
  for (const NvlinkDomain& d : topo->domains()) {
    ++kinds[d.kind];
    const std::map<DomainKind, size_t> expected{{DomainKind::kMultiNode, 72},
                                                {DomainKind::kNvswitch, 8},
                                                {DomainKind::kBridge, 2},
                                                {DomainKind::kNone, 1}};
    EXPECT_EQ(d.gpus.size(), expected.at(d.kind)) << d.id;
  }
  for (DomainKind k : {DomainKind::kNone, DomainKind::kNvswitch, DomainKind::kBridge,
                       DomainKind::kMultiNode}) {
    EXPECT_GT(kinds[k], 0) << DomainKindName(k);
  }
}

TEST(FleetGeneratorTest, SameSeedSameSpec) {
  for (uint64_t seed : {1u, 2u, 12345u}) {
    EXPECT_EQ(WriteFleetSpec(MustGenerate(1798, 3, seed)), WriteFleetSpec(MustGenerate(1798, 3, seed)));
  }
}

TEST(FleetGeneratorTest, DifferentSeedDifferentSpec) {
  const std::string a = WriteFleetSpec(MustGenerate(1798, 3, 1));
  const std::string b = WriteFleetSpec(MustGenerate(1798, 3, 2));
  const std::string c = WriteFleetSpec(MustGenerate(1798, 3, 3));
  EXPECT_NE(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(b, c);
  // ... but the same total either way.
  EXPECT_EQ(Sum(SpecGpusPerHub(MustGenerate(1798, 3, 2))), 1798);
}

TEST(FleetGeneratorTest, RoundTripsThroughTheWriter) {
  for (int hubs : {1, 3}) {
    const FleetSpec spec = MustGenerate(3000, hubs, 11);
    const std::string written = WriteFleetSpec(spec);
    auto parsed = ParseFleetSpec(written, "generated.yaml");
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_EQ(WriteFleetSpec(*parsed), written);
    auto a = BuildTopology(spec);
    auto b = BuildTopology(*parsed);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    ASSERT_EQ(a->gpus().size(), b->gpus().size());
    ASSERT_EQ(a->nodes().size(), b->nodes().size());
    ASSERT_EQ(a->domains().size(), b->domains().size());
    for (size_t i = 0; i < a->gpus().size(); ++i) {
      ASSERT_EQ(a->gpus()[i].id, b->gpus()[i].id);
      ASSERT_EQ(a->gpus()[i].model, b->gpus()[i].model);
      ASSERT_EQ(a->domain(a->gpus()[i].domain).id, b->domain(b->gpus()[i].domain).id);
    }
    for (size_t h = 0; h < a->hubs().size(); ++h) {
      EXPECT_EQ(a->hubs()[h].country, b->hubs()[h].country);
      EXPECT_DOUBLE_EQ(a->hubs()[h].pue, b->hubs()[h].pue);
      EXPECT_DOUBLE_EQ(a->hubs()[h].energy_price_usd_per_kwh, b->hubs()[h].energy_price_usd_per_kwh);
    }
  }
}

TEST(FleetGeneratorTest, InvalidOptionsAreRejected) {
  auto expect_invalid = [](GeneratorOptions o, const char* phrase) {
    auto spec = GenerateFleet(o);
    ASSERT_FALSE(spec.ok()) << phrase;
    EXPECT_EQ(spec.status().code(), Code::kInvalidArgument);
    EXPECT_NE(spec.status().message().find(phrase), std::string::npos) << spec.status().message();
  };
  expect_invalid({0, 1, 1}, "--gpus");
  expect_invalid({-5, 1, 1}, "--gpus");
  expect_invalid({1'000'001, 1, 1}, "--gpus");
  expect_invalid({100, 0, 1}, "--hubs");
  expect_invalid({100, -1, 1}, "--hubs");
  expect_invalid({100, 65, 1}, "--hubs");
  expect_invalid({3, 5, 1}, "at least one GPU per hub");
  // The limits themselves are fine.
  EXPECT_TRUE(GenerateFleet({1'000'000, 1, 1}).ok());
  EXPECT_TRUE(GenerateFleet({64, 64, 1}).ok());
}

}  // namespace
}  // namespace harch

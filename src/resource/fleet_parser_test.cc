// Tests of the fleet spec parser (fleet_parser.cc), the writer (fleet_writer.cc) and the
// cross-reference checks of the topology builder (fleet_builder.cc).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "resource/fleet_spec.h"
#include "resource/topology.h"

namespace harch {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kFile[] = "test.yaml";

// "test.yaml:LINE:COL" of the `nth` occurrence (0-based) of `needle` in `text`, 1-based, the way
// error messages name positions. Fails the test when the needle is missing.
std::string At(std::string_view text, std::string_view needle, int nth = 0) {
  size_t pos = text.find(needle);
  for (int i = 0; i < nth && pos != std::string_view::npos; ++i) pos = text.find(needle, pos + 1);
  EXPECT_NE(pos, std::string_view::npos) << "needle '" << needle << "' not in the document";
  if (pos == std::string_view::npos) return "<missing needle>";
  int line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < pos; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return std::string(kFile) + ":" + std::to_string(line) + ":" + std::to_string(pos - line_start + 1);
}

// A document with the usual header around `spec_body` (indented two spaces under "spec:").
std::string Doc(std::string_view spec_body) {
  return "apiVersion: harchos.io/v1alpha1\n"
         "kind: Fleet\n"
         "metadata:\n"
         "  name: test\n"
         "spec:\n" +
         std::string(spec_body);
}

FleetSpec MustParse(std::string_view yaml) {
  auto spec = ParseFleetSpec(yaml, kFile);
  EXPECT_TRUE(spec.ok()) << spec.status().ToString();
  if (!spec.ok()) return {};
  return std::move(spec).value();
}

Topology MustBuild(std::string_view yaml) {
  auto topo = BuildTopology(MustParse(yaml));
  EXPECT_TRUE(topo.ok()) << topo.status().ToString();
  if (!topo.ok()) return Topology(GpuCatalog::BuiltIn());
  return std::move(topo).value();
}

// The parse error message (or "" when the document parses).
std::string ParseError(std::string_view yaml) {
  auto spec = ParseFleetSpec(yaml, kFile);
  if (spec.ok()) return "";
  EXPECT_EQ(spec.status().code(), Code::kInvalidArgument) << spec.status().ToString();
  return spec.status().message();
}

// The error of parsing and then building (the document must parse).
std::string BuildError(std::string_view yaml) {
  auto spec = ParseFleetSpec(yaml, kFile);
  EXPECT_TRUE(spec.ok()) << "expected the document to parse: " << spec.status().ToString();
  if (!spec.ok()) return spec.status().message();
  auto topo = BuildTopology(*spec);
  if (topo.ok()) return "";
  EXPECT_EQ(topo.status().code(), Code::kInvalidArgument) << topo.status().ToString();
  return topo.status().message();
}

// ---------------------------------------------------------------------------------------------
// A valid spec.

const std::string kSmall = Doc(R"(  gpuModels:
    - name: X1
      family: XF
      memory: 96GiB
      computeCapability: "9.0"
      tdpWatts: 500
      mig: true
      migSliceMemoryGB: 12
  nodeTemplates:
    - name: hgx
      cpu: 64
      memory: 1TiB
      numaNodes: 2
      labels: {tier: gold, zone: a}
      gpus: {model: H100-SXM, count: 8, nvlink: nvswitch, pcieSwitches: 4}
  hubs:
    - id: alpha
      name: Alpha Hub
      country: MA
      carbonZone: ES
      carbonZoneStandIn: true
      pue: 1.25
      energyPriceUsdPerKwh: 0.0625
      racks:
        - id: ra
          count: 2
          nodes:
            - {name: n, count: 3, template: hgx, labels: {zone: b}}
            - name: solo
              cpu: 500m
              memory: 64GiB
              health: degraded
              gpus: {model: X1, count: 2, nvlink: pairs, migEnabled: true}
              gpuHealth: {1: failed}
    - id: beta
      country: SN
      racks:
        - id: rb
          nodes:
            - name: l4
              cpu: 8
              memory: 32GiB
              gpus: {model: L4, count: 1, memory: 20GiB}
  wanLinks:
    - {from: alpha, to: beta, latencyMs: 30, bandwidthGbps: 40}
)");

TEST(FleetParserTest, SmallSpecParsesEveryField) {
  const FleetSpec spec = MustParse(kSmall);
  EXPECT_EQ(spec.name, "test");

  ASSERT_EQ(spec.models.size(), 1u);
  const GpuModel& x1 = spec.models[0].model;
  EXPECT_EQ(x1.name, "X1");
  EXPECT_EQ(x1.family, "XF");
  EXPECT_EQ(x1.memory, GiB(96));
  EXPECT_EQ(x1.compute_capability, 90);
  EXPECT_EQ(x1.tdp_watts, 500);
  EXPECT_TRUE(x1.mig_capable);
  EXPECT_EQ(x1.mig_slice_gb, 12);

  ASSERT_EQ(spec.templates.size(), 1u);
  const NodeTemplateSpec& t = spec.templates[0];
  EXPECT_EQ(t.name, "hgx");
  ASSERT_TRUE(t.shape.cpu.has_value());
  EXPECT_EQ(t.shape.cpu->value, 64'000);
  EXPECT_EQ(t.shape.memory, TiB(1));
  EXPECT_EQ(t.shape.numa_nodes, 2);
  EXPECT_EQ(t.shape.labels.at("tier"), "gold");
  ASSERT_TRUE(t.shape.gpus.has_value());
  EXPECT_EQ(t.shape.gpus->model, "H100-SXM");
  EXPECT_EQ(t.shape.gpus->count, 8);
  EXPECT_EQ(t.shape.gpus->nvlink, NodeNvlink::kNvswitch);
  EXPECT_EQ(t.shape.gpus->pcie_switches, 4);

  ASSERT_EQ(spec.hubs.size(), 2u);
  const HubSpec& alpha = spec.hubs[0];
  EXPECT_EQ(alpha.id, "alpha");
  EXPECT_EQ(alpha.name, "Alpha Hub");
  EXPECT_EQ(alpha.country, "MA");
  EXPECT_EQ(alpha.carbon_zone, "ES");
  EXPECT_TRUE(alpha.carbon_zone_stand_in);
  EXPECT_DOUBLE_EQ(alpha.pue, 1.25);
  EXPECT_DOUBLE_EQ(alpha.energy_price_usd_per_kwh, 0.0625);
  ASSERT_EQ(alpha.racks.size(), 1u);
  const RackSpec& ra = alpha.racks[0];
  EXPECT_EQ(ra.id, "ra");
  EXPECT_EQ(ra.count, 2);
  EXPECT_EQ(ra.nvlink, RackNvlink::kNone);
  ASSERT_EQ(ra.nodes.size(), 2u);
  EXPECT_EQ(ra.nodes[0].name, "n");
  EXPECT_EQ(ra.nodes[0].count, 3);
  EXPECT_EQ(ra.nodes[0].template_name, "hgx");
  EXPECT_EQ(ra.nodes[0].shape.labels.at("zone"), "b");
  const NodeEntrySpec& solo = ra.nodes[1];
  EXPECT_EQ(solo.name, "solo");
  EXPECT_FALSE(solo.count.has_value());
  EXPECT_EQ(solo.shape.cpu->value, 500);
  EXPECT_EQ(solo.health, Health::kDegraded);
  ASSERT_TRUE(solo.shape.gpus.has_value());
  EXPECT_EQ(solo.shape.gpus->nvlink, NodeNvlink::kPairs);
  EXPECT_TRUE(solo.shape.gpus->mig_enabled);
  ASSERT_EQ(solo.gpu_health.size(), 1u);
  EXPECT_EQ(solo.gpu_health.at(1), Health::kFailed);

  const HubSpec& beta = spec.hubs[1];
  EXPECT_EQ(beta.name, "beta") << "the name defaults to the id";
  EXPECT_DOUBLE_EQ(beta.pue, 1.0);
  ASSERT_TRUE(beta.racks[0].nodes[0].shape.gpus->memory.has_value());
  EXPECT_EQ(*beta.racks[0].nodes[0].shape.gpus->memory, GiB(20));

  ASSERT_EQ(spec.links.size(), 1u);
  EXPECT_EQ(spec.links[0].from, "alpha");
  EXPECT_EQ(spec.links[0].to, "beta");
  EXPECT_DOUBLE_EQ(spec.links[0].latency_ms, 30);
  EXPECT_DOUBLE_EQ(spec.links[0].bandwidth_gbps, 40);
  EXPECT_FALSE(spec.links[0].energy_kwh_per_gb.has_value());
}

TEST(FleetParserTest, WanLinkEnergyIsReadOrDefaulted) {
  const std::string doc = Doc(R"(  hubs:
    - {id: a, country: MA, racks: []}
    - {id: b, country: SN, racks: []}
    - {id: c, country: FR, racks: []}
  wanLinks:
    - {from: a, to: b, latencyMs: 10, bandwidthGbps: 10, energyKwhPerGB: 0.005}
    - {from: b, to: c, latencyMs: 10, bandwidthGbps: 10, energyKwhPerGB: 0}
    - {from: a, to: c, latencyMs: 10, bandwidthGbps: 10}
)");
  const FleetSpec spec = MustParse(doc);
  ASSERT_EQ(spec.links.size(), 3u);
  EXPECT_EQ(spec.links[0].energy_kwh_per_gb, 0.005);
  EXPECT_EQ(spec.links[1].energy_kwh_per_gb, 0.0);
  EXPECT_FALSE(spec.links[2].energy_kwh_per_gb.has_value());
  const Topology topo = MustBuild(doc);
  const HubIdx a = *topo.FindHub("a"), b = *topo.FindHub("b"), c = *topo.FindHub("c");
  EXPECT_DOUBLE_EQ(topo.wan_link(b, a)->energy_kwh_per_gb, 0.005);
  EXPECT_DOUBLE_EQ(topo.wan_link(b, c)->energy_kwh_per_gb, 0.0);
  EXPECT_DOUBLE_EQ(topo.wan_link(a, c)->energy_kwh_per_gb, kDefaultWanEnergyKwhPerGB);
  EXPECT_DOUBLE_EQ(kDefaultWanEnergyKwhPerGB, 0.001875);  // Aslan et al. 2018, extrapolated to 2025
}

TEST(FleetParserErrorTest, WanLinkEnergyNegativeOrAbsurd) {
  const auto doc = [](const std::string& value) {
    return Doc("  hubs:\n    - {id: a, country: MA, racks: []}\n    - {id: b, country: SN, racks: []}\n"
               "  wanLinks:\n    - {from: a, to: b, latencyMs: 10, bandwidthGbps: 10, energyKwhPerGB: " +
               value + "}\n");
  };
  const std::string negative = doc("-0.01");
  EXPECT_EQ(ParseError(negative), At(negative, "-0.01") +
                                      ": spec.wanLinks[0].energyKwhPerGB: must not be negative (kWh to "
                                      "move one GB over the link); got -0.01");
  const std::string absurd = doc("60");
  EXPECT_THAT(ParseError(absurd), StartsWith(At(absurd, "60}") + ": spec.wanLinks[0].energyKwhPerGB: '60' kWh/GB is absurd"));
  const std::string text = doc("lots");
  EXPECT_EQ(ParseError(text), At(text, "lots") + ": spec.wanLinks[0].energyKwhPerGB: expected a number, got 'lots'");
  const std::string inf = doc(".inf");
  EXPECT_THAT(ParseError(inf), HasSubstr("spec.wanLinks[0].energyKwhPerGB: expected a number"));
}

TEST(FleetWriterTest, RoundTripKeepsWanLinkEnergy) {
  const std::string doc = Doc(R"(  hubs:
    - {id: a, country: MA, racks: []}
    - {id: b, country: SN, racks: []}
    - {id: c, country: FR, racks: []}
  wanLinks:
    - {from: a, to: b, latencyMs: 10, bandwidthGbps: 10, energyKwhPerGB: 0.0123}
    - {from: a, to: c, latencyMs: 10, bandwidthGbps: 10}
)");
  const FleetSpec second = MustParse(WriteFleetSpec(MustParse(doc)));
  ASSERT_EQ(second.links.size(), 2u);
  EXPECT_EQ(second.links[0].energy_kwh_per_gb, 0.0123);
  EXPECT_FALSE(second.links[1].energy_kwh_per_gb.has_value());
}

TEST(FleetParserTest, SmallSpecExpandsTemplatesAndCounts) {
  const Topology topo = MustBuild(kSmall);
  ASSERT_EQ(topo.hubs().size(), 2u);
  ASSERT_EQ(topo.racks().size(), 3u);
  EXPECT_EQ(topo.racks()[0].id, "ra-01");
  EXPECT_EQ(topo.racks()[1].id, "ra-02");
  EXPECT_EQ(topo.racks()[2].id, "rb");
  // 2 racks x (3 HGX nodes + 1 solo node) + 1 L4 node.
  ASSERT_EQ(topo.nodes().size(), 9u);
  EXPECT_EQ(topo.gpus().size(), 2u * (3 * 8 + 2) + 1);

  auto n = topo.FindNode("ra-02-n03");
  ASSERT_TRUE(n.has_value());
  const Node& hgx = topo.node(*n);
  EXPECT_EQ(hgx.cpu.value, 64'000);
  EXPECT_EQ(hgx.memory, TiB(1));
  EXPECT_EQ(hgx.numa_nodes, 2);
  EXPECT_EQ(hgx.labels.at("tier"), "gold");  // from the template
  EXPECT_EQ(hgx.labels.at("zone"), "b");     // overridden inline
  ASSERT_EQ(hgx.gpus.size(), 8u);
  EXPECT_EQ(topo.model_of(hgx.gpus[0]).name, "H100-SXM");
  EXPECT_EQ(topo.domain(topo.gpu(hgx.gpus[0]).domain).kind, DomainKind::kNvswitch);

  auto s = topo.FindNode("ra-01-solo");
  ASSERT_TRUE(s.has_value());
  const Node& solo = topo.node(*s);
  EXPECT_EQ(solo.health, Health::kDegraded);
  ASSERT_EQ(solo.gpus.size(), 2u);
  EXPECT_EQ(topo.model_of(solo.gpus[0]).name, "X1");
  EXPECT_EQ(topo.gpu(solo.gpus[0]).memory, GiB(96));
  EXPECT_TRUE(topo.gpu(solo.gpus[0]).mig_enabled);
  EXPECT_EQ(topo.gpu(solo.gpus[0]).health, Health::kHealthy);
  EXPECT_EQ(topo.gpu(solo.gpus[1]).health, Health::kFailed);
  EXPECT_EQ(topo.domain(topo.gpu(solo.gpus[0]).domain).kind, DomainKind::kBridge);

  auto l4 = topo.FindGpu("rb-l4/gpu0");
  ASSERT_TRUE(l4.has_value());
  EXPECT_EQ(topo.gpu(*l4).memory, GiB(20));  // the group's memory overrides the catalogue's
  EXPECT_EQ(topo.hub(topo.gpu(*l4).hub).country, "SN");

  auto link = topo.wan_link(HubIdx(uint32_t{0}), HubIdx(uint32_t{1}));
  ASSERT_TRUE(link.has_value());
  EXPECT_DOUBLE_EQ(link->latency_ms, 30);
  EXPECT_DOUBLE_EQ(link->bandwidth_gbps, 40);
}

// ---------------------------------------------------------------------------------------------
// Round trip through WriteFleetSpec.

// Everything the expanded topology says about the fleet, as comparable strings.
std::vector<std::string> Describe(const Topology& topo) {
  std::vector<std::string> out;
  for (const Hub& h : topo.hubs()) {
    out.push_back("hub " + h.id + " " + h.name + " " + h.country + " " + h.carbon_zone + " " +
                  std::to_string(h.carbon_zone_stand_in) + " " + std::to_string(h.pue) + " " +
                  std::to_string(h.energy_price_usd_per_kwh));
  }
  for (const Rack& r : topo.racks()) {
    out.push_back("rack " + r.id + " hub " + topo.hub(r.hub).id + " nodes " +
                  std::to_string(r.nodes.size()) + " multi " +
                  std::to_string(r.multi_node_domain.valid()));
  }
  for (const Node& n : topo.nodes()) {
    std::string labels;
    for (const auto& [k, v] : n.labels) labels += k + "=" + v + ",";
    out.push_back("node " + n.id + " rack " + topo.rack(n.rack).id + " cpu " +
                  std::to_string(n.cpu.value) + " mem " + std::to_string(n.memory.value) +
                  " numa " + std::to_string(n.numa_nodes) + " health " +
                  std::string(HealthName(n.health)) + " labels " + labels);
  }
  for (const Gpu& g : topo.gpus()) {
    out.push_back("gpu " + g.id + " " + topo.catalog().at(g.model).name + " mem " +
                  std::to_string(g.memory.value) + " dom " + topo.domain(g.domain).id +
                  " numa " + std::to_string(g.numa) + " sw " + std::to_string(g.pcie_switch) +
                  " hb " + std::to_string(g.host_bridge) + " " +
                  std::string(HealthName(g.health)) + " mig " + std::to_string(g.mig_enabled));
  }
  for (const NvlinkDomain& d : topo.domains()) {
    out.push_back("domain " + d.id + " " + std::string(DomainKindName(d.kind)) + " " +
                  std::to_string(d.gpus.size()));
  }
  for (size_t a = 0; a < topo.hubs().size(); ++a) {
    for (size_t b = a + 1; b < topo.hubs().size(); ++b) {
      if (auto l = topo.wan_link(HubIdx(a), HubIdx(b))) {
        out.push_back("link " + std::to_string(a) + "-" + std::to_string(b) + " " +
                      std::to_string(l->latency_ms) + " " + std::to_string(l->bandwidth_gbps) +
                      " " + std::to_string(l->energy_kwh_per_gb));
      }
    }
  }
  return out;
}

TEST(FleetWriterTest, RoundTripGivesTheSameFleet) {
  const FleetSpec first = MustParse(kSmall);
  const std::string written = WriteFleetSpec(first);
  const FleetSpec second = MustParse(written);

  const Topology a = MustBuild(kSmall);
  auto b = BuildTopology(second);
  ASSERT_TRUE(b.ok()) << b.status().ToString() << "\n" << written;
  EXPECT_EQ(b->hubs().size(), a.hubs().size());
  EXPECT_EQ(b->racks().size(), a.racks().size());
  EXPECT_EQ(b->nodes().size(), a.nodes().size());
  EXPECT_EQ(b->gpus().size(), a.gpus().size());
  EXPECT_EQ(b->domains().size(), a.domains().size());
  EXPECT_EQ(Describe(*b), Describe(a));

  // The custom model survives with all its fields.
  ASSERT_EQ(second.models.size(), 1u);
  EXPECT_EQ(second.models[0].model.family, "XF");
  EXPECT_EQ(second.models[0].model.compute_capability, 90);
  EXPECT_EQ(second.models[0].model.mig_slice_gb, 12);
  // Templates and counts are written as such, not expanded.
  EXPECT_EQ(second.templates.size(), 1u);
  EXPECT_EQ(second.hubs[0].racks[0].count, 2);
  EXPECT_EQ(second.hubs[0].racks[0].nodes[0].template_name, "hgx");
  // Writing is a fixed point after one round.
  EXPECT_EQ(WriteFleetSpec(second), written);
}

TEST(FleetWriterTest, RoundTripKeepsMemoryExactly) {
  const std::string doc = Doc(R"(  gpuModels:
    - {name: Odd, memory: 40GB, computeCapability: "8.0", tdpWatts: 300}
  hubs:
    - id: h
      country: FR
      racks:
        - id: r
          nodes:
            - {name: n, cpu: 8, memory: 1537MiB, gpus: {model: Odd, count: 1, memory: 100GB}}
)");
  const FleetSpec first = MustParse(doc);
  const FleetSpec second = MustParse(WriteFleetSpec(first));
  EXPECT_EQ(second.models[0].model.memory.value, 40'000'000'000LL);
  EXPECT_EQ(second.hubs[0].racks[0].nodes[0].shape.memory->value, 1537LL << 20);
  EXPECT_EQ(second.hubs[0].racks[0].nodes[0].shape.gpus->memory->value, 100'000'000'000LL);
}

TEST(FleetWriterTest, RoundTripKeepsMultiNodeRacksAndFractionalCpu) {
  const std::string doc = Doc(R"(  hubs:
    - id: h
      country: FR
      racks:
        - id: nvl
          nvlink: multi-node
          nodes:
            - {name: tray, count: 3, cpu: 1500m, memory: 1536MiB, numaNodes: 2,
               gpus: {model: GB200, count: 4, pcieSwitches: 2, hostBridges: 1}}
)");
  const Topology a = MustBuild(doc);
  const std::string written = WriteFleetSpec(MustParse(doc));
  const Topology b = MustBuild(written);
  EXPECT_EQ(Describe(b), Describe(a));
  ASSERT_EQ(b.domains().size(), 1u);
  EXPECT_EQ(b.domains()[0].kind, DomainKind::kMultiNode);
  EXPECT_EQ(b.domains()[0].gpus.size(), 12u);
  EXPECT_EQ(b.nodes()[0].cpu.value, 1500);
  EXPECT_EQ(b.nodes()[0].memory, MiB(1536));
}

TEST(FleetWriterTest, RoundTripKeepsStringsThatLookLikeOtherYaml) {
  const std::string doc = Doc(R"(  hubs:
    - id: a
      name: "yes"
      country: "NO"
      carbonZone: "null"
      racks:
        - id: r
          nodes:
            - name: n
              cpu: 8
              memory: 64GiB
              health: failed
              labels: {a: "", b: "~", c: "null", d: "true", e: "a: b", f: "# x", g: "- y", h: "[z"}
)");
  const FleetSpec first = MustParse(doc);
  const FleetSpec second = MustParse(WriteFleetSpec(first));
  ASSERT_EQ(second.hubs.size(), 1u);
  EXPECT_EQ(second.hubs[0].name, "yes");
  EXPECT_EQ(second.hubs[0].country, "NO");
  EXPECT_EQ(second.hubs[0].carbon_zone, "null");
  EXPECT_EQ(second.hubs[0].racks[0].nodes[0].health, Health::kFailed);
  EXPECT_EQ(second.hubs[0].racks[0].nodes[0].shape.labels, first.hubs[0].racks[0].nodes[0].shape.labels);
  EXPECT_EQ(second.hubs[0].racks[0].nodes[0].shape.labels.at("e"), "a: b");
  EXPECT_EQ(second.hubs[0].racks[0].nodes[0].shape.labels.at("a"), "");
}

// ---------------------------------------------------------------------------------------------
// Parse errors: file:line:column, field path, and what is wrong.

TEST(FleetParserErrorTest, UnknownFieldSuggestsTheClosestOne) {
  const std::string doc = Doc(R"(  hubs:
    - id: a
      country: MA
      racks:
        - id: r
          nodes:
            - name: n
              tempalte: t
              cpu: 8
              memory: 64GiB
)");
  const std::string msg = ParseError(doc);
  EXPECT_THAT(msg, StartsWith(At(doc, "tempalte") + ": spec.hubs[0].racks[0].nodes[0].tempalte: "));
  EXPECT_THAT(msg, HasSubstr("unknown field 'tempalte'"));
  EXPECT_THAT(msg, HasSubstr("did you mean 'template'?"));
}

TEST(FleetParserErrorTest, UnknownFieldInAGpuGroupSuggestsTheClosestOne) {
  const std::string doc = Doc(R"(  hubs:
    - id: a
      country: MA
      racks:
        - id: r
          nodes:
            - name: n
              cpu: 8
              memory: 64GiB
              gpus:
                model: L4
                count: 1
                nvlnk: none
)");
  const std::string msg = ParseError(doc);
  EXPECT_THAT(msg, StartsWith(At(doc, "nvlnk") + ": spec.hubs[0].racks[0].nodes[0].gpus.nvlnk: "));
  EXPECT_THAT(msg, HasSubstr("unknown field 'nvlnk' (did you mean 'nvlink'?)"));
}

TEST(FleetParserErrorTest, MisspelledCountIsAnUnknownField) {
  // Only the position, the path and the phrase are asserted here, not a suggestion.
  const std::string doc = Doc(R"(  hubs:
    - id: a
      country: MA
      racks:
        - id: r
          nodes:
            - name: n
              cuont: 3
              cpu: 8
              memory: 64GiB
)");
  const std::string msg = ParseError(doc);
  EXPECT_THAT(msg, StartsWith(At(doc, "cuont") + ": spec.hubs[0].racks[0].nodes[0].cuont: "));
  EXPECT_THAT(msg, HasSubstr("unknown field 'cuont' (did you mean 'count'?)"));
}

TEST(FleetParserErrorTest, UnknownFieldFarFromAnyKnownHasNoSuggestion) {
  const std::string doc = Doc(R"(  hubs:
    - id: a
      country: MA
      racks: []
      zzzzzzzzzz: 1
)");
  const std::string msg = ParseError(doc);
  EXPECT_THAT(msg, StartsWith(At(doc, "zzzzzzzzzz") + ": spec.hubs[0].zzzzzzzzzz: "));
  EXPECT_THAT(msg, HasSubstr("unknown field"));
  EXPECT_THAT(msg, Not(HasSubstr("did you mean")));
}

TEST(FleetParserErrorTest, UnknownTopLevelField) {
  const std::string doc = Doc("  hubs: []\nextra: 1\n");
  const std::string msg = ParseError(doc);
  EXPECT_THAT(msg, StartsWith(At(doc, "extra") + ": extra: unknown field 'extra'"));
}

TEST(FleetParserErrorTest, StringWhereAnIntegerIsExpected) {
  const std::string doc = Doc(R"(  hubs:
    - id: a
      country: MA
      racks:
        - id: r
          count: three
          nodes:
            - {name: n, cpu: 8, memory: 64GiB}
)");
  const std::string msg = ParseError(doc);
  EXPECT_THAT(msg, StartsWith(At(doc, "three") + ": spec.hubs[0].racks[0].count: "));
  EXPECT_THAT(msg, HasSubstr("expected an integer, got 'three'"));
}

TEST(FleetParserErrorTest, MappingWhereAStringIsExpected) {
  const std::string doc = Doc(R"(  hubs:
    - id: {a: b}
      country: MA
      racks: []
)");
  const std::string msg = ParseError(doc);
  EXPECT_THAT(msg, StartsWith(At(doc, "{a: b}") + ": spec.hubs[0].id: expected a string"));
}

TEST(FleetParserErrorTest, NegativeCount) {
  const std::string doc = Doc(R"(  hubs:
    - id: a
      country: MA
      racks:
        - id: r
          count: -1
          nodes:
            - {name: n, cpu: 8, memory: 64GiB}
)");
  const std::string msg = ParseError(doc);
  EXPECT_THAT(msg, StartsWith(At(doc, "-1") + ": spec.hubs[0].racks[0].count: "));
  EXPECT_THAT(msg, HasSubstr("out of range"));
}

TEST(FleetParserErrorTest, AbsurdNodeCount) {
  const std::string doc = Doc(R"(  hubs:
    - id: a
      country: MA
      racks:
        - id: r
          nodes:
            - {name: n, count: 10000000, cpu: 8, memory: 64GiB}
)");
  const std::string msg = ParseError(doc);
  EXPECT_THAT(msg, StartsWith(At(doc, "10000000") + ": spec.hubs[0].racks[0].nodes[0].count: "));
  EXPECT_THAT(msg, HasSubstr("value 10000000 is out of range"));
}

TEST(FleetParserErrorTest, IntegerOverflow) {
  const std::string doc = Doc(R"(  hubs:
    - id: a
      country: MA
      racks:
        - id: r
          count: 99999999999999999999999
          nodes:
            - {name: n, cpu: 8, memory: 64GiB}
)");
  const std::string msg = ParseError(doc);
  EXPECT_THAT(msg, StartsWith(At(doc, "9999") + ": spec.hubs[0].racks[0].count: "));
  EXPECT_THAT(msg, HasSubstr("out of range"));
}

TEST(FleetParserErrorTest, TooManyGpusPerNode) {
  const std::string doc = Doc(R"(  hubs:
    - id: a
      country: MA
      racks:
        - id: r
          nodes:
            - {name: n, cpu: 8, memory: 64GiB, gpus: {model: L4, count: 65}}
)");
  const std::string msg = ParseError(doc);
  EXPECT_THAT(msg, StartsWith(At(doc, "65") + ": spec.hubs[0].racks[0].nodes[0].gpus.count: "));
  EXPECT_THAT(msg, HasSubstr("out of range [1, 64]"));
}

TEST(FleetParserErrorTest, DuplicateKeyInAMap) {
  const std::string doc = Doc(R"(  hubs:
    - id: a
      country: MA
      country: SN
      racks: []
)");
  const std::string msg = ParseError(doc);
  EXPECT_THAT(msg, StartsWith(At(doc, "country", 1) + ": spec.hubs[0].country: "));
  EXPECT_THAT(msg, HasSubstr("duplicate key 'country'"));
}

TEST(FleetParserErrorTest, DuplicateKeyInLabels) {
  const std::string doc = Doc(R"(  nodeTemplates:
    - name: t
      labels: {a: x, a: y}
  hubs: []
)");
  const std::string msg = ParseError(doc);
  EXPECT_THAT(msg, HasSubstr("spec.nodeTemplates[0].labels"));
  EXPECT_THAT(msg, HasSubstr("duplicate key 'a'"));
  EXPECT_THAT(msg, StartsWith(At(doc, "a: y")));
}

TEST(FleetParserErrorTest, DuplicateGpuHealthIndex) {
  const std::string doc = Doc(R"(  hubs:
    - id: a
      country: MA
      racks:
        - id: r
          nodes:
            - name: n
              cpu: 8
              memory: 64GiB
              gpuHealth: {0: failed, 00: degraded}
)");
  const std::string msg = ParseError(doc);
  EXPECT_THAT(msg, HasSubstr("spec.hubs[0].racks[0].nodes[0].gpuHealth: "));
  EXPECT_THAT(msg, HasSubstr("GPU index 0 listed twice"));
  EXPECT_THAT(msg, StartsWith(At(doc, "00")));
}

TEST(FleetParserErrorTest, BadHealthValue) {
  const std::string doc = Doc(R"(  hubs:
    - id: a
      country: MA
      racks:
        - id: r
          nodes:
            - {name: n, cpu: 8, memory: 64GiB, health: sick}
)");
  const std::string msg = ParseError(doc);
  EXPECT_THAT(msg, StartsWith(At(doc, "sick") + ": spec.hubs[0].racks[0].nodes[0].health: "));
  EXPECT_THAT(msg, HasSubstr("must be one of healthy, degraded, failed; got 'sick'"));
}

TEST(FleetParserErrorTest, BadCountryCode) {
  for (const char* bad : {"Morocco", "ma", "M", "MAR", "M1"}) {
    SCOPED_TRACE(bad);
    const std::string doc = Doc(std::string("  hubs:\n    - id: a\n      country: ") + bad +
                                "\n      racks: []\n");
    const std::string msg = ParseError(doc);
    EXPECT_THAT(msg, StartsWith("test.yaml:8:16: spec.hubs[0].country: "));
    EXPECT_THAT(msg, HasSubstr("ISO 3166-1 alpha-2"));
    EXPECT_THAT(msg, HasSubstr(std::string("got '") + bad + "'"));
  }
}

TEST(FleetParserErrorTest, BadIdCharacters) {
  const std::string doc = Doc("  hubs:\n    - id: Dakhla\n      country: MA\n      racks: []\n");
  const std::string msg = ParseError(doc);
  EXPECT_THAT(msg, StartsWith("test.yaml:7:11: spec.hubs[0].id: "));
  EXPECT_THAT(msg, HasSubstr("may hold only a-z"));
}

TEST(FleetParserErrorTest, MissingRequiredField) {
  const std::string doc = Doc("  hubs:\n    - id: a\n      racks: []\n");
  const std::string msg = ParseError(doc);
  // Reported at the mapping that lacks it.
  EXPECT_THAT(msg, StartsWith("test.yaml:7:7: spec.hubs[0].country: missing required field"));
}

TEST(FleetParserErrorTest, BadNvlinkValues) {
  const std::string node_doc = Doc(R"(  hubs:
    - id: a
      country: MA
      racks:
        - id: r
          nodes:
            - {name: n, cpu: 8, memory: 64GiB, gpus: {model: L4, count: 2, nvlink: mesh}}
)");
  std::string msg = ParseError(node_doc);
  EXPECT_THAT(msg, StartsWith(At(node_doc, "mesh") + ": spec.hubs[0].racks[0].nodes[0].gpus.nvlink: "));
  EXPECT_THAT(msg, HasSubstr("must be one of none, nvswitch, pairs"));

  const std::string rack_doc = Doc(R"(  hubs:
    - id: a
      country: MA
      racks:
        - id: r
          nvlink: nvswitch
          nodes:
            - {name: n, cpu: 8, memory: 64GiB}
)");
  msg = ParseError(rack_doc);
  EXPECT_THAT(msg, StartsWith(At(rack_doc, "nvswitch") + ": spec.hubs[0].racks[0].nvlink: "));
  EXPECT_THAT(msg, HasSubstr("must be none or multi-node"));
}

TEST(FleetParserErrorTest, BadComputeCapability) {
  const std::string doc = Doc(R"(  gpuModels:
    - {name: Z, memory: 16GiB, computeCapability: nine, tdpWatts: 100}
  hubs: []
)");
  const std::string msg = ParseError(doc);
  EXPECT_THAT(msg, StartsWith(At(doc, "nine") + ": spec.gpuModels[0].computeCapability: "));
  EXPECT_THAT(msg, HasSubstr("compute capability must look like '9.0'"));
}

TEST(FleetParserErrorTest, MigModelNeedsSliceMemory) {
  const std::string doc = Doc(R"(  gpuModels:
    - {name: Z, memory: 16GiB, computeCapability: "8.0", tdpWatts: 100, mig: true}
  hubs: []
)");
  const std::string msg = ParseError(doc);
  EXPECT_THAT(msg, HasSubstr("spec.gpuModels[0].migSliceMemoryGB: required when mig is true"));
}

TEST(FleetParserErrorTest, BadMemoryQuantity) {
  const std::string doc = Doc(R"(  hubs:
    - id: a
      country: MA
      racks:
        - id: r
          nodes:
            - {name: n, cpu: 8, memory: lots}
)");
  const std::string msg = ParseError(doc);
  EXPECT_THAT(msg, StartsWith(At(doc, "lots") + ": spec.hubs[0].racks[0].nodes[0].memory: "));
  EXPECT_THAT(msg, HasSubstr("invalid quantity 'lots'"));
}

TEST(FleetParserErrorTest, WrongApiVersion) {
  const std::string doc = "apiVersion: harchos.io/v2\nkind: Fleet\nmetadata: {name: x}\nspec: {hubs: []}\n";
  const std::string msg = ParseError(doc);
  EXPECT_THAT(msg, StartsWith("test.yaml:1:13: apiVersion: "));
  EXPECT_THAT(msg, HasSubstr("unsupported version 'harchos.io/v2'"));
}

TEST(FleetParserErrorTest, WrongKind) {
  const std::string doc =
      "apiVersion: harchos.io/v1alpha1\nkind: Pod\nmetadata: {name: x}\nspec: {hubs: []}\n";
  const std::string msg = ParseError(doc);
  EXPECT_THAT(msg, StartsWith("test.yaml:2:7: kind: "));
  EXPECT_THAT(msg, HasSubstr("expected 'Fleet', got 'Pod'"));
}

TEST(FleetParserErrorTest, NotAMapping) {
  EXPECT_THAT(ParseError("- just\n- a list\n"), HasSubstr("expected a mapping"));
  EXPECT_THAT(ParseError(""), HasSubstr("expected a mapping"));
}

TEST(FleetParserErrorTest, YamlSyntaxError) {
  const std::string doc = "apiVersion: harchos.io/v1alpha1\nkind: Fleet\nmetadata: {name: [x\nspec: 1\n";
  const std::string msg = ParseError(doc);
  EXPECT_THAT(msg, StartsWith("test.yaml:"));
  EXPECT_THAT(msg, HasSubstr("YAML syntax error"));
  // The position is inside the document and 1-based.
  const auto first = msg.find(':');
  const auto second = msg.find(':', first + 1);
  const int line = std::stoi(msg.substr(first + 1, second - first - 1));
  EXPECT_GE(line, 3);
  EXPECT_LE(line, 5);
}

TEST(FleetParserErrorTest, TabIndentationIsASyntaxError) {
  const std::string doc = "apiVersion: harchos.io/v1alpha1\nkind: Fleet\nmetadata:\n\tname: x\n";
  const std::string msg = ParseError(doc);
  EXPECT_THAT(msg, StartsWith("test.yaml:"));
  EXPECT_THAT(msg, HasSubstr("YAML syntax error"));
}

TEST(FleetParserErrorTest, DeeplyNestedFlowDocumentIsRejectedWithoutCrashing) {
  const std::string msg = ParseError(std::string(10000, '['));
  EXPECT_THAT(msg, StartsWith("test.yaml:1:65: "));
  EXPECT_THAT(msg, HasSubstr("nests deeper than 64 levels"));
  EXPECT_THAT(ParseError(std::string(10000, '{')), HasSubstr("nests deeper"));
  std::string mixed;
  for (int i = 0; i < 5000; ++i) mixed += "[{a: ";
  EXPECT_THAT(ParseError(mixed), HasSubstr("nests deeper"));
}

TEST(FleetParserErrorTest, DeeplyNestedBlockDocumentIsRejectedWithoutCrashing) {
  std::string doc;
  for (int i = 0; i < 1000; ++i) doc += std::string(static_cast<size_t>(i), ' ') + "- \n";
  EXPECT_THAT(ParseError(doc), HasSubstr("nests deeper"));
  std::string chained;
  for (int i = 0; i < 5000; ++i) chained += "- ";
  chained += "x\n";
  EXPECT_THAT(ParseError(chained), HasSubstr("nests deeper"));
}

TEST(FleetParserErrorTest, BracketsInsideQuotesDoNotCountAsNesting) {
  std::string brackets(200, '[');
  const std::string doc = Doc(R"(  hubs:
    - id: a
      name: ")" + brackets + R"("
      country: MA
      racks: []
)");
  const FleetSpec spec = MustParse(doc);
  ASSERT_EQ(spec.hubs.size(), 1u);
  EXPECT_EQ(spec.hubs[0].name, brackets);
}

// ---------------------------------------------------------------------------------------------
// Errors found while building: cross-references, duplicates, sizes.

TEST(FleetBuildErrorTest, DuplicateHubId) {
  const std::string doc = Doc(R"(  hubs:
    - id: a
      country: MA
      racks: []
    - id: a
      country: SN
      racks: []
)");
  const std::string msg = BuildError(doc);
  EXPECT_THAT(msg, StartsWith(At(doc, "id: a", 1) + ": spec.hubs[1]: "));
  EXPECT_THAT(msg, HasSubstr("hub id 'a' is used twice"));
}

TEST(FleetBuildErrorTest, DuplicateRackId) {
  const std::string doc = Doc(R"(  hubs:
    - id: a
      country: MA
      racks:
        - id: r
          nodes:
            - {name: n, cpu: 8, memory: 64GiB}
    - id: b
      country: SN
      racks:
        - id: r
          nodes:
            - {name: m, cpu: 8, memory: 64GiB}
)");
  const std::string msg = BuildError(doc);
  EXPECT_THAT(msg, StartsWith(At(doc, "id: r", 1) + ": spec.hubs[1].racks[0]: "));
  EXPECT_THAT(msg, HasSubstr("rack id 'r' is used twice"));
}

TEST(FleetBuildErrorTest, DuplicateRackIdFromACount) {
  // "r" with count 2 makes r-01 and r-02; a rack named r-02 then collides.
  const std::string doc = Doc(R"(  hubs:
    - id: a
      country: MA
      racks:
        - id: r
          count: 2
          nodes:
            - {name: n, cpu: 8, memory: 64GiB}
        - id: r-02
          nodes:
            - {name: m, cpu: 8, memory: 64GiB}
)");
  const std::string msg = BuildError(doc);
  EXPECT_THAT(msg, StartsWith(At(doc, "id: r-02") + ": spec.hubs[0].racks[1]: "));
  EXPECT_THAT(msg, HasSubstr("rack id 'r-02' is used twice"));
}

TEST(FleetBuildErrorTest, DuplicateNodeId) {
  const std::string doc = Doc(R"(  hubs:
    - id: a
      country: MA
      racks:
        - id: r
          nodes:
            - {name: n, cpu: 8, memory: 64GiB}
            - {name: n, cpu: 8, memory: 64GiB}
)");
  const std::string msg = BuildError(doc);
  EXPECT_THAT(msg, StartsWith(At(doc, "{name: n", 1) + ": spec.hubs[0].racks[0].nodes[1]: "));
  EXPECT_THAT(msg, HasSubstr("node id 'r-n' is already in use"));
}

TEST(FleetBuildErrorTest, UnknownTemplate) {
  const std::string doc = Doc(R"(  hubs:
    - id: a
      country: MA
      racks:
        - id: r
          nodes:
            - name: n
              template: hgx-h200
)");
  const std::string msg = BuildError(doc);
  EXPECT_THAT(msg, StartsWith(At(doc, "name: n") + ": spec.hubs[0].racks[0].nodes[0].template: "));
  EXPECT_THAT(msg, HasSubstr("unknown node template 'hgx-h200'"));
}

TEST(FleetBuildErrorTest, DuplicateTemplate) {
  const std::string doc = Doc(R"(  nodeTemplates:
    - {name: t, cpu: 8, memory: 64GiB}
    - {name: t, cpu: 16, memory: 64GiB}
  hubs:
    - {id: a, country: MA, racks: []}
)");
  const std::string msg = BuildError(doc);
  EXPECT_THAT(msg, StartsWith(At(doc, "{name: t", 1) + ": spec.nodeTemplates[1]: "));
  EXPECT_THAT(msg, HasSubstr("node template 't' is declared twice"));
}

TEST(FleetBuildErrorTest, UnknownGpuModel) {
  const std::string doc = Doc(R"(  hubs:
    - id: a
      country: MA
      racks:
        - id: r
          nodes:
            - name: n
              cpu: 8
              memory: 64GiB
              gpus: {model: H300, count: 8}
)");
  const std::string msg = BuildError(doc);
  EXPECT_THAT(msg, StartsWith(At(doc, "{model") + ": spec.hubs[0].racks[0].nodes[0].gpus.model: "));
  EXPECT_THAT(msg, HasSubstr("unknown GPU model 'H300'"));
  EXPECT_THAT(msg, HasSubstr("H100-SXM"));  // lists the known ones
}

TEST(FleetBuildErrorTest, GpuModelDeclaredTwice) {
  const std::string doc = Doc(R"(  gpuModels:
    - {name: Z, memory: 16GiB, computeCapability: "8.0", tdpWatts: 100}
    - {name: Z, memory: 32GiB, computeCapability: "8.0", tdpWatts: 100}
  hubs:
    - {id: a, country: MA, racks: []}
)");
  const std::string msg = BuildError(doc);
  EXPECT_THAT(msg, StartsWith(At(doc, "{name: Z", 1) + ": spec.gpuModels[1]: "));
  EXPECT_THAT(msg, HasSubstr("GPU model 'Z' is declared twice"));
}

TEST(FleetBuildErrorTest, WanLinkToAMissingHub) {
  const std::string doc = Doc(R"(  hubs:
    - {id: a, country: MA, racks: []}
    - {id: b, country: SN, racks: []}
  wanLinks:
    - {from: a, to: b, latencyMs: 10, bandwidthGbps: 10}
    - {from: a, to: c, latencyMs: 10, bandwidthGbps: 10}
)");
  const std::string msg = BuildError(doc);
  EXPECT_THAT(msg, StartsWith(At(doc, "{from: a", 1) + ": spec.wanLinks[1]: "));
  EXPECT_THAT(msg, HasSubstr("'to' names no hub: 'c'"));

  const std::string from_doc = Doc(R"(  hubs:
    - {id: a, country: MA, racks: []}
  wanLinks:
    - {from: x, to: a, latencyMs: 10, bandwidthGbps: 10}
)");
  EXPECT_THAT(BuildError(from_doc), HasSubstr("spec.wanLinks[0]: 'from' names no hub: 'x'"));
}

TEST(FleetBuildErrorTest, DuplicateAndSelfWanLinks) {
  const std::string dup = Doc(R"(  hubs:
    - {id: a, country: MA, racks: []}
    - {id: b, country: SN, racks: []}
  wanLinks:
    - {from: a, to: b, latencyMs: 10, bandwidthGbps: 10}
    - {from: b, to: a, latencyMs: 10, bandwidthGbps: 10}
)");
  std::string msg = BuildError(dup);
  EXPECT_THAT(msg, StartsWith(At(dup, "{from: b") + ": spec.wanLinks[1]: "));
  EXPECT_THAT(msg, HasSubstr("already declared"));

  const std::string self = Doc(R"(  hubs:
    - {id: a, country: MA, racks: []}
  wanLinks:
    - {from: a, to: a, latencyMs: 10, bandwidthGbps: 10}
)");
  msg = BuildError(self);
  EXPECT_THAT(msg, HasSubstr("spec.wanLinks[0]: "));
  EXPECT_THAT(msg, HasSubstr("two different hubs"));
}

TEST(FleetBuildErrorTest, MigEnabledOnAModelWithoutMig) {
  const std::string doc = Doc(R"(  hubs:
    - id: a
      country: MA
      racks:
        - id: r
          nodes:
            - name: n
              cpu: 8
              memory: 64GiB
              gpus: {model: L4, count: 1, migEnabled: true}
)");
  const std::string msg = BuildError(doc);
  EXPECT_THAT(msg,
              StartsWith(At(doc, "{model") + ": spec.hubs[0].racks[0].nodes[0].gpus.migEnabled: "));
  EXPECT_THAT(msg, HasSubstr("GPU model L4 has no MIG"));
}

TEST(FleetBuildErrorTest, MigEnabledThroughATemplate) {
  const std::string doc = Doc(R"(  nodeTemplates:
    - name: t
      cpu: 8
      memory: 64GiB
      gpus: {model: L40S, count: 2, migEnabled: true}
  hubs:
    - id: a
      country: MA
      racks:
        - id: r
          nodes:
            - {name: n, template: t}
)");
  const std::string msg = BuildError(doc);
  // The error points at the template's GPU group, where the mistake is.
  EXPECT_THAT(msg, StartsWith(At(doc, "{model") + ": spec.nodeTemplates[0].gpus.migEnabled: "));
  EXPECT_THAT(msg, HasSubstr("GPU model L40S has no MIG"));
}

TEST(FleetBuildErrorTest, NvlinkPairsWithAnOddGpuCount) {
  const std::string doc = Doc(R"(  hubs:
    - id: a
      country: MA
      racks:
        - id: r
          nodes:
            - name: n
              cpu: 8
              memory: 64GiB
              gpus: {model: H100-PCIe, count: 3, nvlink: pairs}
)");
  const std::string msg = BuildError(doc);
  EXPECT_THAT(msg, StartsWith(At(doc, "{model") + ": spec.hubs[0].racks[0].nodes[0].gpus.nvlink: "));
  EXPECT_THAT(msg, HasSubstr("pairs needs an even GPU count, got 3"));
}

TEST(FleetBuildErrorTest, PairsInAMultiNodeRack) {
  const std::string doc = Doc(R"(  hubs:
    - id: a
      country: MA
      racks:
        - id: r
          nvlink: multi-node
          nodes:
            - {name: n, cpu: 8, memory: 64GiB, gpus: {model: GB200, count: 4, nvlink: pairs}}
)");
  const std::string msg = BuildError(doc);
  EXPECT_THAT(msg, HasSubstr("spec.hubs[0].racks[0].nodes[0].gpus.nvlink: "));
  EXPECT_THAT(msg, HasSubstr("multi-node"));
}

TEST(FleetBuildErrorTest, PcieLayoutMustNest) {
  const std::string doc = Doc(R"(  hubs:
    - id: a
      country: MA
      racks:
        - id: r
          nodes:
            - {name: n, cpu: 8, memory: 64GiB, gpus: {model: L4, count: 2, pcieSwitches: 1, hostBridges: 2}}
)");
  const std::string msg = BuildError(doc);
  EXPECT_THAT(msg, StartsWith(At(doc, "{model") + ": spec.hubs[0].racks[0].nodes[0].gpus: "));
  EXPECT_THAT(msg, HasSubstr("hostBridges <= pcieSwitches <= count"));
}

TEST(FleetBuildErrorTest, GpuHealthBeyondTheNode) {
  const std::string doc = Doc(R"(  hubs:
    - id: a
      country: MA
      racks:
        - id: r
          nodes:
            - name: n
              cpu: 8
              memory: 64GiB
              gpus: {model: L4, count: 2}
              gpuHealth: {5: failed}
)");
  const std::string msg = BuildError(doc);
  EXPECT_THAT(msg, StartsWith(At(doc, "name: n") + ": spec.hubs[0].racks[0].nodes[0]: "));
  EXPECT_THAT(msg, HasSubstr("gpuHealth names GPU 5"));
}

TEST(FleetBuildErrorTest, MissingCpuNeitherInlineNorInTemplate) {
  const std::string doc = Doc(R"(  nodeTemplates:
    - {name: t, memory: 64GiB}
  hubs:
    - id: a
      country: MA
      racks:
        - id: r
          nodes:
            - {name: n, template: t}
)");
  const std::string msg = BuildError(doc);
  EXPECT_THAT(msg, StartsWith(At(doc, "{name: n") + ": spec.hubs[0].racks[0].nodes[0].cpu: "));
  EXPECT_THAT(msg, HasSubstr("missing required field"));
}

TEST(FleetBuildErrorTest, NoHubs) {
  EXPECT_THAT(BuildError(Doc("  hubs: []\n")), HasSubstr("at least one hub"));
}

TEST(FleetBuildErrorTest, MoreThanAMillionGpusIsRejectedBeforeAllocation) {
  // 2,000 racks x 100 nodes x 8 GPUs = 1.6 million GPUs in 200,000 nodes.
  const std::string doc = Doc(R"(  hubs:
    - id: a
      country: MA
      racks:
        - id: r
          count: 2000
          nodes:
            - {name: n, count: 100, cpu: 8, memory: 64GiB, gpus: {model: L4, count: 8}}
)");
  const std::string msg = BuildError(doc);
  EXPECT_THAT(msg, StartsWith(At(doc, "{name: n") + ": spec.hubs[0].racks[0].nodes[0]: "));
  EXPECT_THAT(msg, HasSubstr("more than 1000000 GPUs"));
}

TEST(FleetBuildErrorTest, TenBillionNodesAreRejectedBeforeAllocation) {
  // Each count is within its own limit; the product is not. Finishing at all shows nothing was
  // expanded.
  const std::string doc = Doc(R"(  nodeTemplates:
    - {name: t, cpu: 8, memory: 64GiB, gpus: {model: L4, count: 1}}
  hubs:
    - id: a
      country: MA
      racks:
        - id: r
          count: 100000
          nodes:
            - {name: n, count: 100000, template: t}
)");
  const std::string msg = BuildError(doc);
  EXPECT_THAT(msg, StartsWith(At(doc, "{name: n") + ": spec.hubs[0].racks[0].nodes[0]: "));
  EXPECT_THAT(msg, HasSubstr("the fleet expands to more than"));
}

TEST(FleetBuildErrorTest, LimitsAddUpAcrossHubs) {
  // 600,000 GPUs in each of two hubs: each alone is fine, together they are not.
  const std::string doc = Doc(R"(  nodeTemplates:
    - {name: t, cpu: 8, memory: 64GiB, gpus: {model: L4, count: 8}}
  hubs:
    - id: a
      country: MA
      racks:
        - {id: r, count: 750, nodes: [{name: n, count: 100, template: t}]}
    - id: b
      country: SN
      racks:
        - {id: s, count: 750, nodes: [{name: n, count: 100, template: t}]}
)");
  const std::string msg = BuildError(doc);
  EXPECT_THAT(msg, HasSubstr("spec.hubs[1].racks[0].nodes[0]: "));
  EXPECT_THAT(msg, HasSubstr("more than 1000000 GPUs"));
}

}  // namespace
}  // namespace harch

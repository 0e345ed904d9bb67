#include "resource/fleet_generator.h"

#include <array>
#include <map>

#include "base/random.h"

namespace harch {
namespace {

struct RackKind {
  const char* name;
  const char* template_name;
  int nodes_per_rack;
  int gpus_per_node;
  bool multi_node;
  int weight;  // relative frequency
};

constexpr std::array<RackKind, 6> kKinds{{
    {"h100", "hgx-h100", 4, 8, false, 30},
    {"a100", "hgx-a100", 4, 8, false, 25},
    {"nvl72", "gb200-tray", 18, 4, true, 5},
    {"h100p", "pcie-h100", 4, 8, false, 10},
    {"l40s", "l40s-4", 8, 4, false, 15},
    {"l4", "l4-1", 16, 1, false, 15},
}};

constexpr std::array<const char*, 8> kCountries{"MA", "SN", "FR", "DE", "ES", "NG", "KE", "ZA"};

GpuGroupSpec Gpus(const char* model, int count, NodeNvlink nvlink, int switches) {
  GpuGroupSpec g;
  g.model = model;
  g.count = count;
  g.nvlink = nvlink;
  g.pcie_switches = switches;
  return g;
}

NodeTemplateSpec Template(const char* name, int64_t cores, Bytes memory, int numa, GpuGroupSpec gpus) {
  NodeTemplateSpec t;
  t.name = name;
  t.shape.cpu = MilliCpu{cores * 1000};
  t.shape.memory = memory;
  t.shape.numa_nodes = numa;
  t.shape.gpus = std::move(gpus);
  return t;
}

}  // namespace

Result<FleetSpec> GenerateFleet(const GeneratorOptions& o) {
  if (o.gpus < 1 || o.gpus > 1'000'000) return InvalidArgument("--gpus must be in [1, 1000000]");
  if (o.hubs < 1 || o.hubs > 64) return InvalidArgument("--hubs must be in [1, 64]");
  if (o.gpus < o.hubs) return InvalidArgument("need at least one GPU per hub");
  FleetSpec spec;
  spec.name = "generated-" + std::to_string(o.gpus);
  spec.templates = {
      Template("hgx-h100", 112, TiB(2), 2, Gpus("H100-SXM", 8, NodeNvlink::kNvswitch, 4)),
      Template("hgx-a100", 128, TiB(1), 2, Gpus("A100-SXM", 8, NodeNvlink::kNvswitch, 4)),
      Template("gb200-tray", 144, GiB(960), 2, Gpus("GB200", 4, NodeNvlink::kNone, 2)),
      Template("pcie-h100", 64, GiB(1024), 2, Gpus("H100-PCIe", 8, NodeNvlink::kPairs, 4)),
      Template("l40s-4", 64, GiB(512), 2, Gpus("L40S", 4, NodeNvlink::kNone, 2)),
      Template("l4-1", 16, GiB(128), 1, Gpus("L4", 1, NodeNvlink::kNone, 1)),
  };
  Random rng(o.seed);
  int total_weight = 0;
  for (const auto& k : kKinds) total_weight += k.weight;
  for (int h = 0; h < o.hubs; ++h) {
    HubSpec hub;
    hub.id = "hub-" + std::to_string(h + 1);
    hub.name = "Hub " + std::to_string(h + 1);
    hub.country = kCountries[static_cast<size_t>(h) % kCountries.size()];
    hub.carbon_zone = hub.country;
    hub.pue = 1.1 + 0.05 * static_cast<double>(h % 5);
    hub.energy_price_usd_per_kwh = 0.06 + 0.01 * static_cast<double>(h % 7);
    int64_t remaining = o.gpus / o.hubs + (h < o.gpus % o.hubs ? 1 : 0);
    std::map<size_t, int64_t> racks_of_kind;
    // Draw whole racks while they fit; the rest becomes single-GPU nodes.
    for (int tries = 0; tries < 64 && remaining > 0;) {
      int64_t pick = rng.Uniform(0, total_weight - 1);
      size_t kind = 0;
      while (pick >= kKinds[kind].weight) pick -= kKinds[kind++].weight;
      const int64_t size = int64_t{kKinds[kind].nodes_per_rack} * kKinds[kind].gpus_per_node;
      if (size <= remaining) {
        ++racks_of_kind[kind];
        remaining -= size;
        tries = 0;
      } else {
        ++tries;
      }
    }
    for (const auto& [kind, count] : racks_of_kind) {
      const RackKind& k = kKinds[kind];
      RackSpec rack;
      rack.id = hub.id + "-" + k.name;
      rack.count = count;
      rack.nvlink = k.multi_node ? RackNvlink::kMultiNode : RackNvlink::kNone;
      NodeEntrySpec node;
      node.name = "n";
      node.count = k.nodes_per_rack;
      node.template_name = k.template_name;
      rack.nodes.push_back(node);
      hub.racks.push_back(std::move(rack));
    }
    if (remaining > 0) {
      RackSpec rack;
      rack.id = hub.id + "-fill";
      NodeEntrySpec node;
      node.name = "l4-";
      node.count = remaining;
      node.template_name = "l4-1";
      rack.nodes.push_back(node);
      hub.racks.push_back(std::move(rack));
    }
    spec.hubs.push_back(std::move(hub));
  }
  for (int a = 0; a < o.hubs; ++a) {
    for (int b = a + 1; b < o.hubs; ++b) {
      spec.links.push_back({spec.hubs[a].id, spec.hubs[b].id, 5.0 + 3.0 * (b - a), 100.0, {}});
    }
  }
  return spec;
}

}  // namespace harch

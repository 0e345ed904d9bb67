// FleetSpec -> Topology: applies templates and counts, resolves names, checks limits.
#include <algorithm>
#include <set>
#include <unordered_map>

#include "resource/topology.h"

namespace harch {
namespace {

constexpr int64_t kMaxFleetGpus = 1'000'000;
constexpr int64_t kMaxFleetNodes = 250'000;

std::string Numbered(const std::string& base, int64_t i, int64_t count) {
  std::string digits = std::to_string(i);
  const size_t width = std::max<size_t>(2, std::to_string(count).size());
  if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
  return base + digits;
}

std::string KnownModels(const GpuCatalog& catalog) {
  std::string out;
  for (const auto& m : catalog.models()) out += (out.empty() ? "" : ", ") + m.name;
  return out;
}

class Builder {
 public:
  explicit Builder(const FleetSpec& spec) : spec_(spec), topo_(GpuCatalog::BuiltIn()) {}

  Result<Topology> Build() {
    HARCH_RETURN_IF_ERROR(AddModels());
    HARCH_RETURN_IF_ERROR(IndexTemplates());
    HARCH_RETURN_IF_ERROR(CheckSize());
    if (spec_.hubs.empty()) return InvalidArgument("spec.hubs: a fleet needs at least one hub");
    for (const auto& hub : spec_.hubs) HARCH_RETURN_IF_ERROR(AddHub(hub));
    for (const auto& link : spec_.links) HARCH_RETURN_IF_ERROR(AddLink(link));
    return std::move(topo_);
  }

 private:
  Status AddModels() {
    GpuCatalog catalog = GpuCatalog::BuiltIn();
    std::set<std::string> seen;
    for (const auto& m : spec_.models) {
      if (!seen.insert(m.model.name).second) {
        return m.ref.Error("GPU model '" + m.model.name + "' is declared twice");
      }
      catalog.Put(m.model);
    }
    topo_ = Topology(std::move(catalog));
    return Status::Ok();
  }

  Status IndexTemplates() {
    for (const auto& t : spec_.templates) {
      if (!templates_.emplace(t.name, &t).second) {
        return t.ref.Error("node template '" + t.name + "' is declared twice");
      }
    }
    return Status::Ok();
  }

  // Counts what the spec expands to before allocating any of it.
  Status CheckSize() {
    int64_t nodes = 0;
    int64_t gpus = 0;
    for (const auto& hub : spec_.hubs) {
      for (const auto& rack : hub.racks) {
        const int64_t racks = rack.count.value_or(1);
        for (const auto& entry : rack.nodes) {
          const int64_t n = racks * entry.count.value_or(1);
          int64_t per_node = 0;
          if (entry.shape.gpus) {
            per_node = entry.shape.gpus->count;
          } else if (auto it = templates_.find(entry.template_name);
                     it != templates_.end() && it->second->shape.gpus) {
            per_node = it->second->shape.gpus->count;
          }
          nodes += n;
          gpus += n * per_node;
          if (nodes > kMaxFleetNodes) {
            return entry.ref.Error("the fleet expands to more than " +
                                   std::to_string(kMaxFleetNodes) + " nodes");
          }
          if (gpus > kMaxFleetGpus) {
            return entry.ref.Error("the fleet expands to more than " +
                                   std::to_string(kMaxFleetGpus) + " GPUs");
          }
        }
      }
    }
    return Status::Ok();
  }

  Status AddHub(const HubSpec& spec) {
    if (topo_.FindHub(spec.id)) return spec.ref.Error("hub id '" + spec.id + "' is used twice");
    Hub hub;
    hub.id = spec.id;
    hub.name = spec.name;
    hub.country = spec.country;
    hub.carbon_zone = spec.carbon_zone;
    hub.carbon_zone_stand_in = spec.carbon_zone_stand_in;
    hub.pue = spec.pue;
    hub.energy_price_usd_per_kwh = spec.energy_price_usd_per_kwh;
    const HubIdx h = topo_.AddHub(std::move(hub));
    for (const auto& rack : spec.racks) {
      const int64_t count = rack.count.value_or(1);
      for (int64_t i = 1; i <= count; ++i) {
        const std::string id = rack.count ? Numbered(rack.id + "-", i, count) : rack.id;
        if (!rack_ids_.insert(id).second) return rack.ref.Error("rack id '" + id + "' is used twice");
        const RackIdx r = topo_.AddRack(h, id, rack.nvlink == RackNvlink::kMultiNode);
        for (const auto& entry : rack.nodes) HARCH_RETURN_IF_ERROR(AddNodes(r, rack, entry));
      }
    }
    return Status::Ok();
  }

  Status AddNodes(RackIdx r, const RackSpec& rack, const NodeEntrySpec& entry) {
    HARCH_ASSIGN_OR_RETURN(NodeDef def, Resolve(rack, entry));
    const std::string& rack_id = topo_.rack(r).id;
    const int64_t count = entry.count.value_or(1);
    for (int64_t i = 1; i <= count; ++i) {
      def.id = entry.count ? Numbered(rack_id + "-" + entry.name, i, count)
                           : rack_id + "-" + entry.name;
      auto added = topo_.AddNode(r, def);
      if (!added.ok()) return entry.ref.Error(added.status().message());
    }
    return Status::Ok();
  }

  // Merges template and inline fields into a NodeDef (without its id).
  Result<NodeDef> Resolve(const RackSpec& rack, const NodeEntrySpec& entry) {
    NodeShape shape;
    if (!entry.template_name.empty()) {
      auto it = templates_.find(entry.template_name);
      if (it == templates_.end()) {
        SourceRef ref = entry.ref;
        ref.path += ".template";
        return ref.Error("unknown node template '" + entry.template_name + "'");
      }
      shape = it->second->shape;
    }
    const NodeShape& o = entry.shape;
    if (o.cpu) shape.cpu = o.cpu;
    if (o.memory) shape.memory = o.memory;
    if (o.numa_nodes) shape.numa_nodes = o.numa_nodes;
    for (const auto& [k, v] : o.labels) shape.labels[k] = v;
    if (o.gpus) shape.gpus = o.gpus;

    auto missing = [&](const char* field) {
      SourceRef ref = entry.ref;
      ref.path += std::string(".") + field;
      return ref.Error("missing required field (set it here or in the template)");
    };
    if (!shape.cpu) return missing("cpu");
    if (!shape.memory) return missing("memory");

    NodeDef def;
    def.cpu = *shape.cpu;
    def.memory = *shape.memory;
    def.numa_nodes = static_cast<int>(shape.numa_nodes.value_or(1));
    def.labels = shape.labels;
    def.health = entry.health;
    def.gpu_health = entry.gpu_health;
    if (!shape.gpus) {
      if (!def.gpu_health.empty()) return entry.ref.Error("gpuHealth given for a node without GPUs");
      return def;
    }
    const GpuGroupSpec& g = *shape.gpus;
    auto model = topo_.catalog().Find(g.model);
    if (!model) {
      SourceRef ref = g.ref;
      ref.path += ".model";
      return ref.Error("unknown GPU model '" + g.model + "' (known: " + KnownModels(topo_.catalog()) +
                       "; declare others under spec.gpuModels)");
    }
    const GpuModel& m = topo_.catalog().at(*model);
    if (g.mig_enabled && !m.mig_capable) {
      SourceRef ref = g.ref;
      ref.path += ".migEnabled";
      return ref.Error("GPU model " + m.name + " has no MIG");
    }
    if (rack.nvlink == RackNvlink::kMultiNode && g.nvlink == NodeNvlink::kPairs) {
      SourceRef ref = g.ref;
      ref.path += ".nvlink";
      return ref.Error("nodes of a multi-node NVLink rack cannot also declare NVLink pairs");
    }
    def.model = *model;
    def.gpu_count = static_cast<int>(g.count);
    def.gpu_memory = g.memory.value_or(m.memory);
    def.nvlink = g.nvlink;
    def.pcie_switches = static_cast<int>(g.pcie_switches ? g.pcie_switches : (g.count + 1) / 2);
    def.host_bridges = static_cast<int>(g.host_bridges ? g.host_bridges : def.pcie_switches);
    def.mig_enabled = g.mig_enabled;
    if (def.pcie_switches > def.gpu_count || def.host_bridges > def.pcie_switches) {
      return g.ref.Error("need hostBridges <= pcieSwitches <= count");
    }
    if (g.nvlink == NodeNvlink::kPairs && g.count % 2 != 0) {
      SourceRef ref = g.ref;
      ref.path += ".nvlink";
      return ref.Error("pairs needs an even GPU count, got " + std::to_string(g.count));
    }
    return def;
  }

  Status AddLink(const WanLinkSpec& link) {
    auto from = topo_.FindHub(link.from);
    auto to = topo_.FindHub(link.to);
    if (!from) return link.ref.Error("'from' names no hub: '" + link.from + "'");
    if (!to) return link.ref.Error("'to' names no hub: '" + link.to + "'");
    Status st = topo_.AddWanLink(*from, *to,
                                 {link.latency_ms, link.bandwidth_gbps,
                                  link.energy_kwh_per_gb.value_or(kDefaultWanEnergyKwhPerGB)});
    if (!st.ok()) return link.ref.Error(st.message());
    return Status::Ok();
  }

  const FleetSpec& spec_;
  Topology topo_;
  std::unordered_map<std::string, const NodeTemplateSpec*> templates_;
  std::set<std::string> rack_ids_;
};

}  // namespace

Result<Topology> BuildTopology(const FleetSpec& spec) { return Builder(spec).Build(); }

Result<Topology> LoadTopologyFile(const std::string& path) {
  HARCH_ASSIGN_OR_RETURN(FleetSpec spec, LoadFleetSpecFile(path));
  return BuildTopology(spec);
}

}  // namespace harch

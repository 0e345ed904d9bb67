// FleetSpec -> YAML, in the form ParseFleetSpec reads.
#include <yaml-cpp/yaml.h>

#include "resource/fleet_spec.h"

namespace harch {
namespace {

std::string FormatCpu(MilliCpu cpu) {
  if (cpu.value % 1000 == 0) return std::to_string(cpu.value / 1000);
  return std::to_string(cpu.value) + "m";
}

std::string_view NodeNvlinkName(NodeNvlink n) {
  switch (n) {
    case NodeNvlink::kNone: return "none";
    case NodeNvlink::kNvswitch: return "nvswitch";
    case NodeNvlink::kPairs: return "pairs";
  }
  return "none";
}

void EmitShape(YAML::Emitter& out, const NodeShape& shape) {
  if (shape.cpu) out << YAML::Key << "cpu" << YAML::Value << FormatCpu(*shape.cpu);
  if (shape.memory) out << YAML::Key << "memory" << YAML::Value << FormatBytesExact(*shape.memory);
  if (shape.numa_nodes) out << YAML::Key << "numaNodes" << YAML::Value << *shape.numa_nodes;
  if (!shape.labels.empty()) {
    out << YAML::Key << "labels" << YAML::Value << YAML::BeginMap;
    for (const auto& [k, v] : shape.labels) out << YAML::Key << k << YAML::Value << v;
    out << YAML::EndMap;
  }
  if (shape.gpus) {
    const GpuGroupSpec& g = *shape.gpus;
    out << YAML::Key << "gpus" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "model" << YAML::Value << g.model;
    out << YAML::Key << "count" << YAML::Value << g.count;
    if (g.memory) out << YAML::Key << "memory" << YAML::Value << FormatBytesExact(*g.memory);
    out << YAML::Key << "nvlink" << YAML::Value << std::string(NodeNvlinkName(g.nvlink));
    if (g.pcie_switches) out << YAML::Key << "pcieSwitches" << YAML::Value << g.pcie_switches;
    if (g.host_bridges) out << YAML::Key << "hostBridges" << YAML::Value << g.host_bridges;
    if (g.mig_enabled) out << YAML::Key << "migEnabled" << YAML::Value << true;
    out << YAML::EndMap;
  }
}

}  // namespace

std::string WriteFleetSpec(const FleetSpec& spec) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "apiVersion" << YAML::Value << "harchos.io/v1alpha1";
  out << YAML::Key << "kind" << YAML::Value << "Fleet";
  out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap << YAML::Key << "name"
      << YAML::Value << spec.name << YAML::EndMap;
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  if (!spec.models.empty()) {
    out << YAML::Key << "gpuModels" << YAML::Value << YAML::BeginSeq;
    for (const auto& m : spec.models) {
      out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << m.model.name;
      out << YAML::Key << "family" << YAML::Value << m.model.family;
      out << YAML::Key << "memory" << YAML::Value << FormatBytesExact(m.model.memory);
      out << YAML::Key << "computeCapability" << YAML::Value
          << FormatComputeCapability(m.model.compute_capability);
      out << YAML::Key << "tdpWatts" << YAML::Value << m.model.tdp_watts;
      if (m.model.mig_capable) {
        out << YAML::Key << "mig" << YAML::Value << true;
        out << YAML::Key << "migSliceMemoryGB" << YAML::Value << m.model.mig_slice_gb;
      }
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  if (!spec.templates.empty()) {
    out << YAML::Key << "nodeTemplates" << YAML::Value << YAML::BeginSeq;
    for (const auto& t : spec.templates) {
      out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << t.name;
      EmitShape(out, t.shape);
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  out << YAML::Key << "hubs" << YAML::Value << YAML::BeginSeq;
  for (const auto& hub : spec.hubs) {
    out << YAML::BeginMap;
    out << YAML::Key << "id" << YAML::Value << hub.id;
    out << YAML::Key << "name" << YAML::Value << hub.name;
    out << YAML::Key << "country" << YAML::Value << hub.country;
    if (!hub.carbon_zone.empty()) out << YAML::Key << "carbonZone" << YAML::Value << hub.carbon_zone;
    if (hub.carbon_zone_stand_in) out << YAML::Key << "carbonZoneStandIn" << YAML::Value << true;
    out << YAML::Key << "pue" << YAML::Value << hub.pue;
    out << YAML::Key << "energyPriceUsdPerKwh" << YAML::Value << hub.energy_price_usd_per_kwh;
    out << YAML::Key << "racks" << YAML::Value << YAML::BeginSeq;
    for (const auto& rack : hub.racks) {
      out << YAML::BeginMap << YAML::Key << "id" << YAML::Value << rack.id;
      if (rack.count) out << YAML::Key << "count" << YAML::Value << *rack.count;
      if (rack.nvlink == RackNvlink::kMultiNode) {
        out << YAML::Key << "nvlink" << YAML::Value << "multi-node";
      }
      out << YAML::Key << "nodes" << YAML::Value << YAML::BeginSeq;
      for (const auto& node : rack.nodes) {
        out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << node.name;
        if (node.count) out << YAML::Key << "count" << YAML::Value << *node.count;
        if (!node.template_name.empty()) {
          out << YAML::Key << "template" << YAML::Value << node.template_name;
        }
        EmitShape(out, node.shape);
        if (node.health != Health::kHealthy) {
          out << YAML::Key << "health" << YAML::Value << std::string(HealthName(node.health));
        }
        if (!node.gpu_health.empty()) {
          out << YAML::Key << "gpuHealth" << YAML::Value << YAML::BeginMap;
          for (const auto& [i, h] : node.gpu_health) {
            out << YAML::Key << i << YAML::Value << std::string(HealthName(h));
          }
          out << YAML::EndMap;
        }
        out << YAML::EndMap;
      }
      out << YAML::EndSeq << YAML::EndMap;
    }
    out << YAML::EndSeq << YAML::EndMap;
  }
  out << YAML::EndSeq;
  if (!spec.links.empty()) {
    out << YAML::Key << "wanLinks" << YAML::Value << YAML::BeginSeq;
    for (const auto& l : spec.links) {
      out << YAML::Flow << YAML::BeginMap;
      out << YAML::Key << "from" << YAML::Value << l.from << YAML::Key << "to" << YAML::Value
          << l.to;
      out << YAML::Key << "latencyMs" << YAML::Value << l.latency_ms;
      out << YAML::Key << "bandwidthGbps" << YAML::Value << l.bandwidth_gbps;
      if (l.energy_kwh_per_gb) out << YAML::Key << "energyKwhPerGB" << YAML::Value << *l.energy_kwh_per_gb;
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  out << YAML::EndMap << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace harch

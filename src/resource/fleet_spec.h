// The fleet spec: what an operator writes to describe hardware (examples/fleets/*.yaml).
//
// These structs mirror the YAML document one to one, templates and counts included; the
// topology builder expands them. Every element keeps a SourceRef so that errors found while
// building still name file:line:column and the field path. See docs/fleet-spec.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/quantity.h"
#include "base/yaml_reader.h"
#include "resource/gpu_model.h"

namespace harch {

enum class Health { kHealthy, kDegraded, kFailed };
std::string_view HealthName(Health h);
std::optional<Health> ParseHealth(std::string_view s);

// How the GPUs inside one node are linked by NVLink.
enum class NodeNvlink {
  kNone,      // PCIe only
  kNvswitch,  // all GPUs of the node in one all-to-all domain (HGX/DGX)
  kPairs,     // NVLink bridges between GPUs 0-1, 2-3, ... (PCIe cards)
};
// How the nodes of one rack are linked.
enum class RackNvlink {
  kNone,
  kMultiNode,  // every GPU of every node in the rack in one domain (GB200 NVL72)
};

struct GpuModelSpec {
  GpuModel model;
  SourceRef ref;
};

// The GPUs of a node: `count` identical GPUs of `model`.
struct GpuGroupSpec {
  std::string model;
  int64_t count = 0;
  std::optional<Bytes> memory;       // overrides the catalogue's
  NodeNvlink nvlink = NodeNvlink::kNone;
  int64_t pcie_switches = 0;         // 0: one switch per two GPUs
  int64_t host_bridges = 0;          // 0: one per PCIe switch
  bool mig_enabled = false;          // GPUs start in MIG mode
  SourceRef ref;
};

// Node fields that templates provide and node entries may override.
struct NodeShape {
  std::optional<MilliCpu> cpu;
  std::optional<Bytes> memory;
  std::optional<int64_t> numa_nodes;
  std::map<std::string, std::string> labels;
  std::optional<GpuGroupSpec> gpus;
};

struct NodeTemplateSpec {
  std::string name;
  NodeShape shape;
  SourceRef ref;
};

// One node, or `count` identical nodes named "<rack>-<name>01" ... when count is set.
struct NodeEntrySpec {
  std::string name;
  std::optional<int64_t> count;
  std::string template_name;  // empty: fully inline
  NodeShape shape;            // inline fields, overriding the template's
  Health health = Health::kHealthy;
  std::map<int64_t, Health> gpu_health;  // by GPU index
  SourceRef ref;
};

// One rack, or `count` identical racks named "<id>-01" ... when count is set.
struct RackSpec {
  std::string id;
  std::optional<int64_t> count;
  RackNvlink nvlink = RackNvlink::kNone;
  std::vector<NodeEntrySpec> nodes;
  SourceRef ref;
};

struct HubSpec {
  std::string id;
  std::string name;
  std::string country;      // ISO 3166-1 alpha-2; the hub's jurisdiction
  std::string carbon_zone;  // a zone of the carbon data sources
  bool carbon_zone_stand_in = false;  // the zone's data stands in for a place without its own
  double pue = 1.0;
  double energy_price_usd_per_kwh = 0.0;
  std::vector<RackSpec> racks;
  SourceRef ref;
};

// Energy of moving one GB (10^9 bytes) over a WAN link when the spec does not say
// (`energyKwhPerGB`). Aslan, Mayers, Koomey and France, "Electricity Intensity of Internet Data
// Transmission: Untangling the Estimates", Journal of Industrial Ecology 22(4), 2018, estimate
// 0.06 kWh/GB for core and fixed-line access networks in 2015, halving about every two years;
// extrapolated to 2025 that is 0.06 / 2^5 = 0.001875 kWh/GB. An operator who knows the figure of
// its own links should declare it.
inline constexpr double kDefaultWanEnergyKwhPerGB = 0.06 / 32;
// A declared figure above this is refused as absurd: 10 kWh/GB is what the same trend gives for
// the year 2000, over 5,000 times today's default.
inline constexpr double kMaxWanEnergyKwhPerGB = 10.0;

struct WanLinkSpec {
  std::string from;
  std::string to;
  double latency_ms = 0;
  double bandwidth_gbps = 0;
  std::optional<double> energy_kwh_per_gb;  // absent: kDefaultWanEnergyKwhPerGB
  SourceRef ref;
};

struct FleetSpec {
  std::string name;
  std::vector<GpuModelSpec> models;
  std::vector<NodeTemplateSpec> templates;
  std::vector<HubSpec> hubs;
  std::vector<WanLinkSpec> links;
};

// Parses a fleet spec document. Refuses unknown fields, wrong types and absurd values with
// file:line:column and the field path. Cross-references (templates, models, hub ids in links,
// duplicate ids) are checked when the topology is built, which is also where sizes are capped.
Result<FleetSpec> ParseFleetSpec(std::string_view yaml, const std::string& file);
Result<FleetSpec> LoadFleetSpecFile(const std::string& path);

// Writes a spec back as YAML that ParseFleetSpec reads to an equal spec.
std::string WriteFleetSpec(const FleetSpec& spec);

}  // namespace harch

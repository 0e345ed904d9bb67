// The fleet as a live topology graph: hubs, racks, nodes, GPUs and NVLink domains, with the
// free/allocated state of every GPU and MIG slice.
//
// Built from a FleetSpec (see BuildTopology) and then updated in place as nodes join or leave,
// GPUs degrade or fail, and allocations come and go. Elements are addressed by dense typed
// indices that stay valid for the topology's life: a removed node keeps its index and is
// marked kRemoved. Every GPU belongs to exactly one NVLink domain; a GPU without NVLink is
// alone in a domain of kind kNone.
//
// Thread-safety: none. One owner (the scheduler loop) reads and writes it; others get copies
// or summaries.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/ids.h"
#include "base/quantity.h"
#include "base/status.h"
#include "resource/fleet_spec.h"
#include "resource/gpu_model.h"

namespace harch {

// Link classes between two GPUs, nearest first, after the levels of `nvidia-smi topo -m`.
enum class LinkClass : uint8_t {
  kSelf = 0,
  kNvlink,      // NV#: same NVLink domain (NVSwitch, bridge, or multi-node rack)
  kPcieSwitch,  // PIX/PXB: same PCIe switch
  kHostBridge,  // PHB: same PCIe host bridge
  kNuma,        // NODE: same NUMA node, across host bridges
  kNode,        // SYS: same node, across NUMA nodes
  kRack,        // same rack, over the network
  kHub,         // same hub, across racks
  kWan,         // across hubs
};
std::string_view LinkClassName(LinkClass c);

enum class NodeState { kUp, kCordoned, kDown, kRemoved };
std::string_view NodeStateName(NodeState s);

enum class DomainKind { kNone, kNvswitch, kBridge, kMultiNode };
std::string_view DomainKindName(DomainKind k);

struct Hub {
  std::string id;
  std::string name;
  std::string country;
  std::string carbon_zone;
  bool carbon_zone_stand_in = false;
  double pue = 1.0;
  double energy_price_usd_per_kwh = 0.0;
  std::vector<RackIdx> racks;
};

struct WanLink {
  double latency_ms = 0;
  double bandwidth_gbps = 0;
  double energy_kwh_per_gb = kDefaultWanEnergyKwhPerGB;  // network energy to move one GB
};

// How data travels between two hubs: the declared links along the path of least total latency
// (ties: less energy, then fewer hops). Latency and energy add up over the hops; the bandwidth is
// the narrowest hop's.
struct WanRoute {
  double latency_ms = 0;
  double bandwidth_gbps = 0;     // +infinity from a hub to itself
  double energy_kwh_per_gb = 0;
  int hops = 0;                  // 0: from a hub to itself; 1: a direct link
};

struct Rack {
  std::string id;
  HubIdx hub;
  std::vector<NodeIdx> nodes;
  DomainIdx multi_node_domain;  // valid for multi-node NVLink racks
};

struct Node {
  std::string id;
  HubIdx hub;
  RackIdx rack;
  MilliCpu cpu;
  Bytes memory;
  int numa_nodes = 1;
  std::map<std::string, std::string> labels;
  Health health = Health::kHealthy;
  NodeState state = NodeState::kUp;
  std::vector<GpuIdx> gpus;  // all of one model
  uint64_t exclusive_owner = 0;  // AllocationId holding the whole node, 0 if none
  int busy_gpus = 0;             // GPUs with any allocation on them
  MilliCpu used_cpu;             // by allocations' node shares
  Bytes used_memory;
  std::vector<AllocationId> allocations;  // allocations with a grant on this node
};

struct Gpu {
  std::string id;  // "<node>/gpu<index>"
  NodeIdx node;
  HubIdx hub;
  RackIdx rack;
  DomainIdx domain;
  ModelIdx model;
  Bytes memory;
  int index = 0;
  int numa = 0;
  int pcie_switch = 0;
  int host_bridge = 0;
  Health health = Health::kHealthy;
  bool mig_enabled = false;
  int32_t used_milli = 0;  // whole and fractional grants; 1000 = fully taken
  uint8_t mig_mask = 0;    // occupied MIG memory slices
};

struct NvlinkDomain {
  std::string id;
  DomainKind kind = DomainKind::kNone;
  HubIdx hub;
  RackIdx rack;
  NodeIdx node;  // invalid for multi-node domains
  std::vector<GpuIdx> gpus;
};

// One GPU (or a share or MIG instance of it) inside an allocation.
struct GpuGrant {
  GpuIdx gpu;
  MilliGpu milli = kWholeGpu;  // for whole and fractional grants
  int mig_shape = -1;          // index into MigShapes(), or -1
  int mig_start = -1;          // first memory slice of the MIG instance
  auto operator<=>(const GpuGrant&) const = default;
};

// CPU and memory an allocation takes on one node (its replicas' requests there).
struct NodeShare {
  NodeIdx node;
  MilliCpu cpu;
  Bytes memory;
  auto operator<=>(const NodeShare&) const = default;
};

struct Allocation {
  AllocationId id;
  std::string owner;  // a job or task id, for people
  std::vector<GpuGrant> grants;
  bool exclusive_nodes = false;  // nobody else may use the nodes it touches
  std::vector<NodeShare> node_shares;
};

// A node to add, fully resolved (templates already applied).
struct NodeDef {
  std::string id;
  MilliCpu cpu;
  Bytes memory;
  int numa_nodes = 1;
  std::map<std::string, std::string> labels;
  Health health = Health::kHealthy;
  ModelIdx model;       // invalid: a node without GPUs
  int gpu_count = 0;
  Bytes gpu_memory;     // per GPU
  NodeNvlink nvlink = NodeNvlink::kNone;
  int pcie_switches = 1;
  int host_bridges = 1;
  bool mig_enabled = false;
  std::map<int64_t, Health> gpu_health;
};

class Topology {
 public:
  explicit Topology(GpuCatalog catalog) : catalog_(std::move(catalog)) {}

  // --- Construction (used by BuildTopology and by node joins) ---
  HubIdx AddHub(Hub hub);
  Status AddWanLink(HubIdx a, HubIdx b, WanLink link);
  RackIdx AddRack(HubIdx hub, std::string id, bool multi_node_nvlink);
  // Adds a node and its GPUs to a rack; they join the rack's multi-node domain if it has one.
  Result<NodeIdx> AddNode(RackIdx rack, const NodeDef& def);

  // --- Live updates ---
  // Each returns the allocations that lost a usable GPU, so the caller can requeue their work.
  std::vector<AllocationId> RemoveNode(NodeIdx node);
  std::vector<AllocationId> SetNodeState(NodeIdx node, NodeState state);
  std::vector<AllocationId> SetGpuHealth(GpuIdx gpu, Health health);
  // Switches a GPU in or out of MIG mode. REQUIRES: the GPU is idle and its model has MIG.
  Status SetMigMode(GpuIdx gpu, bool enabled);

  // Takes every grant and node share or none. Fails with FailedPrecondition if one no longer
  // fits (a GPU taken, not enough CPU or memory left on a node).
  Result<AllocationId> Allocate(std::string owner, std::vector<GpuGrant> grants,
                                bool exclusive_nodes, std::vector<NodeShare> node_shares = {});
  Status Release(AllocationId id);
  // Puts a released allocation back under its old id, as if it had never been released: for
  // what-if trials (reservations, preemption) on the live topology without copying it. Fails,
  // changing nothing, if a grant no longer fits.
  Status Reinstate(const Allocation& allocation);
  const Allocation* FindAllocation(AllocationId id) const;
  const std::unordered_map<AllocationId, Allocation>& allocations() const { return allocations_; }

  // --- Reads ---
  const GpuCatalog& catalog() const { return catalog_; }
  const std::vector<Hub>& hubs() const { return hubs_; }
  const std::vector<Rack>& racks() const { return racks_; }
  const std::vector<Node>& nodes() const { return nodes_; }
  const std::vector<Gpu>& gpus() const { return gpus_; }
  const std::vector<NvlinkDomain>& domains() const { return domains_; }
  const Hub& hub(HubIdx i) const { return hubs_[i.value]; }
  const Rack& rack(RackIdx i) const { return racks_[i.value]; }
  const Node& node(NodeIdx i) const { return nodes_[i.value]; }
  const Gpu& gpu(GpuIdx i) const { return gpus_[i.value]; }
  const NvlinkDomain& domain(DomainIdx i) const { return domains_[i.value]; }
  const GpuModel& model_of(GpuIdx i) const { return catalog_.at(gpus_[i.value].model); }
  // The direct link between two hubs, if one is declared.
  std::optional<WanLink> wan_link(HubIdx a, HubIdx b) const;
  // The route data takes from `a` to `b` over the declared links, direct or through other hubs;
  // nullopt when no chain of links joins them. O(hubs^2): for many lookups from one hub, use
  // WanRoutesFrom.
  std::optional<WanRoute> WanPath(HubIdx a, HubIdx b) const;
  // WanPath from `a` to every hub, indexed by hub.
  std::vector<std::optional<WanRoute>> WanRoutesFrom(HubIdx a) const;

  std::optional<HubIdx> FindHub(std::string_view id) const;
  std::optional<NodeIdx> FindNode(std::string_view id) const;
  std::optional<GpuIdx> FindGpu(std::string_view id) const;

  // The link class between two GPUs.
  LinkClass Distance(GpuIdx a, GpuIdx b) const;

  // True when the GPU exists, is healthy enough and its node takes new work.
  bool Schedulable(GpuIdx g, bool allow_degraded) const;
  // True when nothing is allocated on the GPU (no whole, fractional or MIG grant).
  bool Idle(GpuIdx g) const { return gpus_[g.value].used_milli == 0 && gpus_[g.value].mig_mask == 0; }

  // Bumped on every change, so callers can cache derived views.
  uint64_t generation() const { return generation_; }

 private:
  Status CheckGrant(const GpuGrant& grant, bool exclusive_nodes, uint64_t owner) const;
  Status Take(const Allocation& allocation);  // all grants or none, under allocation.id
  void ApplyGrant(const GpuGrant& grant, int sign);
  void ApplyShares(const std::vector<NodeShare>& shares, int sign);
  // Allocations with a grant on `node` (and on `gpu`, when given), sorted.
  std::vector<AllocationId> AllocationsOn(NodeIdx node, GpuIdx gpu = GpuIdx()) const;

  GpuCatalog catalog_;
  std::vector<Hub> hubs_;
  std::map<std::pair<uint32_t, uint32_t>, WanLink> wan_;
  std::vector<Rack> racks_;
  std::vector<Node> nodes_;
  std::vector<Gpu> gpus_;
  std::vector<NvlinkDomain> domains_;
  std::unordered_map<std::string, uint32_t> hub_by_id_;
  std::unordered_map<std::string, uint32_t> node_by_id_;
  std::unordered_map<std::string, uint32_t> rack_by_id_;
  std::unordered_map<AllocationId, Allocation> allocations_;
  uint64_t next_allocation_ = 1;
  uint64_t generation_ = 0;
};

// Expands a spec (templates x counts) into a topology. Checks every cross-reference, duplicate
// id and size limit, naming the spec element's file:line:column and path. All or nothing.
Result<Topology> BuildTopology(const FleetSpec& spec);

// Parses and builds in one step.
Result<Topology> LoadTopologyFile(const std::string& path);

}  // namespace harch

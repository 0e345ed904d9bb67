#include "resource/topology.h"

#include <algorithm>
#include <limits>
#include <map>

namespace harch {

std::string_view LinkClassName(LinkClass c) {
  switch (c) {
    case LinkClass::kSelf: return "SELF";
    case LinkClass::kNvlink: return "NV";
    case LinkClass::kPcieSwitch: return "PIX";
    case LinkClass::kHostBridge: return "PHB";
    case LinkClass::kNuma: return "NODE";
    case LinkClass::kNode: return "SYS";
    case LinkClass::kRack: return "RACK";
    case LinkClass::kHub: return "HUB";
    case LinkClass::kWan: return "WAN";
  }
  return "?";
}

std::string_view NodeStateName(NodeState s) {
  switch (s) {
    case NodeState::kUp: return "up";
    case NodeState::kCordoned: return "cordoned";
    case NodeState::kDown: return "down";
    case NodeState::kRemoved: return "removed";
  }
  return "?";
}

std::string_view DomainKindName(DomainKind k) {
  switch (k) {
    case DomainKind::kNone: return "none";
    case DomainKind::kNvswitch: return "nvswitch";
    case DomainKind::kBridge: return "bridge";
    case DomainKind::kMultiNode: return "multi-node";
  }
  return "?";
}

HubIdx Topology::AddHub(Hub hub) {
  const HubIdx idx(hubs_.size());
  hub_by_id_.emplace(hub.id, idx.value);
  hubs_.push_back(std::move(hub));
  ++generation_;
  return idx;
}

Status Topology::AddWanLink(HubIdx a, HubIdx b, WanLink link) {
  if (a == b) return InvalidArgument("a WAN link must join two different hubs");
  const auto key = std::minmax(a.value, b.value);
  if (!wan_.emplace(key, link).second) {
    return AlreadyExists("a link between " + hubs_[a.value].id + " and " + hubs_[b.value].id +
                         " is already declared");
  }
  ++generation_;
  return Status::Ok();
}

std::optional<WanLink> Topology::wan_link(HubIdx a, HubIdx b) const {
  auto it = wan_.find(std::minmax(a.value, b.value));
  if (it == wan_.end()) return std::nullopt;
  return it->second;
}

namespace {
// Orders routes: less latency, then less energy, then fewer hops.
bool Shorter(const WanRoute& x, const WanRoute& y) {
  if (x.latency_ms != y.latency_ms) return x.latency_ms < y.latency_ms;
  if (x.energy_kwh_per_gb != y.energy_kwh_per_gb) return x.energy_kwh_per_gb < y.energy_kwh_per_gb;
  return x.hops < y.hops;
}
}  // namespace

std::vector<std::optional<WanRoute>> Topology::WanRoutesFrom(HubIdx a) const {
  // Dijkstra over the hubs; fleets have a handful of them, so the O(hubs^2) form is the simple one.
  const size_t n = hubs_.size();
  std::vector<std::optional<WanRoute>> best(n);
  std::vector<bool> done(n, false);
  if (a.value >= n) return best;
  best[a.value] = WanRoute{0, std::numeric_limits<double>::infinity(), 0, 0};
  std::vector<std::vector<std::pair<uint32_t, const WanLink*>>> next(n);
  for (const auto& [key, link] : wan_) {
    next[key.first].emplace_back(key.second, &link);
    next[key.second].emplace_back(key.first, &link);
  }
  while (true) {
    std::optional<uint32_t> u;
    for (uint32_t i = 0; i < n; ++i) {
      if (!done[i] && best[i] && (!u || Shorter(*best[i], *best[*u]))) u = i;
    }
    if (!u) break;
    done[*u] = true;
    const WanRoute here = *best[*u];
    for (const auto& [v, link] : next[*u]) {
      if (done[v]) continue;
      const WanRoute via{here.latency_ms + link->latency_ms,
                         std::min(here.bandwidth_gbps, link->bandwidth_gbps),
                         here.energy_kwh_per_gb + link->energy_kwh_per_gb, here.hops + 1};
      if (!best[v] || Shorter(via, *best[v])) best[v] = via;
    }
  }
  return best;
}

std::optional<WanRoute> Topology::WanPath(HubIdx a, HubIdx b) const {
  if (b.value >= hubs_.size()) return std::nullopt;
  return WanRoutesFrom(a)[b.value];
}

RackIdx Topology::AddRack(HubIdx hub, std::string id, bool multi_node_nvlink) {
  const RackIdx idx(racks_.size());
  Rack rack{std::move(id), hub, {}, DomainIdx()};
  if (multi_node_nvlink) {
    rack.multi_node_domain = DomainIdx(domains_.size());
    domains_.push_back({rack.id + "/nvl", DomainKind::kMultiNode, hub, idx, NodeIdx(), {}});
  }
  rack_by_id_.emplace(rack.id, idx.value);
  hubs_[hub.value].racks.push_back(idx);
  racks_.push_back(std::move(rack));
  ++generation_;
  return idx;
}

Result<NodeIdx> Topology::AddNode(RackIdx rack_idx, const NodeDef& def) {
  if (node_by_id_.count(def.id)) return AlreadyExists("node id '" + def.id + "' is already in use");
  if (def.gpu_count > 0) {
    const GpuModel& model = catalog_.at(def.model);
    if (def.mig_enabled && !model.mig_capable) {
      return InvalidArgument("GPU model " + model.name + " has no MIG");
    }
    if (def.nvlink == NodeNvlink::kPairs && def.gpu_count % 2 != 0) {
      return InvalidArgument("nvlink: pairs needs an even number of GPUs");
    }
    if (def.pcie_switches < 1 || def.pcie_switches > def.gpu_count || def.host_bridges < 1 ||
        def.host_bridges > def.pcie_switches || def.numa_nodes < 1) {
      return InvalidArgument("PCIe layout must have 1 <= hostBridges <= pcieSwitches <= GPUs");
    }
    for (const auto& [index, health] : def.gpu_health) {
      if (index >= def.gpu_count) {
        return InvalidArgument("gpuHealth names GPU " + std::to_string(index) + " but the node has " +
                               std::to_string(def.gpu_count));
      }
    }
  }
  Rack& rack = racks_[rack_idx.value];
  const NodeIdx idx(nodes_.size());
  Node node;
  node.id = def.id;
  node.hub = rack.hub;
  node.rack = rack_idx;
  node.cpu = def.cpu;
  node.memory = def.memory;
  node.numa_nodes = def.numa_nodes;
  node.labels = def.labels;
  node.health = def.health;
  DomainIdx node_domain;  // the node's NVSwitch domain, created with its first GPU
  for (int i = 0; i < def.gpu_count; ++i) {
    const GpuIdx g(gpus_.size());
    Gpu gpu;
    gpu.id = def.id + "/gpu" + std::to_string(i);
    gpu.node = idx;
    gpu.hub = rack.hub;
    gpu.rack = rack_idx;
    gpu.model = def.model;
    gpu.memory = def.gpu_memory;
    gpu.index = i;
    gpu.numa = i * def.numa_nodes / def.gpu_count;
    gpu.pcie_switch = i * def.pcie_switches / def.gpu_count;
    gpu.host_bridge = gpu.pcie_switch * def.host_bridges / def.pcie_switches;
    gpu.mig_enabled = def.mig_enabled;
    if (auto it = def.gpu_health.find(i); it != def.gpu_health.end()) gpu.health = it->second;

    if (rack.multi_node_domain.valid()) {
      gpu.domain = rack.multi_node_domain;
    } else if (def.nvlink == NodeNvlink::kNvswitch) {
      if (!node_domain.valid()) {
        node_domain = DomainIdx(domains_.size());
        domains_.push_back({def.id + "/nvl", DomainKind::kNvswitch, rack.hub, rack_idx, idx, {}});
      }
      gpu.domain = node_domain;
    } else if (def.nvlink == NodeNvlink::kPairs) {
      if (i % 2 == 0) {
        domains_.push_back({def.id + "/nvl" + std::to_string(i / 2), DomainKind::kBridge, rack.hub,
                            rack_idx, idx, {}});
      }
      gpu.domain = DomainIdx(domains_.size() - 1);
    } else {
      gpu.domain = DomainIdx(domains_.size());
      domains_.push_back({gpu.id, DomainKind::kNone, rack.hub, rack_idx, idx, {}});
    }
    domains_[gpu.domain.value].gpus.push_back(g);
    node.gpus.push_back(g);
    gpus_.push_back(std::move(gpu));
  }
  node_by_id_.emplace(node.id, idx.value);
  rack.nodes.push_back(idx);
  nodes_.push_back(std::move(node));
  ++generation_;
  return idx;
}

std::vector<AllocationId> Topology::AllocationsOn(NodeIdx node, GpuIdx gpu) const {
  std::vector<AllocationId> out;
  for (AllocationId id : nodes_[node.value].allocations) {
    const auto& grants = allocations_.at(id).grants;
    if (!gpu.valid() || std::any_of(grants.begin(), grants.end(),
                                    [&](const GpuGrant& g) { return g.gpu == gpu; })) {
      out.push_back(id);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<AllocationId> Topology::RemoveNode(NodeIdx n) {
  Node& node = nodes_[n.value];
  if (node.state == NodeState::kRemoved) return {};
  node.state = NodeState::kRemoved;
  node_by_id_.erase(node.id);
  ++generation_;
  return AllocationsOn(n);
}

std::vector<AllocationId> Topology::SetNodeState(NodeIdx n, NodeState state) {
  Node& node = nodes_[n.value];
  HARCH_CHECK(state != NodeState::kRemoved);  // use RemoveNode
  if (node.state == NodeState::kRemoved || node.state == state) return {};
  node.state = state;
  ++generation_;
  if (state == NodeState::kDown) return AllocationsOn(n);
  return {};
}

std::vector<AllocationId> Topology::SetGpuHealth(GpuIdx g, Health health) {
  Gpu& gpu = gpus_[g.value];
  if (gpu.health == health) return {};
  gpu.health = health;
  ++generation_;
  if (health == Health::kFailed) return AllocationsOn(gpu.node, g);
  return {};
}

Status Topology::SetMigMode(GpuIdx g, bool enabled) {
  Gpu& gpu = gpus_[g.value];
  if (gpu.mig_enabled == enabled) return Status::Ok();
  if (!catalog_.at(gpu.model).mig_capable) {
    return FailedPrecondition(gpu.id + ": model " + catalog_.at(gpu.model).name + " has no MIG");
  }
  if (!Idle(g)) return FailedPrecondition(gpu.id + ": MIG mode changes only on an idle GPU");
  gpu.mig_enabled = enabled;
  ++generation_;
  return Status::Ok();
}

bool Topology::Schedulable(GpuIdx g, bool allow_degraded) const {
  const Gpu& gpu = gpus_[g.value];
  const Node& node = nodes_[gpu.node.value];
  if (node.state != NodeState::kUp) return false;
  if (gpu.health == Health::kFailed || node.health == Health::kFailed) return false;
  if (!allow_degraded && (gpu.health != Health::kHealthy || node.health != Health::kHealthy)) {
    return false;
  }
  return true;
}

Status Topology::CheckGrant(const GpuGrant& grant, bool exclusive_nodes, uint64_t owner) const {
  if (!grant.gpu.valid() || grant.gpu.value >= gpus_.size()) {
    return InvalidArgument("grant names an unknown GPU");
  }
  const Gpu& gpu = gpus_[grant.gpu.value];
  const Node& node = nodes_[gpu.node.value];
  if (!Schedulable(grant.gpu, /*allow_degraded=*/true)) {
    return FailedPrecondition(gpu.id + " is not schedulable (node " +
                              std::string(NodeStateName(node.state)) + ", GPU " +
                              std::string(HealthName(gpu.health)) + ")");
  }
  if (node.exclusive_owner != 0 && node.exclusive_owner != owner) {
    return FailedPrecondition(node.id + " is held exclusively by another allocation");
  }
  if (exclusive_nodes && node.exclusive_owner == 0 && node.busy_gpus > 0) {
    return FailedPrecondition(node.id + " is not idle, so it cannot be held exclusively");
  }
  if (grant.mig_shape >= 0) {
    const GpuModel& model = catalog_.at(gpu.model);
    if (!gpu.mig_enabled || !model.mig_capable ||
        grant.mig_shape >= static_cast<int>(MigShapes().size())) {
      return FailedPrecondition(gpu.id + " is not in MIG mode");
    }
    const MigShape& shape = MigShapes()[grant.mig_shape];
    if (grant.mig_start < 0 || grant.mig_start >= kMigMemorySlices ||
        !(shape.start_mask >> grant.mig_start & 1)) {
      return InvalidArgument(gpu.id + ": " + MigProfileName(model, shape) + " cannot start at slice " +
                             std::to_string(grant.mig_start));
    }
    if (gpu.mig_mask & MigSliceBits(shape, grant.mig_start)) {
      return FailedPrecondition(gpu.id + ": MIG slices already taken");
    }
    return Status::Ok();
  }
  if (gpu.mig_enabled) return FailedPrecondition(gpu.id + " is in MIG mode; ask for a MIG profile");
  if (grant.milli.value <= 0 || grant.milli > kWholeGpu) {
    return InvalidArgument("a GPU share must be in (0, 1000] milli-GPU");
  }
  if (gpu.used_milli + grant.milli.value > kWholeGpu.value) {
    return FailedPrecondition(gpu.id + " has only " + std::to_string(1000 - gpu.used_milli) +
                              " milli-GPU free");
  }
  return Status::Ok();
}

void Topology::ApplyGrant(const GpuGrant& grant, int sign) {
  Gpu& gpu = gpus_[grant.gpu.value];
  const bool was_idle = Idle(grant.gpu);
  if (grant.mig_shape >= 0) {
    const uint8_t bits = MigSliceBits(MigShapes()[grant.mig_shape], grant.mig_start);
    HARCH_CHECK(sign > 0 ? (gpu.mig_mask & bits) == 0 : (gpu.mig_mask & bits) == bits);
    gpu.mig_mask = static_cast<uint8_t>(sign > 0 ? gpu.mig_mask | bits : gpu.mig_mask & ~bits);
  } else {
    gpu.used_milli += sign * static_cast<int32_t>(grant.milli.value);
    HARCH_CHECK(gpu.used_milli >= 0 && gpu.used_milli <= kWholeGpu.value);
  }
  const bool idle = Idle(grant.gpu);
  if (was_idle != idle) nodes_[gpu.node.value].busy_gpus += idle ? -1 : 1;
}

Result<AllocationId> Topology::Allocate(std::string owner, std::vector<GpuGrant> grants,
                                        bool exclusive_nodes, std::vector<NodeShare> node_shares) {
  Allocation a{AllocationId{next_allocation_}, std::move(owner), std::move(grants), exclusive_nodes,
               std::move(node_shares)};
  HARCH_RETURN_IF_ERROR(Take(a));
  ++next_allocation_;
  const AllocationId id = a.id;
  allocations_.emplace(id, std::move(a));
  return id;
}

Status Topology::Reinstate(const Allocation& allocation) {
  if (allocation.id.value == 0 || allocation.id.value >= next_allocation_ ||
      allocations_.count(allocation.id)) {
    return InvalidArgument("allocation " + std::to_string(allocation.id.value) +
                           " was never handed out or is still held");
  }
  HARCH_RETURN_IF_ERROR(Take(allocation));
  allocations_.emplace(allocation.id, allocation);
  return Status::Ok();
}

Status Topology::Take(const Allocation& a) {
  const auto& grants = a.grants;
  const AllocationId id = a.id;
  if (grants.empty()) return InvalidArgument("an allocation needs at least one GPU");
  // Node shares first, summed per node, so that nothing is applied when one does not fit.
  std::map<uint32_t, std::pair<int64_t, int64_t>> per_node;
  for (const auto& share : a.node_shares) {
    if (!share.node.valid() || share.node.value >= nodes_.size() || share.cpu.value < 0 ||
        share.memory.value < 0) {
      return InvalidArgument("a node share names an unknown node or a negative amount");
    }
    per_node[share.node.value].first += share.cpu.value;
    per_node[share.node.value].second += share.memory.value;
  }
  for (const auto& [n, want] : per_node) {
    const Node& node = nodes_[n];
    if (node.used_cpu.value + want.first > node.cpu.value ||
        node.used_memory.value + want.second > node.memory.value) {
      return FailedPrecondition(node.id + " has " + std::to_string(node.cpu.value - node.used_cpu.value) +
                                "m CPU and " + FormatBytes(node.memory - node.used_memory) +
                                " memory free");
    }
  }
  if (a.exclusive_nodes) {
    for (const auto& grant : grants) {
      if (!grant.gpu.valid() || grant.gpu.value >= gpus_.size()) break;  // CheckGrant reports
      const Node& node = nodes_[gpus_[grant.gpu.value].node.value];
      if (node.busy_gpus > 0 || node.exclusive_owner != 0) {
        return FailedPrecondition(node.id + " is not idle, so it cannot be held exclusively");
      }
    }
  }
  // All or nothing: apply one by one, undo on the first failure.
  for (size_t i = 0; i < grants.size(); ++i) {
    Status st = CheckGrant(grants[i], a.exclusive_nodes, id.value);
    if (!st.ok()) {
      for (size_t j = 0; j < i; ++j) {
        ApplyGrant(grants[j], -1);
        Node& node = nodes_[gpus_[grants[j].gpu.value].node.value];
        if (node.exclusive_owner == id.value) node.exclusive_owner = 0;
      }
      return st;
    }
    ApplyGrant(grants[i], +1);
    if (a.exclusive_nodes) nodes_[gpus_[grants[i].gpu.value].node.value].exclusive_owner = id.value;
  }
  ApplyShares(a.node_shares, +1);
  ++generation_;
  for (const auto& grant : grants) {
    auto& on_node = nodes_[gpus_[grant.gpu.value].node.value].allocations;
    if (std::find(on_node.begin(), on_node.end(), id) == on_node.end()) on_node.push_back(id);
  }
  return Status::Ok();
}

void Topology::ApplyShares(const std::vector<NodeShare>& shares, int sign) {
  for (const auto& share : shares) {
    Node& node = nodes_[share.node.value];
    node.used_cpu.value += sign * share.cpu.value;
    node.used_memory.value += sign * share.memory.value;
    HARCH_CHECK(node.used_cpu.value >= 0 && node.used_memory.value >= 0);
  }
}

Status Topology::Release(AllocationId id) {
  auto it = allocations_.find(id);
  if (it == allocations_.end()) return NotFound("no allocation " + std::to_string(id.value));
  ApplyShares(it->second.node_shares, -1);
  for (const auto& grant : it->second.grants) {
    ApplyGrant(grant, -1);
    Node& node = nodes_[gpus_[grant.gpu.value].node.value];
    if (node.exclusive_owner == id.value) node.exclusive_owner = 0;
    std::erase(node.allocations, id);
  }
  allocations_.erase(it);
  ++generation_;
  return Status::Ok();
}

const Allocation* Topology::FindAllocation(AllocationId id) const {
  auto it = allocations_.find(id);
  return it == allocations_.end() ? nullptr : &it->second;
}

std::optional<HubIdx> Topology::FindHub(std::string_view id) const {
  auto it = hub_by_id_.find(std::string(id));
  if (it == hub_by_id_.end()) return std::nullopt;
  return HubIdx(it->second);
}

std::optional<NodeIdx> Topology::FindNode(std::string_view id) const {
  auto it = node_by_id_.find(std::string(id));
  if (it == node_by_id_.end()) return std::nullopt;
  return NodeIdx(it->second);
}

std::optional<GpuIdx> Topology::FindGpu(std::string_view id) const {
  const auto slash = id.rfind("/gpu");
  if (slash == std::string_view::npos) return std::nullopt;
  auto node = FindNode(id.substr(0, slash));
  if (!node) return std::nullopt;
  for (GpuIdx g : nodes_[node->value].gpus) {
    if (gpus_[g.value].id == id) return g;
  }
  return std::nullopt;
}

LinkClass Topology::Distance(GpuIdx a, GpuIdx b) const {
  if (a == b) return LinkClass::kSelf;
  const Gpu& x = gpus_[a.value];
  const Gpu& y = gpus_[b.value];
  if (x.domain == y.domain) return LinkClass::kNvlink;  // singleton domains never match
  if (x.hub != y.hub) return LinkClass::kWan;
  if (x.rack != y.rack) return LinkClass::kHub;
  if (x.node != y.node) return LinkClass::kRack;
  if (x.pcie_switch == y.pcie_switch) return LinkClass::kPcieSwitch;
  if (x.host_bridge == y.host_bridge) return LinkClass::kHostBridge;
  if (x.numa == y.numa) return LinkClass::kNuma;
  return LinkClass::kNode;
}

}  // namespace harch

// Topology-constrained placement queries: "8 GPUs in one NVLink domain, >= 40 GiB each, in
// Morocco" -> the GPUs to use, or why there are none.
//
// Hard constraints (never traded for anything): jurisdiction, hub, GPU model, memory, compute
// capability, MIG profile, node labels, excluded nodes, health, free GPUs, free CPU and memory
// per replica, exclusive nodes,
// replicas on one node each, one NVLink domain when required, one hub unless multi-hub is allowed.
//
// Among the plans that satisfy them, the planner minimises, in this order:
//   1. span: the widest link class between any two chosen GPUs (NVLink < node < rack < hub <
//      WAN). It searches the laminar groups of the fleet (NVLink domain, node, rack, hub, fleet)
//      from the narrowest level up and stops at the first level where one group has room.
//   2. fragmentation left behind: among the groups of that level it takes the best fit, the one
//      with the least room that still holds the request, so large free domains stay whole.
//   3. inside the group, the fewest sub-groups at every level below (domains, nodes, NUMA nodes,
//      host bridges, PCIe switches): largest first, then the best fit for the remainder.
// The plan reports the resulting cost (span, domains, nodes, summed pairwise link distance, and
// the change in free GPUs stranded in partly used NVLink domains).
//
// Thread-safety: FindPlacement only reads the topology.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/quantity.h"
#include "base/status.h"
#include "resource/topology.h"

namespace harch {

enum class NvlinkPolicy {
  kPreferred,  // minimise span, but spanning domains is allowed
  kRequired,   // every unit in one NVLink domain
};

struct PlacementRequest {
  int count = 1;                 // GPUs, GPU shares or MIG instances
  int replica_size = 1;          // units that must share one node (one process); divides count
  MilliCpu cpu_per_replica;      // CPU and memory each replica needs on its node
  Bytes memory_per_replica;
  MilliGpu share = kWholeGpu;    // per unit; below 1000 asks for a share of one GPU
  std::string mig_profile;       // e.g. "3g.40gb": count is then MIG instances
  Bytes min_memory;              // per GPU, or per MIG instance
  std::vector<std::string> models;        // names or families; empty = any
  int min_compute_capability = 0;         // 90 for 9.0
  std::vector<std::string> jurisdiction;  // country codes the work may run in; empty = anywhere
  std::string hub;                        // empty = any hub
  std::map<std::string, std::string> node_labels;  // nodes must carry all of them
  std::vector<NodeIdx> excluded_nodes;             // e.g. anti-affinity; never used
  NvlinkPolicy nvlink = NvlinkPolicy::kPreferred;
  bool exclusive_node = false;   // only idle nodes, held whole
  bool allow_multi_hub = false;  // may span hubs over the WAN
  bool allow_degraded = false;   // may use degraded GPUs and nodes
};

struct PlanCost {
  LinkClass span = LinkClass::kSelf;
  int domains = 0;
  int nodes = 0;
  int64_t link_distance = 0;  // sum over pairs of the LinkClass ordinal (plans <= 2048 units)
  int stranded_delta = 0;     // change in stranded free GPUs (see GpuCounts::stranded)
};

struct Plan {
  std::vector<GpuGrant> grants;
  std::vector<NodeShare> node_shares;  // CPU and memory per node, when the request asks for any
  PlanCost cost;
};

struct NoFit {
  std::string constraint;  // jurisdiction, hub, hardware, affinity, nvlink, health, capacity
  std::string reason;      // a sentence for people, naming the closest option
  bool permanent = false;  // true: it cannot fit even on an idle, healthy fleet
  std::optional<Time> retry_at;  // it waits for a time (e.g. a cleaner hour), not for capacity
};

struct PlacementOutcome {
  std::optional<Plan> plan;
  NoFit no_fit;  // meaningful when !plan
  bool fits() const { return plan.has_value(); }
};

// Checks the request itself (unknown model, hub or MIG profile, bad count): InvalidArgument.
Status ValidateRequest(const Topology& topo, const PlacementRequest& req);

// Finds the best plan under the current free state. A request that does not fit is a value
// (PlacementOutcome::no_fit), not an error; errors are for malformed requests only.
Result<PlacementOutcome> FindPlacement(const Topology& topo, const PlacementRequest& req);

// Computes the cost of a set of grants as the planner reports it.
PlanCost CostOf(const Topology& topo, const std::vector<GpuGrant>& grants);

// A short description of the request's filters: "in MA, model H100, >= 40GiB".
std::string DescribeRequest(const PlacementRequest& req);

}  // namespace harch

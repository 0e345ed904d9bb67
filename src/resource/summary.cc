#include "resource/summary.h"

#include <algorithm>

namespace harch {

FleetSummary Summarize(const Topology& topo) {
  FleetSummary out;
  out.hubs.resize(topo.hubs().size());
  for (size_t h = 0; h < topo.hubs().size(); ++h) {
    const Hub& hub = topo.hubs()[h];
    HubSummary& s = out.hubs[h];
    s.id = hub.id;
    s.name = hub.name;
    s.country = hub.country;
    s.carbon_zone = hub.carbon_zone;
    s.carbon_zone_stand_in = hub.carbon_zone_stand_in;
  }
  for (const Node& node : topo.nodes()) {
    if (node.state == NodeState::kRemoved) continue;
    HubSummary& s = out.hubs[node.hub.value];
    ++s.nodes;
    s.nodes_up += node.state == NodeState::kUp ? 1 : 0;
  }
  std::vector<std::map<std::pair<DomainKind, int>, int>> shapes(topo.hubs().size());
  for (const NvlinkDomain& dom : topo.domains()) {
    HubSummary& s = out.hubs[dom.hub.value];
    int present = 0, free = 0;
    for (GpuIdx g : dom.gpus) {
      const Gpu& gpu = topo.gpu(g);
      if (topo.node(gpu.node).state == NodeState::kRemoved) continue;
      ++present;
      ++s.gpus.total;
      ++s.models[topo.model_of(g).name];
      s.mig_gpus += gpu.mig_enabled ? 1 : 0;
      if (!topo.Idle(g)) {
        ++s.gpus.allocated;
      } else if (topo.Schedulable(g, /*allow_degraded=*/true)) {
        ++free;
      } else {
        ++s.gpus.unavailable;
      }
    }
    if (present == 0) continue;
    s.gpus.free += free;
    if (present > 1 && free < present) s.gpus.stranded += free;
    if (dom.kind != DomainKind::kNone) s.largest_free_domain = std::max(s.largest_free_domain, free);
    ++shapes[dom.hub.value][{dom.kind, present}];
  }
  for (size_t h = 0; h < out.hubs.size(); ++h) {
    HubSummary& s = out.hubs[h];
    for (const auto& [shape, count] : shapes[h]) s.domains.push_back({shape.first, shape.second, count});
    out.nodes += s.nodes;
    out.gpus.total += s.gpus.total;
    out.gpus.free += s.gpus.free;
    out.gpus.allocated += s.gpus.allocated;
    out.gpus.unavailable += s.gpus.unavailable;
    out.gpus.stranded += s.gpus.stranded;
  }
  out.fragmentation =
      out.gpus.free == 0 ? 0.0 : static_cast<double>(out.gpus.stranded) / out.gpus.free;
  return out;
}

}  // namespace harch

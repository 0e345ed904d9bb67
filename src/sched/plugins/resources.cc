// Filter "resources": turns a task group's GPU needs into the placement request.
#include "sched/plugins/plugins.h"

namespace harch {
namespace {

class ResourcesFilter final : public FilterPlugin {
 public:
  std::string_view Name() const override { return "resources"; }
  std::optional<NoFit> Filter(const SchedContext&, const Job&, const TaskGroupSpec& g,
                              PlacementRequest* req) const override {
    if (g.gpus_per_replica > 0) {
      req->count = g.replicas * g.gpus_per_replica;
      req->replica_size = g.gpus_per_replica;
    } else {
      req->count = g.replicas;
      req->replica_size = 1;
      if (g.gpu_share.value > 0) req->share = g.gpu_share;
      req->mig_profile = g.mig_profile;
    }
    req->cpu_per_replica = g.cpu_per_replica;
    req->memory_per_replica = g.memory_per_replica;
    req->models = g.gpu.models;
    req->min_memory = g.gpu.min_memory;
    req->min_compute_capability = g.gpu.min_compute_capability;
    req->nvlink = g.gpu.nvlink == NvlinkRequirement::kRequired ? NvlinkPolicy::kRequired
                                                               : NvlinkPolicy::kPreferred;
    req->exclusive_node = g.gpu.exclusive_node;
    return std::nullopt;
  }
};

}  // namespace

std::unique_ptr<FilterPlugin> MakeResourcesFilter() { return std::make_unique<ResourcesFilter>(); }

}  // namespace harch

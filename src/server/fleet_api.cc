// ControlPlane: fleet summary, placement queries and queues.
#include "resource/summary.h"
#include "server/control_plane.h"

namespace harch {

namespace {
void CountsToProto(const GpuCounts& c, v1::GpuCounts* out) {
  out->set_total(c.total);
  out->set_free(c.free);
  out->set_allocated(c.allocated);
  out->set_unavailable(c.unavailable);
  out->set_stranded(c.stranded);
}

Result<PlacementRequest> FromProto(const v1::FleetQueryRequest& q) {
  PlacementRequest r;
  if (q.gpus() < 1) return InvalidArgument("gpus: must be >= 1");
  r.count = q.gpus();
  r.replica_size = q.replica_size() > 0 ? q.replica_size() : 1;
  if (r.count % r.replica_size != 0) {
    return InvalidArgument("replica_size: " + std::to_string(r.replica_size) + " does not divide gpus " +
                           std::to_string(r.count));
  }
  if (!q.share().empty()) {
    auto share = ParseMilliGpu(q.share());
    if (!share.ok()) return share.status().WithContext("share");
    r.share = *share;
  }
  if (!q.min_memory().empty()) {
    auto mem = ParseBytes(q.min_memory());
    if (!mem.ok()) return mem.status().WithContext("min_memory");
    r.min_memory = *mem;
  }
  if (!q.min_cc().empty()) {
    auto cc = ParseComputeCapability(q.min_cc());
    if (!cc.ok()) return cc.status().WithContext("min_cc");
    r.min_compute_capability = *cc;
  }
  r.models.assign(q.models().begin(), q.models().end());
  r.mig_profile = q.mig();
  r.jurisdiction.assign(q.jurisdiction().begin(), q.jurisdiction().end());
  r.hub = q.hub();
  for (const auto& [k, v] : q.labels()) r.node_labels[k] = v;
  r.nvlink = q.same_nvlink_domain() ? NvlinkPolicy::kRequired : NvlinkPolicy::kPreferred;
  r.exclusive_node = q.exclusive_node();
  r.allow_multi_hub = q.allow_multi_hub();
  r.allow_degraded = q.allow_degraded();
  return r;
}
}  // namespace

Result<v1::FleetSummary> ControlPlane::Summary(const v1::FleetSummaryRequest&) {
  std::lock_guard lk(mu_);
  const FleetSummary s = Summarize(topo_);
  v1::FleetSummary out;
  out.set_nodes(s.nodes);
  CountsToProto(s.gpus, out.mutable_gpus());
  out.set_fragmentation(s.fragmentation);
  for (const auto& h : s.hubs) {
    v1::HubSummary* hub = out.add_hubs();
    hub->set_id(h.id);
    hub->set_country(h.country);
    hub->set_nodes(h.nodes);
    hub->set_nodes_up(h.nodes_up);
    CountsToProto(h.gpus, hub->mutable_gpus());
    for (const auto& [model, count] : h.models) (*hub->mutable_models())[model] = count;
    hub->set_largest_free_domain(h.largest_free_domain);
    hub->set_carbon_zone(h.carbon_zone);
  }
  int pending = 0, running = 0;
  for (const auto& [id, e] : jobs_) {
    pending += e.rec.phase == Phase::kPending;
    running += HoldsGpus(e.rec.phase);
  }
  out.set_jobs_pending(pending);
  out.set_jobs_running(running);
  return out;
}

Result<v1::FleetQueryResponse> ControlPlane::Query(const v1::FleetQueryRequest& req) {
  HARCH_ASSIGN_OR_RETURN(PlacementRequest r, FromProto(req));
  std::lock_guard lk(mu_);
  HARCH_ASSIGN_OR_RETURN(PlacementOutcome outcome, FindPlacement(topo_, r));
  v1::FleetQueryResponse out;
  out.set_fits(outcome.fits());
  if (!outcome.fits()) {
    out.set_constraint(outcome.no_fit.constraint);
    out.set_reason(outcome.no_fit.reason);
    return out;
  }
  out.set_span(std::string(LinkClassName(outcome.plan->cost.span)));
  for (const auto& g : outcome.plan->grants) {
    const Gpu& gpu = topo_.gpu(g.gpu);
    v1::GpuSlot* slot = out.add_gpus();
    slot->set_id(gpu.id);
    slot->set_node(topo_.node(gpu.node).id);
    slot->set_hub(topo_.hub(gpu.hub).id);
    slot->set_model(topo_.model_of(g.gpu).name);
    slot->set_milli(static_cast<int32_t>(g.mig_shape >= 0 ? kWholeGpu.value : g.milli.value));
  }
  return out;
}

Result<v1::ListQueuesResponse> ControlPlane::ListQueues(const v1::ListQueuesRequest&) {
  std::lock_guard lk(mu_);
  std::map<std::string, std::pair<int, int>> counts;  // tenant -> pending, running
  for (const auto& [id, e] : jobs_) {
    if (e.rec.phase == Phase::kPending) ++counts[e.rec.tenant].first;
    if (HoldsGpus(e.rec.phase)) ++counts[e.rec.tenant].second;
  }
  v1::ListQueuesResponse out;
  for (const auto& [path, t] : sched_->tenants().tenants()) {
    v1::Queue* q = out.add_queues();
    q->set_tenant(path);
    q->set_weight(t.weight);
    q->set_gpu_milli_in_use(t.usage_total);
    q->set_pending(counts[path].first);
    q->set_running(counts[path].second);
    for (const auto& [family, quota] : t.quota) {
      auto gpus = [](int64_t milli) { return std::to_string(milli / 1000); };
      (*q->mutable_quota())[family] =
          gpus(quota.guaranteed_milli) + "/" +
          (quota.borrow_limit_milli ? gpus(quota.guaranteed_milli + *quota.borrow_limit_milli) : "unlimited");
    }
  }
  return out;
}

}  // namespace harch

#include "resource/json.h"

namespace harch {
namespace {

nlohmann::json CountsToJson(const GpuCounts& c) {
  return {{"total", c.total},
          {"free", c.free},
          {"allocated", c.allocated},
          {"unavailable", c.unavailable},
          {"stranded", c.stranded}};
}

}  // namespace

nlohmann::json SummaryToJson(const FleetSummary& s) {
  nlohmann::json hubs = nlohmann::json::array();
  for (const auto& h : s.hubs) {
    nlohmann::json domains = nlohmann::json::array();
    for (const auto& d : h.domains) {
      domains.push_back({{"kind", DomainKindName(d.kind)}, {"gpus", d.gpus}, {"count", d.count}});
    }
    hubs.push_back({{"id", h.id},
                    {"name", h.name},
                    {"country", h.country},
                    {"carbon_zone", h.carbon_zone},
                    {"carbon_zone_stand_in", h.carbon_zone_stand_in},
                    {"nodes", h.nodes},
                    {"nodes_up", h.nodes_up},
                    {"gpus", h.gpus.total},
                    {"gpu_state", CountsToJson(h.gpus)},
                    {"models", h.models},
                    {"nvlink_domains", domains},
                    {"largest_free_nvlink_domain", h.largest_free_domain},
                    {"mig_gpus", h.mig_gpus}});
  }
  return {{"gpus", s.gpus.total},
          {"nodes", s.nodes},
          {"gpu_state", CountsToJson(s.gpus)},
          {"fragmentation", s.fragmentation},
          {"hubs", hubs}};
}

nlohmann::json PlanToJson(const Topology& topo, const Plan& plan) {
  nlohmann::json gpus = nlohmann::json::array();
  for (const auto& g : plan.grants) {
    const Gpu& gpu = topo.gpu(g.gpu);
    const GpuModel& model = topo.model_of(g.gpu);
    const NvlinkDomain& dom = topo.domain(gpu.domain);
    nlohmann::json j{{"id", gpu.id},
                     {"node", topo.node(gpu.node).id},
                     {"hub", topo.hub(gpu.hub).id},
                     {"rack", topo.rack(gpu.rack).id},
                     {"nvlink_domain", dom.kind == DomainKind::kNone ? nlohmann::json(nullptr)
                                                                     : nlohmann::json(dom.id)},
                     {"model", model.name},
                     {"memory_bytes", gpu.memory.value}};
    if (g.mig_shape >= 0) {
      const MigShape& shape = MigShapes()[g.mig_shape];
      j["mig"] = {{"profile", MigProfileName(model, shape)}, {"start_slice", g.mig_start}};
      j["memory_bytes"] = MigInstanceMemory(model, shape).value;
    } else if (g.milli < kWholeGpu) {
      j["milli_gpu"] = g.milli.value;
    }
    gpus.push_back(std::move(j));
  }
  return {{"gpus", gpus},
          {"cost",
           {{"span", LinkClassName(plan.cost.span)},
            {"nvlink_domains", plan.cost.domains},
            {"nodes", plan.cost.nodes},
            {"link_distance", plan.cost.link_distance},
            {"stranded_delta", plan.cost.stranded_delta}}}};
}

nlohmann::json NoFitToJson(const NoFit& n) {
  return {{"fits", false},
          {"constraint", n.constraint},
          {"reason", n.reason},
          {"permanent", n.permanent}};
}

}  // namespace harch

// JSON views of resource-layer values, shared by the CLI (-o json) and the HTTP API.
#pragma once

#include <nlohmann/json.hpp>

#include "resource/placement.h"
#include "resource/summary.h"
#include "resource/topology.h"

namespace harch {

// {"gpus": total, "nodes": n, "free": ..., "hubs": [{"id", "country", "gpus", ...}], ...}
nlohmann::json SummaryToJson(const FleetSummary& summary);

// {"gpus": [{"id", "node", "hub", "nvlink_domain", "memory_bytes", "model", ...}], "cost": {...}}
nlohmann::json PlanToJson(const Topology& topo, const Plan& plan);

nlohmann::json NoFitToJson(const NoFit& no_fit);

}  // namespace harch

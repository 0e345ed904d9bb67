// Synthetic fleets of any size (up to 1,000,000 GPUs) for benchmarks and "what if" runs.
// Deterministic: the same options give the same spec. Thread-safety: stateless.
#pragma once

#include <cstdint>

#include "base/status.h"
#include "resource/fleet_spec.h"

namespace harch {

struct GeneratorOptions {
  int64_t gpus = 1798;  // exact total
  int hubs = 3;
  uint64_t seed = 1;
};

// A mix like the reference fleet's: HGX H100/A100 nodes (8-GPU NVSwitch), GB200 NVL72 racks,
// PCIe H100 nodes with bridged pairs, L40S and L4 nodes without NVLink, spread over `hubs` hubs
// in a round robin of countries, with WAN links between every pair of hubs.
Result<FleetSpec> GenerateFleet(const GeneratorOptions& options);

}  // namespace harch

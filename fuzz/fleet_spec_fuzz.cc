// libFuzzer target for the fleet spec parser, the topology builder and the placement planner.
// Any input must give a clean error or a working topology: no crash, leak, UB or hang. A spec
// that parses must also survive a write/parse round trip.
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string_view>

#include "resource/fleet_spec.h"
#include "resource/placement.h"
#include "resource/topology.h"

namespace {

// Builds above this size are correct but slow; the builder's own cap is tested elsewhere.
constexpr int64_t kMaxFuzzGpus = 20'000;

int64_t EstimatedGpus(const harch::FleetSpec& spec) {
  int64_t total = 0;
  for (const auto& hub : spec.hubs) {
    for (const auto& rack : hub.racks) {
      for (const auto& node : rack.nodes) {
        const int64_t gpus = node.shape.gpus ? node.shape.gpus->count : 8;
        total += rack.count.value_or(1) * node.count.value_or(1) * gpus;
        if (total > kMaxFuzzGpus) return total;
      }
    }
  }
  return total;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto spec = harch::ParseFleetSpec(text, "fuzz.yaml");
  if (!spec.ok()) return 0;
  auto again = harch::ParseFleetSpec(harch::WriteFleetSpec(*spec), "roundtrip.yaml");
  if (!again.ok()) {
    std::cerr << "round trip failed: " << again.status().ToString() << "\n";
    std::abort();
  }
  if (EstimatedGpus(*spec) > kMaxFuzzGpus) return 0;
  auto topo = harch::BuildTopology(*spec);
  if (!topo.ok()) return 0;
  for (int count : {1, 8, 64}) {
    harch::PlacementRequest req;
    req.count = count;
    req.nvlink = count == 8 ? harch::NvlinkPolicy::kRequired : harch::NvlinkPolicy::kPreferred;
    auto outcome = harch::FindPlacement(*topo, req);
    if (outcome.ok() && outcome->fits()) {
      auto id = topo->Allocate("fuzz", outcome->plan->grants, false);
      if (!id.ok()) {
        std::cerr << "planned grants did not allocate: " << id.status().ToString() << "\n";
        std::abort();
      }
    }
  }
  return 0;
}

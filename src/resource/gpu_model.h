// GPU models: the catalogue of known hardware and the MIG geometry of the models that have it.
//
// A fleet spec names models ("H100-SXM"); the catalogue supplies memory, compute capability,
// TDP and MIG support so that specs stay short. Specs may add models of their own. Memory is
// nominal, in GiB as vendors list it. Thread-safety: immutable after construction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ids.h"
#include "base/quantity.h"
#include "base/status.h"

namespace harch {

struct GpuModel {
  std::string name;    // "H100-SXM"
  std::string family;  // "H100": queries may name either
  Bytes memory;
  int compute_capability = 0;  // major * 10 + minor: 90 for 9.0
  int tdp_watts = 0;
  bool mig_capable = false;
  int mig_slice_gb = 0;  // memory of one MIG memory slice, for profile names ("3g.40gb")
};

// "9.0" <-> 90.
Result<int> ParseComputeCapability(std::string_view text);
std::string FormatComputeCapability(int cc);

// MIG. A MIG-capable GPU has 8 memory slices and 7 compute slices. A profile takes a number of
// each and may start only at some memory slices (NVIDIA's placement rules for A100/H100):
//   1g (1 memory slice)   at 0..6      1g x2 memory (2 slices) at 0, 2, 4, 6
//   2g (2 slices)         at 0, 2, 4   3g (4 slices)           at 0, 4
//   4g (4 slices)         at 0         7g (8 slices)           at 0
// An instance occupies the memory slices [start, start + memory_slices).
inline constexpr int kMigMemorySlices = 8;

struct MigShape {
  int compute_slices;
  int memory_slices;
  uint8_t start_mask;  // bit s set: the profile may start at memory slice s
};
const std::vector<MigShape>& MigShapes();

// The slices an instance of `shape` started at `start` occupies, as a bit mask.
constexpr uint8_t MigSliceBits(const MigShape& shape, int start) {
  return static_cast<uint8_t>(((1u << shape.memory_slices) - 1u) << start);
}

// Profile name of a shape on a model: "3g.40gb" on an 80 GB part.
std::string MigProfileName(const GpuModel& model, const MigShape& shape);
// Index into MigShapes() of the profile called `profile` on `model`, if the model has it.
std::optional<int> FindMigShape(const GpuModel& model, std::string_view profile);
// Memory of one instance of `shape` on `model`.
Bytes MigInstanceMemory(const GpuModel& model, const MigShape& shape);

// How many more instances of `shape` fit on a GPU whose occupied slices are `mask` (greedy,
// lowest start first; exact for these geometries).
int MigFreeInstances(uint8_t mask, const MigShape& shape);
// The start to use for one more instance of `shape`: the valid, free start that leaves the most
// placement options for every profile afterwards (ties: the lowest start). nullopt when full.
std::optional<int> MigBestStart(uint8_t mask, const MigShape& shape);

class GpuCatalog {
 public:
  // The built-in models: GB200, H100-SXM, H100-PCIe, H800, A100-SXM, A100-SXM-40GB, A800,
  // L40S, L4, A10, T4, V100.
  static GpuCatalog BuiltIn();

  // Adds or replaces a model.
  void Put(GpuModel model);
  std::optional<ModelIdx> Find(std::string_view name) const;  // exact name, case-insensitive
  // True when `query` names this model or its family (case-insensitive).
  static bool Matches(const GpuModel& model, std::string_view query);
  bool KnowsNameOrFamily(std::string_view query) const;

  const GpuModel& at(ModelIdx i) const { return models_.at(i.value); }
  size_t size() const { return models_.size(); }
  const std::vector<GpuModel>& models() const { return models_; }

 private:
  std::vector<GpuModel> models_;
};

}  // namespace harch

#include "resource/gpu_model.h"

#include <algorithm>
#include <bit>
#include <cctype>
#include <charconv>

namespace harch {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Sum over profiles of (free valid starts x memory slices): how much choice remains.
int PlacementOptions(uint8_t mask) {
  int options = 0;
  for (const auto& shape : MigShapes()) {
    for (int s = 0; s < kMigMemorySlices; ++s) {
      if ((shape.start_mask >> s & 1) && (mask & MigSliceBits(shape, s)) == 0) {
        options += shape.memory_slices;
      }
    }
  }
  return options;
}

}  // namespace

Result<int> ParseComputeCapability(std::string_view text) {
  const auto dot = text.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 2 != text.size()) {
    return InvalidArgument("compute capability must look like '9.0', got '" + std::string(text) +
                           "'");
  }
  int major = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + dot, major);
  const char minor = text[dot + 1];
  if (ec != std::errc() || p != text.data() + dot || !std::isdigit(static_cast<unsigned char>(minor)) ||
      major < 1 || major > 99) {
    return InvalidArgument("compute capability must look like '9.0', got '" + std::string(text) +
                           "'");
  }
  return major * 10 + (minor - '0');
}

std::string FormatComputeCapability(int cc) {
  return std::to_string(cc / 10) + "." + std::to_string(cc % 10);
}

const std::vector<MigShape>& MigShapes() {
  static const std::vector<MigShape> kShapes{
      {1, 1, 0b0111'1111}, {1, 2, 0b0101'0101}, {2, 2, 0b0001'0101},
      {3, 4, 0b0001'0001}, {4, 4, 0b0000'0001}, {7, 8, 0b0000'0001},
  };
  return kShapes;
}

std::string MigProfileName(const GpuModel& model, const MigShape& shape) {
  return std::to_string(shape.compute_slices) + "g." +
         std::to_string(shape.memory_slices * model.mig_slice_gb) + "gb";
}

std::optional<int> FindMigShape(const GpuModel& model, std::string_view profile) {
  if (!model.mig_capable) return std::nullopt;
  const auto& shapes = MigShapes();
  for (size_t i = 0; i < shapes.size(); ++i) {
    if (EqualsIgnoreCase(MigProfileName(model, shapes[i]), profile)) return static_cast<int>(i);
  }
  return std::nullopt;
}

Bytes MigInstanceMemory(const GpuModel& model, const MigShape& shape) {
  return {model.memory.value / kMigMemorySlices * shape.memory_slices};
}

int MigFreeInstances(uint8_t mask, const MigShape& shape) {
  int n = 0;
  for (int s = 0; s < kMigMemorySlices; ++s) {
    const uint8_t bits = MigSliceBits(shape, s);
    if ((shape.start_mask >> s & 1) && (mask & bits) == 0) {
      mask |= bits;
      ++n;
    }
  }
  return n;
}

std::optional<int> MigBestStart(uint8_t mask, const MigShape& shape) {
  std::optional<int> best;
  int best_options = -1;
  for (int s = 0; s < kMigMemorySlices; ++s) {
    const uint8_t bits = MigSliceBits(shape, s);
    if (!(shape.start_mask >> s & 1) || (mask & bits) != 0) continue;
    const int options = PlacementOptions(static_cast<uint8_t>(mask | bits));
    if (options > best_options) {
      best_options = options;
      best = s;
    }
  }
  return best;
}

GpuCatalog GpuCatalog::BuiltIn() {
  GpuCatalog c;
  // name, family, memory, cc, TDP W, MIG, MIG slice GB
  c.Put({"GB200", "GB200", GiB(186), 100, 1200, true, 23});
  c.Put({"H100-SXM", "H100", GiB(80), 90, 700, true, 10});
  c.Put({"H100-PCIe", "H100", GiB(80), 90, 350, true, 10});
  c.Put({"H800", "H800", GiB(80), 90, 700, true, 10});
  c.Put({"A100-SXM", "A100", GiB(80), 80, 400, true, 10});
  c.Put({"A100-SXM-40GB", "A100", GiB(40), 80, 400, true, 5});
  c.Put({"A800", "A800", GiB(80), 80, 400, true, 10});
  c.Put({"L40S", "L40S", GiB(48), 89, 350, false, 0});
  c.Put({"L4", "L4", GiB(24), 89, 72, false, 0});
  c.Put({"A10", "A10", GiB(24), 86, 150, false, 0});
  c.Put({"T4", "T4", GiB(16), 75, 70, false, 0});
  c.Put({"V100", "V100", GiB(32), 70, 300, false, 0});
  return c;
}

void GpuCatalog::Put(GpuModel model) {
  if (auto existing = Find(model.name)) {
    models_[existing->value] = std::move(model);
  } else {
    models_.push_back(std::move(model));
  }
}

std::optional<ModelIdx> GpuCatalog::Find(std::string_view name) const {
  for (size_t i = 0; i < models_.size(); ++i) {
    if (EqualsIgnoreCase(models_[i].name, name)) return ModelIdx(i);
  }
  return std::nullopt;
}

bool GpuCatalog::Matches(const GpuModel& model, std::string_view query) {
  return EqualsIgnoreCase(model.name, query) || EqualsIgnoreCase(model.family, query);
}

bool GpuCatalog::KnowsNameOrFamily(std::string_view query) const {
  return std::any_of(models_.begin(), models_.end(),
                     [&](const GpuModel& m) { return Matches(m, query); });
}

}  // namespace harch

// Tests of the GPU catalogue, compute capabilities and MIG geometry (gpu_model.cc).
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "resource/gpu_model.h"

namespace harch {
namespace {

GpuModel MustFind(const GpuCatalog& catalog, std::string_view name) {
  auto idx = catalog.Find(name);
  EXPECT_TRUE(idx.has_value()) << name;
  if (!idx) return {};
  return catalog.at(*idx);
}

// Index into MigShapes() of the profile `name` on `model`, failing the test when absent.
int Shape(const GpuModel& model, std::string_view name) {
  auto s = FindMigShape(model, name);
  EXPECT_TRUE(s.has_value()) << name << " on " << model.name;
  return s.value_or(0);
}

// The starts at which `shape` may begin, from its start mask.
std::vector<int> Starts(const MigShape& shape) {
  std::vector<int> out;
  for (int s = 0; s < kMigMemorySlices; ++s) {
    if (shape.start_mask >> s & 1) out.push_back(s);
  }
  return out;
}

// Fills an empty GPU with `shape` using MigBestStart until it says the GPU is full.
uint8_t FillWith(uint8_t mask, const MigShape& shape, int* placed) {
  *placed = 0;
  while (auto s = MigBestStart(mask, shape)) {
    mask |= MigSliceBits(shape, *s);
    ++*placed;
  }
  return mask;
}

// --- Compute capability ------------------------------------------------------------------------

TEST(ComputeCapabilityTest, ParsesMajorDotMinor) {
  EXPECT_EQ(*ParseComputeCapability("9.0"), 90);
  EXPECT_EQ(*ParseComputeCapability("8.6"), 86);
  EXPECT_EQ(*ParseComputeCapability("7.5"), 75);
  EXPECT_EQ(*ParseComputeCapability("10.0"), 100);
  EXPECT_EQ(*ParseComputeCapability("12.1"), 121);
  EXPECT_EQ(*ParseComputeCapability("99.9"), 999);
}

TEST(ComputeCapabilityTest, RejectsMalformedText) {
  for (const char* bad : {"", "9", "9.", ".0", "9.00", "9.0.0", "a.0", "9.x", "0.5", "100.0",
                          "-1.0", "+9.0", " 9.0", "9,0", "9.-"}) {
    SCOPED_TRACE(bad);
    auto r = ParseComputeCapability(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_NE(r.status().message().find("9.0"), std::string::npos);
  }
}

TEST(ComputeCapabilityTest, FormatsAndRoundTrips) {
  EXPECT_EQ(FormatComputeCapability(90), "9.0");
  EXPECT_EQ(FormatComputeCapability(86), "8.6");
  EXPECT_EQ(FormatComputeCapability(100), "10.0");
  for (int cc = 10; cc <= 999; ++cc) {
    auto parsed = ParseComputeCapability(FormatComputeCapability(cc));
    ASSERT_TRUE(parsed.ok()) << cc;
    EXPECT_EQ(*parsed, cc);
  }
}

// --- Catalogue ------------------------------------------------------------------------------------

TEST(GpuCatalogTest, BuiltInModels) {
  const GpuCatalog c = GpuCatalog::BuiltIn();
  EXPECT_EQ(c.size(), 12u);
  for (const char* name : {"GB200", "H100-SXM", "H100-PCIe", "H800", "A100-SXM", "A100-SXM-40GB",
                           "A800", "L40S", "L4", "A10", "T4", "V100"}) {
    EXPECT_TRUE(c.Find(name).has_value()) << name;
  }
  const GpuModel h100 = MustFind(c, "H100-SXM");
  EXPECT_EQ(h100.family, "H100");
  EXPECT_EQ(h100.memory, GiB(80));
  EXPECT_EQ(h100.compute_capability, 90);
  EXPECT_TRUE(h100.mig_capable);
  EXPECT_EQ(h100.mig_slice_gb, 10);
  const GpuModel a40 = MustFind(c, "A100-SXM-40GB");
  EXPECT_EQ(a40.memory, GiB(40));
  EXPECT_EQ(a40.mig_slice_gb, 5);
  const GpuModel l4 = MustFind(c, "L4");
  EXPECT_EQ(l4.memory, GiB(24));
  EXPECT_FALSE(l4.mig_capable);
  EXPECT_FALSE(MustFind(c, "L40S").mig_capable);
}

TEST(GpuCatalogTest, FindIsExactNameCaseInsensitive) {
  const GpuCatalog c = GpuCatalog::BuiltIn();
  EXPECT_EQ(c.Find("h100-sxm"), c.Find("H100-SXM"));
  EXPECT_EQ(c.Find("l40s"), c.Find("L40S"));
  EXPECT_EQ(c.at(*c.Find("a100-sxm-40gb")).name, "A100-SXM-40GB");
  EXPECT_FALSE(c.Find("H100").has_value()) << "a family is not a model name";
  EXPECT_FALSE(c.Find("H100-SXM ").has_value());
  EXPECT_FALSE(c.Find("").has_value());
  EXPECT_FALSE(c.Find("L4S").has_value());
}

TEST(GpuCatalogTest, MatchesNameOrFamily) {
  const GpuCatalog c = GpuCatalog::BuiltIn();
  const GpuModel h100 = MustFind(c, "H100-PCIe");
  EXPECT_TRUE(GpuCatalog::Matches(h100, "H100"));
  EXPECT_TRUE(GpuCatalog::Matches(h100, "h100"));
  EXPECT_TRUE(GpuCatalog::Matches(h100, "h100-pcie"));
  EXPECT_FALSE(GpuCatalog::Matches(h100, "H100-SXM"));
  EXPECT_FALSE(GpuCatalog::Matches(h100, "H10"));
  EXPECT_FALSE(GpuCatalog::Matches(MustFind(c, "L40S"), "L4"));
  EXPECT_TRUE(GpuCatalog::Matches(MustFind(c, "A100-SXM-40GB"), "a100"));

  EXPECT_TRUE(c.KnowsNameOrFamily("A100"));
  EXPECT_TRUE(c.KnowsNameOrFamily("gb200"));
  EXPECT_TRUE(c.KnowsNameOrFamily("l4"));
  EXPECT_FALSE(c.KnowsNameOrFamily("H200"));
  EXPECT_FALSE(c.KnowsNameOrFamily("MI300X"));
}

TEST(GpuCatalogTest, PutAddsOrReplaces) {
  GpuCatalog c = GpuCatalog::BuiltIn();
  const size_t before = c.size();
  c.Put({"MI300X", "MI300", GiB(192), 94, 750, false, 0});
  EXPECT_EQ(c.size(), before + 1);
  EXPECT_TRUE(c.KnowsNameOrFamily("mi300"));
  EXPECT_EQ(c.at(*c.Find("mi300x")).memory, GiB(192));

  // Same name (any case) replaces in place.
  const ModelIdx l4 = *c.Find("L4");
  c.Put({"l4", "L4", GiB(48), 89, 72, false, 0});
  EXPECT_EQ(c.size(), before + 1);
  EXPECT_EQ(c.Find("L4"), l4);
  EXPECT_EQ(c.at(l4).memory, GiB(48));
}

// --- MIG geometry ---------------------------------------------------------------------------------

TEST(MigTest, ProfileNamesOnAn80GbModel) {
  const GpuModel m = MustFind(GpuCatalog::BuiltIn(), "A100-SXM");
  std::vector<std::string> names;
  for (const auto& shape : MigShapes()) names.push_back(MigProfileName(m, shape));
  EXPECT_EQ(names, (std::vector<std::string>{"1g.10gb", "1g.20gb", "2g.20gb", "3g.40gb", "4g.40gb",
                                             "7g.80gb"}));
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(FindMigShape(m, names[i]), static_cast<int>(i)) << names[i];
  }
}

TEST(MigTest, ProfileNamesOnA40GbModel) {
  const GpuModel m = MustFind(GpuCatalog::BuiltIn(), "A100-SXM-40GB");
  EXPECT_EQ(MigProfileName(m, MigShapes()[Shape(m, "3g.20gb")]), "3g.20gb");
  EXPECT_EQ(MigShapes()[Shape(m, "3g.20gb")].compute_slices, 3);
  EXPECT_EQ(MigShapes()[Shape(m, "1g.5gb")].memory_slices, 1);
  EXPECT_EQ(MigShapes()[Shape(m, "7g.40gb")].memory_slices, 8);
  EXPECT_FALSE(FindMigShape(m, "3g.40gb").has_value()) << "that is the 80 GB part's profile";
  // On a 40 GB part "1g.10gb" is the one-compute-slice profile with two memory slices.
  EXPECT_EQ(MigShapes()[Shape(m, "1g.10gb")].memory_slices, 2);
  EXPECT_EQ(MigShapes()[Shape(m, "2g.10gb")].compute_slices, 2);
}

TEST(MigTest, FindMigShapeIsCaseInsensitiveAndNeedsMig) {
  const GpuCatalog c = GpuCatalog::BuiltIn();
  const GpuModel h100 = MustFind(c, "H100-SXM");
  EXPECT_EQ(FindMigShape(h100, "3G.40GB"), FindMigShape(h100, "3g.40gb"));
  EXPECT_TRUE(FindMigShape(h100, "3G.40GB").has_value());
  EXPECT_FALSE(FindMigShape(h100, "3g.40").has_value());
  EXPECT_FALSE(FindMigShape(h100, "5g.50gb").has_value());
  EXPECT_FALSE(FindMigShape(h100, "").has_value());
  EXPECT_FALSE(FindMigShape(MustFind(c, "L4"), "1g.10gb").has_value());
  EXPECT_FALSE(FindMigShape(MustFind(c, "L40S"), "7g.80gb").has_value());
}

TEST(MigTest, InstanceMemory) {
  const GpuModel m = MustFind(GpuCatalog::BuiltIn(), "A100-SXM");
  EXPECT_EQ(MigInstanceMemory(m, MigShapes()[Shape(m, "1g.10gb")]), GiB(10));
  EXPECT_EQ(MigInstanceMemory(m, MigShapes()[Shape(m, "2g.20gb")]), GiB(20));
  EXPECT_EQ(MigInstanceMemory(m, MigShapes()[Shape(m, "3g.40gb")]), GiB(40));
  EXPECT_EQ(MigInstanceMemory(m, MigShapes()[Shape(m, "7g.80gb")]), GiB(80));
}

TEST(MigTest, ValidStarts) {
  const GpuModel m = MustFind(GpuCatalog::BuiltIn(), "H100-SXM");
  const auto& shapes = MigShapes();
  EXPECT_EQ(Starts(shapes[Shape(m, "1g.10gb")]), (std::vector<int>{0, 1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(Starts(shapes[Shape(m, "1g.20gb")]), (std::vector<int>{0, 2, 4, 6}));
  EXPECT_EQ(Starts(shapes[Shape(m, "2g.20gb")]), (std::vector<int>{0, 2, 4}));
  EXPECT_EQ(Starts(shapes[Shape(m, "3g.40gb")]), (std::vector<int>{0, 4}));
  EXPECT_EQ(Starts(shapes[Shape(m, "4g.40gb")]), (std::vector<int>{0}));
  EXPECT_EQ(Starts(shapes[Shape(m, "7g.80gb")]), (std::vector<int>{0}));
  // No valid start runs past the last memory slice.
  for (const auto& shape : shapes) {
    for (int s : Starts(shape)) EXPECT_LE(s + shape.memory_slices, kMigMemorySlices);
  }
}

TEST(MigTest, SliceBits) {
  const auto& shapes = MigShapes();
  EXPECT_EQ(MigSliceBits(shapes[0], 6), 0b0100'0000);  // 1g at 6
  EXPECT_EQ(MigSliceBits(shapes[2], 2), 0b0000'1100);  // 2g at 2
  EXPECT_EQ(MigSliceBits(shapes[3], 4), 0b1111'0000);  // 3g at 4
  EXPECT_EQ(MigSliceBits(shapes[5], 0), 0b1111'1111);  // 7g at 0
}

TEST(MigTest, FreeInstancesOnAnEmptyGpu) {
  const GpuModel m = MustFind(GpuCatalog::BuiltIn(), "A100-SXM");
  const auto& shapes = MigShapes();
  EXPECT_EQ(MigFreeInstances(0, shapes[Shape(m, "1g.10gb")]), 7);
  EXPECT_EQ(MigFreeInstances(0, shapes[Shape(m, "1g.20gb")]), 4);
  EXPECT_EQ(MigFreeInstances(0, shapes[Shape(m, "2g.20gb")]), 3);
  EXPECT_EQ(MigFreeInstances(0, shapes[Shape(m, "3g.40gb")]), 2);
  EXPECT_EQ(MigFreeInstances(0, shapes[Shape(m, "4g.40gb")]), 1);
  EXPECT_EQ(MigFreeInstances(0, shapes[Shape(m, "7g.80gb")]), 1);
}

TEST(MigTest, FreeInstancesOnAPartlyUsedGpu) {
  const GpuModel m = MustFind(GpuCatalog::BuiltIn(), "A100-SXM");
  const auto& shapes = MigShapes();
  const MigShape& g1 = shapes[Shape(m, "1g.10gb")];
  const MigShape& g3 = shapes[Shape(m, "3g.40gb")];
  const MigShape& g4 = shapes[Shape(m, "4g.40gb")];
  const MigShape& g7 = shapes[Shape(m, "7g.80gb")];
  const uint8_t four_at_0 = MigSliceBits(g4, 0);
  EXPECT_EQ(MigFreeInstances(four_at_0, g3), 1);
  EXPECT_EQ(MigFreeInstances(four_at_0, g4), 0);
  EXPECT_EQ(MigFreeInstances(four_at_0, g7), 0);
  EXPECT_EQ(MigFreeInstances(four_at_0, g1), 3);  // slices 4, 5, 6; 7 takes no 1g
  EXPECT_EQ(MigFreeInstances(0xFF, g1), 0);
  EXPECT_EQ(MigFreeInstances(0b1000'0000, g7), 0);
  EXPECT_EQ(MigFreeInstances(0b1000'0000, g3), 1);
}

// For every occupancy mask, the count matches a brute force over sets of disjoint valid starts.
TEST(MigTest, FreeInstancesIsExactForEveryMask) {
  for (size_t si = 0; si < MigShapes().size(); ++si) {
    const MigShape& shape = MigShapes()[si];
    for (int mask = 0; mask < 256; ++mask) {
      int best = 0;
      for (int subset = 0; subset < 256; ++subset) {
        if ((subset & ~shape.start_mask) != 0) continue;
        uint8_t used = static_cast<uint8_t>(mask);
        bool ok = true;
        int n = 0;
        for (int s = 0; s < kMigMemorySlices && ok; ++s) {
          if (!(subset >> s & 1)) continue;
          const uint8_t bits = MigSliceBits(shape, s);
          if (used & bits) ok = false;
          used |= bits;
          ++n;
        }
        if (ok) best = std::max(best, n);
      }
      ASSERT_EQ(MigFreeInstances(static_cast<uint8_t>(mask), shape), best)
          << "shape " << si << " mask " << mask;
    }
  }
}

TEST(MigTest, BestStartIsAlwaysValidAndFree) {
  for (size_t si = 0; si < MigShapes().size(); ++si) {
    const MigShape& shape = MigShapes()[si];
    for (int mask = 0; mask < 256; ++mask) {
      const auto start = MigBestStart(static_cast<uint8_t>(mask), shape);
      const int free = MigFreeInstances(static_cast<uint8_t>(mask), shape);
      ASSERT_EQ(start.has_value(), free > 0) << "shape " << si << " mask " << mask;
      if (!start) continue;
      ASSERT_GE(*start, 0);
      ASSERT_LT(*start, kMigMemorySlices);
      EXPECT_TRUE(shape.start_mask >> *start & 1) << "invalid start " << *start;
      EXPECT_EQ(mask & MigSliceBits(shape, *start), 0) << "occupied start " << *start;
      // Taking it leaves exactly one instance fewer of the same profile.
      EXPECT_EQ(MigFreeInstances(static_cast<uint8_t>(mask | MigSliceBits(shape, *start)), shape),
                free - 1)
          << "shape " << si << " mask " << mask;
    }
  }
}

TEST(MigTest, ThreeGFitsAtFourAfterFourGAtZero) {
  const GpuModel m = MustFind(GpuCatalog::BuiltIn(), "A100-SXM");
  const MigShape& g4 = MigShapes()[Shape(m, "4g.40gb")];
  const MigShape& g3 = MigShapes()[Shape(m, "3g.40gb")];
  EXPECT_EQ(MigBestStart(0, g4), 0);
  EXPECT_EQ(MigBestStart(MigSliceBits(g4, 0), g3), 4);
  EXPECT_FALSE(MigBestStart(MigSliceBits(g4, 0) | MigSliceBits(g3, 4), g3).has_value());
}

TEST(MigTest, BestStartKeepsLargeProfilesPossible) {
  const GpuModel m = MustFind(GpuCatalog::BuiltIn(), "A100-SXM");
  const auto& shapes = MigShapes();
  const MigShape& g1 = shapes[Shape(m, "1g.10gb")];
  const MigShape& g2 = shapes[Shape(m, "2g.20gb")];
  const MigShape& g3 = shapes[Shape(m, "3g.40gb")];
  const MigShape& g4 = shapes[Shape(m, "4g.40gb")];
  // A small instance on an empty GPU leaves room for a 4g (which can only start at 0).
  const uint8_t after_1g = MigSliceBits(g1, *MigBestStart(0, g1));
  EXPECT_EQ(MigFreeInstances(after_1g, g4), 1);
  EXPECT_EQ(MigFreeInstances(after_1g, g3), 1);
  const uint8_t after_2g = MigSliceBits(g2, *MigBestStart(0, g2));
  EXPECT_EQ(MigFreeInstances(after_2g, g4), 1);
  // A 3g on an empty GPU goes to 4, keeping the 4g start free.
  EXPECT_EQ(MigBestStart(0, g3), 4);
}

TEST(MigTest, RepeatedBestStartsFillAsManyAsFreeInstancesSays) {
  for (size_t si = 0; si < MigShapes().size(); ++si) {
    const MigShape& shape = MigShapes()[si];
    for (int mask = 0; mask < 256; ++mask) {
      int placed = 0;
      FillWith(static_cast<uint8_t>(mask), shape, &placed);
      EXPECT_EQ(placed, MigFreeInstances(static_cast<uint8_t>(mask), shape))
          << "shape " << si << " mask " << mask;
    }
  }
}

TEST(MigTest, SevenOneGInstancesLeaveNothing) {
  const MigShape& g1 = MigShapes()[0];
  int placed = 0;
  const uint8_t mask = FillWith(0, g1, &placed);
  EXPECT_EQ(placed, 7);
  EXPECT_EQ(mask, 0b0111'1111);
  for (const auto& shape : MigShapes()) {
    if (shape.memory_slices > 1) {
      EXPECT_EQ(MigFreeInstances(mask, shape), 0);
    }
  }
}

}  // namespace
}  // namespace harch

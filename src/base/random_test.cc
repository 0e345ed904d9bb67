#include "base/random.h"

#include <gtest/gtest.h>

#include <set>

#include "base/clock.h"

namespace harch {
namespace {

TEST(Random, SameSeedSameSequence) {
  Random a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const uint64_t x = a.Next();
    EXPECT_EQ(x, b.Next());
    differs |= x != c.Next();
  }
  EXPECT_TRUE(differs);
}

TEST(Random, UniformStaysInRangeAndCoversIt) {
  Random r(1);
  std::set<int64_t> seen;
  for (int i = 0; i < 2000; ++i) {
    const int64_t v = r.Uniform(-3, 3);
    ASSERT_GE(v, -3);
    ASSERT_LE(v, 3);
    seen.insert(v);
    const double d = r.UniformDouble();
    ASSERT_GE(d, 0.0);
    ASSERT_LT(d, 1.0);
  }
  EXPECT_EQ(seen.size(), 7u);
}

TEST(ManualClock, MovesOnlyWhenTold) {
  ManualClock clock(Time(Duration(1000)));
  EXPECT_EQ(clock.Now().time_since_epoch().count(), 1000);
  clock.Advance(std::chrono::seconds(2));
  EXPECT_EQ(clock.Now().time_since_epoch().count(), 2'001'000);
}

}  // namespace
}  // namespace harch

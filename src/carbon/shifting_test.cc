#include "carbon/shifting.h"

#include <gtest/gtest.h>

#include "base/random.h"
#include "base/time_text.h"

namespace harch {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

Time T(const char* s) { return *ParseTimestamp(s); }

IntensitySeries Hourly(std::vector<double> values, Time start = T("2020-01-01 00:00:00")) {
  std::vector<IntensityPoint> p;
  for (size_t i = 0; i < values.size(); ++i) p.push_back({start + hours(i), values[i]});
  return IntensitySeries("Z", std::move(p));
}

TEST(Shifting, BestStartFindsTheCleanestWindow) {
  const auto s = Hourly({300, 300, 100, 50, 80, 300, 300, 300});
  const Time t0 = T("2020-01-01 00:00:00");
  // A 2 h job that may start up to 5 h late: 03:00-05:00 averages 65.
  EXPECT_EQ(*BestStart(s, t0, t0 + hours(5), hours(2), minutes(15)), t0 + hours(3));
  // Not allowed to wait past 1 h: the better of 00:00 and 01:00 (and 00:15 ...).
  EXPECT_EQ(*BestStart(s, t0, t0 + hours(1), hours(2), minutes(15)), t0 + hours(1));
  // No room to wait at all.
  EXPECT_EQ(*BestStart(s, t0, t0, hours(2), hours(1)), t0);
  // Beyond the forecast: nothing to say.
  EXPECT_FALSE(BestStart(s, t0 + hours(10), t0 + hours(12), hours(1), hours(1)));
}

TEST(Shifting, BestSlotsPicksTheCleanestHours) {
  const auto s = Hourly({300, 100, 300, 50, 300, 300});
  const Time t0 = T("2020-01-01 00:00:00");
  auto w = BestSlots(s, t0, t0 + hours(6), minutes(90), hours(1));
  ASSERT_TRUE(w);
  ASSERT_EQ(w->size(), 2u);
  EXPECT_EQ((*w)[0].start, t0 + hours(1));
  EXPECT_EQ((*w)[0].length(), minutes(30));  // the remainder goes to the second-cleanest hour
  EXPECT_EQ((*w)[1].start, t0 + hours(3));
  EXPECT_EQ((*w)[1].length(), hours(1));
  EXPECT_FALSE(BestSlots(s, t0, t0 + hours(1), hours(2), hours(1)));
}

// Property: whatever the series, shifting never runs past the deadline, never gives less than the
// required running time, and never emits more (by the forecast) than starting at once.
TEST(Shifting, NeverMissesTheDeadlineNorDoesWorse) {
  Random rng(42);
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<double> v(72);
    for (auto& x : v) x = static_cast<double>(rng.Uniform(20, 600));
    const auto s = Hourly(v);
    // On a half-hour grid, so that every slot has one intensity and the comparisons are exact.
    const Time t0 = T("2020-01-01 00:00:00") + minutes(30 * rng.Uniform(0, 20));
    const Duration duration = minutes(30 * rng.Uniform(1, 48));
    const Duration slack = minutes(30 * rng.Uniform(0, 48));
    const Time deadline = t0 + duration + slack;
    const auto start = BestStart(s, t0, deadline - duration, duration, minutes(30));
    ASSERT_TRUE(start);
    EXPECT_GE(*start, t0);
    EXPECT_LE(*start + duration, deadline);
    EXPECT_LE(*s.Mean(*start, *start + duration), *s.Mean(t0, t0 + duration) + 1e-9);
    const auto slots = BestSlots(s, t0, deadline, duration, minutes(30));
    ASSERT_TRUE(slots);
    Duration total{0};
    double emitted = 0;
    for (const Window& w : *slots) {
      EXPECT_GE(w.start, t0);
      EXPECT_LE(w.end, deadline);
      total += w.length();
      emitted += *s.IntegralHours(w.start, w.end);
    }
    EXPECT_EQ(total, duration);
    EXPECT_LE(emitted, *s.IntegralHours(*start, *start + duration) + 1e-6);  // pausing never hurts
  }
}

}  // namespace
}  // namespace harch

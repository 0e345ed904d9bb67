// Temporal shifting: when, within the time a job may wait, to run it so that it emits least,
// according to a forecast. Pure functions over an IntensitySeries; the scheduler's carbon plugin
// and the experiments call them. Thread-safety: stateless.
#pragma once

#include <optional>
#include <vector>

#include "carbon/intensity.h"

namespace harch {

struct Window {
  Time start;
  Time end;
  Duration length() const { return end - start; }
};

// The start in [earliest, latest_start] (on a `step` grid from `earliest`, and latest_start
// itself) with the lowest forecast mean intensity over [start, start + duration). Ties go to the
// earliest start. nullopt when the forecast covers no candidate. REQUIRES: step > 0.
std::optional<Time> BestStart(const IntensitySeries& forecast, Time earliest, Time latest_start,
                              Duration duration, Duration step);

// For interruptible work: the `step`-long slots of [earliest, deadline) with the lowest forecast
// intensity that together give `duration` of running time, merged into windows in time order.
// The last slot is cut to the exact remainder. nullopt when [earliest, deadline) is shorter than
// `duration` or the forecast does not cover it.
std::optional<std::vector<Window>> BestSlots(const IntensitySeries& forecast, Time earliest,
                                             Time deadline, Duration duration, Duration step);

}  // namespace harch

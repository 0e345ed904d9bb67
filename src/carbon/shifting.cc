#include "carbon/shifting.h"

#include <algorithm>

namespace harch {

std::optional<Time> BestStart(const IntensitySeries& forecast, Time earliest, Time latest_start,
                              Duration duration, Duration step) {
  std::optional<Time> best;
  double best_mean = 0;
  auto consider = [&](Time start) {
    const auto mean = forecast.Mean(start, start + duration);
    if (mean && (!best || *mean < best_mean - 1e-9)) {
      best = start;
      best_mean = *mean;
    }
  };
  for (Time t = earliest; t <= latest_start; t += step) consider(t);
  if (latest_start >= earliest) consider(latest_start);
  return best;
}

std::optional<std::vector<Window>> BestSlots(const IntensitySeries& forecast, Time earliest,
                                             Time deadline, Duration duration, Duration step) {
  if (deadline - earliest < duration) return std::nullopt;
  struct Slot {
    Window w;
    double mean;
  };
  std::vector<Slot> slots;
  for (Time t = earliest; t < deadline; t += step) {
    const Window w{t, std::min(t + step, deadline)};
    const auto mean = forecast.Mean(w.start, w.end);
    if (!mean) return std::nullopt;
    slots.push_back({w, *mean});
  }
  std::stable_sort(slots.begin(), slots.end(), [](const Slot& a, const Slot& b) { return a.mean < b.mean; });
  std::vector<Window> chosen;
  Duration left = duration;
  for (const Slot& s : slots) {
    if (left <= Duration{0}) break;
    Window w = s.w;
    if (w.length() > left) w.end = w.start + left;
    left -= w.length();
    chosen.push_back(w);
  }
  std::sort(chosen.begin(), chosen.end(), [](const Window& a, const Window& b) { return a.start < b.start; });
  std::vector<Window> merged;
  for (const Window& w : chosen) {
    if (!merged.empty() && merged.back().end == w.start) {
      merged.back().end = w.end;
    } else {
      merged.push_back(w);
    }
  }
  return merged;
}

}  // namespace harch

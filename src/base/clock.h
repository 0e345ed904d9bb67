// Time is injected: nothing outside SystemClock reads a real clock, so the scheduler core and the
// simulator run on a clock they control. Thread-safety: SystemClock is thread-safe; ManualClock
// is not (tests and the simulator drive it from one thread).
#pragma once

#include <chrono>
#include <cstdint>

namespace harch {

using Duration = std::chrono::microseconds;
// Microseconds since the Unix epoch.
using Time = std::chrono::time_point<std::chrono::system_clock, Duration>;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Time Now() const = 0;
};

// The real wall clock. The only production use of std::chrono::system_clock::now().
class SystemClock final : public Clock {
 public:
  Time Now() const override;
  static SystemClock& Get();
};

// A clock that moves only when told to.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Time start = Time{}) : now_(start) {}
  Time Now() const override { return now_; }
  void Advance(Duration d) { now_ += d; }
  void Set(Time t) { now_ = t; }

 private:
  Time now_;
};

}  // namespace harch

// Times as text: RFC 3339 for specs and APIs, and the looser forms data files use.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/status.h"

namespace harch {

// Parses "90s", "15m", "6h", "2d" or combinations such as "1h30m" (each unit once, largest
// first).
Result<Duration> ParseDuration(std::string_view text);

// Parses an RFC 3339 time such as "2026-12-01T00:00:00Z" or "...+01:00" (converted to UTC).
Result<Time> ParseTime(std::string_view text);

// Also accepts a space for the 'T' and no zone, meaning UTC ("2021-01-01 00:00:00"), as data
// files write them.
Result<Time> ParseTimestamp(std::string_view text);

// "2026-12-01T00:00:00Z" (whole seconds, UTC).
std::string FormatTime(Time t);

}  // namespace harch

#include "base/time_text.h"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <string>

namespace harch {

namespace {
bool IsDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
}  // namespace

Result<Duration> ParseDuration(std::string_view text) {
  auto bad = [&](const std::string& why) -> Status {
    return InvalidArgument("invalid duration '" + std::string(text) + "': " + why);
  };
  struct Unit {
    char name;
    int64_t micros;
  };
  static constexpr Unit kUnits[] = {
      {'d', 86'400'000'000}, {'h', 3'600'000'000}, {'m', 60'000'000}, {'s', 1'000'000}};
  if (text.empty()) return bad("empty; write e.g. 90s, 15m, 6h, 2d or 1h30m");
  if (text == "0") return Duration{0};
  int64_t total = 0;
  size_t next_unit = 0;  // units appear once each, largest first
  size_t i = 0;
  while (i < text.size()) {
    if (!IsDigit(text[i])) {
      if (text[i] == '-') return bad("must not be negative");
      return bad("unexpected character '" + std::string(1, text[i]) + "'");
    }
    const size_t number_start = i;
    int64_t number = 0;
    for (; i < text.size() && IsDigit(text[i]); ++i) {
      if (__builtin_mul_overflow(number, 10, &number) ||
          __builtin_add_overflow(number, text[i] - '0', &number)) {
        return bad("too large");
      }
    }
    if (i < text.size() && text[i] == '.') {
      return bad("fractions are not supported; write e.g. 1h30m for 1.5h");
    }
    const size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    const std::string_view unit = text.substr(unit_start, i - unit_start);
    if (unit.empty()) {
      return bad("missing unit after " +
                 std::string(text.substr(number_start, unit_start - number_start)) +
                 " (use d, h, m or s)");
    }
    size_t u = 0;
    while (u < std::size(kUnits) && !(unit.size() == 1 && unit[0] == kUnits[u].name)) ++u;
    if (u == std::size(kUnits)) {
      return bad("unknown unit '" + std::string(unit) + "' (use d, h, m or s)");
    }
    if (u < next_unit) return bad("each unit may appear once, largest first (d, h, m, s)");
    next_unit = u + 1;
    int64_t micros = 0;
    if (__builtin_mul_overflow(number, kUnits[u].micros, &micros) ||
        __builtin_add_overflow(total, micros, &total)) {
      return bad("too large");
    }
  }
  return Duration{total};
}

Result<Time> ParseTime(std::string_view text) {
  auto bad = [&](const std::string& why) -> Status {
    return InvalidArgument("invalid time '" + std::string(text) + "': " + why);
  };
  const std::string kForm = "expected RFC 3339 such as 2026-12-01T00:00:00Z";
  size_t pos = 0;
  auto digits = [&](size_t count, int* out) {
    if (pos + count > text.size()) return false;
    int v = 0;
    for (size_t k = 0; k < count; ++k) {
      if (!IsDigit(text[pos + k])) return false;
      v = v * 10 + (text[pos + k] - '0');
    }
    pos += count;
    *out = v;
    return true;
  };
  auto literal = [&](char a, char b) {
    if (pos < text.size() && (text[pos] == a || text[pos] == b)) {
      ++pos;
      return true;
    }
    return false;
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (!digits(4, &y) || !literal('-', '-') || !digits(2, &mo) || !literal('-', '-') ||
      !digits(2, &d)) {
    return bad(kForm);
  }
  if (!literal('T', 't')) return bad(kForm + " (date and time joined by 'T')");
  if (!digits(2, &h) || !literal(':', ':') || !digits(2, &mi) || !literal(':', ':') ||
      !digits(2, &s)) {
    return bad(kForm);
  }
  int64_t micros = 0;
  if (literal('.', '.')) {
    size_t n = 0;
    for (; pos < text.size() && IsDigit(text[pos]); ++pos, ++n) {
      if (n < 6) micros = micros * 10 + (text[pos] - '0');  // digits past microseconds drop
    }
    if (n == 0) return bad("no digits after the decimal point");
    if (n > 9) return bad("more than 9 fractional digits");
    for (; n < 6; ++n) micros *= 10;
  }
  int offset_minutes = 0;
  if (!literal('Z', 'z')) {
    if (pos >= text.size() || (text[pos] != '+' && text[pos] != '-')) {
      return bad("missing time zone: end with Z or an offset such as +01:00");
    }
    const int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int oh = 0, om = 0;
    if (!digits(2, &oh) || !literal(':', ':') || !digits(2, &om)) {
      return bad("the offset must look like +01:00");
    }
    if (oh > 23 || om > 59) return bad("the offset is out of range");
    offset_minutes = sign * (oh * 60 + om);
  }
  if (pos != text.size()) return bad("unexpected text after the time");

  using namespace std::chrono;
  if (mo < 1 || mo > 12) return bad("month " + std::to_string(mo) + " is out of range");
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                           day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return bad("no such date");
  if (h > 23) return bad("hour " + std::to_string(h) + " is out of range");
  if (mi > 59) return bad("minute " + std::to_string(mi) + " is out of range");
  if (s == 60) return bad("leap seconds are not supported");
  if (s > 59) return bad("second " + std::to_string(s) + " is out of range");
  Time t = sys_days{ymd};
  t += hours{h} + minutes{mi} + seconds{s} + microseconds{micros};
  t -= minutes{offset_minutes};
  return t;
}

std::string FormatTime(Time t) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{duration_cast<seconds>(t - day)};
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02ld:%02ld:%02lldZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()),
                static_cast<long long>(hms.seconds().count()));
  return buf;
}

Result<Time> ParseTimestamp(std::string_view text) {
  std::string t(text);
  if (t.size() > 10 && t[10] == ' ') t[10] = 'T';
  // No zone after the seconds (and any fraction): UTC.
  const size_t tail = t.find_first_not_of("0123456789.", t.size() > 19 ? 19 : t.size());
  if (t.size() >= 19 && tail == std::string::npos) t += 'Z';
  return ParseTime(t);
}

}  // namespace harch

#include "base/time_text.h"

#include <cctype>
#include <chrono>
#include <string>

namespace harch {

namespace {
bool IsDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
}  // namespace

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

Result<Time> ParseTimestamp(std::string_view text) {
  std::string t(text);
  if (t.size() > 10 && t[10] == ' ') t[10] = 'T';
  // No zone after the seconds (and any fraction): UTC.
  const size_t tail = t.find_first_not_of("0123456789.", t.size() > 19 ? 19 : t.size());
  if (t.size() >= 19 && tail == std::string::npos) t += 'Z';
  return ParseTime(t);
}

}  // namespace harch

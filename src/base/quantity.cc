#include "base/quantity.h"

#include <array>
#include <cctype>
#include <cstdio>

namespace harch {
namespace {

struct Suffix {
  std::string_view name;
  int64_t multiplier;
};

constexpr std::array<Suffix, 17> kByteSuffixes{{
    {"KiB", 1LL << 10}, {"MiB", 1LL << 20}, {"GiB", 1LL << 30}, {"TiB", 1LL << 40},
    {"Ki", 1LL << 10},  {"Mi", 1LL << 20},  {"Gi", 1LL << 30},  {"Ti", 1LL << 40},
    {"KB", 1000LL},     {"MB", 1000000LL},  {"GB", 1000000000LL}, {"TB", 1000000000000LL},
    {"K", 1000LL},      {"M", 1000000LL},   {"G", 1000000000LL},  {"T", 1000000000000LL},
    {"B", 1},
}};

// Parses "<digits>[.<digits>]" times `multiplier` exactly; the product must be an integer.
Result<int64_t> ParseScaledDecimal(std::string_view number, int64_t multiplier,
                                   std::string_view original) {
  auto bad = [&](const std::string& why) {
    return InvalidArgument("invalid quantity '" + std::string(original) + "': " + why);
  };
  if (number.empty()) return bad("no number");
  int64_t whole = 0;
  int64_t frac = 0;
  int64_t frac_scale = 1;
  bool seen_dot = false;
  bool seen_digit = false;
  for (char c : number) {
    if (c == '.') {
      if (seen_dot) return bad("two decimal points");
      seen_dot = true;
      continue;
    }
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      return bad(c == '-' ? "must not be negative"
                          : "unexpected character '" + std::string(1, c) + "'");
    }
    seen_digit = true;
    int64_t& acc = seen_dot ? frac : whole;
    if (seen_dot && frac_scale >= 1'000'000'000) return bad("too many decimals");
    if (__builtin_mul_overflow(acc, 10, &acc) || __builtin_add_overflow(acc, c - '0', &acc)) {
      return bad("too large");
    }
    if (seen_dot) frac_scale *= 10;
  }
  if (!seen_digit) return bad("no digits");
  int64_t total = 0;
  int64_t frac_part = 0;
  if (__builtin_mul_overflow(whole, multiplier, &total) ||
      __builtin_mul_overflow(frac, multiplier, &frac_part)) {
    return bad("too large");
  }
  if (frac_part % frac_scale != 0) return bad("not a whole number of units");
  if (__builtin_add_overflow(total, frac_part / frac_scale, &total)) return bad("too large");
  return total;
}

}  // namespace

Result<Bytes> ParseBytes(std::string_view text) {
  std::string_view number = text;
  int64_t multiplier = 1;
  for (const auto& s : kByteSuffixes) {
    if (text.size() > s.name.size() && text.ends_with(s.name)) {
      number = text.substr(0, text.size() - s.name.size());
      multiplier = s.multiplier;
      break;
    }
  }
  while (!number.empty() && number.back() == ' ') number.remove_suffix(1);
  HARCH_ASSIGN_OR_RETURN(int64_t value, ParseScaledDecimal(number, multiplier, text));
  return Bytes{value};
}

std::string FormatBytes(Bytes bytes) {
  static constexpr std::array<std::string_view, 5> kUnits{"B", "KiB", "MiB", "GiB", "TiB"};
  int64_t v = bytes.value;
  size_t unit = 0;
  int64_t scale = 1;
  while (unit + 1 < kUnits.size() && v >= scale * 1024) {
    scale *= 1024;
    ++unit;
  }
  char buf[64];
  if (v % scale == 0) {
    std::snprintf(buf, sizeof buf, "%lld%s", static_cast<long long>(v / scale),
                  std::string(kUnits[unit]).c_str());
  } else {
    std::snprintf(buf, sizeof buf, "%.1f%s", static_cast<double>(v) / static_cast<double>(scale),
                  std::string(kUnits[unit]).c_str());
  }
  return buf;
}

namespace {
Result<int64_t> ParseMilli(std::string_view text) {
  if (text.ends_with("m")) return ParseScaledDecimal(text.substr(0, text.size() - 1), 1, text);
  return ParseScaledDecimal(text, 1000, text);
}
}  // namespace

std::string FormatBytesExact(Bytes bytes) {
  static constexpr std::array<Suffix, 8> kExact{{
      {"TiB", 1LL << 40}, {"TB", 1000000000000LL}, {"GiB", 1LL << 30}, {"GB", 1000000000LL},
      {"MiB", 1LL << 20}, {"MB", 1000000LL}, {"KiB", 1LL << 10}, {"KB", 1000LL},
  }};
  for (const auto& s : kExact) {
    if (bytes.value != 0 && bytes.value % s.multiplier == 0) {
      return std::to_string(bytes.value / s.multiplier) + std::string(s.name);
    }
  }
  return std::to_string(bytes.value);
}

Result<MilliCpu> ParseMilliCpu(std::string_view text) {
  HARCH_ASSIGN_OR_RETURN(int64_t v, ParseMilli(text));
  return MilliCpu{v};
}

Result<MilliGpu> ParseMilliGpu(std::string_view text) {
  HARCH_ASSIGN_OR_RETURN(int64_t v, ParseMilli(text));
  return MilliGpu{v};
}

}  // namespace harch

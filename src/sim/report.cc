#include "sim/report.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace harch {
namespace {

using nlohmann::json;

// ---------------------------------------------------------------------------------------------
// Reading the input: every accessor tolerates any JSON shape.

const json& Null() {
  static const json kNull;
  return kNull;
}

// The child `key` of `j` when `j` is an object that holds it, else null.
const json& At(const json& j, const std::string& key) {
  if (!j.is_object()) return Null();
  auto it = j.find(key);
  return it == j.end() ? Null() : *it;
}

// A dotted path: "faults.node_failures".
const json& AtPath(const json& j, std::string_view path) {
  const json* cur = &j;
  while (true) {
    size_t dot = path.find('.');
    cur = &At(*cur, std::string(path.substr(0, dot)));
    if (dot == std::string_view::npos) return *cur;
    path.remove_prefix(dot + 1);
  }
}

std::optional<double> Num(const json& j) {
  if (!j.is_number()) return std::nullopt;
  double v = j.get<double>();
  if (!std::isfinite(v)) return std::nullopt;
  return v;
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// Exact shortest decimal form of a double ("11520.5").
std::string Exact(double v) {
  char buf[64];
  double a = std::fabs(v);
  auto format =
      a == 0 || (a >= 1e-4 && a < 1e15) ? std::chars_format::fixed : std::chars_format::general;
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v, format);
  if (ec != std::errc()) return "-";
  return std::string(buf, end);
}

// A scalar for display: strings as they are, numbers exactly, "-" for null.
std::string Str(const json& j) {
  if (j.is_null()) return "-";
  if (j.is_string()) return j.get<std::string>();
  if (j.is_boolean()) return j.get<bool>() ? "true" : "false";
  if (j.is_number_integer() || j.is_number_unsigned()) return Dump(j);
  if (j.is_number_float()) return Exact(j.get<double>());
  return Dump(j);
}

std::string StrOr(const json& j, const std::string& fallback) {
  return j.is_null() ? fallback : Str(j);
}

std::string Basename(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos || slash + 1 == path.size()) return path;
  return path.substr(slash + 1);
}

using Pt = std::pair<double, double>;

// Points (xs[i], ys[i]) where both are finite numbers; the shorter array sets the length.
std::vector<Pt> Zip(const json& xs, const json& ys) {
  std::vector<Pt> pts;
  if (!xs.is_array() || !ys.is_array()) return pts;
  size_t n = std::min(xs.size(), ys.size());
  pts.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    auto x = Num(xs[i]);
    auto y = Num(ys[i]);
    if (x && y) pts.emplace_back(*x, *y);
  }
  return pts;
}

// At most about `max_points`: the min and the max of each bucket of consecutive points (in their
// order), plus the first and the last point, so spikes and the ends survive.
std::vector<Pt> Decimate(const std::vector<Pt>& pts, size_t max_points) {
  if (pts.size() <= max_points || max_points < 4) return pts;
  const size_t n = pts.size();
  const size_t buckets = max_points / 2 - 1;
  std::vector<Pt> out;
  out.reserve(max_points + 2);
  out.push_back(pts.front());
  size_t last = 0;
  for (size_t b = 0; b < buckets; ++b) {
    size_t begin = b * n / buckets;
    size_t end = (b + 1) * n / buckets;
    if (begin >= end) continue;
    size_t imin = begin;
    size_t imax = begin;
    for (size_t i = begin; i < end; ++i) {
      if (pts[i].second < pts[imin].second) imin = i;
      if (pts[i].second > pts[imax].second) imax = i;
    }
    for (size_t i : {std::min(imin, imax), std::max(imin, imax)}) {
      if (i > last) {
        out.push_back(pts[i]);
        last = i;
      }
    }
  }
  if (last != n - 1) out.push_back(pts.back());
  return out;
}

// ---------------------------------------------------------------------------------------------
// Formatting.

std::string Printf(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, v);
  return buf;
}

std::string WithThousands(long long n) {
  std::string digits = std::to_string(n < 0 ? -(n + 1) + 1ULL : static_cast<unsigned long long>(n));
  std::string out;
  int count = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (count > 0 && count % 3 == 0) out.push_back(',');
    out.push_back(*it);
    ++count;
  }
  if (n < 0) out.push_back('-');
  return {out.rbegin(), out.rend()};
}

// "1.50" -> "1.5", "2.00" -> "2".
std::string TrimZeros(std::string s) {
  if (s.find('.') == std::string::npos) return s;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

// A general number: "12,346", "3.14", "0.00123".
std::string FormatNumber(double v) {
  if (!std::isfinite(v)) return "-";
  double a = std::fabs(v);
  if (a >= 1e15) return Printf("%.3g", v);
  if (a >= 1000 || v == std::floor(v)) return WithThousands(std::llround(v));
  if (a >= 1) return TrimZeros(Printf("%.2f", v));
  return Printf("%.3g", v);
}

std::string FormatMicros(double us) {
  if (!std::isfinite(us)) return "-";
  double a = std::fabs(us);
  if (a < 10) return TrimZeros(Printf("%.1f", us)) + " \xC2\xB5s";
  if (a < 1000) return Printf("%.0f", us) + " \xC2\xB5s";
  if (a < 1e6) return TrimZeros(Printf("%.2f", us / 1e3)) + " ms";
  return TrimZeros(Printf("%.2f", us / 1e6)) + " s";
}

// Compact for axis ticks and bucket labels: "1.5k", "2M".
std::string TickLabel(double v, double step) {
  if (std::fabs(v) < step * 1e-6) return "0";
  const char* suffix = "";
  double div = 1;
  if (step >= 1e6) {
    div = 1e6;
    suffix = "M";
  } else if (step >= 1e3) {
    div = 1e3;
    suffix = "k";
  }
  double s = step / div;
  int decimals = s >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(s) - 1e-9));
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f%s", std::min(decimals, 6), v / div, suffix);
  return buf;
}

// ---------------------------------------------------------------------------------------------
// Metrics.

enum class Kind { kCount, kRatio, kSeconds, kMicros, kNumber, kRaw };
enum class Better { kNone, kLower, kHigher };

struct Metric {
  const char* path;  // dotted path into summary.json
  const char* label;
  Kind kind;
  Better better;
  bool optional;     // a row only when some run has the key
  bool in_compare;   // a row of the comparison
  const char* unit;  // kNumber: appended after a space
};

struct Group {
  const char* title;
  std::vector<Metric> metrics;
};

const std::vector<Group>& Groups() {
  using K = Kind;
  using B = Better;
  static const std::vector<Group> kGroups = {
      {"Jobs",
       {{"jobs_total", "jobs total", K::kCount, B::kNone, false, true, ""},
        {"jobs_completed", "completed", K::kCount, B::kHigher, false, true, ""},
        {"jobs_never_ran", "never ran", K::kCount, B::kLower, false, true, ""},
        {"jobs_rejected", "rejected", K::kCount, B::kLower, false, true, ""},
        {"jobs_lost", "lost", K::kCount, B::kLower, false, true, ""},
        {"preemptions", "preemptions", K::kCount, B::kLower, false, true, ""},
        {"carbon_pauses", "pauses for clean slots", K::kCount, B::kNone, false, true, ""},
        {"deadline_misses", "deadline misses", K::kCount, B::kLower, true, true, ""}}},
      {"Carbon and cost (--carbon)",
       {{"energy_kwh", "energy", K::kNumber, B::kLower, true, true, "kWh"},
        {"emissions_kgco2e", "emissions", K::kNumber, B::kLower, true, true, "kgCO2e"},
        {"carbon.mean_intensity_g_per_kwh", "mean intensity", K::kNumber, B::kLower, true, true, "g/kWh"},
        {"cost_usd", "cost", K::kNumber, B::kLower, true, true, "USD"}}},
      {"Utilization",
       {{"gpu_allocation", "GPU allocation", K::kRatio, B::kHigher, false, true, ""},
        {"gpu_allocation_while_waiting", "GPU allocation while jobs wait", K::kRatio, B::kHigher, true, true, ""},
        {"waiting_s", "time with jobs waiting", K::kSeconds, B::kNone, true, true, ""},
        {"fragmentation_mean", "fragmentation (mean)", K::kRatio, B::kLower, false, true, ""},
        {"makespan_s", "makespan", K::kSeconds, B::kLower, false, true, ""},
        {"max_allocated_gpus", "peak allocated GPUs", K::kCount, B::kNone, true, true, ""}}},
      {"Job completion time",
       {{"jct_mean_s", "JCT mean", K::kSeconds, B::kLower, false, true, ""},
        {"jct_p50_s", "JCT p50", K::kSeconds, B::kLower, false, true, ""},
        {"jct_p95_s", "JCT p95", K::kSeconds, B::kLower, false, true, ""},
        {"jct_p99_s", "JCT p99", K::kSeconds, B::kLower, false, true, ""}}},
      {"Queue delay",
       {{"queue_delay_mean_s", "queue delay mean", K::kSeconds, B::kLower, false, true, ""},
        {"queue_delay_p50_s", "queue delay p50", K::kSeconds, B::kLower, false, true, ""},
        {"queue_delay_p95_s", "queue delay p95", K::kSeconds, B::kLower, false, true, ""},
        {"queue_delay_p99_s", "queue delay p99", K::kSeconds, B::kLower, false, true, ""}}},
      {"Scheduler",
       {{"decision_latency_p50_us", "decision latency p50", K::kMicros, B::kLower, false, true, ""},
        {"decision_latency_p99_us", "decision latency p99", K::kMicros, B::kLower, false, true, ""},
        {"sovereignty_violations", "sovereignty violations", K::kCount, B::kLower, false, true, ""},
        {"scheduling_cycles", "scheduling cycles", K::kCount, B::kNone, true, false, ""}}},
      {"Faults",
       {{"faults.node_failures", "node failures", K::kCount, B::kNone, false, true, ""},
        {"faults.gpu_failures", "GPU failures", K::kCount, B::kNone, false, true, ""},
        {"faults.jobs_requeued", "jobs requeued", K::kCount, B::kNone, false, true, ""}}},
      {"Energy and cost",
       {{"energy_kwh", "energy", K::kNumber, B::kLower, true, true, "kWh"},
        {"emissions_kgco2e", "emissions", K::kNumber, B::kLower, true, true, "kg CO2e"},
        {"cost_usd", "cost", K::kNumber, B::kLower, true, true, "USD"}}},
      {"Run",
       {{"seed", "seed", K::kRaw, B::kNone, false, true, ""},
        {"timing.wall_seconds", "wall time", K::kSeconds, B::kNone, false, true, ""},
        {"timing.simulated_events", "simulated events", K::kCount, B::kNone, false, false, ""},
        {"timing.events_per_second", "events per second", K::kNumber, B::kNone, false, false, ""}}},
  };
  return kGroups;
}

// Top-level keys the report shows in a section of their own; others go to "Other fields".
const std::set<std::string>& KnownKeys() {
  static const std::set<std::string> kKeys = [] {
    std::set<std::string> keys = {"policy", "by_class",          "by_size",
                                  "inputs", "policy_parameters", "faults",
                                  "timing", "stand_in_notes",    "decision_latency_histogram_us"};
    for (const Group& g : Groups()) {
      for (const Metric& m : g.metrics) {
        std::string p = m.path;
        keys.insert(p.substr(0, p.find('.')));
      }
    }
    return keys;
  }();
  return kKeys;
}

struct Cell {
  std::string text = "-";       // as shown (not escaped)
  std::string title;            // exact value for the title attribute, empty for none
  std::optional<double> value;  // for choosing the best
};

Cell FormatValue(const json& j, Kind kind, const char* unit) {
  Cell c;
  if (j.is_null()) return c;
  if (kind == Kind::kRaw) {
    c.text = Str(j);
    return c;
  }
  auto v = Num(j);
  if (!v) {
    c.text = Str(j);  // not a number: show what it is, never guess
    return c;
  }
  c.value = v;
  c.title = Exact(*v);
  switch (kind) {
    case Kind::kCount:
      c.text = FormatNumber(*v);
      break;
    case Kind::kRatio:
      c.text = FormatPercent(*v);
      break;
    case Kind::kSeconds:
      c.text = HumanDuration(*v);
      c.title += " s";
      break;
    case Kind::kMicros:
      c.text = FormatMicros(*v);
      c.title += " \xC2\xB5s";
      break;
    case Kind::kNumber:
      c.text = FormatNumber(*v);
      if (unit && *unit) {
        c.text += std::string(" ") + unit;
        c.title += std::string(" ") + unit;
      }
      break;
    case Kind::kRaw:
      break;
  }
  if (c.title == c.text) c.title.clear();
  return c;
}

Cell MetricCell(const json& summary, const Metric& m) {
  return FormatValue(AtPath(summary, m.path), m.kind, m.unit);
}

// Indices of the best values: none when fewer than two values are present or all are equal.
std::vector<bool> Best(const std::vector<Cell>& cells, Better better) {
  std::vector<bool> best(cells.size(), false);
  if (better == Better::kNone) return best;
  std::optional<double> lo;
  std::optional<double> hi;
  int present = 0;
  for (const Cell& c : cells) {
    if (!c.value) continue;
    ++present;
    lo = lo ? std::min(*lo, *c.value) : *c.value;
    hi = hi ? std::max(*hi, *c.value) : *c.value;
  }
  if (present < 2 || *lo == *hi) return best;
  double target = better == Better::kLower ? *lo : *hi;
  for (size_t i = 0; i < cells.size(); ++i) best[i] = cells[i].value && *cells[i].value == target;
  return best;
}

std::vector<Cell> RowCells(const std::vector<json>& summaries, const Metric& m) {
  std::vector<Cell> cells;
  cells.reserve(summaries.size());
  for (const json& s : summaries) cells.push_back(MetricCell(s, m));
  return cells;
}

bool AnyHas(const std::vector<json>& summaries, const Metric& m) {
  for (const json& s : summaries) {
    if (!AtPath(s, m.path).is_null()) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// HTML pieces.

std::string Td(const Cell& c, bool best = false) {
  std::string out = best ? "<td class=\"n best\"" : "<td class=\"n\"";
  if (!c.title.empty()) out += " title=\"" + HtmlEscape(c.title) + "\"";
  out += ">" + HtmlEscape(c.text) + "</td>";
  return out;
}

std::string Esc(const std::string& s) { return HtmlEscape(s); }

const char* const kPalette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                "#E69F00", "#56B4E9", "#7F7F7F", "#000000"};
const char* Color(size_t i) { return kPalette[i % (sizeof(kPalette) / sizeof(kPalette[0]))]; }

constexpr const char* kCss = R"css(
:root{--fg:#1b1f24;--muted:#5b6570;--line:#d8dde3;--card:#f6f8fa;--best:#cdeed8}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
color:var(--fg);background:#fff;margin:0 auto;padding:24px;max-width:1320px}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:17px;margin:28px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:14px;margin:0 0 6px}
.sub{color:var(--muted);margin:0 0 14px}
.cap{color:var(--muted);font-size:12px;margin:0 0 6px}
.notice{border:1px solid #e0a800;border-left:6px solid #e0a800;background:#fff6d6;
padding:10px 14px;margin:10px 0;border-radius:4px}
.warn{color:#a33;font-weight:600}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px}
.kpi{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:10px 12px}
.kpi .v{font-size:20px;font-weight:600;font-variant-numeric:tabular-nums}
.kpi .k{color:var(--muted);font-size:12px}
.groups{display:grid;grid-template-columns:repeat(auto-fill,minmax(290px,1fr));gap:14px}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:16px}
.card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:12px;
overflow-x:auto}
table{border-collapse:collapse;width:100%}
th,td{padding:3px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
thead th{border-bottom:2px solid var(--line);font-weight:600}
tbody th{font-weight:normal}
.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.best{background:var(--best);font-weight:700}
tr.grp th{background:#eef1f4;font-weight:600}
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;
word-break:break-all}
svg.chart{display:block;width:100%;height:auto;background:#fff;border:1px solid var(--line)}
svg .gl{stroke:#e8ebef;stroke-width:1}
svg .ax{stroke:#59636e;stroke-width:1}
svg text{font-size:11px;fill:#444;font-family:system-ui,sans-serif}
svg text.lbl{font-size:12px;fill:#222}
.nodata{display:flex;align-items:center;justify-content:center;height:160px;color:var(--muted);
border:1px dashed var(--line);background:#fff}
.legend{margin:6px 0 0}
.legend span{margin-right:14px;white-space:nowrap;display:inline-block}
.legend i{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:5px;
vertical-align:-1px}
footer{color:var(--muted);font-size:12px;margin-top:30px}
)css";

std::string PageStart(const std::string& title) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>";
  out += Esc(title);
  out += "</title>\n<style>";
  out += kCss;
  out += "</style>\n</head>\n<body>\n";
  return out;
}

std::string PageEnd() {
  return "<footer>Generated by HarchOS. Self-contained: no scripts, no network.</footer>\n"
         "</body>\n</html>\n";
}

std::string NoData(const std::string& what) {
  return "<div class=\"nodata\">no data" + (what.empty() ? "" : ": " + Esc(what)) + "</div>\n";
}

// A two-column table of the scalar members of an object (nested values as compact JSON).
std::string KeyValueTable(const json& obj) {
  if (!obj.is_object() || obj.empty()) return "<p class=\"cap\">-</p>\n";
  std::string out = "<table>\n";
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    out += "<tr><th>" + Esc(it.key()) + "</th><td class=\"mono\">" + Esc(Str(it.value())) +
           "</td></tr>\n";
  }
  out += "</table>\n";
  return out;
}

std::string StandInNotes(const json& summary, const std::string& prefix) {
  const json& notes = At(summary, "stand_in_notes");
  std::string out;
  auto one = [&](const json& note) {
    out += "<div class=\"notice\"><strong>Stand-in";
    if (!prefix.empty()) out += " (" + Esc(prefix) + ")";
    out += ":</strong> " + Esc(Str(note)) + "</div>\n";
  };
  if (notes.is_array()) {
    for (const json& n : notes) one(n);
  } else if (!notes.is_null()) {
    one(notes);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Charts: inline SVG.

constexpr double kW = 720;
constexpr double kH = 270;
constexpr double kMl = 62;
constexpr double kMr = 18;
constexpr double kMt = 14;
constexpr double kMb = 42;
constexpr size_t kMaxPoints = 800;

std::string F1(double v) { return TrimZeros(Printf("%.1f", v)); }

struct Tick {
  double v;  // in data units
  std::string label;
};

struct Axis {
  double lo = 0;
  double hi = 1;
  bool log = false;
  double unit = 1;  // data values are divided by this before the linear mapping
  std::vector<Tick> ticks;
  std::string label;

  double T(double v) const {
    if (log) return std::log10(std::max(v, lo));
    return v / unit;
  }
  // Data value -> pixel between p0 (at lo) and p1 (at hi).
  double Map(double v, double p0, double p1) const {
    double a = T(lo);
    double b = T(hi);
    if (b <= a) return p0;
    double f = (T(v) - a) / (b - a);
    return p0 + f * (p1 - p0);
  }
};

double NiceStep(double span, int target) {
  if (!(span > 0)) return 1;
  double raw = span / target;
  double mag = std::pow(10, std::floor(std::log10(raw)));
  double f = raw / mag;
  double m = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
  return m * mag;
}

// Linear ticks over [lo, hi] in display units (data / unit); widens the range to whole steps.
Axis LinearAxis(double lo, double hi, double unit, int target, std::string label) {
  Axis a;
  a.unit = unit;
  a.label = std::move(label);
  double l = lo / unit;
  double h = hi / unit;
  if (!std::isfinite(h - l) || std::fabs(l) > 1e15 || std::fabs(h) > 1e15) {
    l = 0;  // absurd input: an empty frame rather than an axis of "inf"
    h = 1;
  }
  if (!(h > l)) h = l + 1;
  double step = NiceStep(h - l, target);
  double nl = std::floor(l / step + 1e-9) * step;
  double nh = std::ceil(h / step - 1e-9) * step;
  a.lo = nl * unit;
  a.hi = nh * unit;
  int count = static_cast<int>(std::llround((nh - nl) / step));
  for (int k = 0; k <= count && k <= 50; ++k) {
    double v = nl + k * step;
    a.ticks.push_back({v * unit, TickLabel(v, step)});
  }
  return a;
}

// Time since the start: minutes, hours or days as fits.
Axis TimeAxis(double lo, double hi) {
  double span = std::max(hi, 0.0);
  if (span <= 2 * 3600) return LinearAxis(std::min(lo, 0.0), hi, 60, 6, "time (minutes)");
  if (span <= 3 * 86400) return LinearAxis(std::min(lo, 0.0), hi, 3600, 6, "time (hours)");
  return LinearAxis(std::min(lo, 0.0), hi, 86400, 6, "time (days)");
}

// Durations (JCT): log scale over named ticks when the positive values span more than two
// decades, else linear in seconds, minutes, hours or days.
Axis DurationAxis(const std::vector<double>& xs, const std::string& what) {
  double lo_pos = 0;
  double hi = 0;
  bool any_pos = false;
  for (double x : xs) {
    hi = std::max(hi, x);
    if (x > 0) {
      lo_pos = any_pos ? std::min(lo_pos, x) : x;
      any_pos = true;
    }
  }
  if (any_pos && hi / lo_pos > 100) {
    static const std::vector<Tick> kNamed = {
        {1e-3, "1ms"},  {1e-2, "10ms"},   {0.1, "100ms"},   {1, "1s"},         {10, "10s"},
        {60, "1m"},     {600, "10m"},     {3600, "1h"},     {21600, "6h"},     {86400, "1d"},
        {604800, "1w"}, {2592000, "30d"}, {31536000, "1y"}, {315360000, "10y"}};
    Axis a;
    a.log = true;
    a.label = what + " (log scale)";
    a.lo = kNamed.front().v;
    a.hi = kNamed.back().v;
    for (const Tick& t : kNamed) {
      if (t.v <= lo_pos) a.lo = t.v;
    }
    for (auto it = kNamed.rbegin(); it != kNamed.rend(); ++it) {
      if (it->v >= hi) a.hi = it->v;
    }
    a.lo = std::min(a.lo, lo_pos);
    a.hi = std::max(a.hi, hi);
    for (const Tick& t : kNamed) {
      if (t.v >= a.lo && t.v <= a.hi) a.ticks.push_back(t);
    }
    return a;
  }
  if (hi <= 120) return LinearAxis(0, hi, 1, 6, what + " (seconds)");
  if (hi <= 2 * 3600) return LinearAxis(0, hi, 60, 6, what + " (minutes)");
  if (hi <= 3 * 86400) return LinearAxis(0, hi, 3600, 6, what + " (hours)");
  return LinearAxis(0, hi, 86400, 6, what + " (days)");
}

Axis RatioAxis(std::string label) {
  Axis a;
  a.lo = 0;
  a.hi = 1;
  a.label = std::move(label);
  for (int k = 0; k <= 4; ++k) a.ticks.push_back({k * 0.25, std::to_string(k * 25) + "%"});
  return a;
}

Axis CountAxis(double max, std::string label) {
  return LinearAxis(0, std::max(max, 1.0), 1, 5, std::move(label));
}

struct Series {
  std::string label;
  std::string color;
  std::vector<Pt> pts;
  bool step = false;  // horizontal then vertical between points (a CDF)
  bool area = false;  // filled down to the x axis
};

std::string SvgOpen(const std::string& aria) {
  return "<svg class=\"chart\" viewBox=\"0 0 " + F1(kW) + " " + F1(kH) +
         "\" preserveAspectRatio=\"xMidYMid meet\" role=\"img\" aria-label=\"" + Esc(aria) +
         "\">\n";
}

// The frame: grid lines, axes, tick labels and axis labels.
std::string Frame(const Axis& x, const Axis& y, bool x_ticks = true) {
  const double x0 = kMl;
  const double x1 = kW - kMr;
  const double y0 = kH - kMb;
  const double y1 = kMt;
  std::string out;
  for (const Tick& t : y.ticks) {
    double py = y.Map(t.v, y0, y1);
    out += "<line class=\"gl\" x1=\"" + F1(x0) + "\" y1=\"" + F1(py) + "\" x2=\"" + F1(x1) +
           "\" y2=\"" + F1(py) + "\"/>";
    out += "<text x=\"" + F1(x0 - 6) + "\" y=\"" + F1(py + 4) + "\" text-anchor=\"end\">" +
           Esc(t.label) + "</text>\n";
  }
  if (x_ticks) {
    for (const Tick& t : x.ticks) {
      double px = x.Map(t.v, x0, x1);
      out += "<line class=\"gl\" x1=\"" + F1(px) + "\" y1=\"" + F1(y1) + "\" x2=\"" + F1(px) +
             "\" y2=\"" + F1(y0) + "\"/>";
      out += "<line class=\"ax\" x1=\"" + F1(px) + "\" y1=\"" + F1(y0) + "\" x2=\"" + F1(px) +
             "\" y2=\"" + F1(y0 + 4) + "\"/>";
      out += "<text x=\"" + F1(px) + "\" y=\"" + F1(y0 + 16) + "\" text-anchor=\"middle\">" +
             Esc(t.label) + "</text>\n";
    }
  }
  out += "<line class=\"ax\" x1=\"" + F1(x0) + "\" y1=\"" + F1(y0) + "\" x2=\"" + F1(x1) +
         "\" y2=\"" + F1(y0) + "\"/>";
  out += "<line class=\"ax\" x1=\"" + F1(x0) + "\" y1=\"" + F1(y1) + "\" x2=\"" + F1(x0) +
         "\" y2=\"" + F1(y0) + "\"/>\n";
  out += "<text class=\"lbl\" x=\"" + F1((x0 + x1) / 2) + "\" y=\"" + F1(kH - 6) +
         "\" text-anchor=\"middle\">" + Esc(x.label) + "</text>\n";
  out += "<text class=\"lbl\" transform=\"translate(14," + F1((y0 + y1) / 2) +
         ") rotate(-90)\" text-anchor=\"middle\">" + Esc(y.label) + "</text>\n";
  return out;
}

std::string Legend(const std::vector<Series>& series) {
  std::string out = "<div class=\"legend\">";
  for (const Series& s : series) {
    out += "<span><i style=\"background:" + s.color + "\"></i>" + Esc(s.label) + "</span>";
  }
  out += "</div>\n";
  return out;
}

enum class XKind { kTime, kDuration };
enum class YKind { kRatio, kCount };

struct ChartSpec {
  std::string title;
  std::string caption;  // under the title, may be empty
  XKind x;
  std::string x_what;  // kDuration: what the durations are ("JCT")
  YKind y;
  std::string y_label;
  bool legend = false;
};

std::string Figure(const ChartSpec& spec, const std::string& body) {
  std::string out = "<div class=\"card\"><h3>" + Esc(spec.title) + "</h3>\n";
  if (!spec.caption.empty()) out += "<p class=\"cap\">" + Esc(spec.caption) + "</p>\n";
  out += body + "</div>\n";
  return out;
}

std::string LineChart(const ChartSpec& spec, std::vector<Series> series) {
  bool any = false;
  for (Series& s : series) {
    s.pts = Decimate(s.pts, kMaxPoints);
    any = any || !s.pts.empty();
  }
  if (!any) return Figure(spec, NoData(""));

  std::vector<double> xs;
  double xlo = 0;
  double xhi = 0;
  double ymax = 0;
  bool first = true;
  for (const Series& s : series) {
    for (const auto& [x, y] : s.pts) {
      xs.push_back(x);
      xlo = first ? x : std::min(xlo, x);
      xhi = first ? x : std::max(xhi, x);
      ymax = first ? y : std::max(ymax, y);
      first = false;
    }
  }
  Axis xa = spec.x == XKind::kTime ? TimeAxis(xlo, xhi) : DurationAxis(xs, spec.x_what);
  Axis ya = spec.y == YKind::kRatio ? RatioAxis(spec.y_label) : CountAxis(ymax, spec.y_label);
  if (spec.y == YKind::kRatio && ymax > 1.001) ya = CountAxis(ymax, spec.y_label);  // not a ratio

  const double x0 = kMl;
  const double x1 = kW - kMr;
  const double y0 = kH - kMb;
  const double y1 = kMt;
  auto px = [&](double v) { return std::clamp(xa.Map(v, x0, x1), x0, x1); };
  auto py = [&](double v) { return std::clamp(ya.Map(v, y0, y1), y1, y0); };

  std::string svg = SvgOpen(spec.title);
  svg += Frame(xa, ya);
  for (const Series& s : series) {
    if (s.pts.empty()) continue;
    std::string pts;
    pts.reserve(s.pts.size() * 24);
    auto add = [&](double x, double y) {
      if (!pts.empty()) pts += ' ';
      pts += F1(x) + "," + F1(y);
    };
    for (size_t i = 0; i < s.pts.size(); ++i) {
      double X = px(s.pts[i].first);
      double Y = py(s.pts[i].second);
      if (s.step && i > 0) add(X, py(s.pts[i - 1].second));
      add(X, Y);
    }
    if (s.area) {
      std::string poly = F1(px(s.pts.front().first)) + "," + F1(y0) + " " + pts + " " +
                         F1(px(s.pts.back().first)) + "," + F1(y0);
      svg += "<polygon fill=\"" + s.color + "\" fill-opacity=\"0.15\" stroke=\"none\" points=\"" +
             poly + "\"/>\n";
    }
    svg += "<polyline fill=\"none\" stroke=\"" + s.color +
           "\" stroke-width=\"1.6\" stroke-linejoin=\"round\" points=\"" + pts + "\"><title>" +
           Esc(s.label) + "</title></polyline>\n";
  }
  svg += "</svg>\n";
  if (spec.legend) svg += Legend(series);
  return Figure(spec, svg);
}

// The decision-latency histogram: one bar per bucket, labelled by its upper bound.
std::string LatencyHistogram(const json& histogram) {
  ChartSpec spec{"Decision latency histogram", "", XKind::kTime, "", YKind::kCount, "decisions"};
  if (!histogram.is_array() || histogram.empty()) return Figure(spec, NoData(""));
  struct Bar {
    std::string label;
    std::string tip;
    double count;
  };
  std::vector<Bar> bars;
  std::string prev = "0";
  double ymax = 0;
  for (const json& b : histogram) {
    auto count = Num(At(b, "count")).value_or(0);
    auto le = Num(At(b, "le_us"));
    std::string label = le ? FormatMicros(*le) : "> " + prev;
    std::string range = le ? "\xE2\x89\xA4 " + FormatMicros(*le) : "> " + prev;
    bars.push_back({le ? label : "+inf", range + ": " + FormatNumber(count), count});
    if (le) prev = label;
    ymax = std::max(ymax, count);
  }
  Axis xa;
  xa.label = "decision latency (bucket upper bound)";
  Axis ya = CountAxis(ymax, "decisions");
  const double x0 = kMl;
  const double x1 = kW - kMr;
  const double y0 = kH - kMb;
  const double y1 = kMt;
  std::string svg = SvgOpen(spec.title);
  svg += Frame(xa, ya, /*x_ticks=*/false);
  const double slot = (x1 - x0) / static_cast<double>(bars.size());
  const size_t every = (bars.size() + 11) / 12;
  for (size_t i = 0; i < bars.size(); ++i) {
    double top = std::clamp(ya.Map(bars[i].count, y0, y1), y1, y0);
    double left = x0 + slot * static_cast<double>(i) + slot * 0.1;
    svg += "<rect x=\"" + F1(left) + "\" y=\"" + F1(top) + "\" width=\"" +
           F1(std::max(slot * 0.8, 0.5)) + "\" height=\"" + F1(y0 - top) +
           "\" fill=\"#0072B2\"><title>" + Esc(bars[i].tip) + "</title></rect>\n";
    if (i % every == 0 || i + 1 == bars.size()) {
      svg += "<text x=\"" + F1(left + slot * 0.4) + "\" y=\"" + F1(y0 + 14) +
             "\" text-anchor=\"middle\">" + Esc(bars[i].label) + "</text>\n";
    }
  }
  svg += "</svg>\n";
  return Figure(spec, svg);
}

// ---------------------------------------------------------------------------------------------
// Sections of the single-run report.

std::string Kpi(const std::string& label, const Cell& c) {
  std::string out = "<div class=\"kpi\"><div class=\"v\"";
  if (!c.title.empty()) out += " title=\"" + Esc(c.title) + "\"";
  out += ">" + Esc(c.text) + "</div><div class=\"k\">" + Esc(label) + "</div></div>\n";
  return out;
}

std::string MetricGroups(const json& summary) {
  std::string out = "<div class=\"groups\">\n";
  for (const Group& g : Groups()) {
    std::string rows;
    for (const Metric& m : g.metrics) {
      if (m.optional && AtPath(summary, m.path).is_null()) continue;
      rows += "<tr><th>" + Esc(m.label) + "</th>" + Td(MetricCell(summary, m)) + "</tr>\n";
    }
    if (rows.empty()) continue;
    out += "<div class=\"card\"><h3>" + Esc(g.title) + "</h3><table>\n" + rows + "</table></div>\n";
  }
  out += "</div>\n";
  return out;
}

// by_class or by_size: one row per class.
std::string BreakdownTable(const json& by, const std::vector<std::string>& order,
                           const std::string& first_column) {
  if (!by.is_object() || by.empty()) return NoData("");
  std::vector<std::string> keys;
  for (const std::string& k : order) {
    if (by.contains(k)) keys.push_back(k);
  }
  for (auto it = by.begin(); it != by.end(); ++it) {
    if (std::find(keys.begin(), keys.end(), it.key()) == keys.end()) keys.push_back(it.key());
  }
  std::string out =
      "<table>\n<thead><tr><th>" + Esc(first_column) +
      "</th><th class=\"n\">jobs</th><th class=\"n\">completed</th><th class=\"n\">JCT mean</th>"
      "<th class=\"n\">JCT p99</th><th class=\"n\">queue delay mean</th>"
      "<th class=\"n\">queue delay p99</th></tr></thead>\n<tbody>\n";
  for (const std::string& k : keys) {
    const json& row = by[k];
    Cell jobs = FormatValue(At(row, "jobs"), Kind::kCount, "");
    Cell done = FormatValue(At(row, "completed"), Kind::kCount, "");
    if (jobs.value && done.value && *jobs.value > 0) {
      done.text += " (" + FormatPercent(*done.value / *jobs.value) + ")";
    }
    out += "<tr><th>" + Esc(k) + "</th>" + Td(jobs) + Td(done) +
           Td(FormatValue(At(row, "jct_mean_s"), Kind::kSeconds, "")) +
           Td(FormatValue(At(row, "jct_p99_s"), Kind::kSeconds, "")) +
           Td(FormatValue(At(row, "queue_delay_mean_s"), Kind::kSeconds, "")) +
           Td(FormatValue(At(row, "queue_delay_p99_s"), Kind::kSeconds, "")) + "</tr>\n";
  }
  out += "</tbody></table>\n";
  return out;
}

std::string InputsSection(const json& summary) {
  const json& inputs = At(summary, "inputs");
  const json& fleet = At(inputs, "fleet");
  const json& wl = At(inputs, "workload");
  auto row = [](const std::string& k, const std::string& v, const char* cls = "mono") {
    return "<tr><th>" + Esc(k) + "</th><td class=\"" + cls + "\">" + Esc(v) + "</td></tr>\n";
  };
  std::string out = "<div class=\"groups\">\n<div class=\"card\"><h3>Fleet</h3><table>\n";
  out += row("path", Str(At(fleet, "path")));
  out += row("hash", Str(At(fleet, "hash")));
  out += row("GPUs", FormatValue(At(fleet, "gpus"), Kind::kCount, "").text, "n");
  out += "</table></div>\n<div class=\"card\"><h3>Workload</h3><table>\n";
  out += row("kind", Str(At(wl, "kind")));
  out += row("path", Str(At(wl, "path")));
  out += row("hash", Str(At(wl, "hash")));
  out += row("lines read", FormatValue(At(wl, "lines_read"), Kind::kCount, "").text, "n");
  Cell bad = FormatValue(At(wl, "bad_lines_skipped"), Kind::kCount, "");
  out += row("bad lines skipped", bad.text, bad.value && *bad.value > 0 ? "n warn" : "n");
  const json& dropped = At(wl, "dropped");
  if (dropped.is_object()) {
    for (auto it = dropped.begin(); it != dropped.end(); ++it) {
      out += row("dropped: " + it.key(), FormatValue(it.value(), Kind::kCount, "").text, "n");
    }
  } else {
    out += row("dropped", "-", "n");
  }
  out += "</table></div>\n";
  out +=
      "<div class=\"card\"><h3>Workload notes</h3>\n" + KeyValueTable(At(wl, "notes")) + "</div>\n";
  out += "<div class=\"card\"><h3>Workload options</h3>\n" + KeyValueTable(At(wl, "options")) +
         "</div>\n";
  out += "<div class=\"card\"><h3>Policy parameters</h3>\n" +
         KeyValueTable(At(summary, "policy_parameters")) + "</div>\n";
  out += "</div>\n";
  return out;
}

std::string OtherFields(const json& summary) {
  if (!summary.is_object()) return "";
  json other = json::object();
  for (auto it = summary.begin(); it != summary.end(); ++it) {
    if (!KnownKeys().count(it.key())) other[it.key()] = it.value();
  }
  if (other.empty()) return "";
  return "<h2>Other fields</h2>\n<div class=\"card\">" + KeyValueTable(other) + "</div>\n";
}

std::string WorkloadName(const json& summary) {
  const json& wl = AtPath(summary, "inputs.workload");
  std::string kind = StrOr(At(wl, "kind"), "");
  std::string path = At(wl, "path").is_string() ? Basename(At(wl, "path").get<std::string>()) : "";
  if (kind.empty() && path.empty()) return "-";
  if (path.empty()) return kind;
  if (kind.empty()) return path;
  return kind + ":" + path;
}

std::vector<Pt> TimeSeries(const json& ts, const std::string& key) {
  return Zip(At(ts, "t_s"), At(ts, key));
}

std::vector<Pt> JctCdf(const json& ts) {
  const json& cdf = At(ts, "jct_cdf");
  return Zip(At(cdf, "jct_s"), At(cdf, "p"));
}

std::string RunLabel(const json& summary, size_t i, const std::vector<std::string>& names) {
  std::string label = "#" + std::to_string(i + 1) + " " + StrOr(At(summary, "policy"), "-");
  if (i < names.size() && !names[i].empty()) label += " (" + names[i] + ")";
  return label;
}

// ---------------------------------------------------------------------------------------------
// Plain text table.

size_t DisplayWidth(const std::string& s) {
  size_t w = 0;
  for (unsigned char c : s) w += (c & 0xC0) != 0x80;  // count UTF-8 code points
  return w;
}

std::string Pad(const std::string& s, size_t width, bool right) {
  size_t w = DisplayWidth(s);
  if (w >= width) return s;
  std::string fill(width - w, ' ');
  return right ? fill + s : s + fill;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Public.

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string HumanDuration(double s) {
  if (!std::isfinite(s)) return "-";
  if (s < 0) return "-" + HumanDuration(-s);
  if (s == 0) return "0s";
  if (s >= 1e12) return Printf("%.3g", s) + "s";  // beyond any simulation: no day counts
  if (s < 1e-3) return Printf("%.0f", s * 1e6) + "\xC2\xB5s";
  if (s < 0.9995) return Printf("%.0f", s * 1e3) + "ms";
  if (s < 9.95) return Printf("%.1f", s) + "s";
  if (s < 59.5) return Printf("%.0f", s) + "s";
  auto two = [](long long a, const char* ua, long long b, const char* ub) {
    std::string out = std::to_string(a) + ua;
    if (b != 0) out += " " + std::to_string(b) + ub;
    return out;
  };
  long long secs = std::llround(s);
  if (secs < 3600) return two(secs / 60, "m", secs % 60, "s");
  long long mins = std::llround(s / 60);
  if (mins < 24LL * 60) return two(mins / 60, "h", mins % 60, "m");
  long long hours = std::llround(s / 3600);
  return two(hours / 24, "d", hours % 24, "h");
}

std::string FormatPercent(double ratio) {
  if (!std::isfinite(ratio)) return "-";
  return Printf("%.1f", ratio * 100) + "%";
}

std::string RenderReport(const json& summary, const json& timeseries) {
  const std::string policy = StrOr(At(summary, "policy"), "-");
  const std::string workload = WorkloadName(summary);
  std::string out = PageStart("HarchOS sim: " + policy + " on " + workload);

  out += "<h1>Simulation report: " + Esc(policy) + "</h1>\n";
  std::string sub = "workload " + workload;
  sub += " \xC2\xB7 fleet " +
         FormatValue(AtPath(summary, "inputs.fleet.gpus"), Kind::kCount, "").text + " GPUs";
  sub += " \xC2\xB7 seed " + Str(At(summary, "seed"));
  out += "<p class=\"sub\">" + Esc(sub) + "</p>\n";
  out += StandInNotes(summary, "");

  // Headline numbers.
  auto metric = [&](const char* path) {
    for (const Group& g : Groups()) {
      for (const Metric& m : g.metrics) {
        if (std::string_view(m.path) == path) return MetricCell(summary, m);
      }
    }
    return Cell{};
  };
  out += "<div class=\"cards\">\n";
  out += Kpi("GPU allocation", metric("gpu_allocation"));
  Cell done = metric("jobs_completed");
  Cell total = metric("jobs_total");
  if (done.value && total.value && *total.value > 0) {
    done.text += " / " + total.text;
  }
  out += Kpi("jobs completed", done);
  out += Kpi("JCT p50", metric("jct_p50_s"));
  out += Kpi("JCT p99", metric("jct_p99_s"));
  out += Kpi("queue delay p99", metric("queue_delay_p99_s"));
  out += Kpi("makespan", metric("makespan_s"));
  out += Kpi("fragmentation (mean)", metric("fragmentation_mean"));
  out += Kpi("decision latency p99", metric("decision_latency_p99_us"));
  out += "</div>\n";

  out += "<h2>Metrics</h2>\n" + MetricGroups(summary);

  out += "<h2>Over time</h2>\n<div class=\"charts\">\n";
  const std::string color = Color(0);
  out += LineChart({"GPU allocation", "mean " + metric("gpu_allocation").text, XKind::kTime, "",
                    YKind::kRatio, "allocated GPUs"},
                   {{"allocation", color, TimeSeries(timeseries, "allocation"), false, true}});
  out += LineChart({"Pending jobs", "", XKind::kTime, "", YKind::kCount, "pending jobs"},
                   {{"pending", Color(1), TimeSeries(timeseries, "pending"), false, true}});
  out += LineChart(
      {"JCT CDF", "p50 " + metric("jct_p50_s").text + " \xC2\xB7 p99 " + metric("jct_p99_s").text,
       XKind::kDuration, "JCT", YKind::kRatio, "jobs completed"},
      {{"JCT CDF", Color(2), JctCdf(timeseries), true, false}});
  out += LineChart(
      {"Fragmentation", "mean " + metric("fragmentation_mean").text, XKind::kTime, "",
       YKind::kRatio, "fragmentation"},
      {{"fragmentation", Color(3), TimeSeries(timeseries, "fragmentation"), false, true}});
  out += LatencyHistogram(At(summary, "decision_latency_histogram_us"));
  out += LineChart({"Running jobs", "", XKind::kTime, "", YKind::kCount, "running jobs"},
                   {{"running", Color(4), TimeSeries(timeseries, "running"), false, false}});
  out += "</div>\n";

  static const std::vector<std::string> kSizeOrder = {"1 GPU or less", "2-7",    "8",
                                                      "9-63",          "64-255", "256+"};
  out += "<h2>By QoS class</h2>\n<div class=\"card\">" +
         BreakdownTable(At(summary, "by_class"), {}, "class") + "</div>\n";
  out += "<h2>By job size (GPUs)</h2>\n<div class=\"card\">" +
         BreakdownTable(At(summary, "by_size"), kSizeOrder, "size") + "</div>\n";

  out += "<h2>Inputs</h2>\n" + InputsSection(summary);
  out += OtherFields(summary);
  out += PageEnd();
  return out;
}

std::string RenderCompareHtml(const std::vector<json>& summaries,
                              const std::vector<json>& timeseries,
                              const std::vector<std::string>& names) {
  std::string out =
      PageStart("HarchOS sim: comparison of " + std::to_string(summaries.size()) + " runs");
  out += "<h1>Comparison of " + std::to_string(summaries.size()) + " runs</h1>\n";
  if (summaries.empty()) {
    out += "<p class=\"sub\">No runs.</p>\n" + PageEnd();
    return out;
  }
  out +=
      "<p class=\"sub\">Best value of each row highlighted: lower is better for times, "
      "latency, fragmentation and violations; higher for allocation and completed jobs.</p>\n";
  for (size_t i = 0; i < summaries.size(); ++i) {
    out += StandInNotes(summaries[i], RunLabel(summaries[i], i, names));
  }

  // The table.
  out += "<div class=\"card\"><table>\n<thead><tr><th>metric</th>";
  for (size_t i = 0; i < summaries.size(); ++i) {
    out += "<th class=\"n\"><span style=\"color:" + std::string(Color(i)) + "\">&#9632;</span> " +
           Esc(RunLabel(summaries[i], i, names)) + "</th>";
  }
  out += "</tr></thead>\n<tbody>\n";
  out += "<tr><th>workload</th>";
  for (const json& s : summaries) out += "<td class=\"n\">" + Esc(WorkloadName(s)) + "</td>";
  out += "</tr>\n";
  out += "<tr><th>fleet GPUs</th>";
  for (const json& s : summaries) {
    out += Td(FormatValue(AtPath(s, "inputs.fleet.gpus"), Kind::kCount, ""));
  }
  out += "</tr>\n";
  const std::string span = std::to_string(summaries.size() + 1);
  for (const Group& g : Groups()) {
    std::string rows;
    for (const Metric& m : g.metrics) {
      if (!m.in_compare || (m.optional && !AnyHas(summaries, m))) continue;
      std::vector<Cell> cells = RowCells(summaries, m);
      std::vector<bool> best = Best(cells, m.better);
      rows += "<tr><th>" + Esc(m.label) + "</th>";
      for (size_t i = 0; i < cells.size(); ++i) rows += Td(cells[i], best[i]);
      rows += "</tr>\n";
    }
    if (rows.empty()) continue;
    out += "<tr class=\"grp\"><th colspan=\"" + span + "\">" + Esc(g.title) + "</th></tr>\n";
    out += rows;
  }
  out += "</tbody></table></div>\n";

  // The charts, all runs overlaid.
  std::vector<Series> alloc, pending, cdf;
  for (size_t i = 0; i < summaries.size(); ++i) {
    const json& ts = i < timeseries.size() ? timeseries[i] : Null();
    std::string label = RunLabel(summaries[i], i, names);
    alloc.push_back({label, Color(i), TimeSeries(ts, "allocation"), false, false});
    pending.push_back({label, Color(i), TimeSeries(ts, "pending"), false, false});
    cdf.push_back({label, Color(i), JctCdf(ts), true, false});
  }
  out += "<h2>Over time</h2>\n<div class=\"charts\">\n";
  out += LineChart({"GPU allocation", "", XKind::kTime, "", YKind::kRatio, "allocated GPUs", true},
                   alloc);
  out += LineChart({"JCT CDF", "", XKind::kDuration, "JCT", YKind::kRatio, "jobs completed", true},
                   cdf);
  out += LineChart({"Pending jobs", "", XKind::kTime, "", YKind::kCount, "pending jobs", true},
                   pending);
  out += "</div>\n";
  out += PageEnd();
  return out;
}

std::string RenderCompareText(const std::vector<json>& summaries,
                              const std::vector<std::string>& names) {
  if (summaries.empty()) return "no runs\n";
  const size_t n = summaries.size();
  // rows[r][0] is the label; rows[r][1..n] the cells; an empty row is a blank line.
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> policies;
  std::vector<std::string> labels;
  for (size_t i = 0; i < n; ++i) {
    policies.push_back(StrOr(At(summaries[i], "policy"), "-"));
    labels.push_back(i < names.size() && !names[i].empty() ? names[i]
                                                           : "run " + std::to_string(i + 1));
  }
  // Header cells get the same two-character tail as values so that both right-align together.
  std::vector<std::string> head1 = {""};
  std::vector<std::string> head2 = {"metric"};
  for (size_t i = 0; i < n; ++i) {
    head1.push_back(policies[i] + "  ");
    head2.push_back(labels[i] + "  ");
  }
  bool any_best = false;
  for (const Group& g : Groups()) {
    bool first = true;
    for (const Metric& m : g.metrics) {
      if (!m.in_compare || (m.optional && !AnyHas(summaries, m))) continue;
      if (first && !rows.empty()) rows.emplace_back();
      first = false;
      std::vector<Cell> cells = RowCells(summaries, m);
      std::vector<bool> best = Best(cells, m.better);
      std::vector<std::string> row = {m.label};
      for (size_t i = 0; i < n; ++i) {
        row.push_back(cells[i].text + (best[i] ? " *" : "  "));
        any_best = any_best || best[i];
      }
      rows.push_back(row);
    }
  }
  std::vector<size_t> width(n + 1, 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], DisplayWidth(row[c]));
  };
  measure(head1);
  measure(head2);
  for (const auto& row : rows) measure(row);

  std::string out;
  auto emit = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t c = 0; c <= n; ++c) {
      if (c > 0) line += "  ";
      line += Pad(c < row.size() ? row[c] : "", width[c], c > 0);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  };
  emit(head1);
  emit(head2);
  {
    std::string rule;
    for (size_t c = 0; c <= n; ++c) {
      if (c > 0) rule += "  ";
      rule += std::string(width[c], '-');
    }
    out += rule + "\n";
  }
  for (const auto& row : rows) {
    if (row.empty()) {
      out += "\n";
    } else {
      emit(row);
    }
  }
  out += "\n";
  for (size_t i = 0; i < n; ++i) {
    const json& s = summaries[i];
    out += labels[i] + ": " + policies[i] + " on " + WorkloadName(s) + ", fleet " +
           FormatValue(AtPath(s, "inputs.fleet.gpus"), Kind::kCount, "").text + " GPUs, seed " +
           Str(At(s, "seed")) + "\n";
  }
  if (any_best) {
    out +=
        "* best of the runs (lower is better for times, latency, fragmentation and "
        "violations; higher for allocation and completed jobs)\n";
  }
  return out;
}

}  // namespace harch

#include "sim/report.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace harch {
namespace {

using nlohmann::json;

size_t Count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = hay.find(needle); pos != std::string::npos;
       pos = hay.find(needle, pos + needle.size())) {
    ++n;
  }
  return n;
}

json SampleSummary(const std::string& policy = "fifo-backfill") {
  json s = {
      {"policy", policy},
      {"seed", 42},
      {"jobs_total", 12000},
      {"jobs_completed", 11890},
      {"jobs_never_ran", 80},
      {"jobs_rejected", 30},
      {"gpu_allocation", 0.8734},
      {"makespan_s", 612345.0},
      {"jct_mean_s", 11520},
      {"jct_p50_s", 2400.5},
      {"jct_p95_s", 86400 * 1.5},
      {"jct_p99_s", 86400 * 4.2},
      {"queue_delay_mean_s", 640.0},
      {"queue_delay_p50_s", 12.0},
      {"queue_delay_p95_s", 3600.0 * 2},
      {"queue_delay_p99_s", 3600.0 * 9.5},
      {"fragmentation_mean", 0.123},
      {"preemptions", 517},
      {"jobs_lost", 0},
      {"sovereignty_violations", 0},
      {"decision_latency_p50_us", 85.0},
      {"decision_latency_p99_us", 2300.0},
      {"faults", {{"node_failures", 3}, {"gpu_failures", 11}, {"jobs_requeued", 27}}},
      {"timing",
       {{"wall_seconds", 12.5}, {"simulated_events", 250000}, {"events_per_second", 20000.0}}},
      {"policy_parameters", {{"backfill", true}, {"reservation_depth", 4}, {"weights", {1, 2}}}},
      {"stand_in_notes",
       {"durations are synthetic: the trace has no run times for 3% of pods",
        "GPU memory is not modelled"}},
  };
  json hist = json::array();
  double le = 10;
  for (int i = 0; i < 14; ++i, le *= 2) {
    hist.push_back(
        {{"le_us", le}, {"count", static_cast<int>(5000 * std::exp(-(i - 4) * (i - 4) / 6.0))}});
  }
  hist.push_back({{"le_us", nullptr}, {"count", 3}});
  s["decision_latency_histogram_us"] = hist;
  auto cls = [](int jobs, int done, double jct) {
    return json{{"jobs", jobs},
                {"completed", done},
                {"jct_mean_s", jct},
                {"jct_p99_s", jct * 20},
                {"queue_delay_mean_s", jct / 10},
                {"queue_delay_p99_s", jct * 2}};
  };
  s["by_class"] = {{"LS", cls(3000, 2990, 900)}, {"BE", cls(9000, 8900, 14000)}};
  s["by_size"] = {{"1 GPU or less", cls(8000, 7990, 3000)},
                  {"2-7", cls(2500, 2480, 9000)},
                  {"8", cls(1200, 1150, 40000)},
                  {"9-63", cls(250, 240, 90000)},
                  {"64-255", cls(40, 30, 200000)},
                  {"256+", cls(10, 0, 0)}};
  s["inputs"] = {
      {"fleet",
       {{"path", "examples/fleet-large.yaml"}, {"hash", "9f3a0c1d2e4b5a67"}, {"gpus", 6212}}},
      {"workload",
       {{"kind", "alibaba-v2023"},
        {"path", "/data/openb_pod_list_default.csv"},
        {"hash", "0123456789abcdef"},
        {"lines_read", 8152},
        {"bad_lines_skipped", 2},
        {"dropped", {{"cpu-only", 1210}, {"unscheduled", 44}}},
        {"notes", {{"model", "V100M16 -> V100"}}},
        {"options", {{"arrival_scale", 1.0}, {"skip_bad_lines", true}}}}}};
  return s;
}

json SampleTimeseries(int n, double horizon_s, double phase = 0) {
  json ts;
  std::vector<double> t, alloc, pending, running, frag;
  for (int i = 0; i < n; ++i) {
    double x = horizon_s * i / std::max(1, n - 1);
    t.push_back(x);
    double a = 0.75 + 0.2 * std::sin(x / 40000 + phase) + ((i * 7919) % 13) / 300.0;
    alloc.push_back(std::clamp(a, 0.0, 1.0));
    pending.push_back(std::round(300 + 250 * std::sin(x / 90000 + phase) + (i % 17)));
    running.push_back(std::round(900 + 100 * std::cos(x / 50000)));
    frag.push_back(std::clamp(0.12 + 0.05 * std::cos(x / 30000 + phase), 0.0, 1.0));
  }
  ts["t_s"] = t;
  ts["allocation"] = alloc;
  ts["pending"] = pending;
  ts["running"] = running;
  ts["fragmentation"] = frag;
  std::vector<double> jct, p;
  for (int i = 0; i < 200; ++i) {
    jct.push_back(5 * std::pow(10, 5.0 * i / 199) * (1 + phase));
    p.push_back((i + 1) / 200.0);
  }
  ts["jct_cdf"] = {{"jct_s", jct}, {"p", p}};
  return ts;
}

void ExpectWellFormed(const std::string& html) {
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(Count(html, "<html"), 1u);
  EXPECT_EQ(Count(html, "</html>"), 1u);
  EXPECT_EQ(Count(html, "<body"), 1u);
  EXPECT_EQ(Count(html, "</body>"), 1u);
  EXPECT_EQ(Count(html, "<svg"), Count(html, "</svg>"));
  EXPECT_EQ(Count(html, "<table"), Count(html, "</table>"));
  EXPECT_EQ(Count(html, "<tr"), Count(html, "</tr>"));
  EXPECT_EQ(Count(html, "<div"), Count(html, "</div>"));
}

void ExpectOffline(const std::string& html) {
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http"), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
}

// The <tr> whose header cell is `label`, or "".
std::string Row(const std::string& html, const std::string& label) {
  size_t at = html.find("<tr><th>" + label + "</th>");
  if (at == std::string::npos) return "";
  return html.substr(at, html.find("</tr>", at) - at);
}

// The <td ...>...</td> cells of a row.
std::vector<std::string> Cells(const std::string& row) {
  std::vector<std::string> cells;
  for (size_t at = row.find("<td"); at != std::string::npos; at = row.find("<td", at + 1)) {
    cells.push_back(row.substr(at, row.find("</td>", at) - at));
  }
  return cells;
}

bool IsBest(const std::string& cell) { return cell.find("best") != std::string::npos; }

// Splits a text-table line on runs of two or more spaces.
std::vector<std::string> Columns(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  size_t i = 0;
  while (i < line.size()) {
    if (line[i] == ' ' && i + 1 < line.size() && line[i + 1] == ' ') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
      while (i < line.size() && line[i] == ' ') ++i;
      continue;
    }
    cur += line[i++];
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

std::string LineStarting(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) return line;
  }
  return "";
}

TEST(HumanDuration, Formats) {
  EXPECT_EQ(HumanDuration(0), "0s");
  EXPECT_EQ(HumanDuration(0.00042), "420\xC2\xB5s");
  EXPECT_EQ(HumanDuration(0.35), "350ms");
  EXPECT_EQ(HumanDuration(4.2), "4.2s");
  EXPECT_EQ(HumanDuration(42), "42s");
  EXPECT_EQ(HumanDuration(59.7), "1m");
  EXPECT_EQ(HumanDuration(725), "12m 5s");
  EXPECT_EQ(HumanDuration(3599.6), "1h");
  EXPECT_EQ(HumanDuration(11520), "3h 12m");
  EXPECT_EQ(HumanDuration(7200), "2h");
  EXPECT_EQ(HumanDuration(187200), "2d 4h");
  EXPECT_EQ(HumanDuration(86400 * 400), "400d");
  EXPECT_EQ(HumanDuration(-90), "-1m 30s");
  EXPECT_EQ(HumanDuration(1e300), "1e+300s");
  EXPECT_EQ(HumanDuration(std::numeric_limits<double>::quiet_NaN()), "-");
  EXPECT_EQ(HumanDuration(std::numeric_limits<double>::infinity()), "-");
}

TEST(FormatPercent, Formats) {
  EXPECT_EQ(FormatPercent(0.8734), "87.3%");
  EXPECT_EQ(FormatPercent(1), "100.0%");
  EXPECT_EQ(FormatPercent(0), "0.0%");
  EXPECT_EQ(FormatPercent(0.0005), "0.1%");
  EXPECT_EQ(FormatPercent(std::numeric_limits<double>::quiet_NaN()), "-");
}

TEST(HtmlEscape, EscapesSpecialCharacters) {
  EXPECT_EQ(HtmlEscape("<b>\"x\" & 'y'</b>"), "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;");
  EXPECT_EQ(HtmlEscape("plain"), "plain");
}

TEST(RenderReport, WellFormedAndOffline) {
  std::string html = RenderReport(SampleSummary(), SampleTimeseries(500, 600000));
  ExpectWellFormed(html);
  ExpectOffline(html);
  EXPECT_EQ(html.find("no data"), std::string::npos);
  // Allocation, pending, JCT CDF, fragmentation, latency histogram, running.
  EXPECT_EQ(Count(html, "<svg"), 6u);
  EXPECT_NE(html.find("<title>HarchOS sim: fifo-backfill on alibaba-v2023:"
                      "openb_pod_list_default.csv</title>"),
            std::string::npos);
}

TEST(RenderReport, FormatsMetrics) {
  std::string html = RenderReport(SampleSummary(), SampleTimeseries(100, 600000));
  // Seconds as human durations with the exact seconds in the title attribute.
  EXPECT_NE(html.find("<td class=\"n\" title=\"11520 s\">3h 12m</td>"), std::string::npos);
  EXPECT_NE(html.find("title=\"612345 s\">7d 2h</td>"), std::string::npos);
  // Ratios as percentages.
  EXPECT_NE(html.find("title=\"0.8734\">87.3%</td>"), std::string::npos);
  EXPECT_NE(html.find(">12.3%</td>"), std::string::npos);
  // Counts with thousands separators; latencies in µs/ms.
  EXPECT_NE(html.find(">11,890</td>"), std::string::npos);
  EXPECT_NE(html.find(">2.3 ms</td>"), std::string::npos);
  EXPECT_NE(html.find(">85 \xC2\xB5s</td>"), std::string::npos);
}

TEST(RenderReport, ShowsInputsNotesAndBreakdowns) {
  json s = SampleSummary();
  std::string html = RenderReport(s, SampleTimeseries(100, 600000));
  EXPECT_NE(html.find("durations are synthetic: the trace has no run times for 3% of pods"),
            std::string::npos);
  EXPECT_NE(html.find("GPU memory is not modelled"), std::string::npos);
  EXPECT_EQ(Count(html, "class=\"notice\""), 2u);
  EXPECT_NE(html.find("9f3a0c1d2e4b5a67"), std::string::npos);
  EXPECT_NE(html.find("0123456789abcdef"), std::string::npos);
  EXPECT_NE(html.find("<tr><th>bad lines skipped</th><td class=\"n warn\">2</td></tr>"),
            std::string::npos);
  EXPECT_NE(html.find("<tr><th>dropped: cpu-only</th><td class=\"n\">1,210</td></tr>"),
            std::string::npos);
  EXPECT_NE(html.find("V100M16 -&gt; V100"), std::string::npos);
  EXPECT_NE(html.find("reservation_depth"), std::string::npos);
  // by_size in its natural order, not alphabetical.
  size_t small = html.find("<tr><th>1 GPU or less</th>");
  size_t eight = html.find("<tr><th>8</th>");
  size_t huge = html.find("<tr><th>256+</th>");
  ASSERT_NE(small, std::string::npos);
  ASSERT_NE(eight, std::string::npos);
  ASSERT_NE(huge, std::string::npos);
  EXPECT_LT(small, eight);
  EXPECT_LT(eight, huge);
  EXPECT_NE(html.find("<tr><th>LS</th>"), std::string::npos);
  EXPECT_NE(html.find("2,990 (99.7%)"), std::string::npos);
  // Energy rows only when present.
  EXPECT_EQ(html.find("kWh"), std::string::npos);
  s["energy_kwh"] = 12345.6;
  s["cost_usd"] = 999.5;
  html = RenderReport(s, json::object());
  EXPECT_NE(html.find(">12,346 kWh</td>"), std::string::npos);
  EXPECT_NE(html.find(">999.5 USD</td>"), std::string::npos);
  EXPECT_EQ(html.find("kg CO2e"), std::string::npos);
  // Unknown keys are shown, not lost.
  s["carbon_intensity_note"] = "grid mix 2024";
  html = RenderReport(s, json::object());
  EXPECT_NE(html.find("grid mix 2024"), std::string::npos);
}

TEST(RenderReport, EscapesEveryString) {
  json s = SampleSummary("<b>");
  s["stand_in_notes"] = {"<script>alert(1)</script>"};
  s["inputs"]["workload"]["path"] = "/x/\"quoted\"&<odd>.csv";
  s["inputs"]["workload"]["dropped"] = {{"<reason>", 1}};
  s["by_class"] = {{"<cls>", {{"jobs", 1}}}};
  s["policy_parameters"] = {{"<k>", "<v>"}};
  std::string html = RenderReport(s, SampleTimeseries(10, 100));
  EXPECT_NE(html.find("&lt;b&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("&quot;quoted&quot;&amp;&lt;odd&gt;.csv"), std::string::npos);
  EXPECT_EQ(html.find("<odd>"), std::string::npos);
  EXPECT_EQ(html.find("<reason>"), std::string::npos);
  EXPECT_EQ(html.find("<cls>"), std::string::npos);
  EXPECT_EQ(html.find("<k>"), std::string::npos);
  EXPECT_EQ(html.find("<v>"), std::string::npos);
  ExpectWellFormed(html);
}

TEST(RenderReport, MissingKeysAndEmptySeries) {
  for (const json& summary : {json::object(), json(nullptr), json::array(), json("x")}) {
    for (const json& ts : {json::object(), json(nullptr),
                           json{{"t_s", json::array()},
                                {"allocation", json::array()},
                                {"pending", json::array()},
                                {"running", json::array()},
                                {"fragmentation", json::array()},
                                {"jct_cdf", {{"jct_s", json::array()}, {"p", json::array()}}}}}) {
      std::string html = RenderReport(summary, ts);
      ExpectWellFormed(html);
      ExpectOffline(html);
      EXPECT_EQ(Count(html, "<svg"), 0u);
      // 5 series charts and the histogram, plus by-class and by-size.
      EXPECT_EQ(Count(html, "class=\"nodata\""), 8u);
      EXPECT_NE(html.find("<tr><th>JCT mean</th><td class=\"n\">-</td></tr>"), std::string::npos);
      EXPECT_NE(html.find("<tr><th>GPU allocation</th><td class=\"n\">-</td></tr>"),
                std::string::npos);
      EXPECT_NE(html.find("Simulation report: -"), std::string::npos);
    }
  }
}

TEST(RenderReport, OddValuesDoNotCrash) {
  json s = SampleSummary();
  s["jct_mean_s"] = "soon";  // wrong type: shown as is
  s["gpu_allocation"] = nullptr;
  s["inputs"]["workload"]["dropped"] = 7;  // not an object
  s["by_size"] = {{"8", "not an object"}};
  s["decision_latency_histogram_us"] = {{{"le_us", "x"}}, 5, nullptr};
  s["stand_in_notes"] = "a single note";
  json ts = {{"t_s", {0, 1, 2, 3}},
             {"allocation", {0.1, nullptr, "x", 0.4}},  // non-numbers skipped
             {"pending", {1, 2}},                       // shorter: truncated
             {"fragmentation", {5, 6, 7, 8}},           // not a ratio: count axis
             {"jct_cdf", {{"jct_s", {0, 0, 0}}, {"p", {0.3, 0.6, 1.0}}}}};
  std::string html = RenderReport(s, ts);
  ExpectWellFormed(html);
  EXPECT_NE(html.find("<tr><th>JCT mean</th><td class=\"n\">soon</td></tr>"), std::string::npos);
  EXPECT_NE(html.find("a single note"), std::string::npos);
  EXPECT_EQ(Count(html, "class=\"nodata\""), 1u);  // only "running"
}

TEST(RenderReport, ExtremeValuesDoNotBreakThePage) {
  json ts = {{"t_s", {-1e308, 0, 1e308}},
             {"allocation", {-1e308, 0.5, 1e308}},
             {"pending", {1e300, 0, -5}},
             {"running", {0, 0, 0}},
             {"fragmentation", {0, 0, 0}},
             {"jct_cdf", {{"jct_s", {-1, 1e-300, 1e300}}, {"p", {0, 0.5, 1}}}}};
  json s = SampleSummary();
  s["jct_mean_s"] = 1e300;
  s["gpu_allocation"] = -3;
  s["decision_latency_histogram_us"] = {{{"le_us", 1e300}, {"count", 1e300}}};
  std::string html = RenderReport(s, ts);
  ExpectWellFormed(html);
  EXPECT_EQ(html.find("inf<"), std::string::npos);
  EXPECT_EQ(html.find("nan"), std::string::npos);
}

TEST(RenderReport, DecimatesLongSeries) {
  json ts = SampleTimeseries(20000, 30 * 86400.0);
  // A single spike must survive decimation.
  ts["pending"][12345] = 100000;
  std::string html = RenderReport(SampleSummary(), ts);
  ExpectWellFormed(html);
  EXPECT_LT(html.size(), 300000u);
  size_t at = 0;
  int lines = 0;
  while ((at = html.find("<polyline", at)) != std::string::npos) {
    size_t begin = html.find("points=\"", at) + 8;
    size_t end = html.find('"', begin);
    size_t points = Count(html.substr(begin, end - begin), ",");
    EXPECT_LE(points, 1000u);  // ~800, a step chart doubles its vertices
    ++lines;
    at = end;
  }
  EXPECT_EQ(lines, 5);
  EXPECT_NE(html.find(">100k</text>"), std::string::npos);  // the y axis reaches the spike
  EXPECT_NE(html.find("time (days)"), std::string::npos);
}

TEST(RenderReport, TimeAndJctAxes) {
  std::string html = RenderReport(SampleSummary(), SampleTimeseries(100, 36000));
  EXPECT_NE(html.find("time (hours)"), std::string::npos);
  EXPECT_NE(html.find("JCT (log scale)"), std::string::npos);  // 5s .. 500000s
  EXPECT_NE(html.find(">1h</text>"), std::string::npos);
  json ts = SampleTimeseries(100, 3000);
  ts["jct_cdf"] = {{"jct_s", {600, 1200, 3600}}, {"p", {0.2, 0.5, 1.0}}};
  html = RenderReport(SampleSummary(), ts);
  EXPECT_NE(html.find("time (minutes)"), std::string::npos);
  EXPECT_EQ(html.find("log scale"), std::string::npos);
  EXPECT_NE(html.find("JCT (minutes)"), std::string::npos);
}

TEST(RenderReport, LatencyHistogramBars) {
  std::string html = RenderReport(SampleSummary(), json::object());
  EXPECT_EQ(Count(html, "<rect"), 15u);
  EXPECT_NE(html.find(">+inf</text>"), std::string::npos);
  EXPECT_NE(html.find("<title>&gt; 81.92 ms: 3</title>"), std::string::npos);
}

std::vector<json> ThreeRuns() {
  json a = SampleSummary("fifo");
  json b = SampleSummary("backfill");
  json c = SampleSummary("gang-<x>");
  a["jct_mean_s"] = 100.0;
  b["jct_mean_s"] = 200.0;
  c["jct_mean_s"] = 150.0;
  a["gpu_allocation"] = 0.5;
  b["gpu_allocation"] = 0.9;
  c["gpu_allocation"] = 0.7;
  a["jobs_completed"] = 10;
  b["jobs_completed"] = 30;
  c["jobs_completed"] = 30;  // a tie for the best
  a["fragmentation_mean"] = 0.3;
  b["fragmentation_mean"] = 0.1;
  c.erase("fragmentation_mean");
  c.erase("jct_p99_s");
  b["sovereignty_violations"] = 2;
  return {a, b, c};
}

TEST(RenderCompareHtml, HighlightsBestPerRow) {
  std::vector<json> runs = ThreeRuns();
  std::string html = RenderCompareHtml(
      runs, {SampleTimeseries(300, 500000), SampleTimeseries(300, 500000, 1)}, {"out/a", "out/b"});
  ExpectWellFormed(html);
  ExpectOffline(html);
  EXPECT_EQ(Count(html, "<svg"), 3u);
  EXPECT_NE(html.find("gang-&lt;x&gt;"), std::string::npos);
  EXPECT_NE(html.find("#1 fifo (out/a)"), std::string::npos);

  auto best = [&](const std::string& label) {
    std::vector<std::string> cells = Cells(Row(html, label));
    std::vector<bool> out;
    out.reserve(cells.size());
    for (const std::string& c : cells) out.push_back(IsBest(c));
    return out;
  };
  EXPECT_EQ(best("JCT mean"), (std::vector<bool>{true, false, false}));        // lower
  EXPECT_EQ(best("GPU allocation"), (std::vector<bool>{false, true, false}));  // higher
  EXPECT_EQ(best("completed"), (std::vector<bool>{false, true, true}));        // tie
  EXPECT_EQ(best("fragmentation (mean)"), (std::vector<bool>{false, true, false}));
  EXPECT_EQ(best("sovereignty violations"), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(best("jobs total"), (std::vector<bool>{false, false, false}));  // no direction
  EXPECT_EQ(best("JCT p50"), (std::vector<bool>{false, false, false}));     // all equal
  std::vector<std::string> p99 = Cells(Row(html, "JCT p99"));
  ASSERT_EQ(p99.size(), 3u);
  EXPECT_EQ(p99[2], "<td class=\"n\">-");
  EXPECT_NE(Row(html, "JCT mean").find("<td class=\"n best\" title=\"100 s\">1m 40s"),
            std::string::npos);
}

TEST(RenderCompareHtml, EmptyAndSparseInputs) {
  std::string html = RenderCompareHtml({}, {});
  ExpectWellFormed(html);
  EXPECT_NE(html.find("No runs."), std::string::npos);
  html = RenderCompareHtml({json::object(), json(nullptr)}, {json::object()});
  ExpectWellFormed(html);
  ExpectOffline(html);
  EXPECT_EQ(Count(html, "class=\"nodata\""), 3u);
  EXPECT_EQ(html.find("n best"), std::string::npos);
}

TEST(RenderCompareText, OneColumnPerRunAndDashes) {
  std::vector<json> runs = ThreeRuns();
  std::string text = RenderCompareText(runs, {"out/a", "out/b"});
  std::istringstream in(text);
  std::string head1, head2, rule;
  std::getline(in, head1);
  std::getline(in, head2);
  std::getline(in, rule);
  EXPECT_EQ(Columns(head1), (std::vector<std::string>{"fifo", "backfill", "gang-<x>"}));
  EXPECT_EQ(Columns(head2), (std::vector<std::string>{"metric", "out/a", "out/b", "run 3"}));
  EXPECT_EQ(Columns(rule).size(), 4u);

  EXPECT_EQ(Columns(LineStarting(text, "JCT mean ")),
            (std::vector<std::string>{"JCT mean", "1m 40s *", "3m 20s", "2m 30s"}));
  EXPECT_EQ(Columns(LineStarting(text, "JCT p99 ")),
            (std::vector<std::string>{"JCT p99", "4d 5h", "4d 5h", "-"}));
  EXPECT_EQ(Columns(LineStarting(text, "GPU allocation ")),
            (std::vector<std::string>{"GPU allocation", "50.0%", "90.0% *", "70.0%"}));
  EXPECT_EQ(Columns(LineStarting(text, "fragmentation (mean) ")),
            (std::vector<std::string>{"fragmentation (mean)", "30.0%", "10.0% *", "-"}));
  // Every data line has the label plus one cell per run, and all lines align on the right edge
  // of each column.
  std::string line;
  size_t rows = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '*' || line.find(": ") != std::string::npos) continue;
    EXPECT_EQ(Columns(line).size(), 4u) << line;
    ++rows;
  }
  EXPECT_GT(rows, 20u);
  EXPECT_NE(text.find("* best"), std::string::npos);
  // Each run described under the table.
  EXPECT_NE(text.find("\nout/b: backfill on alibaba-v2023:openb_pod_list_default.csv, fleet 6,212 "
                      "GPUs, seed 42\n"),
            std::string::npos);
  EXPECT_NE(text.find("\nrun 3: gang-<x> on "), std::string::npos);
}

TEST(RenderCompareText, MissingEverything) {
  EXPECT_EQ(RenderCompareText({}, {}), "no runs\n");
  std::string text = RenderCompareText({json::object(), json(nullptr)}, {});
  EXPECT_EQ(Columns(LineStarting(text, "JCT mean ")),
            (std::vector<std::string>{"JCT mean", "-", "-"}));
  EXPECT_EQ(Columns(LineStarting(text, "metric")),
            (std::vector<std::string>{"metric", "run 1", "run 2"}));
  EXPECT_EQ(text.find('*'), std::string::npos);
}

// HARCH_WRITE_SAMPLE=1 writes /tmp/report-sample.html and /tmp/compare-sample.html to look at.
TEST(RenderReport, WriteSample) {
  if (std::getenv("HARCH_WRITE_SAMPLE") == nullptr) {  // NOLINT(concurrency-mt-unsafe)
    GTEST_SKIP() << "HARCH_WRITE_SAMPLE not set";
  }
  json s = SampleSummary();
  s["energy_kwh"] = 182345.2;
  s["emissions_kgco2e"] = 61234.0;
  std::ofstream("/tmp/report-sample.html") << RenderReport(s, SampleTimeseries(3000, 612345));
  std::vector<json> runs = ThreeRuns();
  std::ofstream("/tmp/compare-sample.html")
      << RenderCompareHtml(runs,
                           {SampleTimeseries(1500, 612345), SampleTimeseries(1500, 612345, 1),
                            SampleTimeseries(1500, 612345, 2)},
                           {"out/fifo", "out/backfill", "out/gang"});
  std::ofstream("/tmp/compare-sample.txt")
      << RenderCompareText(runs, {"out/fifo", "out/backfill", "out/gang"});
}

}  // namespace
}  // namespace harch

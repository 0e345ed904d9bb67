// Reports of simulator runs, read from the summary.json and timeseries.json that `harch sim`
// writes: one self-contained HTML page per run, and the comparison of several runs as an HTML page
// or as an aligned text table for the terminal.
//
// The pages open offline: inline CSS and inline SVG charts, no scripts, no fonts, no links to the
// network, no external files. Every string taken from the input is HTML-escaped. Any key may be
// missing (older files): a missing value shows as "-", a missing or empty series as a "no data"
// placeholder; nothing in the input makes these functions fail. Long series are decimated to
// about 800 points per line (min/max per bucket, so spikes survive).
//
// Thread-safety: stateless functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace harch {

// The report of one run: a single HTML page with a metrics table, per-class and per-size tables,
// charts of GPU allocation, pending jobs, the JCT CDF and fragmentation, the decision-latency
// histogram, the inputs with their hashes, and any stand-in notes.
std::string RenderReport(const nlohmann::json& summary, const nlohmann::json& timeseries);

// Compares runs: an HTML page with a table of the key metrics (one column per run, the best value
// of each row highlighted) and the allocation-over-time, pending-jobs and JCT-CDF charts of all
// runs overlaid. `timeseries` may be shorter than `summaries` (missing ones show no line).
// `names` (optional, e.g. the output directories) label the columns next to each run's policy.
std::string RenderCompareHtml(const std::vector<nlohmann::json>& summaries,
                              const std::vector<nlohmann::json>& timeseries,
                              const std::vector<std::string>& names = {});

// The comparison table as aligned plain text: rows are metrics, columns are runs, headed by their
// "policy" and, on a second header line, the name given in `names` ("run N" where none is given).
// Missing values are "-"; the best value of a row is marked with a trailing '*'.
std::string RenderCompareText(const std::vector<nlohmann::json>& summaries,
                              const std::vector<std::string>& names);

// Formatting used by the reports, exposed for tests and other output.
// Seconds as a human duration: "850ms", "4.2s", "42s", "12m 5s", "3h 12m", "2d 4h"; "-" when not
// finite.
std::string HumanDuration(double seconds);
// A 0..1 ratio as a percentage with one decimal: 0.8734 -> "87.3%"; "-" when not finite.
std::string FormatPercent(double ratio);
// & < > " ' replaced by entities.
std::string HtmlEscape(std::string_view text);

}  // namespace harch

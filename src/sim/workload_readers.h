// The readers behind LoadWorkload (workload.cc), one per workload kind. Private to src/sim.
//
// Each reader gets the file's path and its whole text and appends jobs to `out` with arrivals
// relative to its own origin, unscaled and unsorted: LoadWorkload applies arrival_scale, sorts,
// applies max_jobs and fills kind, path and input_hash. Readers fill lines_read, dropped, notes
// and, through BadLine, the bad-line counters. Thread-safety: stateless functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "sim/workload.h"

namespace harch::workload_internal {

// alibaba-v2023:PATH (alibaba_trace.cc).
Status ReadAlibabaV2023(const std::string& path, std::string_view text,
                        const WorkloadOptions& options, Workload* out);
// jsonl:PATH (jsonl_trace.cc).
Status ReadJsonl(const std::string& path, std::string_view text, const WorkloadOptions& options,
                 Workload* out);
// synthetic:PATH (synthetic.cc). Generates at most options.max_jobs jobs when that is > 0.
Status ReadSynthetic(const std::string& path, std::string_view text,
                     const WorkloadOptions& options, Workload* out);

// A bad input line, "file:line: message". Fatal (returned as InvalidArgument) unless
// options.skip_bad_lines, in which case it is counted, its message kept among the first 20, and
// OK is returned so that the reader goes on with the next line.
Status BadLine(const WorkloadOptions& options, Workload* out, const std::string& file,
               int64_t line, const std::string& message);

// Walks a text line by line: the line without its "\n" or "\r\n", numbered from 1.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : text_(text) {}
  // The next line; false at the end of the text.
  bool Next(std::string_view* line) {
    if (pos_ >= text_.size()) return false;
    const size_t nl = text_.find('\n', pos_);
    *line = text_.substr(pos_, nl == std::string_view::npos ? nl : nl - pos_);
    pos_ = nl == std::string_view::npos ? text_.size() : nl + 1;
    ++line_no_;
    if (line->ends_with('\r')) line->remove_suffix(1);
    return true;
  }
  int64_t line_no() const { return line_no_; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  int64_t line_no_ = 0;
};

// Seconds (finite, >= 0) to microseconds, rounded to the nearest. REQUIRES: seconds < 9e12.
Duration SecondsToDuration(double seconds);

}  // namespace harch::workload_internal

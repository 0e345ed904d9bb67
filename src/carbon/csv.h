// A small CSV reader for data files: a header row, columns found by name, quoted fields
// ("a, b" and "" for a quote), and errors that say file:line. Thread-safety: one reader per text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace harch {

class CsvReader {
 public:
  CsvReader(std::string_view text, std::string file) : text_(text), file_(std::move(file)) {}
  Status ReadHeader();
  // The index of the column called `name`; an error listing the columns there are.
  Result<size_t> Column(std::string_view name) const;
  // The next non-empty row, with as many fields as the header; false at the end. The views stay
  // valid until the next call.
  Result<bool> Next(std::vector<std::string_view>* row);
  // "file:line" of the row last read.
  std::string Where() const { return file_ + ":" + std::to_string(line_no_); }

 private:
  bool NextLine(std::string_view* line);
  Status Split(std::string_view line);

  std::string_view text_;
  std::string file_;
  size_t pos_ = 0;
  int64_t line_no_ = 0;
  std::vector<std::string> header_;
  std::vector<std::string> fields_;
};

}  // namespace harch

// Output for people (aligned tables) and scripts (-o json). Thread-safety: none needed.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

namespace harch {

enum class OutputFormat { kTable, kJson };

// A plain text table: a header row and rows, columns padded to their widest cell. Cells that
// look numeric are right-aligned.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void Print(std::ostream& out) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

void PrintJson(std::ostream& out, const nlohmann::json& j);

// "1,798"
std::string WithThousands(int64_t n);

}  // namespace harch

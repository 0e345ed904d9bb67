#include "carbon/csv.h"

namespace harch {

bool CsvReader::NextLine(std::string_view* line) {
  while (pos_ < text_.size()) {
    const size_t nl = text_.find('\n', pos_);
    *line = text_.substr(pos_, nl == std::string_view::npos ? std::string_view::npos : nl - pos_);
    pos_ = nl == std::string_view::npos ? text_.size() : nl + 1;
    ++line_no_;
    if (line->ends_with('\r')) line->remove_suffix(1);
    if (!line->empty()) return true;
  }
  return false;
}

Status CsvReader::Split(std::string_view line) {
  fields_.clear();
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"' && field.empty()) {
      quoted = true;
    } else if (c == ',') {
      fields_.push_back(std::move(field));
      field.clear();
    } else {
      field += c;
    }
  }
  if (quoted) return InvalidArgument(Where() + ": a quoted field is not closed");
  fields_.push_back(std::move(field));
  return Status::Ok();
}

Status CsvReader::ReadHeader() {
  std::string_view line;
  if (!NextLine(&line)) return InvalidArgument(file_ + ": empty file (expected a header row)");
  if (line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);  // a UTF-8 byte order mark
  HARCH_RETURN_IF_ERROR(Split(line));
  header_ = fields_;
  return Status::Ok();
}

Result<size_t> CsvReader::Column(std::string_view name) const {
  for (size_t i = 0; i < header_.size(); ++i) {
    if (header_[i] == name) return i;
  }
  std::string have;
  for (const auto& h : header_) have += (have.empty() ? "" : ", ") + h;
  return InvalidArgument(file_ + ":1: no column '" + std::string(name) + "' (the header has: " + have + ")");
}

Result<bool> CsvReader::Next(std::vector<std::string_view>* row) {
  std::string_view line;
  if (!NextLine(&line)) return false;
  HARCH_RETURN_IF_ERROR(Split(line));
  if (fields_.size() != header_.size()) {
    return InvalidArgument(Where() + ": " + std::to_string(fields_.size()) + " fields; the header has " +
                           std::to_string(header_.size()));
  }
  row->assign(fields_.begin(), fields_.end());
  return true;
}

}  // namespace harch

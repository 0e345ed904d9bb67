#include "base/yaml_reader.h"

#include "base/files.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

namespace harch {
namespace {

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (std::tolower(a[i - 1]) == std::tolower(b[j - 1]) ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// Rejects documents nested deeper than `max_depth` before the recursive parser sees them.
// Flow nesting counts brackets outside quotes and comments; block nesting counts indentation
// and chained "- " indicators on a line. Conservative: real specs are far below the limits.
Status CheckDepth(std::string_view text, const std::string& file, int max_depth) {
  int flow = 0;
  int line = 1;
  size_t line_start = 0;
  char quote = 0;
  bool at_line_start = true;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n') {
      ++line;
      line_start = i + 1;
      at_line_start = true;
      if (quote == '\'') continue;  // single-quoted scalars may span lines
      quote = quote == '"' ? quote : 0;
      continue;
    }
    if (at_line_start && quote == 0) {
      at_line_start = false;
      size_t j = i;
      while (j < text.size() && text[j] == ' ') ++j;
      int indicators = 0;
      while (j + 1 < text.size() && (text[j] == '-' || text[j] == '?' || text[j] == ':') &&
             text[j + 1] == ' ') {
        ++indicators;
        j += 2;
        while (j < text.size() && text[j] == ' ') ++j;
      }
      const auto indent = static_cast<int>(i < text.size() ? j - i : 0);
      if (indicators > max_depth || indent > 8 * max_depth) {
        return InvalidArgument(file + ":" + std::to_string(line) +
                               ":1: document nests deeper than " + std::to_string(max_depth) +
                               " levels");
      }
    }
    if (quote != 0) {
      if (c == '\\' && quote == '"') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
      continue;
    }
    switch (c) {
      case '#':
        if (i == line_start || text[i - 1] == ' ' || text[i - 1] == '\t') {
          while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
        }
        break;
      case '"':
      case '\'': {
        char prev = i == line_start ? ' ' : text[i - 1];
        if (prev == ' ' || prev == '\t' || prev == '[' || prev == '{' || prev == ',' ||
            prev == ':' || prev == '-') {
          quote = c;
        }
        break;
      }
      case '[':
      case '{':
        if (++flow > max_depth) {
          return InvalidArgument(file + ":" + std::to_string(line) + ":" +
                                 std::to_string(i - line_start + 1) + ": document nests deeper than " +
                                 std::to_string(max_depth) + " levels");
        }
        break;
      case ']':
      case '}':
        if (flow > 0) --flow;
        break;
      default:
        break;
    }
  }
  return Status::Ok();
}

std::string Scalar(const YAML::Node& n) { return n.Scalar(); }

}  // namespace

std::optional<std::string> IdError(std::string_view id) {
  if (id.empty() || id.size() > 63) return "must be 1 to 63 characters";
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) {
      return "'" + std::string(id) + "' may hold only a-z, 0-9, '-', '_' and '.'";
    }
  }
  return std::nullopt;
}

bool IsCountryCode(std::string_view code) {
  return code.size() == 2 && code[0] >= 'A' && code[0] <= 'Z' && code[1] >= 'A' && code[1] <= 'Z';
}

std::string SourceRef::ToString() const {
  std::string out = file.empty() ? "<input>" : file;
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  if (!path.empty()) out += ": " + path;
  return out;
}

Status SourceRef::Error(std::string_view message) const {
  return InvalidArgument(ToString() + ": " + std::string(message));
}

Result<YAML::Node> LoadYaml(std::string_view text, const std::string& file,
                            const YamlLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return ResourceExhausted(file + ": document is " + std::to_string(text.size()) +
                             " bytes; the limit is " + std::to_string(limits.max_bytes));
  }
  HARCH_RETURN_IF_ERROR(CheckDepth(text, file, limits.max_depth));
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return InvalidArgument(file + ":" + std::to_string(e.mark.line + 1) + ":" +
                           std::to_string(e.mark.column + 1) + ": YAML syntax error: " + e.msg);
  }
}

Result<YAML::Node> LoadYamlFile(const std::string& path, const YamlLimits& limits) {
  HARCH_ASSIGN_OR_RETURN(std::string text, ReadFile(path, limits.max_bytes));
  return LoadYaml(text, path, limits);
}

SourceRef YamlContext::Ref(const YAML::Node& at, const std::string& path) const {
  SourceRef ref{file_, 0, 0, path};
  if (at.IsDefined()) {
    const YAML::Mark m = at.Mark();
    if (m.line >= 0) {
      ref.line = m.line + 1;
      ref.column = m.column + 1;
    }
  }
  return ref;
}

void YamlContext::Fail(const YAML::Node& at, const std::string& path, std::string_view message) {
  if (failed()) return;
  status_ = Ref(at, path).Error(message);
}

bool YamlContext::Visit(const YAML::Node& at, const std::string& path) {
  if (failed()) return false;
  if (++visited_ > limits_.max_nodes_visited) {
    Fail(at, path, "document expands to more than " + std::to_string(limits_.max_nodes_visited) +
                       " nodes (aliases?)");
    return false;
  }
  return true;
}

bool YamlContext::ReadString(const YAML::Node& n, const std::string& path, std::string* out) {
  if (!Visit(n, path)) return false;
  if (!n.IsScalar()) {
    Fail(n, path, "expected a string");
    return false;
  }
  *out = Scalar(n);
  return true;
}

bool YamlContext::ReadId(const YAML::Node& n, const std::string& path, std::string* out) {
  if (!ReadString(n, path, out)) return false;
  if (auto why = IdError(*out)) {
    Fail(n, path, *why);
    return false;
  }
  return true;
}

bool YamlContext::ReadInt(const YAML::Node& n, const std::string& path, int64_t* out, int64_t min,
                          int64_t max) {
  if (!Visit(n, path)) return false;
  if (!n.IsScalar()) {
    Fail(n, path, "expected an integer");
    return false;
  }
  const std::string s = Scalar(n);
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc::result_out_of_range) {
    Fail(n, path, "integer '" + s + "' is out of range");
    return false;
  }
  if (ec != std::errc() || ptr != s.data() + s.size()) {
    Fail(n, path, "expected an integer, got '" + s + "'");
    return false;
  }
  if (v < min || v > max) {
    Fail(n, path, "value " + s + " is out of range [" + std::to_string(min) + ", " +
                      std::to_string(max) + "]");
    return false;
  }
  *out = v;
  return true;
}

bool YamlContext::ReadDouble(const YAML::Node& n, const std::string& path, double* out,
                             double min, double max) {
  if (!Visit(n, path)) return false;
  if (!n.IsScalar()) {
    Fail(n, path, "expected a number");
    return false;
  }
  const std::string s = Scalar(n);
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v)) {
    Fail(n, path, "expected a number, got '" + s + "'");
    return false;
  }
  if (v < min || v > max) {
    std::ostringstream msg;
    msg << "value " << s << " is out of range [" << min << ", " << max << "]";
    Fail(n, path, msg.str());
    return false;
  }
  *out = v;
  return true;
}

bool YamlContext::ReadBool(const YAML::Node& n, const std::string& path, bool* out) {
  if (!Visit(n, path)) return false;
  const std::string s = n.IsScalar() ? Scalar(n) : "";
  if (s == "true" || s == "True") {
    *out = true;
    return true;
  }
  if (s == "false" || s == "False") {
    *out = false;
    return true;
  }
  Fail(n, path, "expected true or false");
  return false;
}

bool YamlContext::ReadBytes(const YAML::Node& n, const std::string& path, Bytes* out, Bytes min,
                            Bytes max) {
  if (!Visit(n, path)) return false;
  if (!n.IsScalar()) {
    Fail(n, path, "expected a size such as 80GiB");
    return false;
  }
  auto parsed = ParseBytes(Scalar(n));
  if (!parsed.ok()) {
    Fail(n, path, parsed.status().message());
    return false;
  }
  if (*parsed < min || *parsed > max) {
    Fail(n, path, "size " + Scalar(n) + " is out of range [" + FormatBytes(min) + ", " +
                      FormatBytes(max) + "]");
    return false;
  }
  *out = *parsed;
  return true;
}

bool YamlContext::ExpectSequence(const YAML::Node& n, const std::string& path) {
  if (!Visit(n, path)) return false;
  if (!n.IsSequence()) {
    Fail(n, path, "expected a list");
    return false;
  }
  return true;
}

bool YamlContext::ReadStringList(const YAML::Node& n, const std::string& path,
                                 std::vector<std::string>* out) {
  if (!ExpectSequence(n, path)) return false;
  std::vector<std::string> values;
  for (size_t i = 0; i < n.size(); ++i) {
    std::string v;
    if (!ReadString(n[i], path + "[" + std::to_string(i) + "]", &v)) return false;
    values.push_back(std::move(v));
  }
  *out = std::move(values);
  return true;
}

bool YamlContext::ReadStringMap(const YAML::Node& n, const std::string& path,
                                std::map<std::string, std::string>* out) {
  if (!Visit(n, path)) return false;
  if (!n.IsMap()) {
    Fail(n, path, "expected a mapping of names to strings");
    return false;
  }
  std::map<std::string, std::string> values;
  for (const auto& kv : n) {
    std::string key;
    if (!ReadString(kv.first, path, &key)) return false;
    std::string value;
    if (!ReadString(kv.second, path + "." + key, &value)) return false;
    if (!values.emplace(key, value).second) {
      Fail(kv.first, path, "duplicate key '" + key + "'");
      return false;
    }
  }
  *out = std::move(values);
  return true;
}

MapReader::MapReader(YamlContext& ctx, const YAML::Node& node, std::string path)
    : ctx_(ctx), node_(node), path_(std::move(path)) {
  if (!ctx_.Visit(node_, path_)) {
    ok_ = false;
    return;
  }
  if (!node_.IsMap()) {
    ctx_.Fail(node_, path_, node_.IsNull() ? "expected a mapping, got nothing" : "expected a mapping");
    ok_ = false;
    return;
  }
  std::set<std::string, std::less<>> seen;
  for (const auto& kv : node_) {
    if (!kv.first.IsScalar()) {
      ctx_.Fail(kv.first, path_, "keys must be plain strings");
      ok_ = false;
      return;
    }
    if (!seen.insert(kv.first.Scalar()).second) {
      ctx_.Fail(kv.first, PathOf(kv.first.Scalar()), "duplicate key '" + kv.first.Scalar() + "'");
      ok_ = false;
      return;
    }
  }
}

std::string MapReader::PathOf(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

bool MapReader::Has(std::string_view key) {
  if (!ok_) return false;
  known_.emplace(key);
  const YAML::Node child = node_[std::string(key)];
  return child.IsDefined() && !child.IsNull();
}

std::optional<YAML::Node> MapReader::Get(std::string_view key) {
  if (!ok()) return std::nullopt;
  known_.emplace(key);
  YAML::Node child = node_[std::string(key)];
  if (!child.IsDefined() || child.IsNull()) return std::nullopt;
  return child;
}

std::optional<YAML::Node> MapReader::Require(std::string_view key) {
  auto child = Get(key);
  if (!child && ok()) ctx_.Fail(node_, PathOf(key), "missing required field");
  return child;
}

void MapReader::RequiredString(std::string_view key, std::string* out) {
  if (auto n = Require(key)) ctx_.ReadString(*n, PathOf(key), out);
}
void MapReader::RequiredId(std::string_view key, std::string* out) {
  if (auto n = Require(key)) ctx_.ReadId(*n, PathOf(key), out);
}
void MapReader::OptionalString(std::string_view key, std::string* out) {
  if (auto n = Get(key)) ctx_.ReadString(*n, PathOf(key), out);
}
void MapReader::RequiredInt(std::string_view key, int64_t* out, int64_t min, int64_t max) {
  if (auto n = Require(key)) ctx_.ReadInt(*n, PathOf(key), out, min, max);
}
void MapReader::OptionalInt(std::string_view key, int64_t* out, int64_t min, int64_t max) {
  if (auto n = Get(key)) ctx_.ReadInt(*n, PathOf(key), out, min, max);
}
void MapReader::OptionalDouble(std::string_view key, double* out, double min, double max) {
  if (auto n = Get(key)) ctx_.ReadDouble(*n, PathOf(key), out, min, max);
}
void MapReader::RequiredDouble(std::string_view key, double* out, double min, double max) {
  if (auto n = Require(key)) ctx_.ReadDouble(*n, PathOf(key), out, min, max);
}
void MapReader::OptionalBool(std::string_view key, bool* out) {
  if (auto n = Get(key)) ctx_.ReadBool(*n, PathOf(key), out);
}
void MapReader::OptionalBytes(std::string_view key, Bytes* out, Bytes min, Bytes max) {
  if (auto n = Get(key)) ctx_.ReadBytes(*n, PathOf(key), out, min, max);
}
void MapReader::RequiredBytes(std::string_view key, Bytes* out, Bytes min, Bytes max) {
  if (auto n = Require(key)) ctx_.ReadBytes(*n, PathOf(key), out, min, max);
}
void MapReader::OptionalStringList(std::string_view key, std::vector<std::string>* out) {
  if (auto n = Get(key)) ctx_.ReadStringList(*n, PathOf(key), out);
}
void MapReader::OptionalStringMap(std::string_view key, std::map<std::string, std::string>* out) {
  if (auto n = Get(key)) ctx_.ReadStringMap(*n, PathOf(key), out);
}

void MapReader::ExpectKind(std::string_view kind) {
  std::string api_version, actual;
  RequiredString("apiVersion", &api_version);
  if (ok() && api_version != kApiVersion) {
    ctx_.Fail(*Get("apiVersion"), PathOf("apiVersion"),
              "unsupported version '" + api_version + "'; this build reads " + std::string(kApiVersion));
  }
  RequiredString("kind", &actual);
  if (ok() && actual != kind) {
    ctx_.Fail(*Get("kind"), PathOf("kind"), "expected '" + std::string(kind) + "', got '" + actual + "'");
  }
}

void MapReader::Done() {
  if (!ok()) return;
  for (const auto& kv : node_) {
    const std::string key = kv.first.Scalar();
    if (known_.count(key)) continue;
    std::string msg = "unknown field '" + key + "'";
    std::string best;
    size_t best_distance = 3;
    for (const auto& k : known_) {
      const size_t d = EditDistance(key, k);
      if (d < best_distance) {
        best_distance = d;
        best = k;
      }
    }
    if (!best.empty()) msg += " (did you mean '" + best + "'?)";
    ctx_.Fail(kv.first, PathOf(key), msg);
    return;
  }
}

}  // namespace harch

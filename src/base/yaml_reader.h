// Strict reading of YAML documents (fleet specs, job specs, configs).
//
// Every field is typed, unknown and duplicate keys are errors, and every error names
// file:line:column and the field path ("spec.hubs[1].racks[0].count"). Reading stops at the first
// error, which the caller takes from YamlContext::status(). No exceptions leave this module.
// Thread-safety: a YamlContext and its readers belong to one thread.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/quantity.h"
#include "base/status.h"

namespace harch {

// Where a value came from, for error messages raised after parsing (e.g. while building the
// topology): "fleet.yaml:12:7: spec.hubs[0].racks[2]: ...".
struct SourceRef {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based
  std::string path;

  std::string ToString() const;  // "file:line:col: path"
  Status Error(std::string_view message) const;  // InvalidArgument "file:line:col: path: message"
};

// Limits that keep hostile documents from exhausting the stack or memory.
inline constexpr std::string_view kApiVersion = "harchos.io/v1alpha1";

struct YamlLimits {
  size_t max_bytes = 64u << 20;
  int max_depth = 64;             // flow and block nesting
  int64_t max_nodes_visited = 5'000'000;  // bounds alias expansion ("billion laughs")
};

// Parses text into a YAML tree after checking size and nesting depth, so that the recursive
// parser underneath cannot overflow the stack. Syntax errors carry file:line:column.
Result<YAML::Node> LoadYaml(std::string_view text, const std::string& file,
                            const YamlLimits& limits = {});
// Reads a file and calls LoadYaml.
Result<YAML::Node> LoadYamlFile(const std::string& path, const YamlLimits& limits = {});

// Why `id` is not a valid id (1 to 63 characters of a-z, 0-9, '-', '_' and '.'), or nullopt.
std::optional<std::string> IdError(std::string_view id);

// True for an ISO 3166-1 alpha-2 shaped code: two upper-case letters ("MA").
bool IsCountryCode(std::string_view code);

class YamlContext {
 public:
  explicit YamlContext(std::string file, YamlLimits limits = {})
      : file_(std::move(file)), limits_(limits) {}

  bool failed() const { return !status_.ok(); }
  const Status& status() const { return status_; }
  const std::string& file() const { return file_; }

  // Records the first error; later ones are dropped (they are usually consequences).
  void Fail(const YAML::Node& at, const std::string& path, std::string_view message);
  SourceRef Ref(const YAML::Node& at, const std::string& path) const;
  // Counts a visited node; fails once the budget is spent.
  bool Visit(const YAML::Node& at, const std::string& path);

  // Scalars. Each returns false (and records an error) when the node has the wrong type or
  // range. `path` names the field in messages.
  bool ReadString(const YAML::Node& n, const std::string& path, std::string* out);
  bool ReadInt(const YAML::Node& n, const std::string& path, int64_t* out, int64_t min,
               int64_t max);
  bool ReadDouble(const YAML::Node& n, const std::string& path, double* out, double min,
                  double max);
  bool ReadBool(const YAML::Node& n, const std::string& path, bool* out);
  bool ReadBytes(const YAML::Node& n, const std::string& path, Bytes* out, Bytes min, Bytes max);
  // An id: 1 to 63 characters of a-z, 0-9, '-', '_' and '.', so that it can be part of other
  // ids, paths and URLs.
  bool ReadId(const YAML::Node& n, const std::string& path, std::string* out);
  bool ReadStringList(const YAML::Node& n, const std::string& path,
                      std::vector<std::string>* out);
  bool ReadStringMap(const YAML::Node& n, const std::string& path,
                     std::map<std::string, std::string>* out);
  // A sequence node; records an error otherwise.
  bool ExpectSequence(const YAML::Node& n, const std::string& path);

 private:
  std::string file_;
  YamlLimits limits_;
  Status status_;
  int64_t visited_ = 0;
};

// Reads the fields of one mapping. Construct it, take fields, then call Done(), which reports
// the first key nobody asked for as an unknown field (with a suggestion when one is close).
class MapReader {
 public:
  MapReader(YamlContext& ctx, const YAML::Node& node, std::string path);

  bool ok() const { return ok_ && !ctx_.failed(); }
  // The child node for `key` (marked as known), or nullopt when absent or null.
  std::optional<YAML::Node> Get(std::string_view key);
  // Like Get, but records "missing required field" when absent.
  std::optional<YAML::Node> Require(std::string_view key);
  std::string PathOf(std::string_view key) const;
  // True when `key` is present and not null; marks it as known.
  bool Has(std::string_view key);

  // Typed shorthands. Optional* leave *out untouched when the key is absent.
  void RequiredString(std::string_view key, std::string* out);
  void RequiredId(std::string_view key, std::string* out);
  void OptionalString(std::string_view key, std::string* out);
  void RequiredInt(std::string_view key, int64_t* out, int64_t min, int64_t max);
  void OptionalInt(std::string_view key, int64_t* out, int64_t min, int64_t max);
  void OptionalDouble(std::string_view key, double* out, double min, double max);
  void RequiredDouble(std::string_view key, double* out, double min, double max);
  void OptionalBool(std::string_view key, bool* out);
  void OptionalBytes(std::string_view key, Bytes* out, Bytes min, Bytes max);
  void RequiredBytes(std::string_view key, Bytes* out, Bytes min, Bytes max);
  void OptionalStringList(std::string_view key, std::vector<std::string>* out);
  void OptionalStringMap(std::string_view key, std::map<std::string, std::string>* out);

  // Reads `apiVersion` (harchos.io/v1alpha1) and `kind`, which must be `kind`: the header of
  // every HarchOS document.
  void ExpectKind(std::string_view kind);

  // Reports unknown fields. Call once, after all Get/Require calls.
  void Done();

  const YAML::Node& node() const { return node_; }
  const std::string& path() const { return path_; }

 private:
  YamlContext& ctx_;
  YAML::Node node_;
  std::string path_;
  std::set<std::string, std::less<>> known_;
  bool ok_ = true;
};

}  // namespace harch

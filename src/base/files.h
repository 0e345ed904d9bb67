// File access helpers. Thread-safety: stateless.
#pragma once

#include <string>

#include "base/status.h"

namespace harch {

// Reads a whole file. NotFound when it cannot be opened; ResourceExhausted when it is larger
// than `max_bytes`.
Result<std::string> ReadFile(const std::string& path, size_t max_bytes = 256u << 20);

// Writes `content` to `path` through a temporary file and a rename, so readers never see half.
Status WriteFileAtomic(const std::string& path, std::string_view content);

}  // namespace harch

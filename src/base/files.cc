#include "base/files.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace harch {

Result<std::string> ReadFile(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(path + ": cannot open file: " + std::strerror(errno));
  std::string out;
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    out.append(buf, static_cast<size_t>(in.gcount()));
    if (out.size() > max_bytes) {
      return ResourceExhausted(path + ": file is larger than " + std::to_string(max_bytes) +
                               " bytes");
    }
  }
  if (in.bad()) return Status(Code::kUnavailable, path + ": read error");
  return out;
}

Status WriteFileAtomic(const std::string& path, std::string_view content) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Status(Code::kUnavailable, tmp + ": cannot create: " + std::strerror(errno));
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) return Status(Code::kUnavailable, tmp + ": write error");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status(Code::kUnavailable, path + ": rename failed: " + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace harch

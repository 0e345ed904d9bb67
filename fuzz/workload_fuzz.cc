// libFuzzer target for the jsonl workload reader (src/sim/jsonl_trace.cc). Any input must give a
// clean error or a workload: no crash, leak, UB or hang. The bytes go through a file, as a user's
// trace does. Skipping bad lines must always succeed and account for every line; a file that
// loads strictly must load the same when skipping, with nothing skipped.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "sim/workload.h"

namespace {

[[noreturn]] void Fail(const std::string& what) {
  std::cerr << what << "\n";
  std::abort();
}

void RemoveTempFile();

// One file per fuzzing process, removed at exit.
const std::string& TempPath() {
  static const std::string path = [] {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/harch_workload_fuzz_" +
           std::to_string(::getpid()) + ".jsonl";
  }();
  // Registered after `path` is built, so it runs before `path` is destroyed.
  [[maybe_unused]] static const bool registered = std::atexit(RemoveTempFile) == 0;
  return path;
}

void RemoveTempFile() { std::remove(TempPath().c_str()); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = TempPath();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    if (!out) Fail("cannot write " + path);
  }
  harch::WorkloadOptions strict;
  harch::WorkloadOptions lenient;
  lenient.skip_bad_lines = true;
  auto s = harch::LoadWorkload("jsonl:" + path, strict);
  auto l = harch::LoadWorkload("jsonl:" + path, lenient);
  if (!l.ok()) Fail("skipping bad lines failed: " + l.status().ToString());

  int64_t dropped = 0;
  for (const auto& [reason, count] : l->dropped) dropped += count;
  if (static_cast<int64_t>(l->jobs.size()) + l->bad_lines_skipped + dropped != l->lines_read) {
    Fail("lines do not add up: " + std::to_string(l->jobs.size()) + " jobs + " +
         std::to_string(l->bad_lines_skipped) + " skipped + " + std::to_string(dropped) +
         " dropped != " + std::to_string(l->lines_read) + " read");
  }
  for (size_t i = 0; i < l->jobs.size(); ++i) {
    const harch::SimJob& j = l->jobs[i];
    if (j.service.count() <= 0 || j.arrival.count() < 0) Fail("bad times for job " + j.id);
    if (i > 0 && l->jobs[i - 1].arrival > j.arrival) Fail("jobs out of order at " + j.id);
    if (j.spec.task_groups.size() != 1) Fail("job " + j.id + " without its task group");
  }
  if (s.ok()) {
    if (l->bad_lines_skipped != 0 || s->jobs.size() != l->jobs.size()) {
      Fail("strict load succeeded but the lenient one skipped lines");
    }
  } else if (l->bad_lines_skipped == 0) {
    Fail("strict load failed with no bad line: " + s.status().ToString());
  }
  return 0;
}

// libFuzzer target for the job spec parser and the value parsers under it. Any input must give a
// clean error or a spec whose derived quantities are consistent: no crash, leak, UB or hang.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

#include "sched/job_spec.h"

namespace {

void Fail(const std::string& what) {
  std::cerr << what << "\n";
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  // The value parsers take any text too (they also see field values that are not YAML-checked).
  if (auto d = harch::ParseDuration(text); d.ok() && d->count() < 0) Fail("negative duration");
  (void)harch::ParseTime(text);

  auto job = harch::ParseJobSpec(text, "fuzz.yaml");
  if (!job.ok()) {
    if (job.status().message().rfind("fuzz.yaml", 0) != 0) {
      Fail("error without the file name: " + job.status().ToString());
    }
    return 0;
  }
  if (job->task_groups.empty()) Fail("a parsed job has no task group");
  if (job->TotalGpuMilli() <= 0) Fail("a parsed job asks for no GPU");

  const auto allowed = harch::AllowedJurisdiction(*job);
  if (allowed.has_value() == job->data.empty()) Fail("jurisdiction: nullopt iff no data");
  if (allowed) {
    if (!std::is_sorted(allowed->begin(), allowed->end()) ||
        std::adjacent_find(allowed->begin(), allowed->end()) != allowed->end()) {
      Fail("jurisdiction not sorted and unique");
    }
    for (const auto& country : *allowed) {
      for (const auto& object : job->data) {
        if (std::find(object.jurisdiction.begin(), object.jurisdiction.end(), country) ==
            object.jurisdiction.end()) {
          Fail("jurisdiction " + country + " not allowed by data object " + object.name);
        }
      }
    }
  }
  return 0;
}

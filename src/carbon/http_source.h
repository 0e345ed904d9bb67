// Carbon intensity from an HTTP endpoint: a zone of the carbon config with a `url` (the
// Electricity Maps v3 or WattTime v3 API, or anything answering in their shapes).
//
//   FetchZone        GETs the URL once and parses the body with the format's reader.
//   MergeSeries      folds a fresh answer into what a zone already holds.
//   CarbonRefresher  fetches each URL zone every `refresh` on its own thread and hands every
//                    answer to a callback (the server swaps it in under its own lock); failures
//                    keep the old data, are logged and counted.
//
// A failure is an error naming the zone and the URL, never a zero intensity.
// Thread-safety: FetchZone and MergeSeries are stateless; FetchCancel and CarbonRefresher are
// thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "carbon/config.h"
#include "carbon/intensity.h"

namespace httplib {
class Client;
}

namespace harch {

// "https://api.example.com:8443/v3/x?y=1" -> scheme_host_port "https://api.example.com:8443",
// target "/v3/x?y=1" (default "/").
struct HttpUrl {
  std::string scheme_host_port;
  std::string target;
  bool https = false;
};
// Errors: not http(s), no host, a bad port, https in a build without TLS.
Result<HttpUrl> ParseHttpUrl(std::string_view url);
// Whether this build's HTTP client speaks TLS (cpp-httplib with OpenSSL).
bool HttpsSupported();

// The largest response body accepted (a year of hourly points is well under 1 MiB).
inline constexpr size_t kMaxCarbonResponseBytes = 16 << 20;
// How far back a refreshed zone keeps its points.
inline constexpr Duration kCarbonHistoryKept = std::chrono::hours(24 * 14);

// Lets another thread end a fetch in flight at once (shutdown).
class FetchCancel {
 public:
  void Cancel();
  bool cancelled() const { return cancelled_.load(); }

 private:
  friend class ClientGuard;
  std::mutex mu_;
  std::atomic<bool> cancelled_{false};
  httplib::Client* client_ = nullptr;  // the fetch in flight, guarded by mu_
};

// GETs zone.url (REQUIRES: not empty) within zone.timeout, with the token of zone.token_env,
// and parses the answer in zone.format. The series is named zone.zone. Errors: "zone Z: GET URL:
// what went wrong" (cannot connect, timed out, HTTP status and the first bytes of the body, a
// JSON field as the reader names it, tokenEnv not set).
Result<IntensitySeries> FetchZone(const ZoneSource& zone, FetchCancel* cancel = nullptr);

// `fresh` folded into `old` as zone `zone`: a time in both takes fresh's value (the newer
// answer), times in either are kept, points before `keep_from` are dropped; sorted by time.
IntensitySeries MergeSeries(const std::string& zone, const IntensitySeries& old,
                            const IntensitySeries& fresh, Time keep_from);

// The refresh state of one URL zone, for operators.
struct CarbonSourceState {
  std::string zone;
  std::string url;
  std::string format;
  Duration refresh{0};
  std::optional<Time> last_attempt;
  std::optional<Time> last_success;
  uint64_t successes = 0;
  uint64_t failures = 0;              // since the server started, the load included
  uint64_t consecutive_failures = 0;  // since the last success
  std::string last_error;             // of the last failure, kept after a success
  size_t points = 0;                  // held after the last success
};
nlohmann::json CarbonSourcesJson(const std::vector<CarbonSourceState>& states);

class CarbonRefresher {
 public:
  // Takes a fresh answer for a zone, merges it in and returns the number of points now held.
  // Called on the refresher's thread.
  using Apply = std::function<size_t(const std::string& zone, const IntensitySeries& fresh)>;
  using Log = std::function<void(const std::string& line)>;

  // `sources`: the zones with a url; `loaded` their state after the load (Load's fetch).
  CarbonRefresher(std::vector<ZoneSource> sources, std::vector<CarbonSourceState> loaded,
                  const Clock& clock, Apply apply, Log log);
  ~CarbonRefresher();  // Stop()
  CarbonRefresher(const CarbonRefresher&) = delete;
  CarbonRefresher& operator=(const CarbonRefresher&) = delete;

  // After every attempt, States() as CarbonSourcesJson is written (atomically) to `path`.
  // REQUIRES: before Start().
  void WriteStatusTo(std::string path) { status_path_ = std::move(path); }
  // Starts the thread: each zone is fetched again `refresh` after its last attempt.
  void Start();
  // Ends a fetch in flight and joins the thread.
  void Stop();
  // Fetches zone `zone` now, on the caller's thread (any thread), and applies or counts the
  // answer.
  Status RefreshZone(const std::string& zone);
  std::vector<CarbonSourceState> States() const;

 private:
  void Run();
  void WriteStatus();
  std::vector<ZoneSource> sources_;
  std::string status_path_;
  std::mutex write_mu_;  // one writer of status_path_ at a time
  const Clock& clock_;
  Apply apply_;
  Log log_;
  FetchCancel cancel_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::vector<CarbonSourceState> states_;  // by index of sources_
  std::thread thread_;
};

}  // namespace harch

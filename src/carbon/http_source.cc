#include "carbon/http_source.h"

#include <httplib.h>

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <map>

#include "base/files.h"
#include "base/time_text.h"

namespace harch {

namespace {

constexpr size_t kBodyShown = 200;  // of an error answer, in the message

std::string Text(Duration d) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + "s" : std::to_string(ms) + "ms";
}

// The first bytes of an answer, on one line (runs of white space and control bytes as one space).
std::string Excerpt(const std::string& body) {
  std::string out;
  for (char c : body.substr(0, kBodyShown)) {
    const bool blank = !std::isprint(static_cast<unsigned char>(c)) || c == ' ';
    if (!blank) {
      out += c;
    } else if (!out.empty() && out.back() != ' ') {
      out += ' ';
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (body.size() > kBodyShown) out += "...";
  return out.empty() ? "(empty body)" : out;
}

std::string Describe(httplib::Error e, Duration timeout) {
  switch (e) {
    case httplib::Error::Connection:
      return "cannot connect (connection refused, or the host is unknown or unreachable)";
    case httplib::Error::ConnectionTimeout:
      return "no connection within the timeout of " + Text(timeout);
    case httplib::Error::Read:
      return "no complete answer (timed out after " + Text(timeout) +
             " without data, or the connection broke)";
    case httplib::Error::Write:
      return "cannot send the request";
    case httplib::Error::ExceedRedirectCount:
      return "too many redirects";
    case httplib::Error::SSLConnection:
      return "TLS handshake failed";
    case httplib::Error::SSLLoadingCerts:
      return "TLS: cannot load the system's CA certificates";
    case httplib::Error::SSLServerVerification:
      return "TLS: the server's certificate does not verify";
    default:
      return "request failed (" + httplib::to_string(e) + ")";
  }
}

}  // namespace

// Registers the client in flight with a FetchCancel, so Cancel() can stop it.
class ClientGuard {
 public:
  ClientGuard(FetchCancel* cancel, httplib::Client* client) : cancel_(cancel) {
    if (!cancel_) return;
    std::lock_guard lk(cancel_->mu_);
    cancel_->client_ = client;
  }
  ~ClientGuard() {
    if (!cancel_) return;
    std::lock_guard lk(cancel_->mu_);
    cancel_->client_ = nullptr;
  }
  ClientGuard(const ClientGuard&) = delete;
  ClientGuard& operator=(const ClientGuard&) = delete;

 private:
  FetchCancel* cancel_;
};

void FetchCancel::Cancel() {
  std::lock_guard lk(mu_);
  cancelled_ = true;
  if (client_) client_->stop();
}

bool HttpsSupported() {
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
  return true;
#else
  return false;
#endif
}

Result<HttpUrl> ParseHttpUrl(std::string_view url) {
  HttpUrl out;
  std::string_view rest;
  if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else if (url.rfind("https://", 0) == 0) {
    rest = url.substr(8);
    out.https = true;
  } else {
    return InvalidArgument("'" + std::string(url) + "' is not an http:// or https:// URL");
  }
  const size_t end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, end);
  std::string_view target = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  target = target.substr(0, target.find('#'));
  if (authority.find('@') != std::string_view::npos) {
    return InvalidArgument(
        "credentials in the URL are not supported: give the token with tokenEnv");
  }
  std::string_view host = authority;
  std::optional<std::string_view> port;
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    if (close == std::string_view::npos)
      return InvalidArgument("'" + std::string(url) + "': unclosed [ in the host");
    std::string_view after = host.substr(close + 1);
    host = host.substr(0, close + 1);
    if (!after.empty() && after.front() != ':')
      return InvalidArgument("'" + std::string(url) + "': bad host");
    if (!after.empty()) port = after.substr(1);
  } else if (const size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
  }
  if (host.empty() || host == "[]")
    return InvalidArgument("'" + std::string(url) + "' has no host");
  if (port) {
    int p = 0;
    auto [ptr, ec] = std::from_chars(port->data(), port->data() + port->size(), p);
    if (port->empty() || ec != std::errc() || ptr != port->data() + port->size() || p < 1 ||
        p > 65535) {
      return InvalidArgument("'" + std::string(url) + "': the port must be 1-65535");
    }
  }
  if (out.https && !HttpsSupported()) {
    return InvalidArgument(
        "'" + std::string(url) +
        "': this build's HTTP client has no TLS support (cpp-httplib without OpenSSL): "
        "use an http:// URL");
  }
  out.scheme_host_port =
      std::string(url.substr(0, url.size() - rest.size())) + std::string(authority);
  out.target = target.empty() ? "/" : std::string(target);
  if (out.target.front() != '/') out.target = "/" + out.target;  // "http://h?x=1"
  return out;
}

Result<IntensitySeries> FetchZone(const ZoneSource& zone, FetchCancel* cancel) {
  const std::string where = "zone " + zone.zone + ": GET " + zone.url;
  auto url = ParseHttpUrl(zone.url);
  if (!url.ok()) return url.status().WithContext(where);
  httplib::Headers headers{{"Accept", "application/json"}};
  if (!zone.token_env.empty()) {
    const char* token = std::getenv(zone.token_env.c_str());
    if (token == nullptr || *token == '\0') {
      return FailedPrecondition(where + ": tokenEnv: the environment variable " + zone.token_env +
                                " is not set");
    }
    if (zone.format == "watttime-json") {
      headers.emplace("Authorization", std::string("Bearer ") + token);
    } else {
      headers.emplace("auth-token", token);
    }
  }

  httplib::Client client(url->scheme_host_port);
  client.set_connection_timeout(zone.timeout);
  client.set_read_timeout(zone.timeout);
  client.set_write_timeout(zone.timeout);
  // Redirects are not followed: they would carry the token to wherever they point.
  ClientGuard guard(cancel, &client);
  if (cancel && cancel->cancelled()) return Unavailable(where + ": stopped");
  std::string body;
  bool too_big = false;
  auto res = client.Get(url->target, headers, [&](const char* data, size_t n) {
    if (body.size() + n > kMaxCarbonResponseBytes) {
      too_big = true;
      return false;
    }
    body.append(data, n);
    return true;
  });
  if (cancel && cancel->cancelled()) return Unavailable(where + ": stopped");
  if (too_big) {
    return ResourceExhausted(where + ": the answer is larger than " +
                             std::to_string(kMaxCarbonResponseBytes >> 20) + " MiB");
  }
  if (!res) return Unavailable(where + ": " + Describe(res.error(), zone.timeout));
  if (res->status < 200 || res->status > 299) {
    std::string hint;
    if ((res->status == 401 || res->status == 403) && !zone.token_env.empty()) {
      hint = " (check the token in " + zone.token_env + ")";
    } else if (res->status == 401 || res->status == 403) {
      hint = " (the API may need a token: tokenEnv)";
    } else if (res->status >= 300 && res->status < 400) {
      hint = " (a redirect, not followed: give the url it points to, " +
             res->get_header_value("Location") + ")";
    }
    return Unavailable(where + ": HTTP " + std::to_string(res->status) + hint + ": " +
                       Excerpt(body));
  }
  Result<IntensitySeries> parsed = zone.format == "watttime-json"
                                       ? ParseWattTimeJson(body, where)
                                       : ParseElectricityMapsJson(body, where);
  if (!parsed.ok()) return parsed.status();
  if (parsed->empty()) return InvalidArgument(where + ": the answer holds no points");
  // The zone is the configuration's name for it, whatever the answer calls it.
  return IntensitySeries(zone.zone, parsed->points());
}

IntensitySeries MergeSeries(const std::string& zone, const IntensitySeries& old,
                            const IntensitySeries& fresh, Time keep_from) {
  std::map<Time, double> by_time;
  for (const IntensityPoint& p : old.points()) {
    if (p.time >= keep_from) by_time[p.time] = p.g_per_kwh;
  }
  for (const IntensityPoint& p : fresh.points()) {
    if (p.time >= keep_from) by_time[p.time] = p.g_per_kwh;
  }
  std::vector<IntensityPoint> points;
  points.reserve(by_time.size());
  for (const auto& [t, v] : by_time) points.push_back({t, v});
  return IntensitySeries(zone, std::move(points));
}

nlohmann::json CarbonSourcesJson(const std::vector<CarbonSourceState>& states) {
  nlohmann::json out = nlohmann::json::array();
  auto time = [](const std::optional<Time>& t) {
    return t ? nlohmann::json(FormatTime(*t)) : nlohmann::json();
  };
  for (const CarbonSourceState& s : states) {
    out.push_back(
        {{"zone", s.zone},
         {"url", s.url},
         {"format", s.format},
         {"refreshSeconds", std::chrono::duration_cast<std::chrono::seconds>(s.refresh).count()},
         {"lastAttempt", time(s.last_attempt)},
         {"lastSuccess", time(s.last_success)},
         {"successes", s.successes},
         {"failures", s.failures},
         {"consecutiveFailures", s.consecutive_failures},
         {"lastError", s.last_error},
         {"points", s.points}});
  }
  return {{"sources", out}};
}

CarbonRefresher::CarbonRefresher(std::vector<ZoneSource> sources,
                                 std::vector<CarbonSourceState> loaded, const Clock& clock,
                                 Apply apply, Log log)
    : sources_(std::move(sources)), clock_(clock), apply_(std::move(apply)), log_(std::move(log)) {
  for (const ZoneSource& z : sources_) {
    CarbonSourceState s;
    for (const CarbonSourceState& l : loaded) {
      if (l.zone == z.zone) s = l;
    }
    s.zone = z.zone;
    s.url = z.url;
    s.format = z.format;
    s.refresh = z.refresh;
    states_.push_back(std::move(s));
  }
}

CarbonRefresher::~CarbonRefresher() { Stop(); }

void CarbonRefresher::Start() {
  {
    std::lock_guard lk(mu_);
    if (thread_.joinable() || stop_ || sources_.empty()) return;
    thread_ = std::thread([this] { Run(); });
  }
  WriteStatus();  // the state after the load, before any refresh
}

void CarbonRefresher::Stop() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cancel_.Cancel();
  wake_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void CarbonRefresher::Run() {
  std::unique_lock lk(mu_);
  while (!stop_) {
    // The zone due first: `refresh` after its last attempt (never tried: now).
    const Time now = clock_.Now();
    size_t next = 0;
    Time due = Time::max();
    for (size_t i = 0; i < sources_.size(); ++i) {
      const Time d = states_[i].last_attempt ? *states_[i].last_attempt + sources_[i].refresh : now;
      if (d < due) {
        due = d;
        next = i;
      }
    }
    if (due > now) {
      wake_.wait_for(lk, due - now, [&] { return stop_; });
      continue;
    }
    const std::string zone = sources_[next].zone;
    lk.unlock();
    (void)RefreshZone(zone);
    lk.lock();
  }
}

Status CarbonRefresher::RefreshZone(const std::string& zone) {
  size_t i = 0;
  while (i < sources_.size() && sources_[i].zone != zone) ++i;
  if (i == sources_.size()) return NotFound("zone " + zone + " has no url");
  {
    std::lock_guard lk(mu_);
    states_[i].last_attempt = clock_.Now();
  }
  Result<IntensitySeries> fresh = FetchZone(sources_[i], &cancel_);
  if (cancel_.cancelled()) return Unavailable("zone " + zone + ": stopped");
  if (fresh.ok()) {
    const size_t points = apply_(zone, *fresh);
    {
      std::lock_guard lk(mu_);
      CarbonSourceState& s = states_[i];
      s.last_success = clock_.Now();
      ++s.successes;
      s.consecutive_failures = 0;
      s.points = points;
    }
    WriteStatus();
    return Status::Ok();
  }
  std::string line;
  {
    std::lock_guard lk(mu_);
    CarbonSourceState& s = states_[i];
    ++s.failures;
    ++s.consecutive_failures;
    s.last_error = fresh.status().message();
    line = "warning: " + s.last_error + " (refresh failed, " +
           std::to_string(s.consecutive_failures) + " in a row; the zone keeps its " +
           std::to_string(s.points) + " points" +
           (s.last_success ? ", last fetched " + FormatTime(*s.last_success) : ", never fetched") +
           ")";
  }
  if (log_) log_(line);
  WriteStatus();
  return fresh.status();
}

void CarbonRefresher::WriteStatus() {
  if (status_path_.empty()) return;
  std::lock_guard wk(write_mu_);
  const Status st = WriteFileAtomic(status_path_, CarbonSourcesJson(States()).dump(2) + "\n");
  if (!st.ok() && log_) log_("warning: " + status_path_ + ": " + st.message());
}

std::vector<CarbonSourceState> CarbonRefresher::States() const {
  std::lock_guard lk(mu_);
  return states_;
}

}  // namespace harch

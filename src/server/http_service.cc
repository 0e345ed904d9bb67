#include "server/http_service.h"

#include <google/protobuf/util/json_util.h>
#include <httplib.h>

#include <charconv>

#include "server/api_errors.h"
#include "server/carbon_aware.h"

namespace harch {

namespace {

constexpr size_t kMaxBody = 4 << 20;

void SendError(httplib::Response& res, const Status& st) {
  nlohmann::json err = {{"code", std::string(CodeName(st.code()))}, {"message", st.message()}};
  const std::string field = FieldOf(st.message());
  if (!field.empty()) err["field"] = field;
  res.status = ToHttpStatus(st.code());
  res.set_content(nlohmann::json{{"error", err}}.dump() + "\n", "application/json");
}

template <typename Msg>
void SendMessage(httplib::Response& res, const Msg& msg) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  opts.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(msg, &out, opts);
  res.set_content(out + "\n", "application/json");
}

template <typename Msg>
Status ParseBody(const httplib::Request& req, Msg* msg) {
  if (req.body.empty()) return Status::Ok();
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = false;
  auto st = google::protobuf::util::JsonStringToMessage(req.body, msg, opts);
  if (!st.ok()) return InvalidArgument("body: " + std::string(st.message()));
  return Status::Ok();
}

Result<uint64_t> PathId(const httplib::Request& req) {
  const std::string& s = req.matches[1].str();
  uint64_t id = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
  if (ec != std::errc() || p != s.data() + s.size()) return InvalidArgument("id: not a job id: " + s);
  return id;
}

Result<uint32_t> QueryInt(const httplib::Request& req, const char* key) {
  if (!req.has_param(key)) return 0u;
  const std::string s = req.get_param_value(key);
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) {
    return InvalidArgument(std::string(key) + ": not a number: " + s);
  }
  return v;
}

}  // namespace

HttpService::HttpService(ControlPlane* cp, std::string token)
    : cp_(cp), token_(std::move(token)), http_(std::make_unique<httplib::Server>()) {
  http_->set_payload_max_length(kMaxBody);
  Routes();
}

HttpService::~HttpService() { Stop(); }

Result<int> HttpService::Bind(const std::string& host, int port) {
  if (port == 0) {
    const int bound = http_->bind_to_any_port(host);
    if (bound <= 0) return Unavailable("http: cannot listen on " + host);
    return bound;
  }
  if (!http_->bind_to_port(host, port)) {
    return Unavailable("http: cannot listen on " + host + ":" + std::to_string(port));
  }
  return port;
}

void HttpService::Serve() { http_->listen_after_bind(); }
void HttpService::Stop() { http_->stop(); }

void HttpService::Routes() {
  using Req = const httplib::Request&;
  using Res = httplib::Response&;
  // A handler: parse the request message (body, path, query), check the token for writes,
  // call the control plane, send the response message or the error.
  auto handle = [this](bool write, auto&& fn) {
    return [this, write, fn](Req req, Res res) {
      if (write && !TokenMatches(req.get_header_value("Authorization"), token_)) {
        res.status = 401;
        res.set_content(R"({"error":{"code":"UNAUTHENTICATED","field":"authorization",)"
                        R"("message":"this server needs 'Authorization: Bearer TOKEN' for writes"}})" "\n",
                        "application/json");
        return;
      }
      auto result = fn(req);
      if (!result.ok()) {
        SendError(res, result.status());
      } else {
        SendMessage(res, *result);
      }
    };
  };
  ControlPlane* cp = cp_;

  http_->Get("/", [](Req, Res res) { res.set_content(DashboardHtml(), "text/html; charset=utf-8"); });
  http_->Get("/healthz", [](Req, Res res) { res.set_content("ok\n", "text/plain"); });

  http_->Post("/v1/jobs", handle(true, [cp](Req req) -> Result<v1::Job> {
    v1::SubmitJobRequest m;
    const std::string type = req.get_header_value("Content-Type");
    if (type.rfind("application/json", 0) == 0) {
      HARCH_RETURN_IF_ERROR(ParseBody(req, &m));
    } else {
      m.set_spec(req.body);  // a manifest posted as is (YAML)
      if (req.has_param("request_id")) m.set_request_id(req.get_param_value("request_id"));
    }
    return cp->Submit(m);
  }));
  http_->Get("/v1/jobs", handle(false, [cp](Req req) -> Result<v1::ListJobsResponse> {
    v1::ListJobsRequest m;
    m.set_state(req.get_param_value("state"));
    m.set_tenant(req.get_param_value("tenant"));
    HARCH_ASSIGN_OR_RETURN(uint32_t limit, QueryInt(req, "limit"));
    m.set_limit(limit);
    return cp->ListJobs(m);
  }));
  http_->Get(R"(/v1/jobs/(\d+))", handle(false, [cp](Req req) -> Result<v1::Job> {
    v1::JobRef m;
    HARCH_ASSIGN_OR_RETURN(uint64_t id, PathId(req));
    m.set_id(id);
    return cp->GetJob(m);
  }));
  http_->Post(R"(/v1/jobs/(\d+)/cancel)", handle(true, [cp](Req req) -> Result<v1::Job> {
    v1::JobRef m;
    HARCH_ASSIGN_OR_RETURN(uint64_t id, PathId(req));
    m.set_id(id);
    return cp->CancelJob(m);
  }));
  http_->Get(R"(/v1/jobs/(\d+)/events)", handle(false, [cp](Req req) -> Result<v1::JobEvents> {
    v1::JobRef m;
    HARCH_ASSIGN_OR_RETURN(uint64_t id, PathId(req));
    m.set_id(id);
    return cp->JobEvents(m);
  }));
  http_->Get(R"(/v1/jobs/(\d+)/logs)", handle(false, [cp](Req req) -> Result<v1::JobLogs> {
    v1::LogsRequest m;
    HARCH_ASSIGN_OR_RETURN(uint64_t id, PathId(req));
    HARCH_ASSIGN_OR_RETURN(uint32_t attempt, QueryInt(req, "attempt"));
    m.set_id(id);
    m.set_attempt(static_cast<int32_t>(attempt));
    return cp->JobLogs(m);
  }));

  http_->Post("/v1/nodes/register", handle(true, [cp](Req req) -> Result<v1::Node> {
    v1::RegisterRequest m;
    HARCH_RETURN_IF_ERROR(ParseBody(req, &m));
    return cp->Register(m);
  }));
  http_->Post("/v1/nodes/heartbeat", handle(true, [cp](Req req) -> Result<v1::HeartbeatResponse> {
    v1::HeartbeatRequest m;
    HARCH_RETURN_IF_ERROR(ParseBody(req, &m));
    return cp->Heartbeat(m);
  }));
  http_->Get("/v1/nodes", handle(false, [cp](Req req) -> Result<v1::ListNodesResponse> {
    v1::ListNodesRequest m;
    m.set_hub(req.get_param_value("hub"));
    return cp->ListNodes(m);
  }));
  http_->Get(R"(/v1/nodes/([^/]+))", handle(false, [cp](Req req) -> Result<v1::Node> {
    v1::NodeRef m;
    m.set_name(req.matches[1].str());
    return cp->GetNode(m);
  }));
  http_->Post(R"(/v1/nodes/([^/]+)/cordon)", handle(true, [cp](Req req) -> Result<v1::Node> {
    v1::CordonRequest m;
    HARCH_RETURN_IF_ERROR(ParseBody(req, &m));
    m.set_name(req.matches[1].str());
    return cp->Cordon(m);
  }));
  http_->Post(R"(/v1/nodes/([^/]+)/drain)", handle(true, [cp](Req req) -> Result<v1::Node> {
    v1::NodeRef m;
    m.set_name(req.matches[1].str());
    return cp->Drain(m);
  }));

  http_->Get("/v1/fleet/summary", handle(false, [cp](Req) -> Result<v1::FleetSummary> {
    return cp->Summary(v1::FleetSummaryRequest{});
  }));
  http_->Post("/v1/fleet/query", handle(false, [cp](Req req) -> Result<v1::FleetQueryResponse> {
    v1::FleetQueryRequest m;
    HARCH_RETURN_IF_ERROR(ParseBody(req, &m));
    return cp->Query(m);
  }));
  http_->Get("/v1/queues", handle(false, [cp](Req) -> Result<v1::ListQueuesResponse> {
    return cp->ListQueues(v1::ListQueuesRequest{});
  }));

  // Footprint totals per hub and tenant (server/footprint.h).
  http_->Get("/v1/footprint", handle(false, [cp](Req req) -> Result<v1::FootprintTotals> {
    for (const auto& [key, value] : req.params) {
      if (key != "tenant" && key != "hub" && key != "from" && key != "to") {
        return InvalidArgument(key + ": unknown parameter (tenant, hub, from, to)");
      }
      if (req.get_param_value_count(key.c_str()) > 1) return InvalidArgument(key + ": given more than once");
    }
    v1::FootprintRequest m;
    m.set_tenant(req.get_param_value("tenant"));
    m.set_hub(req.get_param_value("hub"));
    m.set_from(req.get_param_value("from"));
    m.set_to(req.get_param_value("to"));
    return cp->Footprints(m);
  }));

  // Carbon zones fetched from a url: each one's refresh state (ControlPlane::CarbonSources).
  http_->Get("/v1/carbon/sources", [cp](Req, Res res) {
    res.set_content(cp->CarbonSources().dump() + "\n", "application/json");
  });

  // The Carbon Aware SDK's WebAPI (server/carbon_aware.h): reads only, answered from --carbon.
  // Hubs never change after Open, so their zones are copied once.
  auto hubs = std::make_shared<std::vector<CarbonAwareHub>>();
  for (const Hub& h : cp->topology_for_tests().hubs()) {
    hubs->push_back({h.id, h.carbon_zone, h.carbon_zone_stand_in});
  }
  auto carbon_aware = [cp, hubs](auto&& fn) {
    return [cp, hubs, fn](Req req, Res res) {
      // A snapshot: url zones may be refreshed while the request is answered.
      const std::shared_ptr<const CarbonSignal> carbon = cp->CarbonSnapshot();
      CarbonAwareContext ctx{carbon.get(), *hubs, SystemClock::Get().Now()};
      const CarbonAwareReply reply = fn(ctx, req.params);
      res.status = reply.status;
      if (reply.status == 204) return;
      res.set_content(reply.body.dump() + "\n",
                      reply.status >= 400 ? "application/problem+json" : "application/json");
    };
  };
  http_->Get("/emissions/bylocation", carbon_aware([](const CarbonAwareContext& ctx, const httplib::Params& p) {
    return EmissionsByLocations(ctx, p, /*single=*/true);
  }));
  http_->Get("/emissions/bylocations", carbon_aware([](const CarbonAwareContext& ctx, const httplib::Params& p) {
    return EmissionsByLocations(ctx, p, /*single=*/false);
  }));
  http_->Get("/emissions/bylocations/best", carbon_aware([](const CarbonAwareContext& ctx, const httplib::Params& p) {
    return BestEmissionsByLocations(ctx, p);
  }));
  http_->Get("/emissions/forecasts/current", carbon_aware([](const CarbonAwareContext& ctx, const httplib::Params& p) {
    return CurrentForecast(ctx, p);
  }));
}

}  // namespace harch

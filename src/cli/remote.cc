#include "cli/remote.h"

#include <google/protobuf/util/json_util.h>

#include <chrono>
#include <cstdlib>
#include <ctime>

#include "cli/cli.h"
#include "cli/output.h"

namespace harch {

void AddRemoteFlags(CLI::App* cmd, RemoteOptions* o, bool output) {
  cmd->add_option("--addr", o->addr, std::string("Server gRPC address (env HARCH_ADDR; default ") +
                                         kDefaultAddr + ")");
  cmd->add_option("--token", o->token, "Token for writes (env HARCH_TOKEN)");
  if (output) {
    cmd->add_option("-o,--output", o->output, "Output format")
        ->check(CLI::IsMember({"table", "json"}))
        ->capture_default_str();
  }
}

std::string StatusCodeName(grpc::StatusCode code) {
  static const char* kNames[] = {"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
                                 "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
                                 "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
                                 "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
  const int i = static_cast<int>(code);
  return i >= 0 && i <= 16 ? kNames[i] : "CODE " + std::to_string(i);
}

Remote::Remote(const RemoteOptions& o) : addr_(o.addr), token_(o.token) {
  if (addr_.empty()) {
    const char* env = std::getenv("HARCH_ADDR");
    addr_ = env && *env ? env : kDefaultAddr;
  }
  if (token_.empty()) {
    if (const char* env = std::getenv("HARCH_TOKEN")) token_ = env;
  }
  auto channel = grpc::CreateChannel(addr_, grpc::InsecureChannelCredentials());
  jobs_ = v1::Jobs::NewStub(channel);
  nodes_ = v1::Nodes::NewStub(channel);
  fleet_ = v1::Fleet::NewStub(channel);
  queues_ = v1::Queues::NewStub(channel);
}

std::unique_ptr<grpc::ClientContext> Remote::Context(bool deadline) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (deadline) ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (!token_.empty()) ctx->AddMetadata("authorization", "Bearer " + token_);
  return ctx;
}

int Remote::Fail(const grpc::Status& st) const {
  switch (st.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      std::cerr << "error: cannot reach the HarchOS server at " << addr_ << ": " << st.error_message()
                << " (start one with `harch dev` or `harch server`, or set --addr / HARCH_ADDR)\n";
      break;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      std::cerr << "error: the HarchOS server at " << addr_ << " did not answer in time: "
                << st.error_message() << " (is it overloaded, or is --addr / HARCH_ADDR another service?)\n";
      break;
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
      std::cerr << "error: " << StatusCodeName(st.error_code()) << ": " << st.error_message() << "\n";
      if (token_.empty()) {
        std::cerr << "  no token was sent: pass --token or set HARCH_TOKEN\n";
      } else {
        std::cerr << "  the server refused the token from --token / HARCH_TOKEN\n";
      }
      break;
    default:
      std::cerr << "error: " << StatusCodeName(st.error_code()) << ": " << st.error_message() << "\n";
  }
  return kExitError;
}

std::string ToJson(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  opts.always_print_primitive_fields = true;
  opts.add_whitespace = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, opts);
  return out;
}

std::string TimeText(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "-";
  const std::time_t s = static_cast<std::time_t>(t.seconds());
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string AgeText(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0) return "-";
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  int64_t s = std::max<int64_t>(0, now - t.seconds());
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return std::to_string(s / 60) + "m" + std::to_string(s % 60) + "s";
  if (s < 86400) return std::to_string(s / 3600) + "h" + std::to_string(s % 3600 / 60) + "m";
  return std::to_string(s / 86400) + "d" + std::to_string(s % 86400 / 3600) + "h";
}

int RemoteFleetSummary(const RemoteOptions& o) {
  Remote r(o);
  v1::FleetSummary s;
  auto ctx = r.Context();
  const grpc::Status st = r.fleet().Summary(ctx.get(), v1::FleetSummaryRequest{}, &s);
  if (!st.ok()) return r.Fail(st);
  if (o.json()) {
    std::cout << ToJson(s) << "\n";
    return kExitOk;
  }
  Table t({"HUB", "COUNTRY", "NODES UP", "GPUS", "FREE", "ALLOC", "MODELS"});
  for (const auto& h : s.hubs()) {
    std::string models;
    for (const auto& [name, count] : std::map<std::string, int>(h.models().begin(), h.models().end())) {
      models += (models.empty() ? "" : ", ") + std::to_string(count) + " " + name;
    }
    t.AddRow({h.id(), h.country(), std::to_string(h.nodes_up()) + "/" + std::to_string(h.nodes()),
              WithThousands(h.gpus().total()), WithThousands(h.gpus().free()),
              WithThousands(h.gpus().allocated()), models});
  }
  t.AddRow({"TOTAL", "", std::to_string(s.nodes()), WithThousands(s.gpus().total()),
            WithThousands(s.gpus().free()), WithThousands(s.gpus().allocated()), ""});
  t.Print(std::cout);
  std::cout << "jobs: " << s.jobs_running() << " running, " << s.jobs_pending() << " pending\n";
  return kExitOk;
}

int RemoteFleetQuery(const RemoteOptions& o, const v1::FleetQueryRequest& req) {
  Remote r(o);
  v1::FleetQueryResponse resp;
  auto ctx = r.Context();
  const grpc::Status st = r.fleet().Query(ctx.get(), req, &resp);
  if (!st.ok()) return r.Fail(st);
  if (o.json()) {
    std::cout << ToJson(resp) << "\n";
  } else if (!resp.fits()) {
    std::cout << "no fit now (" << resp.constraint() << "): " << resp.reason() << "\n";
  } else {
    Table t({"GPU", "NODE", "HUB", "MODEL"});
    for (const auto& g : resp.gpus()) t.AddRow({g.id(), g.node(), g.hub(), g.model()});
    t.Print(std::cout);
    std::cout << "span: " << resp.span() << "\n";
  }
  return resp.fits() ? kExitOk : kExitNoFit;
}

}  // namespace harch

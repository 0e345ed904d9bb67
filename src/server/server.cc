#include "server/server.h"

#include <charconv>

#include "base/files.h"
#include "server/grpc_service.h"

namespace harch {

namespace {
constexpr int kMaxMessageBytes = 16 << 20;
}

Result<std::pair<std::string, int>> SplitHostPort(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return InvalidArgument("'" + address + "' is not host:port");
  }
  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int port = -1;
  const std::string p = address.substr(colon + 1);
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
  if (ec != std::errc() || end != p.data() + p.size() || port < 0 || port > 65535) {
    return InvalidArgument("'" + address + "': the port must be 0-65535");
  }
  return std::make_pair(host, port);
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

Result<std::unique_ptr<Server>> Server::Start(ServerOptions o) {
  HARCH_ASSIGN_OR_RETURN(auto grpc_hp, SplitHostPort(o.grpc_listen));
  HARCH_ASSIGN_OR_RETURN(auto http_hp, SplitHostPort(o.http_listen));
  for (const auto* hp : {&grpc_hp, &http_hp}) {
    if (!IsLoopback(hp->first) && o.token.empty()) {
      return FailedPrecondition("listening on " + hp->first +
                                " (beyond loopback) needs a token for writes: pass --token or set HARCH_TOKEN");
    }
  }
  std::unique_ptr<Server> s(new Server());
  HARCH_ASSIGN_OR_RETURN(s->cp_, ControlPlane::Open(o.control));
  s->cp_->StartCarbonRefresh();  // carbon zones with a url, if any

  grpc::ServerBuilder builder;
  int grpc_port = 0;
  builder.AddListeningPort(o.grpc_listen, grpc::InsecureServerCredentials(), &grpc_port);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  s->services_ = MakeGrpcServices(s->cp_.get(), o.token);
  for (auto& svc : s->services_) builder.RegisterService(svc.get());
  s->grpc_ = builder.BuildAndStart();
  if (!s->grpc_ || grpc_port == 0) return Unavailable("grpc: cannot listen on " + o.grpc_listen);
  const std::string grpc_host = grpc_hp.first.find(':') != std::string::npos ? "[" + grpc_hp.first + "]" : grpc_hp.first;
  s->grpc_address_ = grpc_host + ":" + std::to_string(grpc_port);

  s->http_ = std::make_unique<HttpService>(s->cp_.get(), o.token);
  HARCH_ASSIGN_OR_RETURN(int http_port, s->http_->Bind(http_hp.first, http_hp.second));
  s->http_address_ = http_hp.first + ":" + std::to_string(http_port);
  s->http_thread_ = std::thread([h = s->http_.get()] { h->Serve(); });

  // Where this server listens, for tools and tests that started it on port 0.
  const nlohmann::json endpoints = {{"grpc", s->grpc_address_}, {"http", s->http_address_}};
  HARCH_RETURN_IF_ERROR(WriteFileAtomic(o.control.data_dir + "/endpoints.json", endpoints.dump() + "\n"));
  return s;
}

Server::~Server() { Shutdown(); }

void Server::Shutdown() {
  if (grpc_) {
    grpc_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    grpc_.reset();
  }
  if (http_) {
    http_->Stop();
    if (http_thread_.joinable()) http_thread_.join();
    http_.reset();
  }
  cp_.reset();
}

}  // namespace harch

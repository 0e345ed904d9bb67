// `harch server`: the control plane behind its gRPC and HTTP listeners.
//
// Security: both listeners bind to loopback unless told otherwise; a server that listens
// anywhere else refuses to start without a token, and then every write needs it.
// Thread-safety: Start/Shutdown from one thread; the rest is ControlPlane's.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "server/control_plane.h"
#include "server/http_service.h"

namespace harch {

struct ServerOptions {
  ControlPlaneOptions control;
  std::string grpc_listen = "127.0.0.1:7443";  // port 0: any free port
  std::string http_listen = "127.0.0.1:7080";
  std::string token;
};

// host:port -> (host, port); "[::1]:80" style for IPv6.
Result<std::pair<std::string, int>> SplitHostPort(const std::string& address);
bool IsLoopback(const std::string& host);

class Server {
 public:
  static Result<std::unique_ptr<Server>> Start(ServerOptions options);
  ~Server();
  void Shutdown();

  const std::string& grpc_address() const { return grpc_address_; }
  const std::string& http_address() const { return http_address_; }
  ControlPlane& control() { return *cp_; }

 private:
  Server() = default;
  std::unique_ptr<ControlPlane> cp_;
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::unique_ptr<grpc::Server> grpc_;
  std::unique_ptr<HttpService> http_;
  std::thread http_thread_;
  std::string grpc_address_;
  std::string http_address_;
};

}  // namespace harch

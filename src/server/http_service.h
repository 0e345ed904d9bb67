// The HTTP/JSON face: the same operations as the gRPC API, with the same request and response
// messages in protobuf's JSON mapping, plus the dashboard at "/". Routes are in docs/api.md.
// Thread-safety: httplib serves requests on its own thread pool; ControlPlane is thread-safe.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "server/control_plane.h"

namespace httplib {
class Server;
}

namespace harch {

class HttpService {
 public:
  HttpService(ControlPlane* cp, std::string token);
  ~HttpService();
  // Binds host:port (port 0: any free port); returns the port.
  Result<int> Bind(const std::string& host, int port);
  void Serve();  // blocks until Stop()
  void Stop();

 private:
  void Routes();
  ControlPlane* cp_;
  std::string token_;
  std::unique_ptr<httplib::Server> http_;
};

// The dashboard page (one self-contained HTML document).
const char* DashboardHtml();

}  // namespace harch

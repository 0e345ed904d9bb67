// The CLI's side of the API: finding the server (--addr, HARCH_ADDR), the token (--token,
// HARCH_TOKEN), call deadlines, errors people can act on, and -o json.
// Thread-safety: one command uses one Remote.
#pragma once

#include <CLI/CLI.hpp>
#include <grpcpp/grpcpp.h>

#include <iostream>
#include <memory>
#include <string>

#include "harch/v1/harch.grpc.pb.h"

namespace harch {

inline constexpr const char* kDefaultAddr = "127.0.0.1:7443";

struct RemoteOptions {
  std::string addr;   // empty: HARCH_ADDR, else kDefaultAddr
  std::string token;  // empty: HARCH_TOKEN
  std::string output = "table";
  bool json() const { return output == "json"; }
};

// --addr, --token and (with `output`) -o/--output.
void AddRemoteFlags(CLI::App* cmd, RemoteOptions* o, bool output = true);

class Remote {
 public:
  explicit Remote(const RemoteOptions& o);
  const std::string& addr() const { return addr_; }
  v1::Jobs::Stub& jobs() { return *jobs_; }
  v1::Nodes::Stub& nodes() { return *nodes_; }
  v1::Fleet::Stub& fleet() { return *fleet_; }
  v1::Queues::Stub& queues() { return *queues_; }
  // A context with the token and, unless streaming, a 10 s deadline.
  std::unique_ptr<grpc::ClientContext> Context(bool deadline = true) const;
  // Prints the error for people ("cannot reach ...", a token hint, or "CODE: message", where the
  // server's message names the field at fault); returns the exit code (1).
  int Fail(const grpc::Status& st) const;

 private:
  std::string addr_;
  std::string token_;
  std::unique_ptr<v1::Jobs::Stub> jobs_;
  std::unique_ptr<v1::Nodes::Stub> nodes_;
  std::unique_ptr<v1::Fleet::Stub> fleet_;
  std::unique_ptr<v1::Queues::Stub> queues_;
};

// "INVALID_ARGUMENT" for grpc::StatusCode::INVALID_ARGUMENT.
std::string StatusCodeName(grpc::StatusCode code);
// A message as JSON (field names as in the .proto, defaults included).
std::string ToJson(const google::protobuf::Message& m);
// "2026-11-23T12:00:00Z"; "-" for an unset time.
std::string TimeText(const google::protobuf::Timestamp& t);
// "3m12s" since `t`; "-" for an unset time.
std::string AgeText(const google::protobuf::Timestamp& t);

int RemoteFleetSummary(const RemoteOptions& o);
int RemoteFleetQuery(const RemoteOptions& o, const v1::FleetQueryRequest& req);

}  // namespace harch

#include "server/grpc_service.h"

#include "server/api_errors.h"

namespace harch {

namespace {

using grpc::ServerContext;

class Gate {
 public:
  Gate(ControlPlane* cp, std::string token) : cp_(cp), token_(std::move(token)) {}
  ControlPlane* cp() const { return cp_; }

  // Runs fn (a ControlPlane call) and turns its Result into a gRPC status and response.
  template <typename Resp, typename Fn>
  grpc::Status Call(ServerContext* ctx, bool write, Resp* resp, Fn&& fn) const {
    if (write && !token_.empty()) {
      const auto& md = ctx->client_metadata();
      auto it = md.find("authorization");
      const std::string header = it == md.end() ? "" : std::string(it->second.data(), it->second.size());
      if (!TokenMatches(header, token_)) {
        return {grpc::StatusCode::UNAUTHENTICATED,
                "this server needs a token for writes: pass --token or set HARCH_TOKEN"};
      }
    }
    auto result = fn();
    if (!result.ok()) {
      const std::string field = FieldOf(result.status().message());
      if (!field.empty()) ctx->AddTrailingMetadata("harch-field", field);
      return {ToGrpcCode(result.status().code()), result.status().message()};
    }
    *resp = std::move(*result);
    return grpc::Status::OK;
  }

 private:
  ControlPlane* cp_;
  std::string token_;
};

class JobsService final : public v1::Jobs::Service, Gate {
 public:
  using Gate::Gate;
  grpc::Status Submit(ServerContext* c, const v1::SubmitJobRequest* r, v1::Job* o) override {
    return Call(c, true, o, [&] { return cp()->Submit(*r); });
  }
  grpc::Status Get(ServerContext* c, const v1::JobRef* r, v1::Job* o) override {
    return Call(c, false, o, [&] { return cp()->GetJob(*r); });
  }
  grpc::Status List(ServerContext* c, const v1::ListJobsRequest* r, v1::ListJobsResponse* o) override {
    return Call(c, false, o, [&] { return cp()->ListJobs(*r); });
  }
  grpc::Status Cancel(ServerContext* c, const v1::JobRef* r, v1::Job* o) override {
    return Call(c, true, o, [&] { return cp()->CancelJob(*r); });
  }
  grpc::Status Events(ServerContext* c, const v1::JobRef* r, v1::JobEvents* o) override {
    return Call(c, false, o, [&] { return cp()->JobEvents(*r); });
  }
  grpc::Status Logs(ServerContext* c, const v1::LogsRequest* r, v1::JobLogs* o) override {
    return Call(c, false, o, [&] { return cp()->JobLogs(*r); });
  }
  grpc::Status Watch(ServerContext* c, const v1::JobRef* r, grpc::ServerWriter<v1::Job>* w) override {
    uint64_t version = 0;
    while (!c->IsCancelled()) {
      const uint64_t before = version;
      auto job = cp()->WaitJob(r->id(), &version, std::chrono::seconds(1));
      if (!job.ok()) return {ToGrpcCode(job.status().code()), job.status().message()};
      if (version != before && !w->Write(*job)) break;
      const auto phase = ParsePhase(job->state());
      if (phase && IsFinal(*phase)) break;
    }
    return grpc::Status::OK;
  }
};

class NodesService final : public v1::Nodes::Service, Gate {
 public:
  using Gate::Gate;
  grpc::Status Register(ServerContext* c, const v1::RegisterRequest* r, v1::Node* o) override {
    return Call(c, true, o, [&] { return cp()->Register(*r); });
  }
  grpc::Status Heartbeat(ServerContext* c, const v1::HeartbeatRequest* r, v1::HeartbeatResponse* o) override {
    return Call(c, true, o, [&] { return cp()->Heartbeat(*r); });
  }
  grpc::Status List(ServerContext* c, const v1::ListNodesRequest* r, v1::ListNodesResponse* o) override {
    return Call(c, false, o, [&] { return cp()->ListNodes(*r); });
  }
  grpc::Status Get(ServerContext* c, const v1::NodeRef* r, v1::Node* o) override {
    return Call(c, false, o, [&] { return cp()->GetNode(*r); });
  }
  grpc::Status Cordon(ServerContext* c, const v1::CordonRequest* r, v1::Node* o) override {
    return Call(c, true, o, [&] { return cp()->Cordon(*r); });
  }
  grpc::Status Drain(ServerContext* c, const v1::NodeRef* r, v1::Node* o) override {
    return Call(c, true, o, [&] { return cp()->Drain(*r); });
  }
};

class FleetService final : public v1::Fleet::Service, Gate {
 public:
  using Gate::Gate;
  grpc::Status Summary(ServerContext* c, const v1::FleetSummaryRequest* r, v1::FleetSummary* o) override {
    return Call(c, false, o, [&] { return cp()->Summary(*r); });
  }
  grpc::Status Query(ServerContext* c, const v1::FleetQueryRequest* r, v1::FleetQueryResponse* o) override {
    return Call(c, false, o, [&] { return cp()->Query(*r); });
  }
};

class QueuesService final : public v1::Queues::Service, Gate {
 public:
  using Gate::Gate;
  grpc::Status List(ServerContext* c, const v1::ListQueuesRequest* r, v1::ListQueuesResponse* o) override {
    return Call(c, false, o, [&] { return cp()->ListQueues(*r); });
  }
};

}  // namespace

std::vector<std::unique_ptr<grpc::Service>> MakeGrpcServices(ControlPlane* cp, std::string token) {
  std::vector<std::unique_ptr<grpc::Service>> out;
  out.push_back(std::make_unique<JobsService>(cp, token));
  out.push_back(std::make_unique<NodesService>(cp, token));
  out.push_back(std::make_unique<FleetService>(cp, token));
  out.push_back(std::make_unique<QueuesService>(cp, token));
  return out;
}

}  // namespace harch

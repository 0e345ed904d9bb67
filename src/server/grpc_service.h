// The gRPC face of the control plane: each method checks the token (for writes) and calls the
// ControlPlane method of the same name. Thread-safety: as ControlPlane.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "harch/v1/harch.grpc.pb.h"
#include "server/control_plane.h"

namespace harch {

// The four services over one ControlPlane; `token` empty: no token needed.
std::vector<std::unique_ptr<grpc::Service>> MakeGrpcServices(ControlPlane* cp, std::string token);

}  // namespace harch

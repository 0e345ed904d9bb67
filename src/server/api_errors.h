// How a Status leaves the server: the same code, message and field path on both faces.
// Thread-safety: pure functions.
#pragma once

#include <string>

#include <grpcpp/grpcpp.h>

#include "base/status.h"

namespace harch {

// The field a message blames, e.g. "spec.taskGroups[0].replicas" in
// "spec:12:7: spec.taskGroups[0].replicas: must be >= 1", or "id" in "id: no job 7"; empty when
// the message names none.
std::string FieldOf(const std::string& message);

grpc::StatusCode ToGrpcCode(Code code);
Code FromGrpcCode(grpc::StatusCode code);
int ToHttpStatus(Code code);

// Checks "authorization: Bearer TOKEN" when a token is configured.
bool TokenMatches(const std::string& header, const std::string& token);

}  // namespace harch

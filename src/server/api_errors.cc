#include "server/api_errors.h"

#include <cctype>

namespace harch {

namespace {
bool IsPathChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '[' ||
         c == ']' || c == '-';
}
}  // namespace

std::string FieldOf(const std::string& message) {
  std::string_view rest = message;
  // "file:line:col: " from spec parsing.
  const auto first = rest.find(':');
  if (first != std::string_view::npos && first + 1 < rest.size() &&
      std::isdigit(static_cast<unsigned char>(rest[first + 1]))) {
    const auto after = rest.find(": ", first);
    if (after == std::string_view::npos) return "";
    rest = rest.substr(after + 2);
  }
  const auto colon = rest.find(": ");
  if (colon == std::string_view::npos || colon == 0) return "";
  const std::string_view field = rest.substr(0, colon);
  for (char c : field) {
    if (!IsPathChar(c)) return "";
  }
  return std::string(field);
}

grpc::StatusCode ToGrpcCode(Code code) {
  switch (code) {
    case Code::kOk: return grpc::StatusCode::OK;
    case Code::kInvalidArgument: return grpc::StatusCode::INVALID_ARGUMENT;
    case Code::kNotFound: return grpc::StatusCode::NOT_FOUND;
    case Code::kAlreadyExists: return grpc::StatusCode::ALREADY_EXISTS;
    case Code::kFailedPrecondition: return grpc::StatusCode::FAILED_PRECONDITION;
    case Code::kResourceExhausted: return grpc::StatusCode::RESOURCE_EXHAUSTED;
    case Code::kUnavailable: return grpc::StatusCode::UNAVAILABLE;
    case Code::kInternal: return grpc::StatusCode::INTERNAL;
  }
  return grpc::StatusCode::UNKNOWN;
}

Code FromGrpcCode(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return Code::kOk;
    case grpc::StatusCode::INVALID_ARGUMENT: return Code::kInvalidArgument;
    case grpc::StatusCode::NOT_FOUND: return Code::kNotFound;
    case grpc::StatusCode::ALREADY_EXISTS: return Code::kAlreadyExists;
    case grpc::StatusCode::FAILED_PRECONDITION: return Code::kFailedPrecondition;
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return Code::kResourceExhausted;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED: return Code::kUnavailable;
    default: return Code::kInternal;
  }
}

int ToHttpStatus(Code code) {
  switch (code) {
    case Code::kOk: return 200;
    case Code::kInvalidArgument: return 400;
    case Code::kNotFound: return 404;
    case Code::kAlreadyExists: return 409;
    case Code::kFailedPrecondition: return 409;
    case Code::kResourceExhausted: return 413;
    case Code::kUnavailable: return 503;
    case Code::kInternal: return 500;
  }
  return 500;
}

bool TokenMatches(const std::string& header, const std::string& token) {
  if (token.empty()) return true;
  const std::string want = "Bearer " + token;
  if (header.size() != want.size()) return false;
  unsigned char diff = 0;  // constant time
  for (size_t i = 0; i < want.size(); ++i) diff |= static_cast<unsigned char>(header[i] ^ want[i]);
  return diff == 0;
}

}  // namespace harch

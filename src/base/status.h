// Status and Result<T>: the one error type of HarchOS.
//
// Errors cross module boundaries as values, never as exceptions. The set of codes is small and
// closed. A scheduling outcome such as "does not fit" is not an error: it is a value of its own
// (see resource/placement.h). Thread-safety: values; no shared state.
#pragma once

#include <cassert>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace harch {

enum class Code {
  kOk = 0,
  kInvalidArgument,    // the caller's input is wrong (spec, request, flag)
  kNotFound,           // a named thing does not exist
  kAlreadyExists,      // a thing with that id is already there
  kFailedPrecondition, // the system is not in a state that allows the operation
  kResourceExhausted,  // a limit was hit (size, count, budget)
  kUnavailable,        // try again later (I/O, peer down)
  kInternal,           // a bug: an invariant was broken
};

std::string_view CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "INVALID_ARGUMENT: message", or "OK".
  std::string ToString() const;

  // Prefixes the message with context, e.g. a file name: "ctx: message".
  Status WithContext(std::string_view context) const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string msg) { return {Code::kInvalidArgument, std::move(msg)}; }
inline Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
inline Status AlreadyExists(std::string msg) { return {Code::kAlreadyExists, std::move(msg)}; }
inline Status FailedPrecondition(std::string msg) {
  return {Code::kFailedPrecondition, std::move(msg)};
}
inline Status ResourceExhausted(std::string msg) {
  return {Code::kResourceExhausted, std::move(msg)};
}
inline Status Unavailable(std::string msg) { return {Code::kUnavailable, std::move(msg)}; }
inline Status Internal(std::string msg) { return {Code::kInternal, std::move(msg)}; }

// Result<T> holds either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (status_.ok()) {
      std::cerr << "Result constructed from an OK status without a value\n";
      std::abort();
    }
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  // REQUIRES: ok(). Calling these on an error is a bug and aborts.
  T& value() & { return Check(), *value_; }
  const T& value() const& { return Check(), *value_; }
  T&& value() && { return Check(), std::move(*value_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  void Check() const {
    if (!value_) {
      std::cerr << "Result::value() on error: " << status_.ToString() << "\n";
      std::abort();
    }
  }
  std::optional<T> value_;
  Status status_;
};

}  // namespace harch

#define HARCH_CONCAT_INNER(a, b) a##b
#define HARCH_CONCAT(a, b) HARCH_CONCAT_INNER(a, b)

// Returns the status from the enclosing function if `expr` is not OK.
#define HARCH_RETURN_IF_ERROR(expr)          \
  do {                                       \
    ::harch::Status harch_status_ = (expr);  \
    if (!harch_status_.ok()) return harch_status_; \
  } while (0)

// HARCH_ASSIGN_OR_RETURN(auto x, MakeX()): binds the value or returns the error.
#define HARCH_ASSIGN_OR_RETURN(lhs, expr) \
  HARCH_ASSIGN_OR_RETURN_IMPL(HARCH_CONCAT(harch_result_, __LINE__), lhs, expr)
#define HARCH_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()

// An impossible state: a bug. Crash loudly with the location.
#define HARCH_CHECK(cond)                                                              \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::cerr << __FILE__ << ":" << __LINE__ << ": check failed: " #cond "\n";       \
      std::abort();                                                                    \
    }                                                                                  \
  } while (0)

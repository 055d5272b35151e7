// Errors are values in laneway-certs: every library call returns Result<T> or Status, and
// the caller that handles the error (the CLI, the fleet provisioning service) reports it
// once. Messages are one line and say what to do.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace laneway::certs {

struct Error {
  std::string message;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& value() const& { return std::get<0>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

using Status = Result<std::monostate>;
inline Status ok_status() {
  return Status(std::monostate{});
}

inline Error make_error(std::string message) {
  return Error{std::move(message)};
}

}  // namespace laneway::certs

// Propagates an error from an expression yielding Result/Status.
#define LW_CERTS_CONCAT_INNER(a, b) a##b
#define LW_CERTS_CONCAT(a, b) LW_CERTS_CONCAT_INNER(a, b)
#define LW_RETURN_IF_ERROR(expr)                                              \
  do {                                                                        \
    auto lw_status_ = (expr);                                                 \
    if (!lw_status_.ok()) return ::laneway::certs::Error(lw_status_.error()); \
  } while (0)
#define LW_ASSIGN_OR_RETURN(lhs, expr) \
  LW_ASSIGN_OR_RETURN_IMPL(LW_CERTS_CONCAT(lw_result_, __LINE__), lhs, expr)
#define LW_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)              \
  auto tmp = (expr);                                          \
  if (!tmp.ok()) return ::laneway::certs::Error(tmp.error()); \
  lhs = std::move(tmp).value()

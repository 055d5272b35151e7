// Exceptions stop at the C boundary (docs/webtransport.md "Failures inside callbacks"). An
// exception unwinding through ngtcp2's C frames would end in std::terminate, taking every
// connection with it; instead each callback we hand ngtcp2 runs its body through
// run_quic_callback, which records what was thrown and fails the callback. ngtcp2 then
// fails the call that ran it, and the connection, and only it, is closed.
#pragma once

#include <ngtcp2/ngtcp2.h>

#include <array>
#include <cstring>
#include <exception>

namespace laneway::webtransport {

// What the last failed callback threw. A fixed buffer: recording must not allocate, since
// the exception may well be std::bad_alloc.
class CallbackFailure {
 public:
  // Inside a catch block: keeps the in-flight exception's description.
  void record_current_exception() noexcept {
    const char* what = "unknown exception";
    try {
      throw;
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    std::strncpy(what_.data(), what, what_.size() - 1);
    what_.back() = '\0';
    set_ = true;
  }
  bool set() const noexcept { return set_; }
  const char* what() const noexcept { return what_.data(); }

 private:
  std::array<char, 160> what_{};
  bool set_ = false;
};

template <typename Body>
int run_quic_callback(CallbackFailure& failure, Body&& body) noexcept {
  try {
    return body();
  } catch (...) {
    failure.record_current_exception();
    return NGTCP2_ERR_CALLBACK_FAILURE;
  }
}

}  // namespace laneway::webtransport

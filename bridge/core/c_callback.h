// Exceptions stop at the C boundary (docs/architecture.md "C boundaries"). libwebsockets and
// libmosquitto call us from C frames; an exception unwinding through them ends in
// std::terminate and takes every session with it. Each callback we hand such a library runs
// its body through run_c_callback: what was thrown is logged once, here, and the callback
// returns `on_failure`, which the caller chooses so that only the connection the callback
// was for is closed.
#pragma once

#include <cstdio>
#include <exception>

namespace laneway::bridge {

template <typename Result, typename Body>
Result run_c_callback(const char* where, Result on_failure, Body&& body) noexcept {
  try {
    return body();
  } catch (const std::exception& e) {
    // No allocation on this path: the exception may well be std::bad_alloc.
    std::fprintf(stderr, "laneway-bridge: %s threw: %s; closing that connection\n", where,
                 e.what());
  } catch (...) {
    std::fprintf(stderr, "laneway-bridge: %s threw; closing that connection\n", where);
  }
  return on_failure;
}

}  // namespace laneway::bridge

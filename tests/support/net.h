// Loopback ports for test servers: chosen at run time, never a fixed number.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace laneway::test {

// A port free on 127.0.0.1 and, when the kernel has IPv6 loopback, on ::1 too (bound on
// both, then released), so a test server may listen on either loopback or on both. Another
// process may take it in between; servers in tests should fail loudly if the bind then
// fails. 0 when no such port was found.
std::uint16_t free_tcp_port();
std::uint16_t free_udp_port();

// True when a socket can be bound to [::1] (the kernel has IPv6 loopback).
bool have_ipv6_loopback();

// True once a TCP connect to host:port succeeds, polling until `timeout`.
bool wait_for_tcp_port(std::uint16_t port, std::chrono::milliseconds timeout,
                       const std::string& host = "127.0.0.1");

}  // namespace laneway::test

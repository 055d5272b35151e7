// Loopback ports for test servers: chosen at run time, never a fixed number.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace laneway::test {

// A port the kernel just handed out on 127.0.0.1 (bound, then released). Another process
// may take it in between; servers in tests should fail loudly if the bind then fails.
std::uint16_t free_tcp_port();
std::uint16_t free_udp_port();

// True once a TCP connect to host:port succeeds, polling until `timeout`.
bool wait_for_tcp_port(std::uint16_t port, std::chrono::milliseconds timeout,
                       const std::string& host = "127.0.0.1");

}  // namespace laneway::test

// `host:port` strings for listeners configured as one string (admin.listen), and whether an
// address is loopback, which decides if a listener may go without authentication
// (docs/bridge.md "The admin listener").
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace laneway::bridge {

struct ListenAddress;

// "127.0.0.1:9464" or "[::1]:9464" (port 0..65535, 0 = any free port). The host must be an
// IP literal: a name could resolve to a public address, and loopback is checked on it.
// nullopt (and `error` naming what is wrong) otherwise.
std::optional<ListenAddress> parse_host_port(std::string_view text, std::string& error);

// True for 127.0.0.0/8 and ::1 (IP literals only).
bool is_loopback_address(const std::string& host);

// How a listener on `host` is written in a URL: IPv6 in brackets.
std::string url_host(const std::string& host);

}  // namespace laneway::bridge

#include "listen_address.h"

#include <arpa/inet.h>

#include <cstring>

#include "config.h"

namespace laneway::bridge {
namespace {

bool is_ipv4(const std::string& host, in_addr* out) {
  return inet_pton(AF_INET, host.c_str(), out) == 1;
}

bool is_ipv6(const std::string& host, in6_addr* out) {
  return inet_pton(AF_INET6, host.c_str(), out) == 1;
}

}  // namespace

std::optional<ListenAddress> parse_host_port(std::string_view text, std::string& error) {
  std::string host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      error = "expected [IPv6]:port";
      return std::nullopt;
    }
    host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
    in6_addr a6;
    if (!is_ipv6(host, &a6)) {
      error = "'" + host + "' is not an IPv6 address";
      return std::nullopt;
    }
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) {
      error = "expected host:port (IPv6 as [::1]:port)";
      return std::nullopt;
    }
    host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    in_addr a4;
    if (!is_ipv4(host, &a4)) {
      error = "'" + host + "' is not an IPv4 address (host names are not accepted)";
      return std::nullopt;
    }
  }
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string_view::npos) {
    error = "port must be 0..65535";
    return std::nullopt;
  }
  const int port = std::stoi(std::string(port_text));
  if (port > 65535) {
    error = "port must be 0..65535";
    return std::nullopt;
  }
  ListenAddress addr;
  addr.host = std::move(host);
  addr.port = port;
  return addr;
}

bool is_loopback_address(const std::string& host) {
  in_addr a4;
  if (is_ipv4(host, &a4)) return (ntohl(a4.s_addr) >> 24) == 127;
  in6_addr a6;
  if (is_ipv6(host, &a6)) return std::memcmp(&a6, &in6addr_loopback, sizeof a6) == 0;
  return false;
}

std::string url_host(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

}  // namespace laneway::bridge

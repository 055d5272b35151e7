// Test hosts in network namespaces (docs/scale.md "Tests"): each host is a namespace of its
// own with one veth into a switch namespace that holds a Linux bridge; the test process
// (root namespace) has one veth into the switch too, so it reaches every host and the hosts
// reach each other, all on one private /24 that exists only inside these namespaces. A
// server started with exec_prefix(host) runs in that host's namespace.
//
// Everything is created with `ip` and removed, by namespace, when the lab goes (deleting a
// namespace deletes its end of every veth, and the peer with it). Labs left behind by a
// test process that died are removed on the next create().
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace laneway::test {

class NetworkLab {
 public:
  // nullptr with `error` when namespaces cannot be made here (not root, no iproute2).
  static std::unique_ptr<NetworkLab> create(std::string* error);
  ~NetworkLab();
  NetworkLab(const NetworkLab&) = delete;
  NetworkLab& operator=(const NetworkLab&) = delete;

  // Adds a host; its address on the lab's subnet, or empty with `error`.
  std::string add_host(const std::string& name, std::string* error);
  // argv prefix that runs a command inside the host's namespace.
  std::vector<std::string> exec_prefix(const std::string& host) const;
  // The test process's own address on the lab's subnet.
  const std::string& root_address() const { return root_address_; }

 private:
  NetworkLab() = default;
  bool ip(const std::vector<std::string>& args, std::string* error);
  std::string namespace_of(const std::string& host) const;

  std::string token_;   // names everything this lab makes
  std::string subnet_;  // "10.231.N."
  std::string root_address_;
  std::string root_veth_;
  std::vector<std::string> namespaces_;
  std::map<std::string, std::string> hosts_;  // host -> namespace
  int next_host_ = 2;
};

}  // namespace laneway::test

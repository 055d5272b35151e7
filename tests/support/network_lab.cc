#include "network_lab.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "process.h"

namespace laneway::test {
namespace {

using namespace std::chrono_literals;
constexpr const char* kPrefix = "lwlab";
// Held while a lab picks its subnet and routes it, so labs made at once by parallel tests
// (and tests/system/cluster_smoke.sh) never pick the same one.
constexpr const char* kLockFile = "/run/lock/laneway-netlab.lock";

struct SubnetLock {
  int fd = ::open(kLockFile, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  SubnetLock() {
    if (fd >= 0) ::flock(fd, LOCK_EX);
  }
  ~SubnetLock() {
    if (fd >= 0) ::close(fd);
  }
};

bool process_alive(const std::string& pid) {
  struct stat info {};
  return ::stat(("/proc/" + pid).c_str(), &info) == 0;
}

// Namespaces are named lwlab<pid>x<n>-<host>; those of a dead pid are leftovers.
void remove_leftovers() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/run/netns", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(kPrefix, 0) != 0) continue;
    const auto end = name.find('x', std::string(kPrefix).size());
    if (end == std::string::npos) continue;
    const std::size_t start = std::string(kPrefix).size();
    const std::string pid = name.substr(start, end - start);
    if (!process_alive(pid)) run_command({"ip", "netns", "del", name}, nullptr, 10s);
  }
}

// A /24 under 10.231.0.0/16 that no route of this machine already uses.
std::string pick_subnet() {
  std::string routes;
  run_command({"ip", "-4", "route", "show", "table", "all"}, &routes, 10s);
  std::mt19937 random(static_cast<unsigned>(::getpid()) ^ static_cast<unsigned>(::time(nullptr)));
  for (int attempt = 0; attempt < 64; ++attempt) {
    const std::string subnet = "10.231." + std::to_string(random() % 250 + 1) + ".";
    if (routes.find(subnet) == std::string::npos) return subnet;
  }
  return {};
}

}  // namespace

std::unique_ptr<NetworkLab> NetworkLab::create(std::string* error) {
  if (::geteuid() != 0) {
    *error = "network namespaces need root";
    return nullptr;
  }
  remove_leftovers();
  const SubnetLock lock;  // until the subnet is routed here (end of this function)
  std::unique_ptr<NetworkLab> lab(new NetworkLab());
  static int labs = 0;
  lab->token_ = std::string(kPrefix) + std::to_string(::getpid()) + "x" + std::to_string(labs++);
  lab->subnet_ = pick_subnet();
  if (lab->subnet_.empty()) {
    *error = "no free 10.231.N.0/24 subnet";
    return nullptr;
  }
  const std::string sw = lab->token_ + "-switch";
  // Interface names are at most 15 characters: "lw" + pid + index + side.
  lab->root_veth_ = "lw" + std::to_string(::getpid() % 100000) + "r" + std::to_string(labs);
  lab->root_address_ = lab->subnet_ + "1";
  if (!lab->ip({"netns", "add", sw}, error)) return nullptr;
  lab->namespaces_.push_back(sw);
  if (!lab->ip({"-n", sw, "link", "add", "br0", "type", "bridge"}, error) ||
      !lab->ip({"-n", sw, "link", "set", "br0", "up"}, error) ||
      !lab->ip(
          {"link", "add", lab->root_veth_, "type", "veth", "peer", "name", "uplink", "netns", sw},
          error) ||
      !lab->ip({"-n", sw, "link", "set", "uplink", "master", "br0", "up"}, error) ||
      !lab->ip({"addr", "add", lab->root_address_ + "/24", "dev", lab->root_veth_}, error) ||
      !lab->ip({"link", "set", lab->root_veth_, "up"}, error))
    return nullptr;
  return lab;
}

NetworkLab::~NetworkLab() {
  // The root namespace's veth goes with its peer in the switch namespace.
  for (auto it = namespaces_.rbegin(); it != namespaces_.rend(); ++it)
    run_command({"ip", "netns", "del", *it}, nullptr, 10s);
}

bool NetworkLab::ip(const std::vector<std::string>& args, std::string* error) {
  std::vector<std::string> argv = {"ip"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string output;
  if (run_command(argv, &output, 10s) == 0) return true;
  *error = "ip";
  for (const auto& arg : args) *error += " " + arg;
  *error += ": " + output;
  return false;
}

std::string NetworkLab::namespace_of(const std::string& host) const {
  return token_ + "-" + host;
}

std::string NetworkLab::add_host(const std::string& name, std::string* error) {
  const std::string ns = namespace_of(name);
  const std::string sw = token_ + "-switch";
  const std::string port = "h" + std::to_string(next_host_);
  const std::string address = subnet_ + std::to_string(next_host_++);
  if (!ip({"netns", "add", ns}, error)) return {};
  namespaces_.push_back(ns);
  if (!ip({"-n", ns, "link", "set", "lo", "up"}, error) ||
      !ip({"-n", sw, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns},
          error) ||
      !ip({"-n", sw, "link", "set", port, "master", "br0", "up"}, error) ||
      !ip({"-n", ns, "addr", "add", address + "/24", "dev", "eth0"}, error) ||
      !ip({"-n", ns, "link", "set", "eth0", "up"}, error))
    return {};
  hosts_[name] = ns;
  return address;
}

std::vector<std::string> NetworkLab::exec_prefix(const std::string& host) const {
  return {"ip", "netns", "exec", hosts_.at(host)};
}

}  // namespace laneway::test

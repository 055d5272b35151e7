// broadcast and call: one-shot MQTT v5 operations with an operator certificate
// (<pki>/services/operator-<name>.crt|.key, made by `laneway-certs service --role operator`).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "laneway/registry/registry.h"
#include "operator_connection.h"

namespace laneway::fleet {
namespace {

// A topic suffix may have several levels but no wildcards, no empty levels, no NUL.
bool valid_suffix(const std::string& suffix) {
  if (suffix.empty() || suffix.front() == '/' || suffix.back() == '/') return false;
  if (suffix.find("//") != std::string::npos) return false;
  return suffix.find_first_of("+#") == std::string::npos && suffix.find('\0') == std::string::npos;
}

}  // namespace

void add_operator_commands(CLI::App& app) {
  static ConnectionFlags broadcast_flags;
  static std::string group;
  static std::string suffix = "command";
  static std::string broadcast_payload;
  auto* broadcast = app.add_subcommand(
      "broadcast", "Publish to fleet/<group>/<suffix> (every device of the group receives it)");
  add_connection_flags(broadcast, broadcast_flags);
  broadcast->add_option("--group", group, "Target group")->required();
  broadcast->add_option("--topic-suffix", suffix, "Topic below fleet/<group>/")
      ->capture_default_str();
  broadcast->add_option("payload", broadcast_payload, "Message payload")->required();
  broadcast->callback([] {
    if (!registry::is_valid_group_name(group))
      return fail("broadcast", "invalid group name '" + group + "'");
    if (!valid_suffix(suffix))
      return fail("broadcast",
                  "invalid topic suffix '" + suffix + "' (no wildcards or empty levels)");
    auto client = connect("broadcast", broadcast_flags);
    if (!client) return;
    const std::string topic = "fleet/" + group + "/" + suffix;
    std::string error;
    if (!client->publish(topic, broadcast_payload, std::chrono::milliseconds(5000), &error))
      return fail("broadcast", error);
    client->disconnect();
    std::printf("published %zu bytes to %s\n", broadcast_payload.size(), topic.c_str());
  });

  static ConnectionFlags call_flags;
  static std::string device;
  static std::string method;
  static std::string call_payload = "{}";
  static int timeout_ms = 5000;
  auto* call = app.add_subcommand(
      "call", "RPC to a device: MQTT v5 request on devices/<id>/rpc/<method>, prints the reply");
  add_connection_flags(call, call_flags);
  call->add_option("--device", device, "Device id")->required();
  call->add_option("method", method, "Method (ping, reboot, get_state, ...)")->required();
  call->add_option("payload", call_payload, "Request payload")->capture_default_str();
  call->add_option("--timeout", timeout_ms, "Milliseconds to wait for the reply")
      ->capture_default_str()
      ->check(CLI::Range(1, 600000));
  call->callback([] {
    if (!registry::is_valid_device_id(device))
      return fail("call", "invalid device id '" + device + "'");
    if (!registry::is_valid_device_id(method))
      return fail("call", "invalid method '" + method + "' (1..64 of [A-Za-z0-9._-])");
    auto client = connect("call", call_flags);
    if (!client) return;
    // Inside the device's own subtree so the device may publish the reply (plugin ACL).
    const std::string response_topic =
        "devices/" + device + "/rpc-reply/operator-" + call_flags.operator_name;
    std::string error;
    auto reply = client->call("devices/" + device + "/rpc/" + method, response_topic, call_payload,
                              std::chrono::milliseconds(timeout_ms), &error);
    client->disconnect();
    if (!reply) return fail("call", device + " " + method + ": " + error);
    std::printf("%s\n", reply->payload.c_str());
  });
}

}  // namespace laneway::fleet

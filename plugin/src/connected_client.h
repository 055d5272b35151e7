// One authenticated connection as the plugin keeps it, between BASIC_AUTH success and
// DISCONNECT. Its own header so that broker-free code (device_recheck.h, its benchmark)
// can work on the same map the plugin keeps.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "principal.h"

struct mosquitto;

namespace laneway::plugin {

struct ConnectedClient {
  std::string identity;
  Role role = Role::kDevice;
  std::string serial;
  std::string client_id;
  std::int64_t since_us = 0;
  std::vector<std::string> groups;  // devices: registry groups at connect time
};

using ConnectedClients = std::unordered_map<const mosquitto*, ConnectedClient>;

}  // namespace laneway::plugin

#include "origin_vouching.h"

#include <mqtt_protocol.h>

#include <cstring>

#include "cluster_topics.h"

namespace laneway::plugin {
namespace {

struct PropertyStrings {
  char* name = nullptr;
  char* value = nullptr;
  ~PropertyStrings() {
    mosquitto_free(name);
    mosquitto_free(value);
  }
};

}  // namespace

std::optional<std::string> read_vouched_origin(const mosquitto_property* properties) {
  bool skip_first = false;
  for (const mosquitto_property* p = properties; p;) {
    PropertyStrings pair;
    p = mosquitto_property_read_string_pair(p, MQTT_PROP_USER_PROPERTY, &pair.name, &pair.value,
                                            skip_first);
    skip_first = true;
    if (!p) break;
    if (pair.name && std::strcmp(pair.name, kOriginProperty) == 0)
      return std::string(pair.value ? pair.value : "");
  }
  return std::nullopt;
}

bool add_vouched_origin(mosquitto_property** properties, const std::string& identity) {
  return mosquitto_property_add_string_pair(properties, MQTT_PROP_USER_PROPERTY, kOriginProperty,
                                            identity.c_str()) == MOSQ_ERR_SUCCESS;
}

}  // namespace laneway::plugin

// The origin an edge vouches for (docs/scale.md "Origin"): the `lw-origin` MQTT 5 user
// property carrying the authenticated identity of the client that published a message on
// the edge. Mosquitto's bridge forwards user properties, so the core reads the device's
// identity from it; the core believes it only from an `edge:` identity and refuses it from
// anyone else, on every broker role.
#pragma once

#include <mosquitto.h>
#include <mosquitto_broker.h>

#include <optional>
#include <string>

namespace laneway::plugin {

// The value of the first `lw-origin` user property, or nullopt when there is none.
std::optional<std::string> read_vouched_origin(const mosquitto_property* properties);

// Appends `lw-origin: <identity>` to a message's properties (the broker owns and frees
// them). False when the broker could not allocate it.
bool add_vouched_origin(mosquitto_property** properties, const std::string& identity);

}  // namespace laneway::plugin

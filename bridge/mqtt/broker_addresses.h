// The brokers the bridge may use, the first preferred (docs/scale.md "Standby core"): in a
// cluster the core and its standby. The policy is Mosquitto's own for a bridge with
// `round_robin false`, so laneway-bridge and the edges end up on the same core: every new
// connection attempt goes to the next address in turn, and while connected to any but the
// first the primary is probed every kPrimaryProbeInterval and returned to once it accepts a
// TCP connection. Used by the MQTT thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <vector>

#include "config.h"

namespace laneway::bridge {

class BrokerAddresses {
 public:
  static constexpr std::chrono::seconds kPrimaryProbeInterval{5};

  explicit BrokerAddresses(std::vector<BrokerAddress> addresses)
      : addresses_(std::move(addresses)) {}

  std::size_t size() const { return addresses_.size(); }
  // Where the next connection attempt goes: the first address for the first attempt and
  // after prefer_primary(), else the one after the previous attempt's.
  const BrokerAddress& next_attempt();
  // The address of the latest attempt (the connected broker while connected).
  const BrokerAddress& current() const { return addresses_[index_]; }
  bool on_primary() const { return index_ == 0; }
  const BrokerAddress& primary() const { return addresses_.front(); }
  // The primary answered a probe: the next attempt goes there.
  void prefer_primary();

 private:
  std::vector<BrokerAddress> addresses_;
  std::size_t index_ = 0;
  bool fresh_ = true;
};

}  // namespace laneway::bridge

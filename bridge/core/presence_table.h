// Who is online, as the plugin announces it on `$lw/presence/<client id>` (docs/plugin.md
// "Presence"): the latest Presence per client id, bounded in count.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

#include "laneway.pb.h"

namespace laneway::bridge {

class PresenceTable {
 public:
  static constexpr std::size_t kMaxClients = 1'000'000;

  // One `$lw/presence/+` message (a Frame{envelope} carrying a Presence). False when it is
  // malformed; a new client past kMaxClients is ignored.
  bool on_message(std::string_view payload);

  // Calls fn(const v1::Presence&) for every device whose id `filter` (one topic level,
  // possibly `+`) matches.
  template <typename Fn>
  void for_each_device(const std::string& filter, Fn&& fn) const {
    for (const auto& [client, presence] : clients_) {
      if (presence.role() == "device" && matches(filter, client)) fn(presence);
    }
  }

 private:
  static bool matches(const std::string& filter, const std::string& client);

  std::unordered_map<std::string, v1::Presence> clients_;
};

}  // namespace laneway::bridge

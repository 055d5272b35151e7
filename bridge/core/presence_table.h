// Who is online, as the plugin announces it on `$lw/presence/<client id>` (docs/plugin.md
// "Presence"): the latest Presence per device, ordered by id so a lookup is one search and
// a listing is read in pages (docs/bridge.md "Presence"). Bounded: past `max_devices`, the
// device offline the longest makes room; with every device online, a newcomer is dropped
// and counted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "laneway.pb.h"

namespace laneway::bridge {

class PresenceTable {
 public:
  explicit PresenceTable(std::size_t max_devices) : max_devices_(max_devices) {}

  // One `$lw/presence/+` message (a Frame{envelope} carrying a Presence). False when it is
  // malformed. Presences of other roles than `device` are not kept: only devices are listed.
  bool on_message(std::string_view payload);

  // The device `id`, or nullptr.
  const v1::Presence* find(const std::string& id) const;

  // Calls visit(const v1::Presence&) for the devices after `after` in id order, until it
  // returns false (after that device) or `scan_max` devices were visited. Returns the id of
  // the last device visited when more remain (the next page's `after`), or "" at the end.
  template <typename Visit>
  std::string for_each_after(const std::string& after, std::size_t scan_max, Visit&& visit) const {
    auto it = after.empty() ? devices_.begin() : devices_.upper_bound(after);
    for (std::size_t scanned = 0; it != devices_.end(); ++it) {
      if (scanned == scan_max && scanned > 0) return std::prev(it)->first;
      ++scanned;
      if (!visit(it->second)) return std::next(it) == devices_.end() ? std::string() : it->first;
    }
    return {};
  }

  std::size_t size() const { return devices_.size(); }
  std::uint64_t dropped() const { return dropped_; }  // newcomers refused while full

 private:
  void forget_offline(const std::string& id, const v1::Presence& presence);
  bool make_room();

  std::size_t max_devices_;
  std::map<std::string, v1::Presence, std::less<>> devices_;
  std::set<std::pair<std::int64_t, std::string>> offline_;  // (since_us, id): eviction order
  std::uint64_t dropped_ = 0;
};

}  // namespace laneway::bridge

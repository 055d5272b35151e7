// Bookkeeping of RPCs in flight from browser sessions to devices: each request the bridge
// publishes on `devices/<id>/rpc/<method>` carries unique correlation data, and the
// device's reply (on the bridge's reply topic) is matched back to the session and call id
// by it. Bounded twice, per session and bridge-wide, so a client cannot pile up requests
// to offline devices; every entry also has a deadline, after which it is answered TIMEOUT.
//
// Single-threaded (event loop), like the rest of the session core.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace laneway::bridge {

struct PendingRpc {
  std::string session_id;
  std::uint32_t call_id = 0;
  std::string device_id;
  std::string method;
  std::uint32_t timeout_ms = 0;  // as applied (after clamping), for the TIMEOUT message
  std::int64_t deadline_us = 0;
  int mid = 0;                 // MQTT message id of the request publish (PUBACK matching)
  bool no_subscriber = false;  // the broker's PUBACK said nobody was subscribed (offline)
};

class RpcTable {
 public:
  enum class AddResult { kOk, kSessionFull, kTableFull, kDuplicate };

  RpcTable(std::size_t max_total, std::size_t max_per_session)
      : max_total_(max_total), max_per_session_(max_per_session) {}

  // Checks the bounds for one more RPC of `session_id` without adding it.
  AddResult can_add(const std::string& session_id) const;
  // Records an RPC under its correlation data.
  AddResult add(const std::string& correlation, PendingRpc rpc);
  // Links the request's MQTT message id once the publish was queued.
  void set_mid(const std::string& correlation, int mid);

  const PendingRpc* find(const std::string& correlation) const;
  // The reply arrived: removes and returns the entry, if any.
  std::optional<PendingRpc> take(const std::string& correlation);
  // The broker acknowledged the request publish with `reason` (MQTT v5 reason code). A
  // refusal (>= 0x80) removes and returns the entry so it can be answered at once; 0x10
  // (no matching subscribers) only marks it, the device may still answer a queued request.
  std::optional<PendingRpc> on_puback(int mid, int reason);
  // Removes and returns every entry whose deadline is at or before `now_us`, oldest first.
  std::vector<PendingRpc> expire(std::int64_t now_us);
  // The session closed: its RPCs are forgotten (replies arriving later are dropped).
  void drop_session(const std::string& session_id);

  std::size_t size() const { return entries_.size(); }
  std::size_t for_session(const std::string& session_id) const;
  // Earliest deadline, or 0 when nothing is pending.
  std::int64_t next_deadline_us() const;

 private:
  void erase(std::unordered_map<std::string, PendingRpc>::iterator it);

  const std::size_t max_total_;
  const std::size_t max_per_session_;
  std::unordered_map<std::string, PendingRpc> entries_;  // correlation → RPC
  std::multimap<std::int64_t, std::string> deadlines_;   // deadline → correlation
  std::unordered_map<int, std::string> by_mid_;          // request mid → correlation
  // Only sessions with something pending have an entry: idle sessions cost nothing here.
  std::unordered_map<std::string, std::vector<std::string>> by_session_;
};

}  // namespace laneway::bridge

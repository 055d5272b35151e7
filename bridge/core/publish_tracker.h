// QoS 1 publishes from sessions waiting for the broker's PUBACK: message id → who asked.
// The hub answers each once the broker accepted or refused it, or UNAVAILABLE when no
// PUBACK came by its deadline (kPublishAckTimeoutUs).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace laneway::bridge {

struct PendingPublish {
  std::string session_id;  // by id: the session may be gone by the time the PUBACK comes
  std::uint32_t call_id = 0;
  std::int64_t deadline_us = 0;
};

class PublishTracker {
 public:
  void track(int mid, PendingPublish pending) { pending_[mid] = std::move(pending); }
  // The PUBACK for `mid` arrived: removes and returns who asked, if anyone.
  std::optional<PendingPublish> on_ack(int mid);
  // Removes and returns every publish whose deadline is at or before `now_us`.
  std::vector<PendingPublish> expire(std::int64_t now_us);

 private:
  std::unordered_map<int, PendingPublish> pending_;
};

}  // namespace laneway::bridge

#include "publish_tracker.h"

namespace laneway::bridge {

std::optional<PendingPublish> PublishTracker::on_ack(int mid) {
  auto it = pending_.find(mid);
  if (it == pending_.end()) return std::nullopt;
  PendingPublish pending = std::move(it->second);
  pending_.erase(it);
  return pending;
}

std::vector<PendingPublish> PublishTracker::expire(std::int64_t now_us) {
  std::vector<PendingPublish> expired;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.deadline_us > now_us) {
      ++it;
      continue;
    }
    expired.push_back(std::move(it->second));
    it = pending_.erase(it);
  }
  return expired;
}

}  // namespace laneway::bridge

#include "upstream_subscriptions.h"

namespace laneway::bridge {

bool UpstreamSubscriptions::release(const std::string& filter) {
  auto it = counts_.find(filter);
  if (it == counts_.end()) return false;
  if (--it->second > 0) return false;
  counts_.erase(it);
  return true;
}

std::size_t UpstreamSubscriptions::users(const std::string& filter) const {
  auto it = counts_.find(filter);
  return it == counts_.end() ? 0 : it->second;
}

std::vector<std::string> UpstreamSubscriptions::filters() const {
  std::vector<std::string> out;
  out.reserve(counts_.size());
  for (const auto& [filter, count] : counts_) out.push_back(filter);
  return out;
}

}  // namespace laneway::bridge

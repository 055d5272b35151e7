#include "subscription_router.h"

#include "laneway/wire/topic_filter.h"

namespace laneway::bridge {
namespace {

std::string env_filter(const std::string& filter) {
  return std::string(kEnvPrefix) + filter;
}

}  // namespace

SubscriptionRouter::SubscriptionRouter(Upstream& upstream, const HistoryLimits& limits)
    : broker_(upstream), linger_us_(std::int64_t{limits.upstream_linger_ms} * 1000) {
  // Envelope filters an earlier run left in the persistent broker session: the broker
  // queued their envelopes while the bridge was down and delivers them now, so they go to
  // history as usual; no session uses them yet, so they linger like any released filter
  // and are unsubscribed if nobody comes back.
  for (const std::string& mqtt_filter : broker_.previous_filters()) {
    if (mqtt_filter.substr(0, kEnvPrefix.size()) != kEnvPrefix) continue;
    const std::string filter = mqtt_filter.substr(kEnvPrefix.size());
    if (!wire::is_valid_filter(filter) || lingering_.count(filter)) continue;
    lingering_[filter] = kLingerFromFirstTick;
    upstream_.insert(filter, true);
    broker_.subscribe(mqtt_filter);
  }
  // Taken once and never given back: no session's leaving can release a mirrored filter.
  for (const std::string& filter : limits.mirror_filters) acquire(filter);
}

void SubscriptionRouter::acquire(const std::string& filter) {
  if (!references_.acquire(filter)) return;
  if (lingering_.erase(filter) > 0) return;  // still subscribed upstream
  upstream_.insert(filter, true);
  broker_.subscribe(env_filter(filter));
}

void SubscriptionRouter::release(const std::string& filter, std::int64_t now_us) {
  if (references_.release(filter)) lingering_[filter] = now_us + linger_us_;
}

UpstreamState SubscriptionRouter::broker_state(const std::vector<v1::Subscription>& subs) const {
  UpstreamState all = UpstreamState::kGranted;
  for (const v1::Subscription& sub : subs) {
    const UpstreamState st = broker_.subscription_state(env_filter(sub.filter()));
    if (st == UpstreamState::kRefused) return st;
    if (st == UpstreamState::kPending) all = st;
  }
  return all;
}

void SubscriptionRouter::join(Session& s, const std::string& filter) {
  receivers_.insert(filter, &s);
}

void SubscriptionRouter::leave(Session& s, const std::string& filter) {
  receivers_.erase(filter, &s);
}

std::vector<std::string> SubscriptionRouter::expire_lingering(std::int64_t now_us) {
  std::vector<std::string> expired;
  for (auto it = lingering_.begin(); it != lingering_.end();) {
    if (it->second == kLingerFromFirstTick) it->second = now_us + linger_us_;
    if (it->second > now_us) {
      ++it;
      continue;
    }
    expired.push_back(it->first);
    it = lingering_.erase(it);
  }
  for (const std::string& filter : expired) {
    upstream_.erase(filter, true);
    broker_.unsubscribe(env_filter(filter));
  }
  return expired;
}

}  // namespace laneway::bridge

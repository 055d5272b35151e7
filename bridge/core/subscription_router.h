// Which sessions receive which topics, and the broker subscriptions behind them. One owner
// for the three pieces of state that must agree (docs/architecture.md "The session core"):
//
//  - receivers: a topic tree of filter → sessions joined to exactly that filter, so the
//    fan-out of one envelope visits the matching filters only;
//  - references: how many users (joined sessions and answers held for a SUBACK) each filter
//    has; its first user subscribes it at the broker (`$lw/env/<filter>`);
//  - lingering: a filter whose last user left stays subscribed upstream for
//    history.upstream_linger_ms, so a client that reconnects finds its history current.
//    Filters an earlier run left in the persistent broker session start out lingering;
//  - mirrored filters (history.mirror) hold a reference of the router's own from the start:
//    they are never released, so their topics' history stays current.
//
// Single-threaded (event loop), like the rest of the session core.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "history.h"
#include "laneway.pb.h"
#include "session.h"
#include "topic_tree.h"
#include "upstream.h"
#include "upstream_subscriptions.h"

namespace laneway::bridge {

class SubscriptionRouter {
 public:
  SubscriptionRouter(Upstream& upstream, const HistoryLimits& limits);

  // Takes one reference on `filter`: SUBSCRIBE goes out for its first user (unless it was
  // lingering, then it is simply in use again).
  void acquire(const std::string& filter);
  // Gives one back; a filter's last user leaves it lingering from `now_us`.
  void release(const std::string& filter, std::int64_t now_us);
  // What the broker says about every filter of a request, taken together: refused if any
  // is, pending if any is, else granted.
  UpstreamState broker_state(const std::vector<v1::Subscription>& subs) const;

  // `s` receives what `filter` matches (the caller holds a reference for it already).
  void join(Session& s, const std::string& filter);
  void leave(Session& s, const std::string& filter);

  // Calls fn(Session&) once per session joined to a filter matching `topic`, however many
  // of its filters match.
  template <typename Fn>
  void for_each_receiver(std::string_view topic, Fn&& fn) {
    const std::uint64_t mark = ++fanout_counter_;
    receivers_.for_each_match(topic, [&](Session* s) {
      if (s->fanout_mark == mark) return;
      s->fanout_mark = mark;
      fn(*s);
    });
  }

  // Unsubscribes lingering filters whose time is up and returns them. Filters restored at
  // start have their clock started by the first call.
  std::vector<std::string> expire_lingering(std::int64_t now_us);
  // Whether the broker still delivers `topic` to this bridge (a filter in use or lingering
  // matches it).
  bool upstream_covers(std::string_view topic) const { return upstream_.any_match(topic); }

  std::size_t users(const std::string& filter) const { return references_.users(filter); }
  // Filters subscribed at the broker: in use plus lingering.
  std::size_t upstream_filters() const { return references_.distinct() + lingering_.size(); }
  std::size_t receiver_entries() const { return receivers_.entries(); }

 private:
  static constexpr std::int64_t kLingerFromFirstTick = -1;

  Upstream& broker_;
  const std::int64_t linger_us_;
  TopicTree<Session*> receivers_;
  UpstreamSubscriptions references_;
  std::unordered_map<std::string, std::int64_t> lingering_;  // filter → unsubscribe at (µs)
  // Every filter subscribed at the broker (in use or lingering), for upstream_covers().
  TopicTree<bool> upstream_;
  std::uint64_t fanout_counter_ = 0;
};

}  // namespace laneway::bridge

// Which queued frames may leave as WebTransport datagrams. A QoS 0 envelope goes as a
// datagram when the session asked for datagrams on a subscription (Subscription.datagrams)
// that matches its topic; everything else (QoS 1, replays, replies) stays on the stream.
//
// The lane learns the datagram subscriptions from the client's own calls, and classifies a
// shared frame once for all sessions (a small cache keyed by the shared buffer), so fan-out
// still decodes nothing per session.
#pragma once

#include <cstddef>
#include <deque>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "laneway.pb.h"
#include "shared_frame.h"

namespace laneway::bridge {

// The filters one session asked to receive as datagrams.
class DatagramSubscriptions {
 public:
  // Updates from a client call (connect, subscribe, unsubscribe); other calls are ignored.
  void on_client_call(const v1::CallFrame& call);
  bool empty() const { return filters_.empty(); }
  // True when a filter that asked for datagrams, and is still an active subscription of the
  // session (`active`: the hub's list), matches `topic`.
  bool wants(std::string_view topic, const std::vector<std::string>& active) const;

 private:
  void set(const v1::Subscription& sub);
  std::set<std::string> filters_;
};

class FrameClassifier {
 public:
  struct Kind {
    bool qos0_envelope = false;
    std::string topic;  // set for QoS 0 envelopes
  };
  explicit FrameClassifier(std::size_t max_entries = 512) : max_entries_(max_entries) {}
  const Kind& classify(const SharedFrame& frame);

 private:
  std::size_t max_entries_;
  // The cache holds a reference to each frame so a pointer is never reused while cached.
  std::unordered_map<const FrameBuffer*, Kind> kinds_;
  std::deque<SharedFrame> order_;
};

}  // namespace laneway::bridge

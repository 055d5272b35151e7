// A session's bounded outbound queue, accounted in bytes.
//
// Slow-consumer policy (docs/bridge.md): the fan-out never waits for a session. When a
// push would take the queue over its byte limit, the push fails; the session core then
// discards everything queued, queues one ERROR_CODE_SLOW_CONSUMER error (which bypasses
// the limit) and closes the session once it is written. The client reconnects and resumes
// from its positions, so it learns exactly what it missed (recovered true or false).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>

#include "shared_frame.h"

namespace laneway::bridge {

struct QueuedFrame {
  SharedFrame frame;
  // The bridge-wide stream offset after this frame (SSE resume token); 0 for frames that
  // do not move it (replies, errors).
  std::uint64_t offset = 0;
};

class OutboundQueue {
 public:
  // `with_base64`: the SSE lane writes (and keeps) each frame's base64, so its queue is
  // charged for that copy too (docs/bridge.md "Memory budget").
  OutboundQueue(std::size_t max_bytes, bool with_base64)
      : max_bytes_(max_bytes), with_base64_(with_base64) {}

  // Queues `item` unless that would exceed the byte limit; returns false then.
  bool push(QueuedFrame item);
  // Queues `item` regardless of the limit (the final error before a close).
  void push_unbounded(QueuedFrame item);

  bool empty() const { return !items_ || items_->empty(); }
  std::size_t size() const { return items_ ? items_->size() : 0; }
  std::size_t bytes() const { return bytes_; }
  std::size_t max_bytes() const { return max_bytes_; }
  const QueuedFrame& front() const { return items_->front(); }
  void pop();
  void clear();
  // Gives the storage of an empty queue back (called for idle sessions once a second).
  void release_if_empty();

 private:
  std::deque<QueuedFrame>& storage();  // allocates on first use
  std::size_t charge(const QueuedFrame& item) const;

  std::size_t max_bytes_;
  bool with_base64_;
  std::size_t bytes_ = 0;
  // Allocated on first use: a std::deque allocates its map and a first block even when
  // empty (about 600 bytes), which idle sessions need not hold.
  std::unique_ptr<std::deque<QueuedFrame>> items_;
};

}  // namespace laneway::bridge

#include "outbound_queue.h"

#include <utility>

namespace laneway::bridge {

bool OutboundQueue::push(QueuedFrame item) {
  const std::size_t size = item.frame->size();
  if (bytes_ + size > max_bytes_) return false;
  bytes_ += size;
  items_.push_back(std::move(item));
  return true;
}

void OutboundQueue::push_unbounded(QueuedFrame item) {
  bytes_ += item.frame->size();
  items_.push_back(std::move(item));
}

void OutboundQueue::pop() {
  bytes_ -= items_.front().frame->size();
  items_.pop_front();
}

void OutboundQueue::clear() {
  items_.clear();
  bytes_ = 0;
}

}  // namespace laneway::bridge

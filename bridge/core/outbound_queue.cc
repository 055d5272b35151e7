#include "outbound_queue.h"

#include <utility>

namespace laneway::bridge {

bool OutboundQueue::push(QueuedFrame item) {
  const std::size_t size = item.frame->size();
  if (bytes_ + size > max_bytes_) return false;
  bytes_ += size;
  storage().push_back(std::move(item));
  return true;
}

void OutboundQueue::push_unbounded(QueuedFrame item) {
  bytes_ += item.frame->size();
  storage().push_back(std::move(item));
}

void OutboundQueue::pop() {
  bytes_ -= items_->front().frame->size();
  items_->pop_front();
}

void OutboundQueue::clear() {
  items_.reset();
  bytes_ = 0;
}

std::deque<QueuedFrame>& OutboundQueue::storage() {
  if (!items_) items_ = std::make_unique<std::deque<QueuedFrame>>();
  return *items_;
}

void OutboundQueue::release_if_empty() {
  if (items_ && items_->empty()) items_.reset();
}

}  // namespace laneway::bridge

#include "outbound_queue.h"

#include <utility>

#include "laneway/wire/base64.h"

namespace laneway::bridge {

std::size_t OutboundQueue::charge(const QueuedFrame& item) const {
  const std::size_t size = item.frame->size();
  return with_base64_ ? size + wire::base64_size(size) : size;
}

bool OutboundQueue::push(QueuedFrame item) {
  const std::size_t size = charge(item);
  if (bytes_ + size > max_bytes_) return false;
  bytes_ += size;
  storage().push_back(std::move(item));
  return true;
}

void OutboundQueue::push_unbounded(QueuedFrame item) {
  bytes_ += charge(item);
  storage().push_back(std::move(item));
}

void OutboundQueue::pop() {
  bytes_ -= charge(items_->front());
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

#include "datagram_route.h"

#include <algorithm>

#include "laneway/wire/topic_filter.h"

namespace laneway::bridge {

void DatagramSubscriptions::set(const v1::Subscription& sub) {
  if (sub.datagrams()) {
    filters_.insert(sub.filter());
  } else {
    filters_.erase(sub.filter());
  }
}

void DatagramSubscriptions::on_client_call(const v1::CallFrame& call) {
  switch (call.body_case()) {
    case v1::CallFrame::kConnect:
      for (const auto& sub : call.connect().subscriptions()) set(sub);
      break;
    case v1::CallFrame::kSubscribe:
      set(call.subscribe().subscription());
      break;
    case v1::CallFrame::kUnsubscribe:
      filters_.erase(call.unsubscribe().filter());
      break;
    default:
      break;
  }
}

bool DatagramSubscriptions::wants(std::string_view topic,
                                  const std::vector<std::string>& active) const {
  for (const std::string& f : filters_) {
    if (!wire::topic_matches(f, topic)) continue;
    if (std::find(active.begin(), active.end(), f) != active.end()) return true;
  }
  return false;
}

const FrameClassifier::Kind& FrameClassifier::classify(const SharedFrame& frame) {
  auto it = kinds_.find(frame.get());
  if (it != kinds_.end()) return it->second;
  Kind kind;
  v1::Frame decoded;
  const std::string_view bytes = frame->bytes();
  if (decoded.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) &&
      decoded.has_envelope() && decoded.envelope().qos() == 0) {
    kind.qos0_envelope = true;
    kind.topic = decoded.envelope().topic();
  }
  if (order_.size() >= max_entries_) {
    kinds_.erase(order_.front().get());
    order_.pop_front();
  }
  order_.push_back(frame);
  return kinds_.emplace(frame.get(), std::move(kind)).first->second;
}

}  // namespace laneway::bridge

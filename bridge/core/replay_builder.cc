#include "replay_builder.h"

#include <algorithm>

#include "laneway/wire/frame_codec.h"

namespace laneway::bridge {

GroupBuilder::GroupBuilder(bool recovered) : group_(frame_.mutable_group()) {
  group_->set_reason(v1::GroupEnvelope::REASON_HISTORY);
  group_->set_recovered(recovered);
}

void GroupBuilder::add(const v1::Envelope& envelope, std::size_t stored_bytes,
                       std::uint64_t offset) {
  v1::Span*& span = spans_[envelope.topic()];
  if (!span) {
    span = group_->add_spans();
    span->set_topic(envelope.topic());
    span->set_epoch(envelope.epoch());
    span->set_from_seq(envelope.seq());
    bytes_ += wire::group_span_bytes(envelope.topic().size());
  }
  span->set_to_seq(envelope.seq());
  *group_->add_envelopes() = envelope;
  bytes_ += wire::group_entry_bytes(stored_bytes);
  offset_ = std::max(offset_, offset);
}

std::size_t GroupBuilder::bytes_with(const HistoryEntry& entry) const {
  const std::string& topic = entry.frame->label().topic;
  const bool new_span = spans_.find(topic) == spans_.end();
  return bytes_ + wire::group_entry_bytes(entry.frame->size()) +
         (new_span ? wire::group_span_bytes(topic.size()) : 0);
}

void GroupBuilder::add(const HistoryEntry& entry) {
  v1::Frame stored;
  if (wire::decode_frame(entry.frame->bytes(), stored, kMaxBrokerFrameBytes) !=
          wire::WireError::kOk ||
      !stored.has_envelope()) {
    return;
  }
  add(stored.envelope(), entry.frame->size(), entry.offset);
}

}  // namespace laneway::bridge

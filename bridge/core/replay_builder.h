// The one builder of REASON_HISTORY GroupEnvelopes (docs/wire.md "GroupEnvelope"): resume
// and SSE replays, answers to `history`, and the notice that the bridge itself missed
// envelopes of a topic. One span per topic, from its first to its last seq in the group.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>

#include "history.h"
#include "laneway.pb.h"

namespace laneway::bridge {

// Largest Frame the bridge decodes from the broker (and so keeps in history).
inline constexpr std::size_t kMaxBrokerFrameBytes = std::size_t{64} << 20;

class GroupBuilder {
 public:
  explicit GroupBuilder(bool recovered);

  // Adds one envelope, of `stored_bytes` as the broker sent it, at stream offset `offset`.
  void add(const v1::Envelope& envelope, std::size_t stored_bytes, std::uint64_t offset);
  // Adds a history entry (its stored Frame decoded); skips it when the stored bytes are
  // not an envelope (history only ever holds envelopes the hub decoded once already).
  void add(const HistoryEntry& entry);
  void set_recovered(bool recovered) { group_->set_recovered(recovered); }

  bool empty() const { return group_->envelopes_size() == 0; }
  // Stored bytes of the envelopes added (what a group is budgeted by).
  std::size_t bytes() const { return bytes_; }
  // Highest stream offset of the envelopes added (0 when none had one).
  std::uint64_t offset() const { return offset_; }
  // The Frame{group}; the builder is spent after this.
  v1::Frame take_frame() { return std::move(frame_); }

 private:
  v1::Frame frame_;
  v1::GroupEnvelope* group_;
  std::unordered_map<std::string, v1::Span*> spans_;  // topic → its span in group_
  std::size_t bytes_ = 0;
  std::uint64_t offset_ = 0;
};

}  // namespace laneway::bridge

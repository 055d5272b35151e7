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
#include "laneway/wire/frame_limit.h"

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
  // The most the group's frame can take, headers and spans included (docs/wire.md "Frame
  // limit"), now and with `entry` added: what groups are cut by.
  std::size_t bytes() const { return bytes_; }
  std::size_t bytes_with(const HistoryEntry& entry) const;
  // Highest stream offset of the envelopes added (0 when none had one).
  std::uint64_t offset() const { return offset_; }
  // The Frame{group}; the builder is spent after this.
  v1::Frame take_frame() { return std::move(frame_); }

 private:
  v1::Frame frame_;
  v1::GroupEnvelope* group_;
  std::unordered_map<std::string, v1::Span*> spans_;  // topic → its span in group_
  std::size_t bytes_ = wire::kGroupHeaderBytes;
  std::uint64_t offset_ = 0;
};

}  // namespace laneway::bridge

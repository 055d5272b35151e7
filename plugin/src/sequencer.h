// Per-topic sequence numbers within the broker's epoch (docs/plugin.md "Envelopes, epoch and seq").
//
// Policy (docs/plugin.md "Epoch and seq"):
//  - After a clean shutdown the epoch and every topic's last seq are kept: positions stay
//    resumable across a planned restart.
//  - After a crash (the state file still says `running`), or with an unreadable state file,
//    a new epoch starts and every topic restarts at seq 1: clients learn that history is gone
//    instead of seeing silently reused positions.
//  - A new epoch is max(previous epoch + 1, now in Unix seconds): always increasing, and
//    unique even if the state file was lost. In a cluster every core keeps to its own
//    residue modulo kMaxCores (its core index), so two cores never hand out the same epoch
//    even when they start in the same second (docs/scale.md "Standby core").
//  - The topic table is bounded (`max_topics`). A message on a new topic when it is full
//    starts a new epoch (table cleared) rather than evicting a counter, which would reuse
//    positions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "state_file.h"

namespace laneway::plugin {

class Sequencer {
 public:
  static constexpr std::uint32_t kMaxCores = 16;

  // `core_index`: nullopt on a single broker; 0..kMaxCores-1 on a cluster's core.
  explicit Sequencer(std::size_t max_topics, std::optional<std::uint32_t> core_index = {})
      : max_topics_(max_topics == 0 ? 1 : max_topics), core_index_(core_index) {}

  enum class StartKind { kFresh, kResumed, kNewEpochAfterUncleanStop };
  // Decides the epoch from the previous run's state (nullopt: none or unreadable).
  StartKind start(const std::optional<PluginState>& previous, std::uint64_t now_s,
                  bool previous_unreadable = false);

  struct Position {
    std::uint64_t epoch = 0;
    std::uint64_t seq = 0;
    bool started_new_epoch = false;  // the table was full; the caller persists and logs
  };
  Position next(std::string_view topic, std::uint64_t now_s);

  std::uint64_t epoch() const { return epoch_; }
  std::size_t topic_count() const { return seqs_.size(); }
  std::size_t max_topics() const { return max_topics_; }
  // Appends every topic's last seq (for the clean-shutdown state).
  void export_seqs(PluginState& state) const;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  void begin_new_epoch(std::uint64_t now_s);

  std::size_t max_topics_;
  std::optional<std::uint32_t> core_index_;
  std::uint64_t epoch_ = 0;
  std::unordered_map<std::string, std::uint64_t, Hash, std::equal_to<>> seqs_;
};

}  // namespace laneway::plugin

// Per-topic history rings, bounded by message count and bytes per topic, by the number of
// topics and by their bytes all together, with the resume rules of docs/bridge.md "Resume":
//  - every envelope the bridge accepts gets a bridge-wide, increasing stream offset (the
//    SSE resume token carries it);
//  - each topic keeps a contiguous run of seqs of the current epoch; a seq jump or a new
//    epoch empties the ring first (the bridge itself missed something, so nothing before
//    the jump can be vouched for);
//  - a replay answers `recovered=true` only when every envelope after the client's
//    position is returned, otherwise `recovered=false` with what is still kept. Never a
//    silent skip.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "shared_frame.h"

namespace laneway::bridge {

struct HistoryLimits {
  std::size_t max_messages_per_topic = 256;
  std::size_t max_bytes_per_topic = 256 * 1024;
  std::size_t max_topics = 10000;
  // All rings together, counting each frame's SSE encoding when that lane is on: past it
  // the least recently appended topic loses its oldest entries first (docs/bridge.md
  // "Memory budget").
  std::size_t max_total_bytes = 256u << 20;
  bool count_sse_encoding = false;  // set from lanes.sse by the config
  // How long the bridge keeps an upstream subscription (and so the history of its topics
  // current) after the last session using it left, so a reconnecting client can resume.
  std::uint32_t upstream_linger_ms = 30000;
  // Filters the bridge subscribes from its start and never releases, so the history of
  // every topic they match is kept whether or not a session uses it: what lets a client
  // resume on another replica of a bridge tier (docs/scale.md "Bridge replicas").
  std::vector<std::string> mirror_filters{};
};

struct HistoryEntry {
  std::uint64_t seq = 0;
  std::uint64_t offset = 0;  // bridge-wide stream offset
  SharedFrame frame;         // the Frame{envelope} exactly as the broker sent it
};

struct Replay {
  bool recovered = false;
  std::vector<HistoryEntry> entries;  // ascending seq (per topic)
};

enum class AppendStatus {
  kAppended,   // next in sequence (or first seen)
  kGap,        // appended after a seq jump or epoch change: earlier history was dropped
  kDuplicate,  // already have this (epoch, seq) or older: ignore (overlapping filters)
};

// Everything a HistoryStore holds, in a form history_snapshot.cc can write at shutdown and
// read back at the next start (docs/bridge.md "Restart").
struct HistoryRingState {
  std::string topic;
  std::uint64_t epoch = 0;
  std::uint64_t last_seq = 0;
  std::uint64_t dropped_offset = 0;
  bool stale = false;
  std::vector<HistoryEntry> entries;  // ascending seq, contiguous, ending at last_seq
};

struct HistoryState {
  std::uint64_t next_offset = 1;
  std::uint64_t forgotten_offset = 0;
  std::uint64_t latest_epoch = 0;
  std::vector<HistoryRingState> rings;  // least recently appended first
};

class HistoryStore {
 public:
  explicit HistoryStore(HistoryLimits limits) : limits_(limits) {}

  struct AppendResult {
    AppendStatus status;
    std::uint64_t offset = 0;  // stream offset assigned (0 for duplicates)
  };
  AppendResult append(const std::string& topic, std::uint64_t epoch, std::uint64_t seq,
                      SharedFrame frame);

  // Envelopes of `topic` after (epoch, seq), at most `limit` (0 = no limit: all kept).
  // With `limit` hit, `recovered` stays true only if the caller can fetch the rest.
  Replay since_position(const std::string& topic, std::uint64_t epoch, std::uint64_t seq,
                        std::size_t limit = 0) const;

  // Envelopes of every topic matching one of `filters` with stream offset > `offset`, in
  // offset order. `recovered` is false when anything after `offset` on such a topic was
  // dropped (evicted, reset by a gap, or its topic forgotten).
  Replay since_offset(const std::vector<std::string>& filters, std::uint64_t offset) const;

  // The bridge may have missed envelopes of these topics (its broker link dropped, or it
  // stopped subscribing to them): until an envelope arrives that continues a ring's seq
  // exactly, resumes on it answer recovered=false.
  void mark_stale(const std::function<bool(const std::string& topic)>& which);
  void mark_all_stale() {
    mark_stale([](const std::string&) { return true; });
  }
  bool is_stale(const std::string& topic) const;

  // A copy of the contents (frames are shared, not copied).
  HistoryState export_state() const;
  // Fills an empty store from `state` after checking what the rings must satisfy (seqs
  // contiguous and ending at last_seq, offsets increasing and below next_offset); the
  // current limits apply. `vouch` false marks every ring stale: the bridge cannot say
  // whether it missed envelopes since the state was taken. Returns false with `error`
  // and leaves the store empty when the state is inconsistent.
  bool import_state(HistoryState state, bool vouch, std::string& error);

  // The epoch a topic is in as far as the bridge knows (0 when unknown).
  std::uint64_t epoch_of(const std::string& topic) const;
  std::uint64_t last_offset() const { return next_offset_ - 1; }
  std::uint64_t latest_epoch() const { return latest_epoch_; }
  std::size_t topic_count() const { return topics_.size(); }
  std::size_t total_bytes() const { return total_bytes_; }

 private:
  struct TopicRing {
    std::uint64_t epoch = 0;
    std::uint64_t last_seq = 0;
    // Offset of the newest entry that is no longer kept (evicted or dropped by a gap).
    std::uint64_t dropped_offset = 0;
    std::size_t bytes = 0;
    bool stale = false;
    std::deque<HistoryEntry> entries;
    std::list<std::string>::iterator lru;
  };

  void evict_to_limits(TopicRing& ring);
  void evict_to_total(const std::string& appended);
  void drop_oldest_entry(TopicRing& ring);
  void forget_oldest_topic();
  // What a frame costs the budget: its buffer, and the base64 copy the SSE lane keeps.
  std::size_t charge(const SharedFrame& frame) const;

  HistoryLimits limits_;
  std::unordered_map<std::string, TopicRing> topics_;
  std::list<std::string> lru_;  // front = least recently appended
  std::uint64_t next_offset_ = 1;
  // Newest offset of any topic forgotten entirely (its ring dropped for max_topics).
  std::uint64_t forgotten_offset_ = 0;
  std::uint64_t latest_epoch_ = 0;
  std::size_t total_bytes_ = 0;
};

}  // namespace laneway::bridge

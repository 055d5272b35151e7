#include "history.h"

#include <algorithm>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "laneway/wire/base64.h"
#include "laneway/wire/topic_filter.h"

namespace laneway::bridge {

HistoryStore::AppendResult HistoryStore::append(const std::string& topic, std::uint64_t epoch,
                                                std::uint64_t seq, SharedFrame frame) {
  auto [it, inserted] = topics_.try_emplace(topic);
  TopicRing& ring = it->second;
  AppendStatus status = AppendStatus::kAppended;
  if (inserted) {
    ring.lru = lru_.insert(lru_.end(), topic);
    ring.epoch = epoch;
  } else {
    if (epoch == ring.epoch && seq <= ring.last_seq) return {AppendStatus::kDuplicate, 0};
    if (epoch < ring.epoch) return {AppendStatus::kDuplicate, 0};  // stale, older epoch
    if (epoch != ring.epoch || seq != ring.last_seq + 1) {
      status = AppendStatus::kGap;
      if (!ring.entries.empty()) ring.dropped_offset = ring.entries.back().offset;
      total_bytes_ -= ring.bytes;
      ring.bytes = 0;
      ring.entries.clear();
      ring.epoch = epoch;
    }
    lru_.splice(lru_.end(), lru_, ring.lru);
  }
  ring.stale = false;  // contiguous continuation, or a fresh start after a gap
  latest_epoch_ = std::max(latest_epoch_, epoch);
  const std::uint64_t offset = next_offset_++;
  ring.last_seq = seq;
  ring.bytes += charge(frame);
  total_bytes_ += charge(frame);
  ring.entries.push_back(HistoryEntry{seq, offset, std::move(frame)});
  evict_to_limits(ring);
  while (topics_.size() > limits_.max_topics && lru_.front() != topic) forget_oldest_topic();
  evict_to_total(topic);
  return {status, offset};
}

std::size_t HistoryStore::charge(const SharedFrame& frame) const {
  return frame->size() + (limits_.count_sse_encoding ? wire::base64_size(frame->size()) : 0);
}

void HistoryStore::evict_to_total(const std::string& appended) {
  while (total_bytes_ > limits_.max_total_bytes && !lru_.empty()) {
    TopicRing& ring = topics_.find(lru_.front())->second;
    if (ring.entries.empty()) {
      if (lru_.front() == appended) return;  // nothing older left to give
      forget_oldest_topic();
      continue;
    }
    drop_oldest_entry(ring);
  }
}

void HistoryStore::evict_to_limits(TopicRing& ring) {
  while (!ring.entries.empty() && (ring.entries.size() > limits_.max_messages_per_topic ||
                                   ring.bytes > limits_.max_bytes_per_topic)) {
    drop_oldest_entry(ring);
  }
}

void HistoryStore::drop_oldest_entry(TopicRing& ring) {
  const HistoryEntry& oldest = ring.entries.front();
  ring.dropped_offset = oldest.offset;
  ring.bytes -= charge(oldest.frame);
  total_bytes_ -= charge(oldest.frame);
  ring.entries.pop_front();
}

void HistoryStore::forget_oldest_topic() {
  auto it = topics_.find(lru_.front());
  if (!it->second.entries.empty()) {
    forgotten_offset_ = std::max(forgotten_offset_, it->second.entries.back().offset);
  }
  forgotten_offset_ = std::max(forgotten_offset_, it->second.dropped_offset);
  total_bytes_ -= it->second.bytes;
  lru_.pop_front();
  topics_.erase(it);
}

Replay HistoryStore::since_position(const std::string& topic, std::uint64_t epoch,
                                    std::uint64_t seq, std::size_t limit) const {
  Replay replay;
  auto it = topics_.find(topic);
  if (it == topics_.end()) return replay;  // unknown here: cannot vouch for anything
  const TopicRing& ring = it->second;
  if (epoch == ring.epoch && seq >= ring.last_seq) {
    replay.recovered = !ring.stale;  // up to date, as far as the bridge can vouch
    return replay;
  }
  std::uint64_t after = 0;  // replay entries with seq > after
  if (epoch == ring.epoch) {
    const bool covered = !ring.entries.empty() && ring.entries.front().seq <= seq + 1;
    replay.recovered = covered && !ring.stale;
    after = covered ? seq : 0;
  }
  for (const HistoryEntry& e : ring.entries) {
    if (e.seq <= after) continue;
    if (limit != 0 && replay.entries.size() >= limit) break;
    replay.entries.push_back(e);
  }
  return replay;
}

Replay HistoryStore::since_offset(const std::vector<std::string>& filters,
                                  std::uint64_t offset) const {
  Replay replay;
  replay.recovered = offset <= last_offset() && forgotten_offset_ <= offset;
  for (const auto& [topic, ring] : topics_) {
    const bool wanted = std::any_of(filters.begin(), filters.end(), [&](const std::string& f) {
      return wire::topic_matches(f, topic);
    });
    if (!wanted) continue;
    if (ring.dropped_offset > offset || ring.stale) replay.recovered = false;
    for (const HistoryEntry& e : ring.entries) {
      if (e.offset > offset) replay.entries.push_back(e);
    }
  }
  std::sort(replay.entries.begin(), replay.entries.end(),
            [](const HistoryEntry& a, const HistoryEntry& b) { return a.offset < b.offset; });
  return replay;
}

void HistoryStore::mark_stale(const std::function<bool(const std::string& topic)>& which) {
  for (auto& [topic, ring] : topics_) {
    if (which(topic)) ring.stale = true;
  }
}

bool HistoryStore::is_stale(const std::string& topic) const {
  auto it = topics_.find(topic);
  return it != topics_.end() && it->second.stale;
}

std::uint64_t HistoryStore::epoch_of(const std::string& topic) const {
  auto it = topics_.find(topic);
  return it == topics_.end() ? 0 : it->second.epoch;
}

HistoryState HistoryStore::export_state() const {
  HistoryState state;
  state.next_offset = next_offset_;
  state.forgotten_offset = forgotten_offset_;
  state.latest_epoch = latest_epoch_;
  state.rings.reserve(topics_.size());
  for (const std::string& topic : lru_) {
    const TopicRing& ring = topics_.at(topic);
    state.rings.push_back(HistoryRingState{topic,
                                           ring.epoch,
                                           ring.last_seq,
                                           ring.dropped_offset,
                                           ring.stale,
                                           {ring.entries.begin(), ring.entries.end()}});
  }
  return state;
}

namespace {

std::string check_ring(const HistoryRingState& r, std::uint64_t next_offset) {
  if (!wire::is_valid_topic(r.topic)) return "invalid topic";
  if (r.dropped_offset >= next_offset) return "dropped offset past the end";
  if (r.entries.size() > r.last_seq) return "more entries than seqs";
  std::uint64_t seq = r.last_seq - r.entries.size();
  std::uint64_t offset = r.dropped_offset;
  for (const HistoryEntry& e : r.entries) {
    if (e.seq != ++seq) return "seqs not contiguous up to last_seq";
    if (e.offset <= offset || e.offset >= next_offset) return "offsets out of order";
    if (!e.frame) return "entry without a frame";
    offset = e.offset;
  }
  return {};
}

}  // namespace

bool HistoryStore::import_state(HistoryState state, bool vouch, std::string& error) {
  if (!topics_.empty() || next_offset_ != 1) {
    error = "history is not empty";
    return false;
  }
  if (state.next_offset == 0 || state.forgotten_offset >= state.next_offset) {
    error = "inconsistent offsets";
    return false;
  }
  std::unordered_set<std::string_view> topics;
  for (const HistoryRingState& r : state.rings) {
    if (!topics.insert(r.topic).second) {
      error = "topic " + r.topic + " appears twice";
      return false;
    }
    if (std::string why = check_ring(r, state.next_offset); !why.empty()) {
      error = "topic " + r.topic + ": " + why;
      return false;
    }
    if (r.epoch > state.latest_epoch) {
      error = "topic " + r.topic + ": epoch newer than the latest";
      return false;
    }
  }
  next_offset_ = state.next_offset;
  forgotten_offset_ = state.forgotten_offset;
  latest_epoch_ = state.latest_epoch;
  for (HistoryRingState& r : state.rings) {
    TopicRing& ring = topics_[r.topic];
    ring.lru = lru_.insert(lru_.end(), r.topic);
    ring.epoch = r.epoch;
    ring.last_seq = r.last_seq;
    ring.dropped_offset = r.dropped_offset;
    ring.stale = r.stale || !vouch;
    for (HistoryEntry& e : r.entries) {
      ring.bytes += charge(e.frame);
      total_bytes_ += charge(e.frame);
      ring.entries.push_back(std::move(e));
    }
    evict_to_limits(ring);  // the limits may have shrunk since
  }
  while (topics_.size() > limits_.max_topics) forget_oldest_topic();
  if (!lru_.empty()) evict_to_total(lru_.back());
  return true;
}

}  // namespace laneway::bridge

#include "sequencer.h"

#include <algorithm>

namespace laneway::plugin {

void Sequencer::begin_new_epoch(std::uint64_t now_s) {
  epoch_ = std::max(epoch_ + 1, now_s);
  if (core_index_) {
    const std::uint64_t residue = epoch_ % Sequencer::kMaxCores;
    epoch_ += (*core_index_ + Sequencer::kMaxCores - residue) % Sequencer::kMaxCores;
  }
  seqs_.clear();
}

Sequencer::StartKind Sequencer::start(const std::optional<PluginState>& previous,
                                      std::uint64_t now_s, bool previous_unreadable) {
  seqs_.clear();
  if (previous && previous->clean_shutdown && previous->epoch > 0) {
    epoch_ = previous->epoch;
    for (const auto& [topic, seq] : previous->seqs) {
      if (seqs_.size() >= max_topics_) break;  // a smaller limit than last run: keep the first
      seqs_[topic] = seq;
    }
    return StartKind::kResumed;
  }
  epoch_ = previous ? previous->epoch : 0;
  begin_new_epoch(now_s);
  return (previous || previous_unreadable) ? StartKind::kNewEpochAfterUncleanStop
                                           : StartKind::kFresh;
}

Sequencer::Position Sequencer::next(std::string_view topic, std::uint64_t now_s) {
  Position position;
  auto it = seqs_.find(topic);
  if (it == seqs_.end()) {
    if (seqs_.size() >= max_topics_) {
      begin_new_epoch(now_s);
      position.started_new_epoch = true;
    }
    it = seqs_.emplace(std::string(topic), 0).first;
  }
  position.seq = ++it->second;
  position.epoch = epoch_;
  return position;
}

void Sequencer::export_seqs(PluginState& state) const {
  state.seqs.reserve(state.seqs.size() + seqs_.size());
  for (const auto& [topic, seq] : seqs_) state.seqs.emplace_back(topic, seq);
}

}  // namespace laneway::plugin

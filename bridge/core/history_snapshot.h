// The history snapshot (docs/bridge.md "Restart"): at a graceful stop the bridge writes
// its history rings and offset space to history.snapshot_file, and the next start reads
// them back, so a client resumes across the restart from what the stopped bridge had
// already taken from the broker but not yet delivered. Format: history_snapshot.proto.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "history.h"

namespace laneway::bridge {

struct HistorySnapshot {
  std::string instance_id;
  HistoryState state;
  std::int64_t written_at_us = 0;
};

// Writes to `path` through a temporary file and a rename, so a reader sees the whole
// snapshot or none. Returns false with `error`.
bool write_history_snapshot(const std::string& path, const HistorySnapshot& snapshot,
                            std::string& error);

// Reads `path`. Every frame must decode to the Envelope its ring and entry claim (at most
// `max_frame_bytes` each). nullopt with `error` empty when there is no file; with `error`
// set when it is unreadable or inconsistent.
std::optional<HistorySnapshot> read_history_snapshot(const std::string& path,
                                                     std::size_t max_frame_bytes,
                                                     std::string& error);

}  // namespace laneway::bridge

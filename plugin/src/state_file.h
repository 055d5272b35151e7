// The plugin's state file (`plugin_opt_state`): the sequencing epoch, whether the broker
// shut down cleanly, per-topic seqs (clean shutdown only) and the identities that were
// online (so stale retained presence can be corrected after a restart).
//
// Format, one record per line:
//   laneway-plugin-state 1
//   shutdown clean|running
//   epoch <n>
//   online <length> <identity>
//   seq <n> <length> <topic>
// Strings are length-prefixed because a topic may contain any character but NUL.
// Written atomically: temp file, fsync, rename.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace laneway::plugin {

struct PluginState {
  bool clean_shutdown = false;
  std::uint64_t epoch = 0;
  std::vector<std::string> online;
  std::vector<std::pair<std::string, std::uint64_t>> seqs;  // topic, last seq
};

std::string serialize_state(const PluginState& state);
// nullopt (with `error`) for anything that is not a complete, well-formed state file.
std::optional<PluginState> parse_state(const std::string& text, std::string* error);

// Reads `path`: nullopt with an empty `error` when the file does not exist, nullopt with
// `error` set when it exists but cannot be read or parsed.
std::optional<PluginState> read_state_file(const std::string& path, std::string* error);
bool write_state_file(const std::string& path, const PluginState& state, std::string* error);

}  // namespace laneway::plugin

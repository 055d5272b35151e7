#include "state_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>

namespace laneway::plugin {
namespace {

constexpr std::string_view kMagic = "laneway-plugin-state 1";

void append_string(std::string& out, const std::string& value) {
  out += std::to_string(value.size());
  out += ' ';
  out += value;
}

// A tiny cursor over the file text.
struct Reader {
  std::string_view rest;

  bool literal(std::string_view word) {
    if (rest.substr(0, word.size()) != word) return false;
    rest.remove_prefix(word.size());
    return true;
  }
  bool number(std::uint64_t& value) {
    const auto* end = rest.data() + rest.size();
    const auto [ptr, ec] = std::from_chars(rest.data(), end, value);
    if (ec != std::errc() || ptr == rest.data()) return false;
    rest.remove_prefix(static_cast<std::size_t>(ptr - rest.data()));
    return true;
  }
  bool sized_string(std::string& value) {
    std::uint64_t size = 0;
    if (!number(size) || !literal(" ") || size > rest.size()) return false;
    value.assign(rest.substr(0, size));
    rest.remove_prefix(size);
    return true;
  }
};

}  // namespace

std::string serialize_state(const PluginState& state) {
  std::string out(kMagic);
  out += "\nshutdown ";
  out += state.clean_shutdown ? "clean" : "running";
  out += "\nepoch " + std::to_string(state.epoch) + "\n";
  for (const auto& identity : state.online) {
    out += "online ";
    append_string(out, identity);
    out += '\n';
  }
  for (const auto& [topic, seq] : state.seqs) {
    out += "seq " + std::to_string(seq) + ' ';
    append_string(out, topic);
    out += '\n';
  }
  out += "end\n";
  return out;
}

std::optional<PluginState> parse_state(const std::string& text, std::string* error) {
  Reader in{text};
  PluginState state;
  auto fail = [&](const char* what) -> std::optional<PluginState> {
    if (error) *error = std::string("state file: ") + what;
    return std::nullopt;
  };
  if (!in.literal(kMagic) || !in.literal("\n")) return fail("not a laneway plugin state file");
  if (in.literal("shutdown clean\n")) {
    state.clean_shutdown = true;
  } else if (!in.literal("shutdown running\n")) {
    return fail("bad shutdown line");
  }
  if (!in.literal("epoch ") || !in.number(state.epoch) || !in.literal("\n"))
    return fail("bad epoch line");
  while (true) {
    if (in.literal("online ")) {
      std::string identity;
      if (!in.sized_string(identity) || !in.literal("\n")) return fail("bad online line");
      state.online.push_back(std::move(identity));
    } else if (in.literal("seq ")) {
      std::uint64_t seq = 0;
      std::string topic;
      if (!in.number(seq) || !in.literal(" ") || !in.sized_string(topic) || !in.literal("\n"))
        return fail("bad seq line");
      state.seqs.emplace_back(std::move(topic), seq);
    } else if (in.literal("end\n") && in.rest.empty()) {
      return state;  // only a file that reached its end marker is trusted
    } else {
      return fail("truncated or unknown record");
    }
  }
}

std::optional<PluginState> read_state_file(const std::string& path, std::string* error) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    if (errno == ENOENT) {
      if (error) error->clear();
    } else if (error) {
      *error = "cannot read " + path + ": " + std::strerror(errno);
    }
    return std::nullopt;
  }
  std::ostringstream text;
  text << file.rdbuf();
  return parse_state(text.str(), error);
}

bool write_state_file(const std::string& path, const PluginState& state, std::string* error) {
  const std::string temp = path + ".tmp";
  const std::string text = serialize_state(state);
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (error) *error = "cannot write " + temp + ": " + std::strerror(errno);
    return false;
  }
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (error) *error = "cannot write " + temp + ": " + std::strerror(errno);
      ::close(fd);
      return false;
    }
    written += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || ::rename(temp.c_str(), path.c_str()) != 0) {
    if (error) *error = "cannot replace " + path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace laneway::plugin

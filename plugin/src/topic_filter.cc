#include "topic_filter.h"

namespace laneway::plugin {
namespace {

// Splits off the next level of `rest`; `rest` becomes what follows the separator, and
// `done` is set when there was no separator (the last level).
std::string_view next_level(std::string_view& rest, bool& done) {
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos) {
    done = true;
    std::string_view level = rest;
    rest = {};
    return level;
  }
  std::string_view level = rest.substr(0, slash);
  rest.remove_prefix(slash + 1);
  return level;
}

}  // namespace

bool filter_covers(std::string_view outer, std::string_view inner) {
  if (outer.empty() || inner.empty()) return false;
  if (inner.front() == '$' && (outer.front() == '+' || outer.front() == '#')) return false;
  bool outer_done = false;
  bool inner_done = false;
  while (true) {
    const std::string_view o = next_level(outer, outer_done);
    if (o == "#") return true;  // covers this level and everything below (and the parent)
    const std::string_view i = next_level(inner, inner_done);
    if (i == "#") return false;            // only `#` covers `#`
    if (o != "+" && o != i) return false;  // a literal covers only the same literal
    if (outer_done || inner_done) {
      if (outer_done && inner_done) return true;
      // inner is longer: not covered. outer is longer: covered only by a trailing `/#`.
      return inner_done && outer == "#";
    }
  }
}

bool is_valid_topic(std::string_view topic) {
  if (topic.empty()) return false;
  for (const char c : topic) {
    if (c == '+' || c == '#' || c == '\0') return false;
  }
  return true;
}

bool is_valid_filter(std::string_view filter) {
  if (filter.empty()) return false;
  bool done = false;
  std::string_view rest = filter;
  while (!done) {
    const std::string_view level = next_level(rest, done);
    if (level.find('\0') != std::string_view::npos) return false;
    if (level.find('#') != std::string_view::npos && (level != "#" || !done)) return false;
    if (level.find('+') != std::string_view::npos && level != "+") return false;
  }
  return true;
}

std::string_view strip_shared_subscription(std::string_view filter) {
  constexpr std::string_view kShare = "$share/";
  if (filter.substr(0, kShare.size()) != kShare) return filter;
  filter.remove_prefix(kShare.size());
  const auto slash = filter.find('/');
  if (slash == 0 || slash == std::string_view::npos) return {};
  return filter.substr(slash + 1);
}

}  // namespace laneway::plugin

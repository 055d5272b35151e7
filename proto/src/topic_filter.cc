#include "laneway/wire/topic_filter.h"

#include <cstddef>

#include "laneway/wire/topic_levels.h"

namespace laneway::wire {
namespace {

constexpr std::size_t kMaxTopicBytes = 65535;

using Levels = TopicLevels;

bool starts_with_dollar(std::string_view s) {
  return !s.empty() && s.front() == '$';
}
bool starts_with_wildcard(std::string_view f) {
  return !f.empty() && (f.front() == '+' || f.front() == '#');
}

}  // namespace

bool is_valid_topic(std::string_view topic) {
  if (topic.empty() || topic.size() > kMaxTopicBytes) return false;
  for (char c : topic) {
    if (c == '+' || c == '#' || c == '\0') return false;
  }
  return true;
}

bool is_valid_filter(std::string_view filter) {
  if (filter.empty() || filter.size() > kMaxTopicBytes) return false;
  if (filter.find('\0') != std::string_view::npos) return false;
  Levels levels(filter);
  std::string_view level;
  bool seen_hash = false;
  while (levels.next(level)) {
    if (seen_hash) return false;  // '#' must be last
    if (level.find_first_of("+#") != std::string_view::npos) {
      if (level.size() != 1) return false;
      if (level == "#") seen_hash = true;
    }
  }
  return true;
}

bool topic_matches(std::string_view filter, std::string_view topic) {
  if (starts_with_dollar(topic) && starts_with_wildcard(filter)) return false;
  Levels f(filter);
  Levels t(topic);
  std::string_view fl;
  std::string_view tl;
  while (true) {
    const bool has_f = f.next(fl);
    if (has_f && fl == "#") return true;  // also matches the parent level ("a/#" ~ "a")
    const bool has_t = t.next(tl);
    if (!has_f || !has_t) return has_f == has_t;
    if (fl != "+" && fl != tl) return false;
  }
}

bool filter_covers(std::string_view outer, std::string_view inner) {
  if (outer.empty() || inner.empty()) return false;
  // `$` topics: an outer filter starting with a wildcard matches no `$` topic, so it can
  // only cover an inner filter that cannot match one either.
  if (starts_with_wildcard(outer) && !starts_with_wildcard(inner) && starts_with_dollar(inner)) {
    return false;
  }
  Levels o(outer);
  Levels i(inner);
  std::string_view ol;
  std::string_view il;
  while (true) {
    const bool has_o = o.next(ol);
    if (has_o && ol == "#") return true;
    const bool has_i = i.next(il);
    if (!has_o || !has_i) {
      // inner ends with '#' where outer has nothing left: inner matches more.
      return has_o == has_i;
    }
    if (il == "#") return false;  // outer is not '#' here, inner matches any depth
    if (ol == "+") continue;      // '+' covers '+' and any literal
    if (il == "+" || ol != il) return false;
  }
}

bool filters_intersect(std::string_view a, std::string_view b) {
  if ((starts_with_wildcard(a) && starts_with_dollar(b)) ||
      (starts_with_wildcard(b) && starts_with_dollar(a))) {
    return false;
  }
  Levels x(a);
  Levels y(b);
  std::string_view xl;
  std::string_view yl;
  while (true) {
    const bool has_x = x.next(xl);
    const bool has_y = y.next(yl);
    if ((has_x && xl == "#") || (has_y && yl == "#")) return true;
    if (!has_x || !has_y) return has_x == has_y;
    if (xl != "+" && yl != "+" && xl != yl) return false;
  }
}

std::string_view strip_shared_subscription(std::string_view filter) {
  constexpr std::string_view kShare = "$share/";
  if (filter.substr(0, kShare.size()) != kShare) return filter;
  filter.remove_prefix(kShare.size());
  const auto slash = filter.find('/');
  if (slash == 0 || slash == std::string_view::npos) return {};
  return filter.substr(slash + 1);
}

}  // namespace laneway::wire

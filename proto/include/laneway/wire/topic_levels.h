// Splits a topic or topic filter into its levels at each '/', the one way every part of
// laneway does it (topic_filter.cc's rules, the bridge's subscription tree). "a//b" has an
// empty middle level; "a/" ends with an empty one.
#pragma once

#include <cstddef>
#include <string_view>

namespace laneway::wire {

class TopicLevels {
 public:
  explicit TopicLevels(std::string_view text) : rest_(text) {}
  // The next level; false once the text is exhausted.
  bool next(std::string_view& level) {
    if (done_) return false;
    const std::size_t slash = rest_.find('/');
    if (slash == std::string_view::npos) {
      level = rest_;
      done_ = true;
    } else {
      level = rest_.substr(0, slash);
      rest_.remove_prefix(slash + 1);
    }
    return true;
  }

 private:
  std::string_view rest_;
  bool done_ = false;
};

}  // namespace laneway::wire

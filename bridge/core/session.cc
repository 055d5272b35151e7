#include "session.h"

#include "laneway/wire/topic_filter.h"

namespace laneway::bridge {

bool Session::wants_datagram(std::string_view topic) const {
  return std::any_of(datagram_filters.begin(), datagram_filters.end(),
                     [&](const std::string& f) { return wire::topic_matches(f, topic); });
}

}  // namespace laneway::bridge

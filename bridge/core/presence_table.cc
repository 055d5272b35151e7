#include "presence_table.h"

#include "laneway/wire/frame_codec.h"
#include "laneway/wire/topic_filter.h"

namespace laneway::bridge {

bool PresenceTable::on_message(std::string_view payload) {
  v1::Frame frame;
  v1::Presence presence;
  if (wire::decode_frame(payload, frame, std::size_t{1} << 20) != wire::WireError::kOk ||
      !frame.has_envelope() || !presence.ParseFromString(frame.envelope().payload()) ||
      presence.client_id().empty()) {
    return false;
  }
  if (clients_.size() >= kMaxClients && !clients_.count(presence.client_id())) return true;
  const std::string client = presence.client_id();
  clients_[client] = std::move(presence);
  return true;
}

bool PresenceTable::matches(const std::string& filter, const std::string& client) {
  return wire::topic_matches(filter, client);
}

}  // namespace laneway::bridge

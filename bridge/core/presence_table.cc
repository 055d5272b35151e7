#include "presence_table.h"

#include "laneway/wire/frame_codec.h"

namespace laneway::bridge {

bool PresenceTable::on_message(std::string_view payload) {
  v1::Frame frame;
  v1::Presence presence;
  if (wire::decode_frame(payload, frame, std::size_t{1} << 20) != wire::WireError::kOk ||
      !frame.has_envelope() || !presence.ParseFromString(frame.envelope().payload()) ||
      presence.client_id().empty()) {
    return false;
  }
  if (presence.role() != "device") return true;
  const std::string id = presence.client_id();
  auto it = devices_.find(id);
  if (it == devices_.end()) {
    if (devices_.size() >= max_devices_ && !make_room()) {
      ++dropped_;
      return true;
    }
    it = devices_.emplace(id, v1::Presence()).first;
  } else {
    forget_offline(id, it->second);
  }
  it->second = std::move(presence);
  if (!it->second.online()) offline_.emplace(it->second.since_us(), id);
  return true;
}

const v1::Presence* PresenceTable::find(const std::string& id) const {
  auto it = devices_.find(id);
  return it == devices_.end() ? nullptr : &it->second;
}

void PresenceTable::forget_offline(const std::string& id, const v1::Presence& presence) {
  if (!presence.online()) offline_.erase({presence.since_us(), id});
}

bool PresenceTable::make_room() {
  if (offline_.empty()) return false;  // every device kept is online: none may go
  auto oldest = offline_.begin();
  devices_.erase(oldest->second);
  offline_.erase(oldest);
  return true;
}

}  // namespace laneway::bridge

#include "presence_recorder.h"

#include <vector>

#include "laneway.pb.h"

namespace laneway::fleet {

bool PresenceRecorder::add(std::string_view topic, std::string_view payload) {
  constexpr std::string_view kPrefix = "$lw/presence/";
  if (topic.substr(0, kPrefix.size()) != kPrefix) return false;
  const std::string_view identity = topic.substr(kPrefix.size());
  if (identity.find(':') != std::string_view::npos) return false;  // a service, not a device
  laneway::v1::Frame frame;
  laneway::v1::Presence presence;
  if (!frame.ParseFromArray(payload.data(), static_cast<int>(payload.size())) ||
      !frame.has_envelope() || !presence.ParseFromString(frame.envelope().payload()) ||
      presence.client_id() != identity || presence.role() != "device")
    return false;
  const std::int64_t at_s = presence.since_us() / 1000000;
  auto& slot = pending_[std::string(identity)];
  if (slot.id.empty() || at_s >= slot.at_s) slot = {std::string(identity), presence.online(), at_s};
  return pending_.size() >= max_pending_;
}

bool PresenceRecorder::flush(registry::Registry& registry, std::string* error) {
  if (pending_.empty()) return true;
  std::vector<registry::PresenceUpdate> updates;
  updates.reserve(pending_.size());
  for (auto& entry : pending_) updates.push_back(entry.second);
  if (!registry.record_presence(updates, error)) return false;
  recorded_ += updates.size();
  pending_.clear();
  return true;
}

}  // namespace laneway::fleet

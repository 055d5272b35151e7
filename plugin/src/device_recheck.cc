#include "device_recheck.h"

#include <unordered_map>

namespace laneway::plugin {
namespace {

enum class Verdict { kKeep, kKick, kUnknown };

// Existence and status; the serial is compared by the callers, which know the connection.
Verdict judge(const registry::Lookup& lookup, Recheck& out) {
  if (lookup.status == registry::LookupStatus::kError) {
    if (out.errors++ == 0) out.first_error = lookup.error;
    return Verdict::kUnknown;  // the next change retries
  }
  if (lookup.status == registry::LookupStatus::kNotFound ||
      lookup.device.status != registry::DeviceStatus::kActive)
    return Verdict::kKick;
  return Verdict::kKeep;
}

}  // namespace

Recheck recheck_all(const ConnectedClients& clients, const DeviceLookup& find) {
  Recheck out;
  for (const auto& [handle, client] : clients) {
    if (client.role != Role::kDevice || out.kick.count(client.identity)) continue;
    const auto parsed = parse_identity(client.identity);
    if (!parsed) continue;
    const auto lookup = find(parsed->name);
    ++out.lookups;
    const auto verdict = judge(lookup, out);
    if (verdict == Verdict::kKick ||
        (verdict == Verdict::kKeep && lookup.device.cert_serial != client.serial))
      out.kick.insert(client.identity);
  }
  return out;
}

Recheck recheck_changed(const ConnectedClients& clients, const IsConnected& is_connected,
                        const std::vector<std::string>& changed, const DeviceLookup& find) {
  Recheck out;
  // Connected and still active: the serial they must present, compared below.
  std::unordered_map<std::string, std::string> serial_for;
  for (const auto& id : changed) {
    const auto identity = make_identity(Role::kDevice, id);
    if (!is_connected(identity)) continue;  // refused at its next connect by auth instead
    const auto lookup = find(id);
    ++out.lookups;
    switch (judge(lookup, out)) {
      case Verdict::kKick:
        out.kick.insert(identity);
        break;
      case Verdict::kKeep:
        serial_for.emplace(identity, lookup.device.cert_serial);
        break;
      case Verdict::kUnknown:
        break;
    }
  }
  if (serial_for.empty()) return out;
  for (const auto& [handle, client] : clients) {
    if (client.role != Role::kDevice) continue;
    auto it = serial_for.find(client.identity);
    if (it != serial_for.end() && it->second != client.serial) out.kick.insert(client.identity);
  }
  return out;
}

}  // namespace laneway::plugin

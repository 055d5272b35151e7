// The fleet registry: which devices exist, their groups, whether they are active, and the
// serial of the certificate each one must present. SQLite in WAL mode, so the broker plugin
// (a read-only connection) is never blocked by the fleet tools writing.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace laneway::registry {

enum class DeviceStatus { kActive, kRevoked };

const char* to_string(DeviceStatus status);
std::optional<DeviceStatus> parse_device_status(std::string_view text);

struct Device {
  std::string id;
  std::vector<std::string> groups;  // sorted
  DeviceStatus status = DeviceStatus::kActive;
  std::string cert_serial;  // normalized hex (see serial.h); empty = none yet
  std::int64_t created_at_s = 0;
  std::int64_t updated_at_s = 0;
};

struct GroupInfo {
  std::string name;
  std::int64_t members = 0;
};

// Outcome of a lookup: found, not found, or the database could not answer (the caller
// decides; the plugin refuses the client and logs the error once).
enum class LookupStatus { kFound, kNotFound, kError };

struct Lookup {
  LookupStatus status = LookupStatus::kError;
  Device device;      // valid when status == kFound
  std::string error;  // set when status == kError
};

// Schema version this code reads and writes. Tools migrate older files forward; a newer
// file is refused (it may hold fields this build does not know how to keep consistent).
inline constexpr int kSchemaVersion = 1;

class Registry {
 public:
  // Opens an existing registry for reading only (the broker plugin). Fails if the file is
  // missing or its schema version is not kSchemaVersion.
  static std::unique_ptr<Registry> open_read_only(const std::string& path, std::string* error);
  // Opens (creating if needed) a registry for reading and writing, in WAL mode, with the
  // schema created or checked.
  static std::unique_ptr<Registry> open_read_write(const std::string& path, std::string* error);

  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  Lookup find_device(std::string_view id);

  // A number that changes whenever another connection commits a change to the file
  // (SQLite's `PRAGMA data_version`). Cheap: the plugin polls it to notice revocations.
  std::optional<std::int64_t> data_version();

  // Writers (tools and tests). Each returns false and fills `error` on failure.
  bool upsert_device(const Device& device, std::string* error);
  bool set_status(std::string_view id, DeviceStatus status, std::string* error);
  bool remove_device(std::string_view id, std::string* error);
  std::optional<std::vector<Device>> list_devices(std::string* error);
  // Groups (fleet tools): add is idempotent; list includes groups known only from members.
  bool add_group(std::string_view name, std::string* error);
  std::optional<std::vector<GroupInfo>> list_groups(std::string* error);

  struct Impl;

 private:
  explicit Registry(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Device ids: 1..64 characters of [A-Za-z0-9._-] (never a topic separator or wildcard).
bool is_valid_device_id(std::string_view id);
// Group names follow the same rule (they appear as one topic level: fleet/<group>/...).
inline bool is_valid_group_name(std::string_view name) {
  return is_valid_device_id(name);
}

}  // namespace laneway::registry

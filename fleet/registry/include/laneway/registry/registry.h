// The fleet registry: which devices exist, their groups, whether they are active, and the
// serial of the certificate each one must present. SQLite in WAL mode, so the broker plugin
// (a read-only connection) is never blocked by the fleet tools writing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "laneway/registry/claims.h"

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
  // Schema 3 and later (0 / empty when unknown, or when a read-only connection opened an
  // older file). Written by upsert_device (expiry) and record_presence (seen, presence).
  std::int64_t cert_not_after_s = 0;
  std::int64_t first_seen_s = 0;  // first presence "online" the fleet service saw
  std::int64_t last_seen_s = 0;   // latest presence change (online or offline)
  std::string presence;           // "online", "offline" or empty (never seen)
  std::string provisioned_by;     // claim batch for devices from the claim flow, else empty
};

// One presence change as the fleet service saw it on `$lw/presence/<id>`.
struct PresenceUpdate {
  std::string id;
  bool online = false;
  std::int64_t at_s = 0;
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

// Schema version this code reads and writes (ordered migration steps in migrations.cc).
// Read-write opens migrate older files forward in one transaction; a read-only open (the
// plugin) accepts any version from 1 up to this one, since it reads only version-1 columns
// (plus the change journal when the file has it, version 4); a newer file is refused by
// both (it may hold fields this build cannot keep consistent).
inline constexpr int kSchemaVersion = 4;

// Rows the change journal keeps (the pruning trigger of migration step 4 says the same).
inline constexpr std::int64_t kChangeJournalRows = 100000;

// What changed for the broker since a journal position (docs/fleet.md "Change journal").
struct DeviceChanges {
  enum class Kind {
    kChanges,      // `ids` is everything that changed after the position asked for
    kGap,          // rows after that position were pruned, or there was no position yet
    kUnsupported,  // the file has no journal (schema older than 4)
  };
  Kind kind = Kind::kUnsupported;
  std::int64_t seq = 0;          // newest journal position read: ask from here next time
  std::vector<std::string> ids;  // distinct, in first-change order (kChanges only)
};

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

  // Devices whose existence, status, certificate or groups changed after journal position
  // `after` (nullopt: no position yet, answered kGap with the current position). More than
  // `max_ids` distinct devices is answered kGap too: past some size a full re-check is
  // cheaper than one lookup per change. Reads in one snapshot. nullopt with `error` when
  // the journal exists but cannot be read.
  std::optional<DeviceChanges> changes_since(std::optional<std::int64_t> after, std::size_t max_ids,
                                             std::string* error);

  // Writers (tools and tests). Each returns false and fills `error` on failure.
  bool upsert_device(const Device& device, std::string* error);
  bool set_status(std::string_view id, DeviceStatus status, std::string* error);
  bool remove_device(std::string_view id, std::string* error);
  std::optional<std::vector<Device>> list_devices(std::string* error);
  // Groups (fleet tools): add is idempotent; list includes groups known only from members.
  bool add_group(std::string_view name, std::string* error);
  std::optional<std::vector<GroupInfo>> list_groups(std::string* error);
  // Presence changes in one transaction (the fleet service batches them); unknown ids are
  // skipped. first_seen is set by the first "online", last_seen never goes backwards.
  bool record_presence(const std::vector<PresenceUpdate>& updates, std::string* error);

  // Provisioning claims (claims.h). upsert keeps the used count of an existing claim.
  bool upsert_claim(const Claim& claim, std::string* error);
  ClaimLookup find_claim(std::string_view batch);
  std::optional<std::vector<Claim>> list_claims(std::string* error);
  bool set_claim_status(std::string_view batch, ClaimStatus status, std::string* error);
  // The claim flow's registration, all-or-nothing: in one write transaction it checks the
  // claim (exists, active, not expired, not exhausted), the device id (not registered) and
  // the key (never provisioned before: replay), then calls `sign` (which issues the
  // certificate), then inserts the device, records the key and counts the claim use. Any
  // failure rolls everything back; if the failure comes after `sign` succeeded, `undo`
  // is called with what was issued (the service revokes that certificate).
  ClaimOutcome register_claimed_device(const ClaimRequest& request, const ClaimSigner& sign,
                                       const ClaimUndo& undo);

  // The schema version of the open file.
  int schema_version() const;

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

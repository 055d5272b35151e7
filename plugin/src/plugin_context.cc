#include "plugin_context.h"

#include <sys/stat.h>

#include <chrono>

#include "acl_rules.h"
#include "laneway/wire/topic_filter.h"

namespace laneway::plugin {

std::uint64_t unix_seconds() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

std::int64_t unix_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

FileStamp stamp_file(const std::string& path) {
  FileStamp stamp;
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return stamp;
  stamp.exists = true;
  stamp.device = info.st_dev;
  stamp.inode = info.st_ino;
  stamp.size = info.st_size;
  stamp.mtime_ns =
      static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec;
  return stamp;
}

void PluginContext::remember_principal(Principal principal) {
  if (principals.size() >= kMaxPrincipals) principals.clear();
  std::string key = principal.identity;
  principals.insert_or_assign(std::move(key), std::move(principal));
}

const Principal* PluginContext::principal_for(std::string_view identity) {
  if (auto it = principals.find(identity); it != principals.end()) return &it->second;
  const auto parsed = parse_identity(identity);
  if (!parsed) return nullptr;
  Principal principal;
  principal.role = parsed->role;
  principal.name = std::string(parsed->name);
  principal.identity = std::string(identity);
  if (parsed->role == Role::kDevice) {
    auto lookup = find_device(principal.name);
    if (lookup.status == registry::LookupStatus::kError) {
      registry_log.log(MOSQ_LOG_ERR, "registry lookup failed: " + lookup.error);
      return nullptr;  // not cached: the next check retries
    }
    if (lookup.status == registry::LookupStatus::kNotFound ||
        lookup.device.status != registry::DeviceStatus::kActive)
      return nullptr;
    principal.groups = std::move(lookup.device.groups);
  }
  build_acl_filters(principal);
  remember_principal(std::move(principal));
  return &principals.find(identity)->second;
}

registry::Lookup PluginContext::find_device(std::string_view id) {
  return registry ? registry->find_device(id) : replica->find_device(id);
}

std::optional<std::int64_t> PluginContext::directory_version() {
  if (registry) return registry->data_version();
  return replica->version();
}

std::optional<std::vector<std::string>> PluginContext::changed_devices() {
  if (replica) return replica->take_changes();
  std::string error;
  auto changes = registry->changes_since(journal_seq, registry::kChangeJournalRows, &error);
  if (!changes) {
    // The position stays: the next change reads from it again, after this full re-check.
    registry_log.log(MOSQ_LOG_ERR, "cannot read the registry's change journal: " + error);
    return std::nullopt;
  }
  switch (changes->kind) {
    case registry::DeviceChanges::Kind::kChanges:
      journal_seq = changes->seq;
      return std::move(changes->ids);
    case registry::DeviceChanges::Kind::kGap:
      // Rare (a bulk change larger than the journal keeps): worth a line each time.
      if (journal_seq)
        log(MOSQ_LOG_NOTICE,
            "laneway: registry journal moved past position %lld; re-checking every device",
            static_cast<long long>(*journal_seq));
      journal_seq = changes->seq;
      return std::nullopt;
    case registry::DeviceChanges::Kind::kUnsupported:
      // Every commit would say it again, so once: the file predates schema 4 until a tool
      // opens it read-write (docs/fleet.md "Change journal").
      if (!no_journal_logged)
        log(MOSQ_LOG_NOTICE,
            "laneway: registry has no change journal (schema %d); every registry change "
            "re-checks every connected device",
            registry->schema_version());
      no_journal_logged = true;
      journal_seq.reset();
      return std::nullopt;
  }
  return std::nullopt;
}

bool PluginContext::is_mapped(std::string_view topic) const {
  for (const auto& filter : config.map_filters) {
    if (wire::filter_covers(filter, topic)) return true;
  }
  return false;
}

bool PluginContext::save_state(bool clean, std::string* error) {
  if (config.state_path.empty()) return true;
  PluginState state;
  state.clean_shutdown = clean;
  state.epoch = sequencer.epoch();
  for (const auto& [identity, count] : online_count) {
    if (count > 0) state.online.push_back(identity);
  }
  if (clean) sequencer.export_seqs(state);
  return write_state_file(config.state_path, state, error);
}

}  // namespace laneway::plugin

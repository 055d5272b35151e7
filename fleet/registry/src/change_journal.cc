// Registry::changes_since: the broker's read of the change journal that migration step 4
// fills by triggers (docs/fleet.md "Change journal"), so a registry commit costs the plugin
// one lookup per changed device instead of one per connected device.
#include <unordered_set>

#include "migrations.h"
#include "registry_impl.h"

namespace laneway::registry {
namespace {

// Ends the read transaction whichever way changes_since returns: a read-only connection
// holding a snapshot would keep the WAL from being checkpointed past it.
class ReadTransaction {
 public:
  explicit ReadTransaction(sqlite3* db) : db_(db) {}
  ~ReadTransaction() {
    if (open_) sqlite::exec(db_, "COMMIT", nullptr);
  }
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;
  bool begin(std::string* error) { return open_ = sqlite::exec(db_, "BEGIN", error); }

 private:
  sqlite3* db_;
  bool open_ = false;
};

bool prepare_journal(Registry::Impl& impl, bool* present, std::string* error) {
  *present = impl.journal_rows.valid();
  if (*present) return true;
  if (!table_exists(impl.db.get(), "device_changes", present, error)) return false;
  if (!*present) return true;
  // Two subqueries, not min() and max() in one SELECT: SQLite answers a lone min or max
  // from the end of the index, but scans the whole table for both at once.
  impl.journal_bounds = sqlite::prepare(impl.db.get(),
                                        "SELECT coalesce((SELECT min(seq) FROM device_changes), 0),"
                                        " coalesce((SELECT max(seq) FROM device_changes), 0)",
                                        error);
  impl.journal_rows = sqlite::prepare(
      impl.db.get(), "SELECT seq, device_id FROM device_changes WHERE seq > ?1 ORDER BY seq",
      error);
  if (!impl.journal_bounds.valid() || !impl.journal_rows.valid()) {
    impl.journal_bounds = {};
    impl.journal_rows = {};
    return false;
  }
  return true;
}

}  // namespace

std::optional<DeviceChanges> Registry::changes_since(std::optional<std::int64_t> after,
                                                     std::size_t max_ids, std::string* error) {
  DeviceChanges changes;
  bool present = false;
  if (!prepare_journal(*impl_, &present, error)) return std::nullopt;
  if (!present) return changes;  // kUnsupported

  sqlite3* db = impl_->db.get();
  ReadTransaction snapshot(db);
  if (!snapshot.begin(error)) return std::nullopt;
  std::int64_t oldest = 0;
  {
    auto use = impl_->journal_bounds.use();
    if (sqlite3_step(use.get()) != SQLITE_ROW) {
      if (error) *error = sqlite::describe(db, "read the change journal");
      return std::nullopt;
    }
    oldest = sqlite3_column_int64(use.get(), 0);
    changes.seq = sqlite3_column_int64(use.get(), 1);
  }
  changes.kind = DeviceChanges::Kind::kGap;
  // No position yet, a journal that went backwards (another file, rows deleted by hand), or
  // rows pruned past the position: what changed in between is unknown.
  if (!after || changes.seq < *after) return changes;
  changes.kind = DeviceChanges::Kind::kChanges;
  if (changes.seq == *after) return changes;
  if (oldest > *after + 1) {
    changes.kind = DeviceChanges::Kind::kGap;
    return changes;
  }

  std::unordered_set<std::string> seen;
  auto use = impl_->journal_rows.use();
  sqlite3_bind_int64(use.get(), 1, *after);
  int rc;
  while ((rc = sqlite3_step(use.get())) == SQLITE_ROW) {
    auto id = sqlite::column_text(use.get(), 1);
    if (!seen.insert(id).second) continue;
    if (changes.ids.size() >= max_ids) {
      changes.kind = DeviceChanges::Kind::kGap;
      changes.ids.clear();
      return changes;
    }
    changes.ids.push_back(std::move(id));
  }
  if (rc != SQLITE_DONE) {
    if (error) *error = sqlite::describe(db, "read the change journal");
    return std::nullopt;
  }
  return changes;
}

}  // namespace laneway::registry

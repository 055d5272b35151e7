// Registry::record_presence: the fleet service's view of `$lw/presence/<id>` kept with each
// device (first seen, last seen, last presence), so `device show` has it without a broker.
#include "registry_impl.h"

namespace laneway::registry {

bool Registry::record_presence(const std::vector<PresenceUpdate>& updates, std::string* error) {
  if (updates.empty()) return true;
  sqlite3* db = impl_->db.get();
  auto stmt = sqlite::prepare(db, R"sql(
UPDATE devices SET
  first_seen = CASE WHEN ?2 = 'online' AND (first_seen = 0 OR first_seen > ?3) THEN ?3
                    ELSE first_seen END,
  presence   = CASE WHEN ?3 >= last_seen THEN ?2 ELSE presence END,
  last_seen  = max(last_seen, ?3)
WHERE id = ?1
)sql",
                              error);
  if (!stmt.valid()) return false;
  return in_write_transaction(db, error, [&] {
    for (const auto& update : updates) {
      auto use = stmt.use();
      sqlite::bind_text(use.get(), 1, update.id);
      sqlite::bind_text(use.get(), 2, update.online ? "online" : "offline");
      sqlite3_bind_int64(use.get(), 3, update.at_s);
      if (sqlite3_step(use.get()) != SQLITE_DONE) {
        if (error) *error = sqlite::describe(db, "record presence");
        return false;
      }
    }
    return true;
  });
}

}  // namespace laneway::registry

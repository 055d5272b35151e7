// What a Registry holds, shared by the files that implement its methods (devices, groups,
// presence, claims).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "laneway/registry/registry.h"
#include "sqlite_handles.h"

namespace laneway::registry {

struct Registry::Impl {
  sqlite::Db db;
  int schema_version = 0;
  sqlite::Statement find_device;
  sqlite::Statement data_version;
  // The change journal's reads, prepared on first use once the file has the journal (a
  // read-only connection may have opened the file before a tool migrated it).
  sqlite::Statement journal_bounds;
  sqlite::Statement journal_rows;
};

std::int64_t now_s();
std::vector<std::string> split_groups(const std::string& joined);
std::string join_groups(const std::vector<std::string>& groups);

// Runs `body` inside BEGIN IMMEDIATE ... COMMIT; rolls back when it returns false.
template <typename Body>
bool in_write_transaction(sqlite3* db, std::string* error, Body body) {
  if (!sqlite::exec(db, "BEGIN IMMEDIATE", error)) return false;
  if (!body()) {
    sqlite::exec(db, "ROLLBACK", nullptr);
    return false;
  }
  if (!sqlite::exec(db, "COMMIT", error)) {
    sqlite::exec(db, "ROLLBACK", nullptr);
    return false;
  }
  return true;
}

}  // namespace laneway::registry

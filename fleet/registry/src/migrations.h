// The registry's schema history: ordered migration steps, each taking the file from one
// version to the next, applied in one write transaction when a tool opens the file.
#pragma once

#include <sqlite3.h>

#include <string>
#include <string_view>

namespace laneway::registry {

// Whether the file has table `name`; false with `error` when the schema cannot be read.
bool table_exists(sqlite3* db, std::string_view name, bool* exists, std::string* error);

// The version recorded in the file: 0 for an empty file (no tables yet); false with
// `error` for a database that is not a laneway registry.
bool read_schema_version(sqlite3* db, int* version, std::string* error);

// Brings the file to kSchemaVersion (BEGIN IMMEDIATE ... COMMIT, so concurrent openers
// serialise and a failed step leaves the file as it was). Refuses a newer file.
bool migrate_to_current(sqlite3* db, std::string* error);

}  // namespace laneway::registry

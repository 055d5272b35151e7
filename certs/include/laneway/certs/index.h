// index.tsv: the CA's record of every certificate it issued, one line each:
//   serial_hex <TAB> role <TAB> id <TAB> not_after_unix <TAB> V|R <TAB> revoked_at_unix|- <TAB>
//   groups|-
// Appends are O_APPEND writes; revocation rewrites the file atomically. Callers hold the
// CA lock (CaStore::lock) around read-modify-write sequences.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "laneway/certs/result.h"

namespace laneway::certs {

struct IndexEntry {
  std::string serial_hex;  // canonical upper-case hex (serial_to_hex)
  std::string role;        // device | bridge | operator | claim | server
  std::string id;          // CN
  std::int64_t not_after = 0;
  char status = 'V';            // V valid, R revoked
  std::int64_t revoked_at = 0;  // unix seconds when status is R
  std::vector<std::string> groups;
};

std::string format_index_line(const IndexEntry& entry);  // without the newline
Result<IndexEntry> parse_index_line(std::string_view line);

// A missing file is an empty index.
Result<std::vector<IndexEntry>> read_index(const std::filesystem::path& path);
Status append_index(const std::filesystem::path& path, const std::vector<IndexEntry>& entries);
Status rewrite_index(const std::filesystem::path& path, const std::vector<IndexEntry>& entries);

}  // namespace laneway::certs

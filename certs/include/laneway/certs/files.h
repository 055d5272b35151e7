// File writes that never leave a half-written file behind: data goes to a temporary file
// in the same directory and is renamed over the target only when complete.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "laneway/certs/result.h"

namespace laneway::certs {

inline constexpr mode_t kPrivateFileMode = 0600;
inline constexpr mode_t kPublicFileMode = 0644;

// A file written to a temporary name; commit() renames it into place, and the destructor
// removes it if commit() never happened. Several StagedFiles committed back to back make a
// multi-file write that only fails half-way if a rename (not a write) fails.
class StagedFile {
 public:
  StagedFile() = default;
  StagedFile(const StagedFile&) = delete;
  StagedFile& operator=(const StagedFile&) = delete;
  StagedFile(StagedFile&& other) noexcept;
  StagedFile& operator=(StagedFile&& other) noexcept;
  ~StagedFile();

  // Writes `data` with exactly `mode` (umask does not apply) and fsyncs it when `durable`.
  static Result<StagedFile> stage(const std::filesystem::path& target, std::string_view data,
                                  mode_t mode, bool durable = true);
  Status commit();

 private:
  std::filesystem::path target_;
  std::filesystem::path temp_;
};

Status write_file_atomic(const std::filesystem::path& target, std::string_view data, mode_t mode);

// Creates a new file that must not exist yet (O_EXCL), without fsync: for files inside a
// directory that is itself published atomically (batch output).
Status write_new_file(const std::filesystem::path& target, std::string_view data, mode_t mode);

// Reads a whole file of at most `max_bytes`; `what` names it in errors ("CSR file", ...).
Result<std::string> read_file(const std::filesystem::path& path, std::string_view what,
                              std::size_t max_bytes = 1 << 20);

// mkdir -p; newly created directories get `mode`.
Status ensure_directory(const std::filesystem::path& dir, mode_t mode);

// fsync of a directory, so renames inside it survive a crash.
Status sync_directory(const std::filesystem::path& dir);

}  // namespace laneway::certs

#include "laneway/certs/files.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

namespace laneway::certs {
namespace fs = std::filesystem;
namespace {

std::string errno_text(int err) {
  return std::strerror(err);
}

std::string temp_name_for(const fs::path& target) {
  std::array<unsigned char, 6> rnd{};
  if (RAND_bytes(rnd.data(), rnd.size()) != 1) rnd.fill(0);
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, ".tmp.%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2],
                rnd[3], rnd[4], rnd[5]);
  return target.string() + suffix;
}

Status write_fd_fully(int fd, std::string_view data, const fs::path& path) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error("cannot write " + path.string() + ": " + errno_text(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  return ok_status();
}

// Opens `path` exclusively, writes `data`, sets `mode` exactly; unlinks on any failure.
Status create_and_write(const fs::path& path, std::string_view data, mode_t mode, bool durable) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    const int err = errno;
    if (err == EEXIST) return make_error(path.string() + " already exists");
    return make_error("cannot create " + path.string() + ": " + errno_text(err));
  }
  Status status = ok_status();
  if (::fchmod(fd, mode) != 0) {
    status = make_error("cannot chmod " + path.string() + ": " + errno_text(errno));
  }
  if (status.ok()) status = write_fd_fully(fd, data, path);
  if (status.ok() && durable && ::fsync(fd) != 0) {
    status = make_error("cannot fsync " + path.string() + ": " + errno_text(errno));
  }
  if (::close(fd) != 0 && status.ok()) {
    status = make_error("cannot close " + path.string() + ": " + errno_text(errno));
  }
  if (!status.ok()) ::unlink(path.c_str());
  return status;
}

}  // namespace

StagedFile::StagedFile(StagedFile&& other) noexcept
    : target_(std::move(other.target_)), temp_(std::move(other.temp_)) {
  other.temp_.clear();
}

StagedFile& StagedFile::operator=(StagedFile&& other) noexcept {
  if (this != &other) {
    if (!temp_.empty()) ::unlink(temp_.c_str());
    target_ = std::move(other.target_);
    temp_ = std::move(other.temp_);
    other.temp_.clear();
  }
  return *this;
}

StagedFile::~StagedFile() {
  if (!temp_.empty()) ::unlink(temp_.c_str());
}

Result<StagedFile> StagedFile::stage(const fs::path& target, std::string_view data, mode_t mode,
                                     bool durable) {
  StagedFile staged;
  staged.target_ = target;
  const fs::path temp = temp_name_for(target);
  LW_RETURN_IF_ERROR(create_and_write(temp, data, mode, durable));
  staged.temp_ = temp;
  return staged;
}

Status StagedFile::commit() {
  if (temp_.empty()) return make_error("internal error: commit of an empty staged file");
  if (::rename(temp_.c_str(), target_.c_str()) != 0) {
    return make_error("cannot rename into " + target_.string() + ": " + errno_text(errno));
  }
  temp_.clear();
  return ok_status();
}

Status write_file_atomic(const fs::path& target, std::string_view data, mode_t mode) {
  LW_ASSIGN_OR_RETURN(StagedFile staged, StagedFile::stage(target, data, mode));
  return staged.commit();
}

Status write_new_file(const fs::path& target, std::string_view data, mode_t mode) {
  return create_and_write(target, data, mode, /*durable=*/false);
}

Result<std::string> read_file(const fs::path& path, std::string_view what, std::size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) {
      return make_error(std::string(what) + " " + path.string() +
                        " does not exist: check the path");
    }
    return make_error("cannot open " + std::string(what) + " " + path.string() + ": " +
                      errno_text(err));
  }
  std::string data;
  std::array<char, 16384> buf{};
  while (true) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return make_error("cannot read " + path.string() + ": " + errno_text(err));
    }
    if (n == 0) break;
    data.append(buf.data(), static_cast<std::size_t>(n));
    if (data.size() > max_bytes) {
      ::close(fd);
      return make_error(std::string(what) + " " + path.string() + " is larger than " +
                        std::to_string(max_bytes) + " bytes: is it the right file?");
    }
  }
  ::close(fd);
  return data;
}

Status ensure_directory(const fs::path& dir, mode_t mode) {
  if (dir.empty()) return ok_status();
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return ok_status();
  if (dir.has_parent_path() && dir.parent_path() != dir) {
    LW_RETURN_IF_ERROR(ensure_directory(dir.parent_path(), mode));
  }
  if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) {
    return make_error("cannot create directory " + dir.string() + ": " + errno_text(errno));
  }
  if (!fs::is_directory(dir, ec))
    return make_error(dir.string() + " exists but is not a directory");
  return ok_status();
}

Status sync_directory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return make_error("cannot open directory " + dir.string() + ": " + errno_text(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return make_error("cannot fsync " + dir.string() + ": " + errno_text(err));
  return ok_status();
}

}  // namespace laneway::certs

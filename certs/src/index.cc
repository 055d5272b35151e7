#include "laneway/certs/index.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "laneway/certs/files.h"

namespace laneway::certs {
namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t pos = s.find(sep, start);
    parts.push_back(
        s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return parts;
}

bool parse_int64(std::string_view s, std::int64_t& out) {
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

std::string format_all(const std::vector<IndexEntry>& entries) {
  std::string text;
  for (const auto& e : entries) {
    text += format_index_line(e);
    text += '\n';
  }
  return text;
}

}  // namespace

std::string format_index_line(const IndexEntry& e) {
  std::string groups;
  for (const auto& g : e.groups) {
    if (!groups.empty()) groups += ',';
    groups += g;
  }
  return e.serial_hex + '\t' + e.role + '\t' + e.id + '\t' + std::to_string(e.not_after) + '\t' +
         e.status + '\t' + (e.status == 'R' ? std::to_string(e.revoked_at) : std::string("-")) +
         '\t' + (groups.empty() ? std::string("-") : groups);
}

Result<IndexEntry> parse_index_line(std::string_view line) {
  const auto fields = split(line, '\t');
  if (fields.size() != 7) return make_error("expected 7 tab-separated fields");
  IndexEntry e;
  e.serial_hex = fields[0];
  e.role = fields[1];
  e.id = fields[2];
  if (e.serial_hex.empty() || e.role.empty() || e.id.empty())
    return make_error("empty serial, role or id");
  if (!parse_int64(fields[3], e.not_after)) return make_error("not_after is not a number");
  if (fields[4] != "V" && fields[4] != "R") return make_error("status is not V or R");
  e.status = fields[4][0];
  if (e.status == 'R' && !parse_int64(fields[5], e.revoked_at))
    return make_error("revoked_at is not a number");
  if (fields[6] != "-") {
    for (auto g : split(fields[6], ',')) e.groups.emplace_back(g);
  }
  return e;
}

Result<std::vector<IndexEntry>> read_index(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::vector<IndexEntry>{};
  LW_ASSIGN_OR_RETURN(std::string text, read_file(path, "index", std::size_t{1} << 30));
  std::vector<IndexEntry> entries;
  std::size_t line_no = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string_view line(text.data() + start, end - start);
    ++line_no;
    start = end + 1;
    if (line.empty()) continue;
    auto entry = parse_index_line(line);
    if (!entry.ok()) {
      return make_error(path.string() + " line " + std::to_string(line_no) + ": " +
                        entry.error().message + "; repair that line by hand");
    }
    entries.push_back(std::move(entry).value());
  }
  return entries;
}

Status append_index(const std::filesystem::path& path, const std::vector<IndexEntry>& entries) {
  const std::string text = format_all(entries);
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return make_error("cannot open " + path.string() + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return make_error("cannot append to " + path.string() + ": " + std::strerror(err));
    }
    done += static_cast<std::size_t>(n);
  }
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return make_error("cannot fsync " + path.string() + ": " + std::strerror(err));
  return ok_status();
}

Status rewrite_index(const std::filesystem::path& path, const std::vector<IndexEntry>& entries) {
  return write_file_atomic(path, format_all(entries), kPublicFileMode);
}

}  // namespace laneway::certs

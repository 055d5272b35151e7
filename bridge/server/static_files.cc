#include "static_files.h"

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <system_error>
#include <utility>

namespace laneway::bridge {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxPathBytes = 512;

// Only what the web build produces; anything else is not ours to serve.
constexpr std::array<std::pair<std::string_view, std::string_view>, 12> kContentTypes{{
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".map", "application/json; charset=utf-8"},
    {".json", "application/json; charset=utf-8"},
    {".txt", "text/plain; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".webmanifest", "application/manifest+json"},
}};

bool safe_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_' || c == '/';
}

// True when every segment of `path` (which starts with '/') is a plain name: no empty
// segment (`//`), none starting with '.', so `.`, `..` and hidden files are all out.
bool plain_segments(std::string_view path) {
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(start, end - start);
    const bool last = end == path.size();
    if (segment.empty() && !last) return false;
    if (!segment.empty() && segment.front() == '.') return false;
    start = end + 1;
  }
  return true;
}

bool inside(const fs::path& root, const fs::path& file) {
  auto r = root.begin();
  auto f = file.begin();
  for (; r != root.end(); ++r, ++f) {
    if (f == file.end() || *r != *f) return false;
  }
  return f != file.end();
}

std::string etag_of(std::uintmax_t size, fs::file_time_type mtime) {
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(mtime.time_since_epoch()).count();
  char buf[64];
  std::snprintf(buf, sizeof buf, "W/\"%jx-%llx\"", size, static_cast<unsigned long long>(ns));
  return buf;
}

}  // namespace

std::string static_content_type(const std::string& file_name) {
  const auto dot = file_name.rfind('.');
  if (dot == std::string::npos) return {};
  const std::string_view ext = std::string_view(file_name).substr(dot);
  for (const auto& [e, type] : kContentTypes) {
    if (e == ext) return std::string(type);
  }
  return {};
}

StaticFile load_static_file(const std::string& web_root, const std::string& url_path,
                            const std::string& if_none_match) {
  StaticFile out;
  if (web_root.empty() || url_path.empty() || url_path.front() != '/' ||
      url_path.size() > kMaxPathBytes) {
    return out;
  }
  for (char c : url_path) {
    if (!safe_char(c)) return out;
  }
  if (!plain_segments(url_path)) return out;
  const std::string relative =
      url_path.substr(1) + (url_path.back() == '/' ? std::string("index.html") : std::string());
  const std::string type = static_content_type(relative);
  if (type.empty()) return out;

  std::error_code ec;
  const fs::path root = fs::canonical(web_root, ec);
  if (ec) return out;
  // canonical() resolves symlinks, so a link inside the root pointing out of it is refused.
  const fs::path file = fs::canonical(root / relative, ec);
  if (ec || !inside(root, file) || !fs::is_regular_file(file, ec)) return out;
  const std::uintmax_t size = fs::file_size(file, ec);
  if (ec || size > kMaxStaticFileBytes) return out;
  const fs::file_time_type mtime = fs::last_write_time(file, ec);
  if (ec) return out;

  out.content_type = type;
  out.etag = etag_of(size, mtime);
  if (!if_none_match.empty() && if_none_match == out.etag) {
    out.status = 304;
    return out;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return out;
  out.body.resize(static_cast<std::size_t>(size));
  in.read(out.body.data(), static_cast<std::streamsize>(size));
  // The file may have shrunk between stat and read; serve what was read.
  out.body.resize(static_cast<std::size_t>(in.gcount()));
  out.status = 200;
  return out;
}

}  // namespace laneway::bridge

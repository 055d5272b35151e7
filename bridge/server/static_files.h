// Static files under the configured `web_root` (the dashboard and the SDK bundle): maps a
// request path to one regular file inside the root, with its content type and validator.
// Kept apart from the libwebsockets route so the path rules are testable on their own.
#pragma once

#include <cstddef>
#include <string>

namespace laneway::bridge {

// Files larger than this are not served (the bundle is ~100 KiB; a 4 MiB cap keeps one
// request's memory bounded whatever lands in the folder).
inline constexpr std::size_t kMaxStaticFileBytes = 4 * 1024 * 1024;

struct StaticFile {
  unsigned status = 404;     // 200, 304 (validator matched), 404
  std::string content_type;  // for 200 and 304
  std::string etag;          // weak validator from size and modification time
  std::string body;          // the file's bytes for 200
};

// Resolves `url_path` (already without the query string) against `web_root` and loads the
// file. Refuses anything that could leave the root: `..` or dot-files in any segment, `%`,
// backslashes, NULs, symlinks pointing outside, non-regular files, unknown extensions and
// files over kMaxStaticFileBytes (all 404). `/` and paths ending in `/` mean `index.html`.
// `if_none_match`: the request's If-None-Match header; a match answers 304 without a body.
StaticFile load_static_file(const std::string& web_root, const std::string& url_path,
                            const std::string& if_none_match);

// Content type for a file name by its extension; empty when the extension is not served.
std::string static_content_type(const std::string& file_name);

}  // namespace laneway::bridge

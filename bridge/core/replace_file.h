// Replaces a file whole: `write` fills a temporary file beside it, which is then renamed
// over `path`, so a reader (or the next start after a crash) sees the old file or the new
// one, never a torn one. Used for broker.state_file and history.snapshot_file.
#pragma once

#include <functional>
#include <ostream>
#include <string>

namespace laneway::bridge {

// False with `error` when `write` returns false or any write, flush or the rename fails;
// the temporary file is removed then and `path` is left as it was.
bool replace_file(const std::string& path, const std::function<bool(std::ostream&)>& write,
                  std::string& error);

}  // namespace laneway::bridge

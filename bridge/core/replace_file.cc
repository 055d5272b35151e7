#include "replace_file.h"

#include <cstdio>
#include <fstream>

namespace laneway::bridge {

bool replace_file(const std::string& path, const std::function<bool(std::ostream&)>& write,
                  std::string& error) {
  const std::string tmp = path + ".tmp";
  bool ok = false;
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    ok = out && write(out) && out.flush();
  }
  if (!ok) {
    error = "cannot write " + tmp;
  } else if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    error = "cannot rename " + tmp + " to " + path;
    ok = false;
  }
  if (!ok) std::remove(tmp.c_str());
  return ok;
}

}  // namespace laneway::bridge

// A private directory for one test, removed with everything in it when the owner goes out
// of scope (unless LANEWAY_KEEP_TEST_DIRS is set, for post-mortems).
#pragma once

#include <filesystem>
#include <string>

namespace laneway::test {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "laneway-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // path() / name, as a string, for building argv.
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace laneway::test

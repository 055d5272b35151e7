#include "temp_dir.h"

#include <cstdlib>
#include <stdexcept>
#include <system_error>

namespace laneway::test {

TempDir::TempDir(const std::string& prefix) {
  std::string templ = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (mkdtemp(templ.data()) == nullptr)
    throw std::runtime_error("mkdtemp failed for " + templ);  // tests only: fail the test
  path_ = templ;
}

TempDir::~TempDir() {
  if (std::getenv("LANEWAY_KEEP_TEST_DIRS") != nullptr) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace laneway::test

#include "commands.h"

#include <cstdio>

namespace laneway::fleet {
namespace {
int g_exit_code = 0;
}

int exit_code() {
  return g_exit_code;
}
void set_exit_code(int code) {
  g_exit_code = code;
}
void fail(const std::string& command, const std::string& message) {
  std::fprintf(stderr, "laneway-fleet %s: error: %s\n", command.c_str(), message.c_str());
  g_exit_code = 1;
}

}  // namespace laneway::fleet

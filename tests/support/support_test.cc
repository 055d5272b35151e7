#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>

#include "net.h"
#include "process.h"
#include "temp_dir.h"
#include "wait.h"

namespace laneway::test {
namespace {

using namespace std::chrono_literals;

TEST(Process, CapturesOutputAndExitCode) {
  std::string out;
  EXPECT_EQ(run_command({"sh", "-c", "echo hello; echo err >&2; exit 3"}, &out), 3);
  EXPECT_NE(out.find("hello"), std::string::npos);
  EXPECT_NE(out.find("err"), std::string::npos);
}

TEST(Process, PassesExtraEnvironment) {
  std::string out;
  EXPECT_EQ(run_command({"sh", "-c", "echo $LANEWAY_X"}, &out, 5000ms, {{"LANEWAY_X", "42"}}), 0);
  EXPECT_EQ(out, "42\n");
}

TEST(Process, StopEndsALongRunningChildByItsPid) {
  auto p = Process::start({{"sleep", "30"}, {}, "", ""});
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->running());
  const int status = p->stop(1000ms);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_FALSE(p->running());
}

TEST(Process, StopKillsAChildThatIgnoresSigterm) {
  auto p = Process::start({{"sh", "-c", "trap '' TERM; sleep 30"}, {}, "", ""});
  ASSERT_TRUE(p);
  ASSERT_TRUE(wait_until([&] { return p->running(); }, 1000ms));
  std::this_thread::sleep_for(100ms);  // let the shell install its trap
  const int status = p->stop(200ms);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

TEST(Process, TimeoutKillsRunCommand) {
  std::string out;
  EXPECT_EQ(run_command({"sleep", "30"}, &out, 100ms), -1);
}

TEST(Process, ReportsAMissingProgram) {
  std::string error;
  EXPECT_FALSE(Process::start({{"/nonexistent/laneway-nope"}, {}, "", ""}, &error));
  EXPECT_FALSE(error.empty());
}

TEST(Net, FreePortsAreUsableAndConnectable) {
  EXPECT_GT(free_tcp_port(), 0);
  EXPECT_GT(free_udp_port(), 0);
  const auto port = free_tcp_port();
  EXPECT_FALSE(wait_for_tcp_port(port, 50ms));  // nobody listens yet
  auto server = Process::start({{"python3", "-c",
                                 "import socket,time;s=socket.socket();s.bind(('127.0.0.1'," +
                                     std::to_string(port) + "));s.listen();time.sleep(30)"},
                                {},
                                "",
                                ""});
  ASSERT_TRUE(server);
  EXPECT_TRUE(wait_for_tcp_port(port, 5000ms)) << server->output();
}

TEST(TempDir, IsRemovedWithItsContents) {
  std::filesystem::path kept;
  {
    TempDir dir;
    kept = dir.path();
    std::ofstream(dir.file("a.txt")) << "x";
    EXPECT_TRUE(std::filesystem::exists(kept / "a.txt"));
  }
  EXPECT_FALSE(std::filesystem::exists(kept));
}

TEST(Wait, IsBounded) {
  int calls = 0;
  EXPECT_FALSE(wait_until([&] { return ++calls < 0; }, 50ms, 5ms));
  EXPECT_GT(calls, 1);
  EXPECT_TRUE(wait_until([] { return true; }, 50ms));
}

}  // namespace
}  // namespace laneway::test

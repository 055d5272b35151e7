#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

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

// Listens on host:port (TCP) or binds it (UDP); true when the kernel allowed it.
bool bindable(const char* host, std::uint16_t port, int type) {
  const bool v6 = std::string(host).find(':') != std::string::npos;
  const int fd = socket(v6 ? AF_INET6 : AF_INET, type, 0);
  if (fd < 0) return false;
  int rc = -1;
  if (v6) {
    const int on = 1;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_port = htons(port);
    inet_pton(AF_INET6, host, &addr.sin6_addr);
    rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  } else {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    inet_pton(AF_INET, host, &addr.sin_addr);
    rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  }
  if (rc == 0 && type == SOCK_STREAM) rc = listen(fd, 1);
  close(fd);
  return rc == 0;
}

// A port a test gets must serve a server on ::1 as well as on 127.0.0.1 (the ::1 listener
// test of the bridge, Chromium resolving localhost to ::1 first).
TEST(Net, FreePortsAreFreeOnBothLoopbacks) {
  if (!have_ipv6_loopback()) GTEST_SKIP() << "no IPv6 loopback";
  for (int i = 0; i < 20; ++i) {
    const std::uint16_t tcp = free_tcp_port();
    ASSERT_GT(tcp, 0);
    EXPECT_TRUE(bindable("127.0.0.1", tcp, SOCK_STREAM)) << tcp;
    EXPECT_TRUE(bindable("::1", tcp, SOCK_STREAM)) << tcp;
    const std::uint16_t udp = free_udp_port();
    ASSERT_GT(udp, 0);
    EXPECT_TRUE(bindable("127.0.0.1", udp, SOCK_DGRAM)) << udp;
    EXPECT_TRUE(bindable("::1", udp, SOCK_DGRAM)) << udp;
  }
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

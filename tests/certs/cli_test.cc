// The real laneway-certs binary: exit codes, one-line errors, nothing partial on bad input.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "csr_builder.h"
#include "pki_check.h"
#include "process.h"
#include "temp_dir.h"

namespace laneway::certs {
namespace {

namespace fs = std::filesystem;
using testing::file_mode;
using testing::read_text;

struct CliRun {
  int code = -1;
  std::string output;  // stdout and stderr together
};

CliRun certs(std::vector<std::string> args, const std::map<std::string, std::string>& env = {}) {
  args.insert(args.begin(), LANEWAY_CERTS_BIN);
  CliRun run;
  run.code = test::run_command(args, &run.output, std::chrono::milliseconds(60000), env);
  return run;
}

// Every file under `dir` with its contents, to show that a failed command changed nothing.
std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> files;
  if (!fs::exists(dir)) return files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    files[entry.path().string()] = entry.is_regular_file() ? read_text(entry.path()) : "<dir>";
  }
  return files;
}

// One line, naming the command and "error:".
void expect_one_line_error(const CliRun& run, const std::string& needle) {
  EXPECT_NE(run.code, 0) << run.output;
  ASSERT_FALSE(run.output.empty());
  EXPECT_EQ(run.output.back(), '\n');
  EXPECT_EQ(run.output.find('\n'), run.output.size() - 1) << "more than one line: " << run.output;
  EXPECT_EQ(run.output.rfind("laneway-certs", 0), 0u) << run.output;
  EXPECT_NE(run.output.find("error:"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find(needle), std::string::npos)
      << "'" << needle << "' not in: " << run.output;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.file("pki");
    CliRun init = certs({"init", "--dir", dir_});
    ASSERT_EQ(init.code, 0) << init.output;
  }
  test::TempDir tmp_;
  std::string dir_;
};

TEST_F(CliTest, HappyPathThroughEveryCommand) {
  EXPECT_EQ(certs({"server", "--dir", dir_, "--name", "broker", "--dns", "localhost", "--ip",
                   "127.0.0.1"})
                .code,
            0);
  EXPECT_EQ(certs({"service", "--dir", dir_, "--role", "bridge", "--id", "bridge-1"}).code, 0);
  EXPECT_EQ(certs({"service", "--dir", dir_, "--role", "operator", "--id", "alice"}).code, 0);
  EXPECT_EQ(
      certs({"device", "--dir", dir_, "--id", "dev-1", "--group", "g1", "--group", "g2"}).code, 0);
  EXPECT_EQ(
      certs({"device", "--dir", dir_, "--id", "dev-2", "--out", tmp_.file("elsewhere/dev-2")}).code,
      0);
  EXPECT_EQ(certs({"claim", "--dir", dir_, "--batch", "batch-7"}).code, 0);
  EXPECT_EQ(
      certs({"batch", "--dir", dir_, "--count", "3", "--group", "g", "--out", tmp_.file("batch")})
          .code,
      0);
  for (const char* f : {"servers/broker.key", "services/bridge-bridge-1.key",
                        "services/operator-alice.key", "devices/dev-1.key", "claims/batch-7.key"}) {
    EXPECT_EQ(file_mode(fs::path(dir_) / f), 0600u) << f;
  }
  EXPECT_EQ(file_mode(tmp_.file("elsewhere/dev-2.key")), 0600u);
  EXPECT_TRUE(fs::exists(tmp_.file("batch/manifest.json")));

  CliRun wt = certs({"wt-cert", "--dir", dir_});
  ASSERT_EQ(wt.code, 0) << wt.output;
  EXPECT_EQ(wt.output.size(), 45u) << wt.output;  // 44 base64 chars of SHA-256 + newline

  PKeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  std::ofstream(tmp_.file("dev.csr")) << testing::make_csr_pem(key.get(), "x");
  CliRun signed_csr = certs({"sign-csr", "--dir", dir_, "--csr", tmp_.file("dev.csr"), "--id",
                             "dev-3", "--out", tmp_.file("dev-3.crt")});
  EXPECT_EQ(signed_csr.code, 0) << signed_csr.output;
  EXPECT_TRUE(fs::exists(tmp_.file("dev-3.crt")));

  CliRun revoke = certs({"revoke", "--dir", dir_, "--id", "dev-1"});
  EXPECT_EQ(revoke.code, 0) << revoke.output;
  EXPECT_EQ(certs({"revoke", "--dir", dir_, "--id", "operator:alice"}).code, 0);
  EXPECT_EQ(certs({"crl", "--dir", dir_}).code, 0);
  X509CrlPtr crl = testing::load_crl(fs::path(dir_) / "crl.pem");
  ASSERT_TRUE(crl);
  EXPECT_EQ(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl.get())), 2);
}

TEST_F(CliTest, HelpOnEveryCommand) {
  for (const char* cmd : {"init", "server", "service", "device", "batch", "sign-csr", "claim",
                          "revoke", "crl", "wt-cert"}) {
    CliRun help = certs({cmd, "--help"});
    EXPECT_EQ(help.code, 0) << cmd;
    EXPECT_NE(help.output.find("--dir"), std::string::npos) << cmd << ": " << help.output;
  }
  CliRun top = certs({"--help"});
  EXPECT_EQ(top.code, 0);
  EXPECT_NE(top.output.find("sign-csr"), std::string::npos);
}

TEST_F(CliTest, ExistingCaWithoutForce) {
  const auto before = snapshot(dir_);
  expect_one_line_error(certs({"init", "--dir", dir_}), "--force");
  EXPECT_EQ(snapshot(dir_), before);
}

TEST_F(CliTest, MissingCaDirectory) {
  const std::string nowhere = tmp_.file("nowhere");
  expect_one_line_error(certs({"device", "--dir", nowhere, "--id", "d"}), "init");
  EXPECT_FALSE(fs::exists(nowhere));
}

TEST_F(CliTest, BadIdsAndNames) {
  const auto before = snapshot(dir_);
  expect_one_line_error(certs({"device", "--dir", dir_, "--id", "a/b"}), "MQTT");
  expect_one_line_error(certs({"device", "--dir", dir_, "--id", "a+b"}), "not allowed");
  expect_one_line_error(certs({"device", "--dir", dir_, "--id", "a#"}), "not allowed");
  expect_one_line_error(certs({"device", "--dir", dir_, "--id", std::string(65, 'x')}), "64");
  expect_one_line_error(certs({"device", "--dir", dir_, "--id", "d", "--group", "x/y"}), "group");
  expect_one_line_error(certs({"service", "--dir", dir_, "--role", "wizard", "--id", "x"}),
                        "--role");
  expect_one_line_error(certs({"server", "--dir", dir_, "--name", "s"}), "--dns");
  expect_one_line_error(certs({"server", "--dir", dir_, "--name", "s", "--ip", "300.1.1.1"}),
                        "300.1.1.1");
  expect_one_line_error(certs({"server", "--dir", dir_, "--name", "s", "--dns", "a,b"}), "a,b");
  expect_one_line_error(certs({"device", "--dir", dir_}), "--id");
  expect_one_line_error(certs({"device", "--dir", dir_, "--id", "d", "--bogus"}), "bogus");
  expect_one_line_error(certs({"wt-cert", "--dir", dir_, "--days", "15"}), "14");
  expect_one_line_error(certs({"revoke", "--dir", dir_, "--id", "nobody"}), "no certificate");
  expect_one_line_error(certs({"revoke", "--dir", dir_}), "--id");
  expect_one_line_error(certs({}), "subcommand");
  EXPECT_EQ(snapshot(dir_), before);
}

TEST_F(CliTest, CsrProblems) {
  const auto before = snapshot(dir_);
  expect_one_line_error(
      certs({"sign-csr", "--dir", dir_, "--csr", tmp_.file("missing.csr"), "--id", "d"}),
      "does not exist");
  std::ofstream(tmp_.file("garbage.csr")) << "this is not a CSR\n";
  expect_one_line_error(
      certs({"sign-csr", "--dir", dir_, "--csr", tmp_.file("garbage.csr"), "--id", "d"}),
      "malformed");
  PKeyPtr weak(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(1024)));
  std::ofstream(tmp_.file("weak.csr")) << testing::make_csr_pem(weak.get(), "x");
  expect_one_line_error(
      certs({"sign-csr", "--dir", dir_, "--csr", tmp_.file("weak.csr"), "--id", "d"}), "weak key");
  PKeyPtr good(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  std::ofstream(tmp_.file("good.csr")) << testing::make_csr_pem(good.get(), "x");
  expect_one_line_error(
      certs({"sign-csr", "--dir", dir_, "--csr", tmp_.file("good.csr"), "--id", "bad/id"}), "MQTT");
  EXPECT_EQ(snapshot(dir_), before);
}

TEST_F(CliTest, BatchIntoExistingDirectory) {
  fs::create_directories(tmp_.file("taken"));
  const auto before = snapshot(dir_);
  expect_one_line_error(
      certs({"batch", "--dir", dir_, "--count", "2", "--group", "g", "--out", tmp_.file("taken")}),
      "already exists");
  EXPECT_TRUE(fs::is_empty(tmp_.file("taken")));
  EXPECT_FALSE(fs::exists(tmp_.file("taken.partial")));
  EXPECT_EQ(snapshot(dir_), before);
}

TEST(CliPassphrase, WrongOrMissingPassphrase) {
  test::TempDir tmp;
  const std::string dir = tmp.file("pki");
  std::ofstream(tmp.file("pass")) << "right one\n";
  std::ofstream(tmp.file("wrong")) << "wrong one\n";
  ASSERT_EQ(certs({"init", "--dir", dir, "--ca-pass-file", tmp.file("pass")}).code, 0);
  const auto before = snapshot(dir);
  expect_one_line_error(
      certs({"device", "--dir", dir, "--id", "d", "--ca-pass-file", tmp.file("wrong")}),
      "wrong passphrase");
  expect_one_line_error(certs({"device", "--dir", dir, "--id", "d"}), "--ca-pass-file");
  expect_one_line_error(
      certs({"device", "--dir", dir, "--id", "d", "--ca-pass-file", tmp.file("none")}),
      "does not exist");
  EXPECT_EQ(snapshot(dir), before);
  EXPECT_EQ(
      certs({"device", "--dir", dir, "--id", "d"}, {{"LANEWAY_CA_PASS_FILE", tmp.file("pass")}})
          .code,
      0);
}

}  // namespace
}  // namespace laneway::certs

// A gtest fixture whose Env (a broker and bridge processes) is built once per suite, since
// starting them costs seconds, and torn down (processes stopped by PID) after the last test.
// Env needs a setup() and a `std::string error` that stays empty while it is usable.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace laneway::bridge {

template <typename Env>
class SuiteEnvTest : public ::testing::Test {
 protected:
  // For the suite's SetUpTestSuite: builds the Env, or, when `skip_reason` is not empty (a
  // prerequisite such as npm packages is missing), skips every test of the suite with it.
  static void start_suite(std::string skip_reason) {
    skip_reason_ = std::move(skip_reason);
    if (!skip_reason_.empty()) return;
    env_ = std::make_unique<Env>();
    env_->setup();
  }
  static void TearDownTestSuite() { env_.reset(); }

  void SetUp() override {
    if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_;
    ASSERT_TRUE(env_->error.empty()) << env_->error;
  }

  static inline std::unique_ptr<Env> env_;
  static inline std::string skip_reason_;
};

}  // namespace laneway::bridge

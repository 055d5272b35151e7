// Bounded polling: every wait in a test has a deadline.
#pragma once

#include <chrono>
#include <thread>

namespace laneway::test {

// Polls `pred` every `interval` until it returns true (→ true) or `timeout` passes (→ false).
template <typename Pred>
bool wait_until(Pred pred, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval = std::chrono::milliseconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
  }
  return true;
}

}  // namespace laneway::test

// The registry shared by processes, as deployed: the broker plugin reads (read-only
// connection) while the provisioning service and the CLI write (read-write connections).
// WAL keeps the reader unblocked; the busy timeout makes writers queue instead of failing.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

#include "laneway/registry/registry.h"
#include "temp_dir.h"

namespace laneway::registry {
namespace {

TEST(RegistryConcurrency, ReaderNeverFailsWhileTwoWritersCommit) {
  test::TempDir dir;
  const std::string path = dir.file("fleet.db");
  std::string error;
  ASSERT_TRUE(Registry::open_read_write(path, &error)) << error;
  constexpr int kPerWriter = 300;

  std::atomic<bool> writers_done{false};
  std::atomic<int> write_failures{0};
  auto writer = [&](const std::string& prefix) {
    std::string werror;
    auto registry = Registry::open_read_write(path, &werror);
    if (!registry) {
      ++write_failures;
      return;
    }
    for (int i = 0; i < kPerWriter; ++i) {
      Device device;
      device.id = prefix + std::to_string(i);
      device.groups = {"g"};
      device.cert_serial = "ab" + std::to_string(i);
      if (!registry->upsert_device(device, &werror)) ++write_failures;
      if (i % 10 == 0 && !registry->record_presence({{device.id, true, 1000 + i}}, &werror))
        ++write_failures;
    }
  };

  auto reader = Registry::open_read_only(path, &error);
  ASSERT_TRUE(reader) << error;
  std::thread a(writer, "a-");
  std::thread b(writer, "b-");
  int lookups = 0;
  int errors = 0;
  int found_last = 0;
  std::thread joiner([&] {
    a.join();
    b.join();
    writers_done = true;
  });
  // Bounded: stops when the writers are done (they are bounded) or after 200000 lookups.
  while (!writers_done && lookups < 200000) {
    const auto lookup = reader->find_device("a-" + std::to_string(lookups % kPerWriter));
    if (lookup.status == LookupStatus::kError) ++errors;
    if (!reader->data_version()) ++errors;
    ++lookups;
  }
  joiner.join();
  EXPECT_EQ(write_failures.load(), 0);
  EXPECT_EQ(errors, 0);
  EXPECT_GT(lookups, 0);
  for (const char* prefix : {"a-", "b-"})
    for (int i = 0; i < kPerWriter; ++i)
      if (reader->find_device(prefix + std::to_string(i)).status == LookupStatus::kFound)
        ++found_last;
  EXPECT_EQ(found_last, 2 * kPerWriter);
}

TEST(RegistryConcurrency, ConcurrentClaimRequestsNeverOverspendAClaim) {
  test::TempDir dir;
  const std::string path = dir.file("fleet.db");
  std::string error;
  {
    auto registry = Registry::open_read_write(path, &error);
    ASSERT_TRUE(registry) << error;
    Claim claim;
    claim.batch = "line";
    claim.allowed = 50;
    claim.expires_at_s = 4102444800;
    ASSERT_TRUE(registry->upsert_claim(claim, &error)) << error;
  }
  std::atomic<int> accepted{0};
  std::atomic<int> exhausted{0};
  std::atomic<int> other{0};
  auto requester = [&](int which) {
    std::string rerror;
    auto registry = Registry::open_read_write(path, &rerror);
    if (!registry) {
      ++other;
      return;
    }
    for (int i = 0; i < 40; ++i) {
      const std::string id = "w" + std::to_string(which) + "-" + std::to_string(i);
      auto outcome = registry->register_claimed_device(
          {"line", id, "key-" + id, 1'800'000'000},
          [&](const std::vector<std::string>&, ClaimIssued* out, std::string*) {
            out->cert_serial = "1" + std::to_string(which * 1000 + i);
            out->not_after_s = 1;
            return true;
          },
          nullptr);
      if (outcome.refusal == ClaimRefusal::kNone)
        ++accepted;
      else if (outcome.refusal == ClaimRefusal::kClaimExhausted)
        ++exhausted;
      else
        ++other;
    }
  };
  std::thread a(requester, 1);
  std::thread b(requester, 2);
  a.join();
  b.join();
  EXPECT_EQ(accepted.load(), 50);
  EXPECT_EQ(exhausted.load(), 30);
  EXPECT_EQ(other.load(), 0);
  auto registry = Registry::open_read_write(path, &error);
  ASSERT_TRUE(registry) << error;
  EXPECT_EQ(registry->find_claim("line").claim.used, 50);
  auto devices = registry->list_devices(&error);
  ASSERT_TRUE(devices) << error;
  EXPECT_EQ(devices->size(), 50u);
}

}  // namespace
}  // namespace laneway::registry

// Several issuers and a revoker working on one CA directory at once (threads here; separate
// processes take the same flock): no index line is lost and every line stays whole.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "laneway/certs/ca_store.h"
#include "laneway/certs/index.h"
#include "laneway/certs/issuer.h"
#include "laneway/certs/revocation.h"
#include "temp_dir.h"

namespace laneway::certs {
namespace {

TEST(Concurrency, IssuingWhileRevokingLosesNoIndexLine) {
  test::TempDir tmp;
  const auto dir = tmp.path() / "pki";
  ASSERT_TRUE(CaStore::create(dir, {}).ok());
  constexpr int kIssuers = 3;
  constexpr int kPerIssuer = 15;
  {
    auto ca = CaStore::open(dir);
    ASSERT_TRUE(ca.ok());
    IssueRequest victim;
    victim.id = "victim";
    ASSERT_TRUE(issue_with_new_key(*ca, victim).ok());
  }

  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kIssuers; ++t) {
    threads.emplace_back([&, t] {
      auto ca = CaStore::open(dir);  // its own handle, as another process would have
      if (!ca.ok()) {
        ++failures;
        return;
      }
      for (int i = 0; i < kPerIssuer; ++i) {
        IssueRequest request;
        request.id = "t" + std::to_string(t) + "-" + std::to_string(i);
        if (!issue_with_new_key(*ca, request).ok()) ++failures;
      }
    });
  }
  // Revocation rewrites the whole index; without the lock it would drop lines appended
  // between its read and its rename.
  threads.emplace_back([&] {
    auto ca = CaStore::open(dir);
    if (!ca.ok()) {
      ++failures;
      return;
    }
    for (int i = 0; i < 20; ++i) {
      if (!revoke(*ca, {std::string("victim"), std::nullopt}).ok()) ++failures;
    }
  });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);

  auto index = read_index(dir / "index.tsv");
  ASSERT_TRUE(index.ok()) << index.error().message;
  EXPECT_EQ(index->size(), static_cast<std::size_t>(kIssuers * kPerIssuer + 1));
  std::set<std::string> ids;
  for (const auto& e : *index) ids.insert(e.id);
  EXPECT_EQ(ids.size(), index->size());
  EXPECT_EQ(index->front().status, 'R');
}

}  // namespace
}  // namespace laneway::certs

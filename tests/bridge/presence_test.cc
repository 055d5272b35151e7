// Presence is bounded and read in pages (docs/bridge.md "Presence"): the table keeps at most
// limits.presence_max_devices devices, making room by forgetting the device offline the
// longest; a listing returns pages with a `next` cursor and examines a bounded number of
// devices per call; an exact id is one lookup.
#include <gtest/gtest.h>

#include <set>

#include "hub_fixture.h"
#include "presence_table.h"

namespace laneway::bridge {
namespace {

std::string device(int i) {
  char id[16];
  std::snprintf(id, sizeof id, "d-%04d", i);
  return id;
}

TEST(PresenceTableTest, FullTableForgetsTheLongestOfflineAndNeverAnOnlineDevice) {
  PresenceTable table(3);
  ASSERT_TRUE(table.on_message(presence_frame(device(1), "device", false, 100)));
  ASSERT_TRUE(table.on_message(presence_frame(device(2), "device", false, 50)));
  ASSERT_TRUE(table.on_message(presence_frame(device(3), "device", true, 10)));
  ASSERT_TRUE(table.on_message(presence_frame("operator:alice", "operator", true)));
  EXPECT_EQ(table.size(), 3u);  // operators are not kept

  // Full: d-0002, offline since 50, is the one to go.
  ASSERT_TRUE(table.on_message(presence_frame(device(4), "device", true, 200)));
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.find(device(2)), nullptr);
  // d-0001 comes online: nothing offline is left to make room with.
  ASSERT_TRUE(table.on_message(presence_frame(device(1), "device", true, 300)));
  ASSERT_TRUE(table.on_message(presence_frame(device(5), "device", true, 400)));
  EXPECT_EQ(table.find(device(5)), nullptr);
  EXPECT_EQ(table.dropped(), 1u);
  ASSERT_NE(table.find(device(1)), nullptr);
  EXPECT_TRUE(table.find(device(1))->online());
  EXPECT_FALSE(table.on_message("not a frame"));
}

TEST(PresenceTableTest, PagesFollowIdOrderAndStopAtTheScanBound) {
  PresenceTable table(100);
  for (int i = 10; i >= 1; --i) table.on_message(presence_frame(device(i), "device", true));
  std::vector<std::string> seen;
  auto take_3 = [&](const v1::Presence& p) {
    seen.push_back(p.client_id());
    return seen.size() % 3 != 0;
  };
  EXPECT_EQ(table.for_each_after("", 100, take_3), device(3));
  EXPECT_EQ(table.for_each_after(device(3), 100, take_3), device(6));
  EXPECT_EQ(table.for_each_after(device(6), 100, take_3), device(9));
  EXPECT_EQ(table.for_each_after(device(9), 100, take_3), "");
  ASSERT_EQ(seen.size(), 10u);
  for (int i = 1; i <= 10; ++i) EXPECT_EQ(seen[i - 1], device(i));
  // Scan bound: four devices examined, none taken, the cursor moves past them.
  EXPECT_EQ(table.for_each_after("", 4, [](const v1::Presence&) { return true; }), device(4));
}

class PresencePagingTest : public HubTest {
 protected:
  v1::PresenceResult ask(Session& s, const std::string& filter, const std::string& after,
                         std::uint32_t limit) {
    v1::CallFrame call;
    call.set_id(9);
    call.mutable_presence()->set_filter(filter);
    call.mutable_presence()->set_after(after);
    call.mutable_presence()->set_limit(limit);
    send(s, call);
    auto frames = drain(s);
    if (frames.empty() || !frames[0].call().has_presence_result()) return {};
    return frames[0].call().presence_result();
  }
};

TEST_F(PresencePagingTest, ListingComesInPagesThatTogetherHoldEveryVisibleDevice) {
  config_.limits.presence_page_max = 10;
  for (int i = 1; i <= 25; ++i) {
    hub_.on_broker_message("$lw/presence/" + device(i), presence_frame(device(i), "device", true),
                           kNowUs);
  }
  Session* s = open();
  connect(*s, token());
  std::set<std::string> seen;
  std::string after;
  int pages = 0;
  for (; pages < 10; ++pages) {
    const v1::PresenceResult page = ask(*s, "", after, 0);
    EXPECT_LE(page.clients_size(), 10);
    for (const auto& c : page.clients()) EXPECT_TRUE(seen.insert(c.client_id()).second);
    after = page.next();
    if (after.empty()) break;
  }
  EXPECT_EQ(pages + 1, 3);
  EXPECT_EQ(seen.size(), 25u);
  // A smaller limit than the page maximum is honoured.
  EXPECT_EQ(ask(*s, "+", "", 4).clients_size(), 4);
}

TEST_F(PresencePagingTest, ExactIdIsOneLookupAndAListingExaminesABoundedNumber) {
  config_.limits.presence_page_max = 2;  // so a call examines at most 20 devices
  for (int i = 1; i <= 50; ++i) {
    hub_.on_broker_message("$lw/presence/" + device(i), presence_frame(device(i), "device", true),
                           kNowUs);
  }
  Session* s = open();
  connect(*s, token({{"subscribe", {"devices/d-0050/#"}}}));
  const v1::PresenceResult one = ask(*s, device(50), "", 0);
  ASSERT_EQ(one.clients_size(), 1);
  EXPECT_EQ(one.clients(0).client_id(), device(50));
  EXPECT_TRUE(one.next().empty());
  EXPECT_EQ(ask(*s, device(7), "", 0).clients_size(), 0);  // exists, not visible

  // Listing: the first call stops after 20 devices it may not see, with a cursor.
  const v1::PresenceResult first = ask(*s, "+", "", 0);
  EXPECT_EQ(first.clients_size(), 0);
  EXPECT_EQ(first.next(), device(20));
  std::string after = first.next();
  v1::PresenceResult page;
  for (int calls = 0; calls < 5 && !after.empty(); ++calls) {
    page = ask(*s, "+", after, 0);
    after = page.next();
    if (page.clients_size() > 0) break;
  }
  ASSERT_EQ(page.clients_size(), 1);
  EXPECT_EQ(page.clients(0).client_id(), device(50));
}

// A page ends before a device that would take its frame over the limit the session was told
// (1,024 bytes in the fixture), whatever the sizes of the devices before it.
TEST_F(PresencePagingTest, PagesStayWithinTheFrameLimitWhateverTheEntrySizes) {
  for (int i = 1; i <= 8; ++i) {
    v1::Presence p;
    p.set_client_id(device(i));
    p.set_role("device");
    p.set_online(true);
    // Alternately about 450 and 700 bytes of groups.
    const int groups = i % 2 ? 20 : 32;
    for (int g = 0; g < groups; ++g) p.add_groups("group-" + std::string(14, 'a' + g % 26));
    v1::Frame f;
    f.mutable_envelope()->set_topic("$lw/presence/" + device(i));
    f.mutable_envelope()->set_payload(p.SerializeAsString());
    std::string bytes;
    ASSERT_EQ(wire::encode_frame(f, bytes), wire::WireError::kOk);
    hub_.on_broker_message("$lw/presence/" + device(i), bytes, kNowUs);
  }
  Session* s = open();
  connect(*s, token());
  std::set<std::string> seen;
  std::string after;
  for (int pages = 0; pages < 20; ++pages) {
    v1::CallFrame call;
    call.set_id(9);
    call.mutable_presence()->set_after(after);
    send(*s, call);
    ASSERT_FALSE(s->queue.empty());
    EXPECT_LE(s->queue.front().frame->size(), config_.limits.max_frame_bytes);
    const v1::PresenceResult page = drain(*s)[0].call().presence_result();
    for (const auto& c : page.clients()) EXPECT_TRUE(seen.insert(c.client_id()).second);
    after = page.next();
    if (after.empty()) break;
  }
  EXPECT_EQ(seen.size(), 8u);
}

}  // namespace
}  // namespace laneway::bridge

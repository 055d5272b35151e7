// SSE attach tickets (docs/bridge.md "SSE attach tickets"): a POST-created SSE session's
// connect result carries a single-use ticket, good for 30 s; only the newest ticket is good;
// a wrong guess does not spend it; other lanes get none.
#include <gtest/gtest.h>

#include "hub_fixture.h"

namespace laneway::bridge {
namespace {

class AttachTicketTest : public HubTest {
 protected:
  // A session as POST /v1/call connect makes it: no stream yet.
  Session* post_created() {
    Session* s = hub_.open(Lane::kSse, nullptr, "", kNowUs);
    hub_.detach(*s, kNowUs);
    return s;
  }
  static std::string ticket_of(const std::vector<v1::Frame>& frames) {
    EXPECT_FALSE(frames.empty());
    return frames.empty() ? "" : frames[0].call().connect_result().attach_ticket();
  }
};

TEST_F(AttachTicketTest, ConnectResultTicketIsGoodOnceAndWithin30Seconds) {
  Session* s = post_created();
  const std::string ticket = ticket_of(connect(*s, token()));
  ASSERT_EQ(ticket.size(), 32u);
  EXPECT_FALSE(hub_.spend_attach_ticket(*s, "", kNowUs));
  EXPECT_FALSE(hub_.spend_attach_ticket(*s, std::string(32, '0'), kNowUs));
  EXPECT_FALSE(hub_.spend_attach_ticket(*s, ticket + "0", kNowUs));
  EXPECT_TRUE(hub_.spend_attach_ticket(*s, ticket, kNowUs + kAttachTicketTtlUs))
      << "a wrong guess leaves the ticket alone";
  EXPECT_FALSE(hub_.spend_attach_ticket(*s, ticket, kNowUs)) << "spent";

  Session* late = post_created();
  const std::string expired = ticket_of(connect(*late, token()));
  EXPECT_FALSE(hub_.spend_attach_ticket(*late, expired, kNowUs + kAttachTicketTtlUs + 1));
}

TEST_F(AttachTicketTest, OnlyTheNewestTicketIsGoodAndAStreamsTicketLastsTheSession) {
  Session* s = post_created();
  const std::string first = ticket_of(connect(*s, token()));
  const std::string next = hub_.issue_attach_ticket(*s, 0);
  EXPECT_NE(next, first);
  EXPECT_FALSE(hub_.spend_attach_ticket(*s, first, kNowUs));
  EXPECT_TRUE(hub_.spend_attach_ticket(*s, next, kNowUs + 3600LL * 1'000'000));
}

TEST_F(AttachTicketTest, SessionsThatNeedNoAttachGetNoTicket) {
  Session* ws = open();
  EXPECT_EQ(ticket_of(connect(*ws, token())), "");
  CountingSink stream;  // a standalone SSE stream: connected with its stream already there
  Session* standalone = hub_.open(Lane::kSse, &stream, "", kNowUs);
  EXPECT_EQ(ticket_of(connect(*standalone, token())), "");
  EXPECT_FALSE(hub_.spend_attach_ticket(*standalone, "", kNowUs));
}

}  // namespace
}  // namespace laneway::bridge

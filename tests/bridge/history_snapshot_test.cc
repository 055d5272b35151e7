// The history snapshot a graceful stop leaves for the next start (docs/bridge.md "Restart"):
// a restarted hub continues the stopped one's history and offset space, vouches for it only
// when the broker kept the bridge's session, and refuses a snapshot file that is not
// exactly what a bridge wrote.
#include "history_snapshot.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "hub_fixture.h"
#include "temp_dir.h"

namespace laneway::bridge {
namespace {

constexpr const char* kTopic = "devices/d1/t";

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_all(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::vector<std::uint64_t> envelope_seqs(const std::vector<v1::Frame>& frames) {
  std::vector<std::uint64_t> out;
  for (const v1::Frame& f : frames) {
    if (f.has_envelope()) out.push_back(f.envelope().seq());
    if (f.has_group()) {
      for (const v1::Envelope& e : f.group().envelopes()) out.push_back(e.seq());
    }
  }
  return out;
}

// Two hubs, the stopped one and the one started after it, sharing a config and a file.
class HistorySnapshotTest : public ::testing::Test {
 protected:
  HistorySnapshotTest()
      : config_(test_config()), before_(config_, upstream_), after_(config_, upstream_) {}

  void publish(Hub& hub, std::uint64_t seq) {
    hub.on_broker_message(std::string("$lw/env/") + kTopic, envelope_frame(kTopic, seq), kNowUs);
  }

  // Stops `before_` with seqs 1..3 in history and starts `after_` from its snapshot.
  void restart(bool vouch) {
    for (std::uint64_t seq = 1; seq <= 3; ++seq) publish(before_, seq);
    std::string error;
    ASSERT_TRUE(write_history_snapshot(path_, before_.snapshot_history(kNowUs), error)) << error;
    auto snapshot = read_history_snapshot(path_, kMaxBrokerFrameBytes, error);
    ASSERT_TRUE(snapshot) << error;
    ASSERT_TRUE(after_.restore_history(std::move(*snapshot), vouch, error)) << error;
  }

  std::vector<v1::Frame> resume(std::uint64_t since_seq) {
    Session* s = after_.open(Lane::kWebSocket, &sink_, "https://app.example", kNowUs);
    v1::Frame f;
    auto* call = f.mutable_call();
    call->set_id(1);
    call->mutable_connect()->set_app_id("demo");
    call->mutable_connect()->set_token(token());
    auto* sub = call->mutable_connect()->add_subscriptions();
    sub->set_filter("devices/#");
    auto* pos = sub->add_since();
    pos->set_topic(kTopic);
    pos->set_epoch(9);
    pos->set_seq(since_seq);
    std::string bytes;
    EXPECT_EQ(wire::encode_frame(f, bytes), wire::WireError::kOk);
    after_.on_client_frame(*s, bytes, kNowUs);
    return drain(*s);
  }

  static bool recovered(const std::vector<v1::Frame>& frames) {
    return !frames.empty() && frames[0].call().connect_result().subscriptions(0).recovered();
  }

  test::TempDir dir_{"laneway-snapshot"};
  std::string path_ = dir_.file("history.snapshot");
  BridgeConfig config_;
  RecordingUpstream upstream_;
  CountingSink sink_;
  Hub before_;
  Hub after_;
};

TEST_F(HistorySnapshotTest, ResumeAcrossARestartReplaysWhatTheStoppedBridgeHeld) {
  ASSERT_NO_FATAL_FAILURE(restart(/*vouch=*/true));
  auto frames = resume(1);
  EXPECT_TRUE(recovered(frames));
  EXPECT_EQ(envelope_seqs(frames), (std::vector<std::uint64_t>{2, 3}));
  // Up to date is up to date: nothing to replay, nothing lost.
  EXPECT_TRUE(recovered(resume(3)));
}

TEST_F(HistorySnapshotTest, SseResumeTokensOfTheStoppedBridgeStayValid) {
  ASSERT_NO_FATAL_FAILURE(restart(true));
  EXPECT_EQ(after_.instance_id(), before_.instance_id());
  EXPECT_EQ(after_.history().last_offset(), before_.history().last_offset());
  // Offsets continue where the stopped bridge left them, never reused.
  publish(after_, 4);
  EXPECT_EQ(after_.history().last_offset(), before_.history().last_offset() + 1);
  Replay r = after_.history().since_offset({"devices/#"}, before_.history().last_offset() - 2);
  EXPECT_TRUE(r.recovered);
  ASSERT_EQ(r.entries.size(), 3u);
  EXPECT_EQ(r.entries[0].seq, 2u);
  EXPECT_EQ(r.entries[2].seq, 4u);
}

TEST_F(HistorySnapshotTest, WithoutAResumedBrokerSessionNothingIsVouchedFor) {
  ASSERT_NO_FATAL_FAILURE(restart(/*vouch=*/false));
  auto frames = resume(1);
  EXPECT_FALSE(recovered(frames));                                       // said, not hidden
  EXPECT_EQ(envelope_seqs(frames), (std::vector<std::uint64_t>{2, 3}));  // what is kept
  EXPECT_FALSE(recovered(resume(3)));
  publish(after_, 4);  // continues the ring exactly: the bridge missed nothing after all
  EXPECT_TRUE(recovered(resume(3)));
}

TEST_F(HistorySnapshotTest, NoFileIsNoSnapshotAndNoError) {
  std::string error = "stale";
  EXPECT_FALSE(read_history_snapshot(dir_.file("absent"), kMaxBrokerFrameBytes, error));
  EXPECT_TRUE(error.empty());
}

TEST_F(HistorySnapshotTest, DamagedFilesAreRefusedWithAReason) {
  for (std::uint64_t seq = 1; seq <= 3; ++seq) publish(before_, seq);
  std::string error;
  ASSERT_TRUE(write_history_snapshot(path_, before_.snapshot_history(kNowUs), error));
  const std::string good = read_all(path_);
  const std::vector<std::pair<std::string, std::string>> damaged = {
      {"garbage", "not a snapshot at all"},
      {"magic only", good.substr(0, 4)},
      {"truncated", good.substr(0, good.size() - 5)},
      {"trailing bytes", good + std::string("\x02\x08\x01", 3)},
  };
  for (const auto& [what, bytes] : damaged) {
    write_all(path_, bytes);
    error.clear();
    EXPECT_FALSE(read_history_snapshot(path_, kMaxBrokerFrameBytes, error)) << what;
    EXPECT_FALSE(error.empty()) << what;
  }
}

TEST_F(HistorySnapshotTest, AFrameMustBeTheEnvelopeItsRingNames) {
  HistorySnapshot snapshot{"abc123", {}, kNowUs};
  snapshot.state.next_offset = 2;
  snapshot.state.latest_epoch = 9;
  snapshot.state.rings.push_back(
      HistoryRingState{kTopic,
                       9,
                       1,
                       0,
                       false,
                       {HistoryEntry{1, 1, make_shared_frame(envelope_frame("devices/d2/t", 1))}}});
  std::string error;
  ASSERT_TRUE(write_history_snapshot(path_, snapshot, error)) << error;
  EXPECT_FALSE(read_history_snapshot(path_, kMaxBrokerFrameBytes, error));
  EXPECT_NE(error.find("not its envelope"), std::string::npos) << error;
}

TEST(HistoryImport, InconsistentStateIsRefusedAndLeavesTheStoreEmpty) {
  auto ring = [](std::vector<std::uint64_t> seqs, std::vector<std::uint64_t> offsets,
                 std::uint64_t last_seq) {
    HistoryRingState r{"t", 1, last_seq, 0, false, {}};
    for (std::size_t i = 0; i < seqs.size(); ++i) {
      r.entries.push_back(HistoryEntry{seqs[i], offsets[i], make_shared_frame("x")});
    }
    return r;
  };
  const std::vector<std::pair<std::string, HistoryRingState>> bad = {
      {"seq hole", ring({1, 3}, {1, 2}, 3)},
      {"not ending at last_seq", ring({1, 2}, {1, 2}, 5)},
      {"offsets backwards", ring({1, 2}, {2, 1}, 2)},
      {"offset past next_offset", ring({1, 2}, {1, 10}, 2)},
      {"more entries than seqs", ring({0, 1}, {1, 2}, 1)},
  };
  for (const auto& [what, r] : bad) {
    HistoryStore h({});
    HistoryState state;
    state.next_offset = 3;
    state.latest_epoch = 1;
    state.rings.push_back(r);
    std::string error;
    EXPECT_FALSE(h.import_state(state, true, error)) << what;
    EXPECT_FALSE(error.empty()) << what;
    EXPECT_EQ(h.topic_count(), 0u) << what;
    EXPECT_EQ(h.last_offset(), 0u) << what;
  }
  // Twice the same topic.
  HistoryStore h({});
  HistoryState state;
  state.next_offset = 3;
  state.latest_epoch = 1;
  state.rings = {ring({1}, {1}, 1), ring({1}, {2}, 1)};
  std::string error;
  EXPECT_FALSE(h.import_state(state, true, error));
  EXPECT_EQ(h.topic_count(), 0u);
  EXPECT_EQ(h.last_offset(), 0u);
}

TEST(HistoryImport, TheCurrentLimitsApply) {
  HistoryStore before(
      {.max_messages_per_topic = 10, .max_bytes_per_topic = 1000, .max_topics = 10});
  for (std::uint64_t seq = 1; seq <= 6; ++seq) before.append("t", 1, seq, make_shared_frame("x"));
  before.append("u", 1, 1, make_shared_frame("x"));
  HistoryStore after({.max_messages_per_topic = 3, .max_bytes_per_topic = 1000, .max_topics = 1});
  std::string error;
  ASSERT_TRUE(after.import_state(before.export_state(), true, error)) << error;
  EXPECT_EQ(after.topic_count(), 1u);  // "t" was the least recently appended: forgotten
  EXPECT_TRUE(after.since_position("u", 1, 0).recovered);
  EXPECT_FALSE(after.since_offset({"t"}, 2).recovered);
}

}  // namespace
}  // namespace laneway::bridge

#include "sequencer.h"

#include <gtest/gtest.h>

#include "state_file.h"
#include "temp_dir.h"

namespace {

using laneway::plugin::PluginState;
using laneway::plugin::Sequencer;

TEST(Sequencer, FirstStartUsesTheClockAndCountsFromOnePerTopic) {
  Sequencer s(10);
  EXPECT_EQ(s.start(std::nullopt, 1700000000), Sequencer::StartKind::kFresh);
  EXPECT_EQ(s.epoch(), 1700000000u);
  EXPECT_EQ(s.next("a", 0).seq, 1u);
  EXPECT_EQ(s.next("a", 0).seq, 2u);
  EXPECT_EQ(s.next("b", 0).seq, 1u);
  EXPECT_EQ(s.next("a", 0).seq, 3u);
}

TEST(Sequencer, TwoCoresStartingInTheSameSecondNeverShareAnEpoch) {
  Sequencer core(10, 0u), standby(10, 1u);
  core.start(std::nullopt, 1700000000);
  standby.start(std::nullopt, 1700000000);
  EXPECT_NE(core.epoch(), standby.epoch());
  EXPECT_EQ(core.epoch() % Sequencer::kMaxCores, 0u);
  EXPECT_EQ(standby.epoch() % Sequencer::kMaxCores, 1u);
  EXPECT_GE(standby.epoch(), 1700000000u);
  // A crash and a restart of each: still increasing, still apart.
  PluginState crashed;
  crashed.epoch = standby.epoch();
  const auto previous = standby.epoch();
  standby.start(crashed, 1700000000);
  EXPECT_GT(standby.epoch(), previous);
  EXPECT_EQ(standby.epoch() % Sequencer::kMaxCores, 1u);
  // A single broker keeps plain Unix-second epochs.
  Sequencer single(10);
  single.start(std::nullopt, 1700000001);
  EXPECT_EQ(single.epoch(), 1700000001u);
}

TEST(Sequencer, CleanShutdownKeepsEpochAndSeqs) {
  Sequencer s(10);
  s.start(std::nullopt, 1000);
  s.next("a", 0);
  s.next("a", 0);
  PluginState state;
  state.clean_shutdown = true;
  state.epoch = s.epoch();
  s.export_seqs(state);

  Sequencer resumed(10);
  EXPECT_EQ(resumed.start(state, 5000), Sequencer::StartKind::kResumed);
  EXPECT_EQ(resumed.epoch(), 1000u);
  EXPECT_EQ(resumed.next("a", 0).seq, 3u);
}

TEST(Sequencer, UncleanStopStartsANewLargerEpoch) {
  PluginState state;
  state.clean_shutdown = false;
  state.epoch = 9000;  // clock went backwards: still increases
  state.seqs = {{"a", 7}};
  Sequencer s(10);
  EXPECT_EQ(s.start(state, 5000), Sequencer::StartKind::kNewEpochAfterUncleanStop);
  EXPECT_EQ(s.epoch(), 9001u);
  EXPECT_EQ(s.next("a", 0).seq, 1u);
}

TEST(Sequencer, FullTableStartsANewEpochInsteadOfReusingPositions) {
  Sequencer s(2);
  s.start(std::nullopt, 100);
  s.next("a", 0);
  s.next("b", 0);
  const auto position = s.next("c", 50);
  EXPECT_TRUE(position.started_new_epoch);
  EXPECT_EQ(position.epoch, 101u);
  EXPECT_EQ(position.seq, 1u);
  EXPECT_EQ(s.next("a", 0).seq, 1u);
  EXPECT_EQ(s.next("c", 0).seq, 2u);
}

TEST(StateFile, RoundTripsTopicsWithAnyCharacters) {
  PluginState state;
  state.clean_shutdown = true;
  state.epoch = 42;
  state.online = {"d-1", "bridge:b 1"};
  state.seqs = {{"devices/d1/t", 3}, {"odd topic\nwith newline", 9}};
  std::string error;
  const auto parsed = laneway::plugin::parse_state(serialize_state(state), &error);
  ASSERT_TRUE(parsed) << error;
  EXPECT_TRUE(parsed->clean_shutdown);
  EXPECT_EQ(parsed->epoch, 42u);
  EXPECT_EQ(parsed->online, state.online);
  EXPECT_EQ(parsed->seqs, state.seqs);
}

TEST(StateFile, RefusesTruncatedAndGarbageFiles) {
  PluginState state;
  state.epoch = 1;
  state.seqs = {{"a", 1}};
  const std::string text = serialize_state(state);
  std::string error;
  EXPECT_FALSE(laneway::plugin::parse_state(text.substr(0, text.size() - 3), &error));
  EXPECT_FALSE(laneway::plugin::parse_state("garbage", &error));
  EXPECT_FALSE(laneway::plugin::parse_state("", &error));
}

TEST(StateFile, WritesAtomicallyAndReadsBack) {
  laneway::test::TempDir dir;
  PluginState state;
  state.epoch = 7;
  std::string error;
  EXPECT_FALSE(laneway::plugin::read_state_file(dir.file("state"), &error));
  EXPECT_TRUE(error.empty());  // missing is not an error
  ASSERT_TRUE(laneway::plugin::write_state_file(dir.file("state"), state, &error)) << error;
  const auto read = laneway::plugin::read_state_file(dir.file("state"), &error);
  ASSERT_TRUE(read) << error;
  EXPECT_EQ(read->epoch, 7u);
}

}  // namespace

// The WebSocket lane's transport-free parts: message reassembly under the frame limit and
// the server-to-client framing its batched write uses (RFC 6455 §5.2).
#include "ws_message.h"

#include <gtest/gtest.h>

#include <string>

namespace laneway::bridge {
namespace {

using Result = MessageAssembler::Result;

TEST(MessageAssembler, ReassemblesFragmentsUpToTheLimit) {
  MessageAssembler rx(8);
  EXPECT_EQ(rx.add("abc", true, false, true), Result::kIncomplete);
  EXPECT_EQ(rx.add("def", false, true, true), Result::kBinary);
  EXPECT_EQ(rx.message(), "abcdef");
  rx.release();
  EXPECT_EQ(rx.add("12345678", true, true, true), Result::kBinary);  // exactly the limit
}

TEST(MessageAssembler, OversizedIsDiscardedAndTheNextMessageStartsClean) {
  MessageAssembler rx(8);
  EXPECT_EQ(rx.add("12345", true, false, true), Result::kIncomplete);
  EXPECT_EQ(rx.add("6789", false, false, true), Result::kIncomplete);
  EXPECT_TRUE(rx.message().empty());  // nothing of it is kept
  EXPECT_EQ(rx.add("x", false, true, true), Result::kTooLarge);
  EXPECT_EQ(rx.add("ok", true, true, true), Result::kBinary);
  EXPECT_EQ(rx.message(), "ok");
}

TEST(MessageAssembler, TextMessagesAreNotFrames) {
  MessageAssembler rx(8);
  EXPECT_EQ(rx.add("hi", true, false, false), Result::kIncomplete);
  EXPECT_EQ(rx.add("!", false, true, true), Result::kText);  // the opcode of the first fragment
}

std::string frame_header(std::size_t n) {
  std::string out;
  append_ws_frame(out, std::string(n, 'p'));
  EXPECT_EQ(out.size() >= n, true);
  return out.substr(0, out.size() - n);
}

TEST(AppendWsFrame, LengthEncodingsAtEachBoundary) {
  EXPECT_EQ(frame_header(0), std::string("\x82\x00", 2));
  EXPECT_EQ(frame_header(125), std::string("\x82\x7d", 2));
  EXPECT_EQ(frame_header(126), std::string("\x82\x7e\x00\x7e", 4));
  EXPECT_EQ(frame_header(65535), std::string("\x82\x7e\xff\xff", 4));
  EXPECT_EQ(frame_header(65536), std::string("\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10));
}

}  // namespace
}  // namespace laneway::bridge

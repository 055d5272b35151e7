#include "laneway/wire/frame_codec.h"

#include <gtest/gtest.h>

namespace laneway::wire {
namespace {

v1::Frame envelope_with_payload(std::size_t n) {
  v1::Frame frame;
  frame.mutable_envelope()->set_topic("devices/d1/telemetry");
  frame.mutable_envelope()->set_payload(std::string(n, 'x'));
  return frame;
}

TEST(FrameCodec, RoundTripsAnEnvelope) {
  auto frame = envelope_with_payload(100);
  frame.mutable_envelope()->set_seq(7);
  std::string bytes;
  ASSERT_EQ(encode_frame(frame, bytes), WireError::kOk);
  v1::Frame decoded;
  ASSERT_EQ(decode_frame(bytes, decoded), WireError::kOk);
  EXPECT_EQ(decoded.envelope().seq(), 7u);
  EXPECT_EQ(decoded.envelope().payload().size(), 100u);
}

TEST(FrameCodec, EncodeRefusesAFrameOverTheLimit) {
  std::string bytes = "stale";
  EXPECT_EQ(encode_frame(envelope_with_payload(2000), bytes, 1000), WireError::kTooLarge);
  EXPECT_TRUE(bytes.empty());
}

TEST(FrameCodec, DefaultLimitIsOneMebibyte) {
  std::string bytes;
  EXPECT_EQ(encode_frame(envelope_with_payload(kDefaultMaxFrameBytes), bytes),
            WireError::kTooLarge);
  EXPECT_EQ(encode_frame(envelope_with_payload(kDefaultMaxFrameBytes - 64), bytes), WireError::kOk);
}

TEST(FrameCodec, EncodeRefusesAFrameWithNoKind) {
  std::string bytes;
  EXPECT_EQ(encode_frame(v1::Frame{}, bytes), WireError::kMalformedFrame);
}

TEST(FrameCodec, DecodeRefusesOversizedInputBeforeParsing) {
  std::string bytes;
  ASSERT_EQ(encode_frame(envelope_with_payload(2000), bytes), WireError::kOk);
  v1::Frame decoded;
  EXPECT_EQ(decode_frame(bytes, decoded, 1000), WireError::kTooLarge);
}

TEST(FrameCodec, DecodeRefusesGarbageTruncationAndEmptyFrames) {
  v1::Frame decoded;
  EXPECT_EQ(decode_frame(std::string_view("\xff\xff\xff", 3), decoded), WireError::kMalformedFrame);
  std::string bytes;
  ASSERT_EQ(encode_frame(envelope_with_payload(50), bytes), WireError::kOk);
  EXPECT_EQ(decode_frame(std::string_view(bytes).substr(0, bytes.size() - 1), decoded),
            WireError::kMalformedFrame);
  // Zero bytes is a valid protobuf encoding of an empty Frame, which has no kind.
  EXPECT_EQ(decode_frame("", decoded), WireError::kMalformedFrame);
  EXPECT_EQ(decoded.kind_case(), v1::Frame::KIND_NOT_SET);
}

TEST(FrameCodec, DecodeIgnoresUnknownFieldsForForwardCompatibility) {
  std::string bytes;
  ASSERT_EQ(encode_frame(envelope_with_payload(3), bytes), WireError::kOk);
  bytes += std::string("\xf8\x07\x01", 3);  // field 127, varint 1: a future field
  v1::Frame decoded;
  EXPECT_EQ(decode_frame(bytes, decoded), WireError::kOk);
  EXPECT_EQ(decoded.envelope().payload(), "xxx");
}

TEST(WireError, EveryErrorHasADescription) {
  for (auto e : {WireError::kOk, WireError::kTooLarge, WireError::kBadLength,
                 WireError::kMalformedFrame, WireError::kBadBase64, WireError::kTruncated})
    EXPECT_STRNE(describe(e), "unknown wire error");
}

}  // namespace
}  // namespace laneway::wire

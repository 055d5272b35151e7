#include "laneway/wire/length_prefix.h"

#include <gtest/gtest.h>

#include <vector>

namespace laneway::wire {
namespace {

struct Collector {
  std::vector<std::string> records;
  LengthPrefixDecoder::RecordHandler handler() {
    return [this](std::string_view r) { records.emplace_back(r); };
  }
};

std::string stream_of(const std::vector<std::string>& records) {
  std::string out;
  for (const auto& r : records) append_length_prefixed(r, out);
  return out;
}

TEST(LengthPrefix, EncodesVarintPrefixes) {
  std::string out;
  append_length_prefixed(std::string(300, 'a'), out);
  ASSERT_GE(out.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(out[0]), 0xac);  // 300 = 0b10_0101100
  EXPECT_EQ(static_cast<unsigned char>(out[1]), 0x02);
  EXPECT_EQ(out.size(), 302u);
}

TEST(LengthPrefix, DecodesWholeStreamInOneChunk) {
  const std::vector<std::string> records{"a", "", std::string(200, 'b'), "xyz"};
  LengthPrefixDecoder decoder;
  Collector c;
  ASSERT_EQ(decoder.feed(stream_of(records), c.handler()), WireError::kOk);
  EXPECT_EQ(c.records, records);
  EXPECT_EQ(decoder.finish(), WireError::kOk);
}

TEST(LengthPrefix, DecodesEverySplitPoint) {
  const std::vector<std::string> records{std::string(130, 'q'), "", "hello", std::string(1, '\0')};
  const std::string stream = stream_of(records);
  for (std::size_t chunk = 1; chunk <= stream.size(); ++chunk) {
    SCOPED_TRACE(chunk);
    LengthPrefixDecoder decoder;
    Collector c;
    for (std::size_t at = 0; at < stream.size(); at += chunk)
      ASSERT_EQ(decoder.feed(std::string_view(stream).substr(at, chunk), c.handler()),
                WireError::kOk);
    EXPECT_EQ(c.records, records);
    EXPECT_EQ(decoder.buffered_bytes(), 0u);
    EXPECT_EQ(decoder.finish(), WireError::kOk);
  }
}

TEST(LengthPrefix, RefusesARecordOverTheLimitBeforeBufferingIt) {
  LengthPrefixDecoder decoder(100);
  Collector c;
  std::string prefix;
  append_length_prefixed(std::string(101, 'x'), prefix);
  EXPECT_EQ(decoder.feed(std::string_view(prefix).substr(0, 2), c.handler()), WireError::kTooLarge);
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
  EXPECT_TRUE(decoder.failed());
  // The failure is sticky: the stream cannot be resynchronised.
  EXPECT_EQ(decoder.feed("\x01x", c.handler()), WireError::kTooLarge);
  EXPECT_TRUE(c.records.empty());
}

TEST(LengthPrefix, RefusesAHugeDeclaredLength) {
  LengthPrefixDecoder decoder;
  Collector c;
  // 2^63: a valid 10-byte varint, far over any limit.
  const std::string prefix("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 10);
  EXPECT_EQ(decoder.feed(prefix, c.handler()), WireError::kTooLarge);
}

TEST(LengthPrefix, RefusesAnOverlongVarint) {
  LengthPrefixDecoder decoder;
  Collector c;
  EXPECT_EQ(decoder.feed(std::string(11, '\x80'), c.handler()), WireError::kBadLength);
  LengthPrefixDecoder decoder2;
  EXPECT_EQ(decoder2.feed(std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 10), c.handler()),
            WireError::kBadLength);
}

TEST(LengthPrefix, DeliversRecordsBeforeAnError) {
  std::string stream = stream_of({"ok"});
  stream += std::string(11, '\x80');
  LengthPrefixDecoder decoder;
  Collector c;
  EXPECT_EQ(decoder.feed(stream, c.handler()), WireError::kBadLength);
  EXPECT_EQ(c.records, std::vector<std::string>{"ok"});
}

TEST(LengthPrefix, FinishReportsTruncation) {
  const std::string stream = stream_of({"hello"});
  LengthPrefixDecoder in_record;
  Collector c;
  ASSERT_EQ(in_record.feed(std::string_view(stream).substr(0, 3), c.handler()), WireError::kOk);
  EXPECT_EQ(in_record.finish(), WireError::kTruncated);
  LengthPrefixDecoder in_prefix;
  ASSERT_EQ(in_prefix.feed("\x80", c.handler()), WireError::kOk);
  EXPECT_EQ(in_prefix.finish(), WireError::kTruncated);
}

}  // namespace
}  // namespace laneway::wire

// QUIC varints: every length class, split feeding, and truncation.
#include "varint.h"

#include <gtest/gtest.h>

namespace wt = laneway::webtransport;

TEST(VarintTest, RoundTripsEveryLengthClass) {
  for (std::uint64_t v : std::initializer_list<std::uint64_t>{0, 63, 64, 16383, 16384, 1073741823,
                                                              1073741824, wt::kMaxVarint}) {
    std::string s;
    wt::append_varint(v, s);
    EXPECT_EQ(s.size(), wt::varint_size(v));
    std::uint64_t out = 0;
    EXPECT_EQ(wt::decode_varint(reinterpret_cast<const std::uint8_t*>(s.data()), s.size(), &out),
              s.size());
    EXPECT_EQ(out, v);
    wt::VarintReader reader;
    for (std::size_t i = 0; i < s.size(); ++i) {
      EXPECT_EQ(reader.feed(static_cast<std::uint8_t>(s[i])), i + 1 == s.size());
    }
    EXPECT_EQ(reader.value(), v);
  }
}

TEST(VarintTest, KnownEncodings) {
  std::string s;
  wt::append_varint(0x41, s);  // WebTransport bidi signal: two bytes 40 41
  EXPECT_EQ(s, std::string("\x40\x41", 2));
  s.clear();
  wt::append_varint(0x2b603742, s);
  EXPECT_EQ(s, std::string("\xab\x60\x37\x42", 4));
}

TEST(VarintTest, TruncatedInputDecodesNothing) {
  const std::uint8_t bytes[] = {0x80, 0x01};
  std::uint64_t out = 0;
  EXPECT_EQ(wt::decode_varint(bytes, sizeof(bytes), &out), 0u);
  EXPECT_EQ(wt::decode_varint(bytes, 0, &out), 0u);
}

#include "laneway/wire/base64.h"

#include <gtest/gtest.h>

namespace laneway::wire {
namespace {

std::string encode(std::string_view in) {
  std::string out;
  base64_encode(in, out);
  return out;
}

TEST(Base64, MatchesRfc4648TestVectors) {
  EXPECT_EQ(encode(""), "");
  EXPECT_EQ(encode("f"), "Zg==");
  EXPECT_EQ(encode("fo"), "Zm8=");
  EXPECT_EQ(encode("foo"), "Zm9v");
  EXPECT_EQ(encode("foob"), "Zm9vYg==");
  EXPECT_EQ(encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(encode("foobar"), "Zm9vYmFy");
}

TEST(Base64, RoundTripsEveryByteValueAndLength) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (std::size_t n = 0; n <= all.size(); n += 1) {
    const std::string in = all.substr(0, n);
    std::string out;
    ASSERT_EQ(base64_decode(encode(in), out), WireError::kOk) << n;
    EXPECT_EQ(out, in);
  }
}

TEST(Base64, RejectsNonCanonicalAndInvalidText) {
  std::string out = "stale";
  for (const char* bad : {"Zg=", "Zg", "Z===", "Zh==", "Zm9=", "Zm 9v", "Zm9v\n", "Zm-v",
                          "====", "Zg==Zg==", "=Zg="}) {
    EXPECT_EQ(base64_decode(bad, out), WireError::kBadBase64) << bad;
    EXPECT_TRUE(out.empty());
  }
}

TEST(Base64, RefusesDecodedSizeOverTheLimit) {
  std::string out;
  EXPECT_EQ(base64_decode(encode(std::string(10, 'a')), out, 9), WireError::kTooLarge);
  EXPECT_EQ(base64_decode(encode(std::string(9, 'a')), out, 9), WireError::kOk);
}

}  // namespace
}  // namespace laneway::wire

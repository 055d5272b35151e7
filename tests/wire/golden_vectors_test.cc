#include "golden_vectors.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "laneway/wire/base64.h"
#include "laneway/wire/frame_codec.h"
#include "laneway/wire/length_prefix.h"

namespace laneway::testing {
namespace {

std::string read_vector(const std::string& file) {
  std::ifstream in(std::string(LANEWAY_VECTORS_DIR) + "/" + file, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing vector file " << file;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string encode(const v1::Frame& frame) {
  std::string bytes;
  EXPECT_EQ(wire::encode_frame(frame, bytes), wire::WireError::kOk);
  return bytes;
}

TEST(GoldenVectors, EncodingMatchesCheckedInBytes) {
  for (const auto& vector : golden_vectors()) {
    SCOPED_TRACE(vector.name);
    EXPECT_EQ(encode(vector.frame), read_vector(vector.name + ".bin"));
  }
}

TEST(GoldenVectors, CheckedInBytesDecodeToTheValues) {
  for (const auto& vector : golden_vectors()) {
    SCOPED_TRACE(vector.name);
    v1::Frame decoded;
    ASSERT_EQ(wire::decode_frame(read_vector(vector.name + ".bin"), decoded), wire::WireError::kOk);
    EXPECT_EQ(decoded.SerializeAsString(), vector.frame.SerializeAsString());
    EXPECT_EQ(decoded.DebugString(), vector.frame.DebugString());
  }
}

TEST(GoldenVectors, Base64FilesAreTheSseDataLines) {
  for (const auto& vector : golden_vectors()) {
    SCOPED_TRACE(vector.name);
    std::string text = read_vector(vector.name + ".b64");
    ASSERT_FALSE(text.empty());
    ASSERT_EQ(text.back(), '\n');
    text.pop_back();
    std::string decoded;
    ASSERT_EQ(wire::base64_decode(text, decoded), wire::WireError::kOk);
    EXPECT_EQ(decoded, read_vector(vector.name + ".bin"));
  }
}

TEST(GoldenVectors, StreamVectorSplitsIntoItsMembers) {
  wire::LengthPrefixDecoder decoder;
  std::vector<std::string> records;
  const std::string stream = read_vector("stream.bin");
  ASSERT_EQ(decoder.feed(stream, [&](std::string_view r) { records.emplace_back(r); }),
            wire::WireError::kOk);
  EXPECT_EQ(decoder.finish(), wire::WireError::kOk);
  const auto members = stream_vector_members();
  ASSERT_EQ(records.size(), members.size());
  for (std::size_t i = 0; i < members.size(); ++i)
    EXPECT_EQ(records[i], read_vector(members[i] + ".bin")) << members[i];
}

TEST(GoldenVectors, EveryFileInTheDirectoryIsCovered) {
  std::set<std::string> known{"README.md", "stream.bin"};
  for (const auto& vector : golden_vectors()) {
    known.insert(vector.name + ".bin");
    known.insert(vector.name + ".b64");
  }
  for (const auto& entry : std::filesystem::directory_iterator(LANEWAY_VECTORS_DIR))
    EXPECT_TRUE(known.count(entry.path().filename().string()))
        << "stray vector file " << entry.path();
}

TEST(GoldenVectors, CoverEveryFrameKind) {
  std::set<int> kinds;
  for (const auto& vector : golden_vectors()) kinds.insert(vector.frame.kind_case());
  EXPECT_EQ(kinds.size(), 3u);
}

}  // namespace
}  // namespace laneway::testing

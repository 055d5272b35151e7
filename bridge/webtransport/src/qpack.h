// QPACK through nghttp3's standalone public API (nghttp3_qpack_decoder / _encoder), without
// nghttp3_conn. We announce a dynamic table capacity of 0, so field sections only use the
// static table and literals (with Huffman, which Chromium uses and nghttp3 decodes), and
// decoding never blocks. Why not nghttp3_conn: docs/webtransport.md.
#pragma once

#include <nghttp3/nghttp3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace laneway::webtransport {

struct HeaderField {
  std::string name;
  std::string value;
};

class QpackDecoder {
 public:
  // Limits: at most `max_fields` fields and `max_section_bytes` of names+values.
  QpackDecoder(std::size_t max_fields, std::size_t max_section_bytes);
  ~QpackDecoder();
  QpackDecoder(const QpackDecoder&) = delete;
  QpackDecoder& operator=(const QpackDecoder&) = delete;

  // False if the nghttp3 decoder could not be created (out of memory).
  bool ok() const { return decoder_ != nullptr; }

  // Decodes one complete HEADERS payload of `stream_id`. Returns 0, or an H3 error code:
  // kQpackDecompressionFailed (bad encoding; a connection error per RFC 9204 §2.2.3) or
  // kExcessiveLoad (over the limits; a stream error).
  std::uint64_t decode(std::int64_t stream_id, std::string_view block,
                       std::vector<HeaderField>* fields);

 private:
  nghttp3_qpack_decoder* decoder_ = nullptr;
  std::size_t max_fields_;
  std::size_t max_section_bytes_;
};

class QpackEncoder {
 public:
  QpackEncoder();
  ~QpackEncoder();
  QpackEncoder(const QpackEncoder&) = delete;
  QpackEncoder& operator=(const QpackEncoder&) = delete;
  bool ok() const { return encoder_ != nullptr; }

  // Appends the encoded field section (no frame header) to `out`. False on failure.
  bool encode(std::int64_t stream_id, const std::vector<HeaderField>& fields, std::string* out);

 private:
  nghttp3_qpack_encoder* encoder_ = nullptr;
};

}  // namespace laneway::webtransport

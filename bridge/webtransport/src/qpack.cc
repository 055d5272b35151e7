#include "qpack.h"

#include "h3_constants.h"

namespace laneway::webtransport {

namespace {

// Owns one nghttp3_qpack_stream_context for the span of a decode call.
struct StreamContextDeleter {
  void operator()(nghttp3_qpack_stream_context* sctx) const {
    nghttp3_qpack_stream_context_del(sctx);
  }
};
using StreamContextPtr = std::unique_ptr<nghttp3_qpack_stream_context, StreamContextDeleter>;

// Owns one decoded field's reference-counted buffers.
struct DecodedField {
  nghttp3_qpack_nv nv{};
  ~DecodedField() {
    if (nv.name) nghttp3_rcbuf_decref(nv.name);
    if (nv.value) nghttp3_rcbuf_decref(nv.value);
  }
};

// Owns an nghttp3_buf filled by the encoder.
struct OwnedBuf {
  nghttp3_buf buf;
  OwnedBuf() { nghttp3_buf_init(&buf); }
  ~OwnedBuf() { nghttp3_buf_free(&buf, nghttp3_mem_default()); }
  void append_to(std::string* out) const {
    out->append(reinterpret_cast<const char*>(buf.pos), nghttp3_buf_len(&buf));
  }
};

}  // namespace

QpackDecoder::QpackDecoder(std::size_t max_fields, std::size_t max_section_bytes)
    : max_fields_(max_fields), max_section_bytes_(max_section_bytes) {
  if (nghttp3_qpack_decoder_new(&decoder_, /*hard_max_dtable_capacity=*/0,
                                /*max_blocked_streams=*/0, nghttp3_mem_default()) != 0) {
    decoder_ = nullptr;
  }
}

QpackDecoder::~QpackDecoder() {
  if (decoder_) nghttp3_qpack_decoder_del(decoder_);
}

std::uint64_t QpackDecoder::decode(std::int64_t stream_id, std::string_view block,
                                   std::vector<HeaderField>* fields) {
  nghttp3_qpack_stream_context* raw = nullptr;
  if (nghttp3_qpack_stream_context_new(&raw, stream_id, nghttp3_mem_default()) != 0) {
    return h3::kInternalError;
  }
  StreamContextPtr sctx(raw);
  auto* src = reinterpret_cast<const std::uint8_t*>(block.data());
  std::size_t left = block.size();
  std::size_t section_bytes = 0;
  for (;;) {
    DecodedField field;
    std::uint8_t flags = 0;
    const nghttp3_ssize n = nghttp3_qpack_decoder_read_request(decoder_, sctx.get(), &field.nv,
                                                               &flags, src, left, /*fin=*/1);
    if (n < 0) {
      return n == NGHTTP3_ERR_QPACK_HEADER_TOO_LARGE ? h3::kExcessiveLoad
                                                     : h3::kQpackDecompressionFailed;
    }
    src += n;
    left -= static_cast<std::size_t>(n);
    if (flags & NGHTTP3_QPACK_DECODE_FLAG_BLOCKED) {
      // Impossible with a zero-capacity table unless the peer references one it may not use.
      return h3::kQpackDecompressionFailed;
    }
    if (flags & NGHTTP3_QPACK_DECODE_FLAG_EMIT) {
      const nghttp3_vec name = nghttp3_rcbuf_get_buf(field.nv.name);
      const nghttp3_vec value = nghttp3_rcbuf_get_buf(field.nv.value);
      section_bytes += name.len + value.len;
      if (fields->size() >= max_fields_ || section_bytes > max_section_bytes_) {
        return h3::kExcessiveLoad;
      }
      fields->push_back({std::string(reinterpret_cast<const char*>(name.base), name.len),
                         std::string(reinterpret_cast<const char*>(value.base), value.len)});
    }
    if (flags & NGHTTP3_QPACK_DECODE_FLAG_FINAL) return 0;
    if (n == 0 && !(flags & NGHTTP3_QPACK_DECODE_FLAG_EMIT)) {
      return h3::kQpackDecompressionFailed;  // no progress: input ended inside the section
    }
  }
}

QpackEncoder::QpackEncoder() {
  if (nghttp3_qpack_encoder_new(&encoder_, /*hard_max_dtable_capacity=*/0, nghttp3_mem_default()) !=
      0) {
    encoder_ = nullptr;
  }
}

QpackEncoder::~QpackEncoder() {
  if (encoder_) nghttp3_qpack_encoder_del(encoder_);
}

bool QpackEncoder::encode(std::int64_t stream_id, const std::vector<HeaderField>& fields,
                          std::string* out) {
  std::vector<nghttp3_nv> nva;
  nva.reserve(fields.size());
  for (const auto& f : fields) {
    nva.push_back({reinterpret_cast<std::uint8_t*>(const_cast<char*>(f.name.data())),
                   reinterpret_cast<std::uint8_t*>(const_cast<char*>(f.value.data())),
                   f.name.size(), f.value.size(), NGHTTP3_NV_FLAG_NONE});
  }
  OwnedBuf prefix, fields_buf, encoder_stream;
  if (nghttp3_qpack_encoder_encode(encoder_, &prefix.buf, &fields_buf.buf, &encoder_stream.buf,
                                   stream_id, nva.data(), nva.size()) != 0) {
    return false;
  }
  // Capacity 0: the encoder never writes encoder-stream instructions.
  if (nghttp3_buf_len(&encoder_stream.buf) != 0) return false;
  prefix.append_to(out);
  fields_buf.append_to(out);
  return true;
}

}  // namespace laneway::webtransport

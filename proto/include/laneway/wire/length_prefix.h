// Varint length-prefixed framing for stream transports (WebTransport streams, and any
// byte stream): each record is `varint(len) || len bytes`, the varint being protobuf's
// base-128 little-endian encoding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "laneway/wire/error.h"

namespace laneway::wire {

// Appends `varint(record.size()) || record` to `out`.
void append_length_prefixed(std::string_view record, std::string& out);

// Incremental decoder: feed it bytes in chunks of any size (down to one byte) and it calls
// back once per complete record. Memory is bounded: it never holds more than one partial
// record of at most `max_record_bytes`, plus a partial length prefix.
//
// After an error the decoder stays failed (a stream with a broken prefix cannot be
// resynchronised); the owner closes the stream.
class LengthPrefixDecoder {
 public:
  // Called with each complete record. The view is valid only during the call.
  using RecordHandler = std::function<void(std::string_view record)>;

  explicit LengthPrefixDecoder(std::size_t max_record_bytes = kDefaultMaxFrameBytes)
      : max_record_bytes_(max_record_bytes) {}

  // Consumes all of `chunk`, invoking `on_record` for every record it completes. Returns
  // kOk, or the first error (kBadLength, kTooLarge); records completed before the error
  // have been delivered.
  WireError feed(std::string_view chunk, const RecordHandler& on_record);

  // Call at end of stream: kTruncated when a record or prefix was left incomplete.
  WireError finish() const;

  // Bytes held for the record in progress (for queue-depth metrics and tests).
  std::size_t buffered_bytes() const { return partial_.size(); }
  bool failed() const { return error_ != WireError::kOk; }

 private:
  enum class State { kReadingLength, kReadingRecord };

  // Feeds one prefix byte; returns false (and sets error_) on an invalid prefix.
  bool take_length_byte(std::uint8_t byte);

  std::size_t max_record_bytes_;
  State state_ = State::kReadingLength;
  std::uint64_t length_ = 0;
  unsigned length_shift_ = 0;
  unsigned length_bytes_ = 0;
  std::string partial_;  // bytes of the record in progress, reserved lazily
  WireError error_ = WireError::kOk;
};

}  // namespace laneway::wire

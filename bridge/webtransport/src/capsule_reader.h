// Parses the capsule stream (RFC 9297 §3.2) carried in DATA frames on a WebTransport
// CONNECT stream. Only CLOSE_WEBTRANSPORT_SESSION is kept; other capsules are skipped
// without buffering, so memory stays bounded whatever the peer sends.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "varint.h"

namespace laneway::webtransport {

struct CloseCapsule {
  std::uint32_t error_code = 0;
  std::string reason;
};

class CapsuleReader {
 public:
  // Feeds DATA frame payload bytes. Returns 0 or an H3 error code (kMessageError for a
  // malformed close capsule). A complete close capsule is stored in close().
  std::uint64_t feed(std::string_view data);
  const std::optional<CloseCapsule>& close() const { return close_; }

 private:
  enum class State { kType, kLength, kPayload };
  static constexpr std::size_t kMaxReasonBytes = 1024;  // draft-02 §5: reason <= 1024 bytes
  State state_ = State::kType;
  VarintReader varint_;
  std::uint64_t type_ = 0;
  std::uint64_t remaining_ = 0;
  std::string payload_;  // only for a close capsule, bounded by kMaxReasonBytes + 4
  std::optional<CloseCapsule> close_;
};

}  // namespace laneway::webtransport

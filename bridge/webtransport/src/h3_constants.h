// Codepoints of HTTP/3 (RFC 9114), HTTP datagrams (RFC 9297) and WebTransport over HTTP/3
// draft-02 (what stock Chromium speaks; see docs/webtransport.md "What Chromium gets").
#pragma once

#include <cstdint>

namespace laneway::webtransport::h3 {

// Unidirectional stream types.
inline constexpr std::uint64_t kStreamControl = 0x00;
inline constexpr std::uint64_t kStreamPush = 0x01;
inline constexpr std::uint64_t kStreamQpackEncoder = 0x02;
inline constexpr std::uint64_t kStreamQpackDecoder = 0x03;
inline constexpr std::uint64_t kStreamWebTransportUni = 0x54;
// First varint of a bidirectional WebTransport stream (a "frame type" in draft-02).
inline constexpr std::uint64_t kFrameWebTransportBidi = 0x41;

// Frame types.
inline constexpr std::uint64_t kFrameData = 0x00;
inline constexpr std::uint64_t kFrameHeaders = 0x01;
inline constexpr std::uint64_t kFrameCancelPush = 0x03;
inline constexpr std::uint64_t kFrameSettings = 0x04;
inline constexpr std::uint64_t kFramePushPromise = 0x05;
inline constexpr std::uint64_t kFrameGoaway = 0x07;
inline constexpr std::uint64_t kFrameMaxPushId = 0x0d;

// Settings.
inline constexpr std::uint64_t kSettingQpackMaxTableCapacity = 0x01;
inline constexpr std::uint64_t kSettingMaxFieldSectionSize = 0x06;
inline constexpr std::uint64_t kSettingQpackBlockedStreams = 0x07;
inline constexpr std::uint64_t kSettingEnableConnectProtocol = 0x08;
inline constexpr std::uint64_t kSettingH3Datagram = 0x33;
inline constexpr std::uint64_t kSettingEnableWebTransportDraft02 = 0x2b603742;
inline constexpr std::uint64_t kSettingWebTransportMaxSessionsDraft07 = 0xc671706a;

// Capsules (carried in DATA frames on the CONNECT stream).
inline constexpr std::uint64_t kCapsuleCloseWebTransportSession = 0x2843;
inline constexpr std::uint64_t kCapsuleDrainWebTransportSession = 0x78ae;

// Error codes (RFC 9114 §8.1, WebTransport drafts).
inline constexpr std::uint64_t kNoError = 0x0100;
inline constexpr std::uint64_t kGeneralProtocolError = 0x0101;
inline constexpr std::uint64_t kInternalError = 0x0102;
inline constexpr std::uint64_t kStreamCreationError = 0x0103;
inline constexpr std::uint64_t kClosedCriticalStream = 0x0104;
inline constexpr std::uint64_t kFrameUnexpected = 0x0105;
inline constexpr std::uint64_t kFrameError = 0x0106;
inline constexpr std::uint64_t kExcessiveLoad = 0x0107;
inline constexpr std::uint64_t kIdError = 0x0108;
inline constexpr std::uint64_t kSettingsError = 0x0109;
inline constexpr std::uint64_t kMissingSettings = 0x010a;
inline constexpr std::uint64_t kRequestRejected = 0x010b;
inline constexpr std::uint64_t kRequestCancelled = 0x010c;
inline constexpr std::uint64_t kRequestIncomplete = 0x010d;
inline constexpr std::uint64_t kMessageError = 0x010e;
inline constexpr std::uint64_t kQpackDecompressionFailed = 0x0200;
inline constexpr std::uint64_t kWebTransportBufferedStreamRejected = 0x3994bd84;
inline constexpr std::uint64_t kWebTransportSessionGone = 0x170d7b68;

// Stream id helpers (RFC 9000 §2.1): bit 0 = initiator (1 server), bit 1 = uni.
inline bool is_client_initiated(std::int64_t id) {
  return (id & 0x1) == 0;
}
inline bool is_bidi(std::int64_t id) {
  return (id & 0x2) == 0;
}

}  // namespace laneway::webtransport::h3

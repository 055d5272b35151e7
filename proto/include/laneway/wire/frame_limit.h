// The frame limit (docs/wire.md "Frame limit"): one number, `max_frame_bytes`, that the
// broker config, the plugin, the bridge and the SDK agree on. No frame on any lane is
// longer, in either direction. Envelopes are what the bridge forwards as they are and also
// wraps in groups (replay, history, gaps), so an envelope is admitted (by the plugin when it
// makes one, by the bridge when it reads one) only when it would still fit alone in a
// group; groups are cut by the same arithmetic.
#pragma once

#include <cstddef>
#include <cstdint>

namespace laneway::wire {

constexpr std::size_t varint_bytes(std::uint64_t value) {
  std::size_t n = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++n;
  }
  return n;
}

// A length-delimited field of `content_bytes`: its tag, its length and the content.
constexpr std::size_t field_bytes(std::size_t content_bytes) {
  return 1 + varint_bytes(content_bytes) + content_bytes;
}

// What an MQTT packet may hold beyond the frame limit: a topic and properties of the most
// MQTT allows (65,535 bytes each) and its headers. The broker's max_packet_size is the frame
// limit plus this, so the bridge reads the broker's frame limit from CONNACK.
inline constexpr std::size_t kPacketHeadroomBytes = 2 * 65536 + 1024;

// The most a group frame adds around its envelopes and spans: Frame{group} or
// CallFrame{id, history_result{group}} headers, `reason` and `recovered`.
inline constexpr std::size_t kGroupHeaderBytes = 32;
// The most a span's numbers take: epoch, from_seq and to_seq, each a tag and a varint.
inline constexpr std::size_t kSpanNumbersBytes = 3 * 11;
// The most the plugin adds to a frame when it sequences it: seq, epoch and timestamp_us. A
// bridge keeps its inbound frames this far inside the rule below.
inline constexpr std::size_t kSequenceFieldsBytes = 3 * 11;

// What one envelope, `envelope_bytes` long as a Frame{envelope}, costs inside a group.
constexpr std::size_t group_entry_bytes(std::size_t envelope_bytes) {
  return field_bytes(envelope_bytes);
}

// What the span of a topic `topic_bytes` long costs inside a group.
constexpr std::size_t group_span_bytes(std::size_t topic_bytes) {
  return field_bytes(field_bytes(topic_bytes) + kSpanNumbersBytes);
}

// The rule every envelope is admitted by: alone in a group, it stays within the limit.
constexpr bool envelope_fits(std::size_t envelope_bytes, std::size_t topic_bytes,
                             std::size_t max_frame_bytes) {
  return kGroupHeaderBytes + group_entry_bytes(envelope_bytes) + group_span_bytes(topic_bytes) <=
         max_frame_bytes;
}

// The same rule for an Envelope message `envelope_bytes` long that the plugin has yet to
// sequence and frame: a device's message, a bridge's inbound frame.
constexpr bool unsequenced_envelope_fits(std::size_t envelope_bytes, std::size_t topic_bytes,
                                         std::size_t max_frame_bytes) {
  return envelope_fits(field_bytes(envelope_bytes + kSequenceFieldsBytes), topic_bytes,
                       max_frame_bytes);
}

}  // namespace laneway::wire

#include "history_snapshot.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/util/delimited_message_util.h>

#include <fstream>
#include <utility>

#include "history_snapshot.pb.h"
#include "laneway/wire/frame_codec.h"
#include "replace_file.h"

namespace laneway::bridge {
namespace {

namespace pb = laneway::bridge::snapshot;
using google::protobuf::util::ParseDelimitedFromZeroCopyStream;
using google::protobuf::util::SerializeDelimitedToOstream;

constexpr char kMagic[4] = {'L', 'W', 'H', 'S'};
constexpr std::uint32_t kVersion = 1;

bool write_rings(std::ostream& out, const HistoryState& state) {
  for (const HistoryRingState& r : state.rings) {
    pb::Ring ring;
    ring.set_topic(r.topic);
    ring.set_epoch(r.epoch);
    ring.set_last_seq(r.last_seq);
    ring.set_dropped_offset(r.dropped_offset);
    ring.set_stale(r.stale);
    for (const HistoryEntry& e : r.entries) {
      pb::Entry* entry = ring.add_entries();
      entry->set_seq(e.seq);
      entry->set_offset(e.offset);
      entry->set_frame(std::string(e.frame->bytes()));
    }
    if (!SerializeDelimitedToOstream(ring, &out)) return false;
  }
  return true;
}

// The frame must be the Envelope the ring says it is: a snapshot edited by hand or from
// another bridge must not put one topic's envelope into another topic's history.
bool frame_matches(const std::string& bytes, const pb::Ring& ring, const pb::Entry& entry,
                   std::size_t max_frame_bytes) {
  v1::Frame frame;
  if (wire::decode_frame(bytes, frame, max_frame_bytes) != wire::WireError::kOk ||
      !frame.has_envelope()) {
    return false;
  }
  const v1::Envelope& env = frame.envelope();
  return env.topic() == ring.topic() && env.epoch() == ring.epoch() && env.seq() == entry.seq();
}

}  // namespace

bool write_history_snapshot(const std::string& path, const HistorySnapshot& snapshot,
                            std::string& error) {
  pb::Header header;
  header.set_version(kVersion);
  header.set_instance_id(snapshot.instance_id);
  header.set_next_offset(snapshot.state.next_offset);
  header.set_forgotten_offset(snapshot.state.forgotten_offset);
  header.set_latest_epoch(snapshot.state.latest_epoch);
  header.set_ring_count(snapshot.state.rings.size());
  header.set_written_at_us(snapshot.written_at_us);
  return replace_file(
      path,
      [&](std::ostream& out) {
        out.write(kMagic, sizeof kMagic);
        return out && SerializeDelimitedToOstream(header, &out) && write_rings(out, snapshot.state);
      },
      error);
}

std::optional<HistorySnapshot> read_history_snapshot(const std::string& path,
                                                     std::size_t max_frame_bytes,
                                                     std::string& error) {
  error.clear();
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;  // no snapshot: a first start or an unclean stop
  char magic[sizeof kMagic] = {};
  if (!in.read(magic, sizeof magic) || !std::equal(magic, magic + sizeof magic, kMagic)) {
    error = "not a laneway history snapshot";
    return std::nullopt;
  }
  google::protobuf::io::IstreamInputStream stream(&in);
  pb::Header header;
  bool clean_eof = false;
  if (!ParseDelimitedFromZeroCopyStream(&header, &stream, &clean_eof) ||
      header.version() != kVersion) {
    error = "unreadable header or unknown version";
    return std::nullopt;
  }
  HistorySnapshot snapshot;
  snapshot.instance_id = header.instance_id();
  snapshot.written_at_us = header.written_at_us();
  snapshot.state.next_offset = header.next_offset();
  snapshot.state.forgotten_offset = header.forgotten_offset();
  snapshot.state.latest_epoch = header.latest_epoch();
  for (std::uint64_t i = 0; i < header.ring_count(); ++i) {
    pb::Ring ring;
    if (!ParseDelimitedFromZeroCopyStream(&ring, &stream, &clean_eof)) {
      error = "truncated after " + std::to_string(i) + " of " +
              std::to_string(header.ring_count()) + " topics";
      return std::nullopt;
    }
    HistoryRingState r{ring.topic(),          ring.epoch(), ring.last_seq(),
                       ring.dropped_offset(), ring.stale(), {}};
    r.entries.reserve(static_cast<std::size_t>(ring.entries_size()));
    for (pb::Entry& entry : *ring.mutable_entries()) {
      if (!frame_matches(entry.frame(), ring, entry, max_frame_bytes)) {
        error = "topic " + ring.topic() + ": a frame is not its envelope";
        return std::nullopt;
      }
      r.entries.push_back(
          HistoryEntry{entry.seq(), entry.offset(), make_shared_frame(entry.frame())});
    }
    snapshot.state.rings.push_back(std::move(r));
  }
  pb::Ring extra;
  if (ParseDelimitedFromZeroCopyStream(&extra, &stream, &clean_eof) || !clean_eof) {
    error = "data after the last topic";
    return std::nullopt;
  }
  return snapshot;
}

}  // namespace laneway::bridge

// WebTransport lane: https://host:port/v1/wt over HTTP/3 (UDP). A thin adapter between the
// QUIC server (bridge/webtransport) and the session core (Hub), like the WebSocket lane:
//
// - a CONNECT whose Origin no app allows is refused (403) before a session exists; the hub
//   checks it again against the app named in `connect`;
// - the client's first bidirectional stream carries varint(length) ‖ Frame records both
//   ways; each record goes to Hub::on_client_frame; the session queue's shared frames go
//   back as records, gathered into one stream write;
// - QoS 0 envelopes go as datagrams (one Frame each) when the client's subscription asked
//   (Session::wants_datagram) and the frame fits the path's datagram size; otherwise, and
//   for everything else, on the stream;
// - writes stop when the stream's send buffer is full and resume on the peer's ACKs, so the
//   hub's bounded queue (and its slow-consumer policy) is what absorbs a slow client.
//
// The lane owns no socket: WtService runs the QUIC server and calls it. Tests drive it
// with a scripted webtransport::Server.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config.h"
#include "hub.h"
#include "laneway/webtransport/server.h"
#include "laneway/wire/length_prefix.h"

namespace laneway::bridge {

class WtLane final : public webtransport::Handler {
 public:
  // `defer_writes` asks the event loop to call write_pending() soon (never synchronously).
  WtLane(const BridgeConfig& config, Hub& hub, std::function<void()> defer_writes);
  ~WtLane() override;
  WtLane(const WtLane&) = delete;
  WtLane& operator=(const WtLane&) = delete;

  // The QUIC server this lane handles; before its first callback.
  void bind(webtransport::Server& server) { server_ = &server; }
  // Writes the channels that asked for it since the last call.
  void write_pending();
  // Once a second: closes the channels whose grace period after their last frame ended.
  void every_second(std::int64_t now_us);
  // Ends every session (the server is going away).
  void close_all();

  std::uint64_t datagram_fallbacks() const { return datagram_fallbacks_; }
  std::uint64_t refused() const { return refused_; }
  std::size_t channel_count() const { return channels_.size(); }

  // --- webtransport::Handler ---
  int on_session_request(const webtransport::SessionRequest& request) override;
  void on_session_opened(webtransport::SessionRef ref,
                         const webtransport::SessionRequest& request) override;
  void on_stream_data(webtransport::SessionRef ref, std::int64_t stream_id, std::string_view data,
                      bool fin) override;
  void on_stream_reset(webtransport::SessionRef ref, std::int64_t stream_id,
                       std::uint64_t error_code) override;
  void on_datagram(webtransport::SessionRef ref, std::string_view payload) override;
  void on_stream_acked(webtransport::SessionRef ref, std::int64_t stream_id) override;
  void on_session_closed(webtransport::SessionRef ref, std::uint32_t error_code,
                         std::string_view reason) override;
  void on_connection_migrated(std::uint64_t connection, std::string_view new_remote) override;

 private:
  // One WebTransport session carrying one bridge session.
  struct WtChannel final : LaneSink {
    WtChannel(WtLane& lane, webtransport::SessionRef ref, std::size_t max_frame_bytes)
        : lane_(lane), ref(ref), decoder(max_frame_bytes) {}
    void request_write() override { lane_.want_write(*this); }

    WtLane& lane_;
    const webtransport::SessionRef ref;
    Session* session = nullptr;
    std::int64_t frame_stream = -1;  // the client's first bidi stream
    wire::LengthPrefixDecoder decoder;
    bool write_pending = false;
    bool fin_sent = false;  // our side of the frame stream is finished (closing)
    std::int64_t close_at_us = 0;
  };

  void want_write(WtChannel& c);
  void write_channel(WtChannel& c);
  // Ends the session from our side once its last frames had time to arrive.
  void finish(WtChannel& c, std::uint32_t code, const char* reason);
  WtChannel* find(webtransport::SessionRef ref);

  const BridgeConfig& config_;
  const WebTransportConfig& wt_config_;
  Hub& hub_;
  std::function<void()> defer_writes_;
  webtransport::Server* server_ = nullptr;
  std::map<webtransport::SessionRef, std::unique_ptr<WtChannel>> channels_;
  std::vector<webtransport::SessionRef> pending_;
  std::string batch_;  // reused stream write buffer
  std::uint64_t datagram_fallbacks_ = 0;
  std::uint64_t refused_ = 0;
};

// Our side of a closing session's frame stream is finished first; the session itself is
// closed this long after, so the final frames (errors) reach the client before the
// CLOSE_WEBTRANSPORT_SESSION capsule ends everything.
inline constexpr std::int64_t kWtCloseGraceUs = 1'000'000;
// Unacknowledged bytes held per frame stream. The hub's per-session queue (bounded by
// limits.queue_max_bytes, with the slow-consumer policy) absorbs a client beyond that.
inline constexpr std::size_t kWtStreamSendBuffer = 256 * 1024;

}  // namespace laneway::bridge

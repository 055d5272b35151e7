// WebTransport lane: https://host:port/v1/wt over HTTP/3 (UDP). A thin adapter between the
// QUIC server (bridge/webtransport) and the session core (Hub), like the WebSocket lane:
//
// - a CONNECT whose Origin no app allows is refused (403) before a session exists; the hub
//   checks it again against the app named in `connect`;
// - the client's first bidirectional stream carries varint(length) ‖ Frame records both
//   ways; each record goes to Hub::on_client_frame; the session queue's shared frames go
//   back as records, gathered into one stream write;
// - QoS 0 envelopes go as datagrams (one Frame each) when the client's subscription asked
//   (Subscription.datagrams) and the frame fits the path's datagram size; otherwise, and
//   for everything else, on the stream;
// - writes stop when the stream's send buffer is full and resume on the peer's ACKs, so the
//   hub's bounded queue (and its slow-consumer policy) is what absorbs a slow client.
#pragma once

#include <libwebsockets.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config.h"
#include "datagram_route.h"
#include "hub.h"
#include "laneway/webtransport/server.h"
#include "laneway/wire/length_prefix.h"
#include "wt_certificate.h"
#include "wt_event_loop.h"

namespace laneway::bridge {

class WtLane final : public webtransport::Handler {
 public:
  WtLane(const BridgeConfig& config, Hub& hub);
  ~WtLane() override;
  WtLane(const WtLane&) = delete;
  WtLane& operator=(const WtLane&) = delete;

  // Binds the UDP sockets, loads the certificate and joins the lws loop through `vhost`.
  bool start(struct lws_context* context, struct lws_vhost* vhost, std::string& error);
  // Leaves the lws loop (before the context is destroyed) and ends every session.
  void stop();

  // For /api/info: the UDP port and the certificate hashes (current first).
  std::uint16_t port() const;
  std::vector<std::string> certificate_hashes() const;
  // For /metrics.
  WebTransportSample sample() const;

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
  struct WtSession final : LaneSink {
    WtSession(WtLane& lane, webtransport::SessionRef ref, std::size_t max_frame_bytes)
        : lane_(lane), ref(ref), decoder(max_frame_bytes) {}
    void request_write() override { lane_.want_write(*this); }

    WtLane& lane_;
    const webtransport::SessionRef ref;
    Session* session = nullptr;
    std::int64_t frame_stream = -1;  // the client's first bidi stream
    wire::LengthPrefixDecoder decoder;
    DatagramSubscriptions datagrams;
    bool write_pending = false;
    bool fin_sent = false;  // our side of the frame stream is finished (closing)
    std::int64_t close_at_us = 0;
  };

  void want_write(WtSession& w);
  void write_pending();
  void write_session(WtSession& w);
  bool wants_datagram(WtSession& w, const QueuedFrame& item);
  void on_record(WtSession& w, std::string_view record);
  // Ends the session from our side once its last frames had time to arrive.
  void finish(WtSession& w, std::uint32_t code, const char* reason);
  void every_second();
  WtSession* find(webtransport::SessionRef ref);

  const BridgeConfig& config_;
  const WebTransportConfig& wt_config_;
  Hub& hub_;
  std::unique_ptr<webtransport::Server> server_;
  std::unique_ptr<WtEventLoop> loop_;
  std::unique_ptr<CertificateRotation> certificate_;
  std::map<webtransport::SessionRef, std::unique_ptr<WtSession>> sessions_;
  std::vector<webtransport::SessionRef> pending_;
  FrameClassifier classifier_;
  std::string batch_;  // reused stream write buffer
  std::uint64_t datagram_fallbacks_ = 0;
  std::uint64_t refused_ = 0;
};

}  // namespace laneway::bridge

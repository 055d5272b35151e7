// laneway's wire over the ngtcp2 test client: a WebTransport session to laneway-bridge
// whose first bidirectional stream carries varint(length) ‖ Frame records both ways (the
// protocol the JS SDK speaks). For tests and the benchmark: nothing a browser cannot do
// except move to another address mid-session, or send garbage on purpose.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "laneway.pb.h"
#include "laneway/wire/length_prefix.h"
#include "quic_test_client.h"

namespace laneway::test {

class LanewayWtClient {
 public:
  // QUIC handshake from `local_ip` to 127.0.0.1:`port`, then the extended CONNECT for
  // /v1/wt (HTTP status in `status`) and the frame stream.
  bool open(const std::string& local_ip, std::uint16_t port, std::string* error);
  // Sends `connect` with these subscriptions and waits for connect_result.
  // `datagrams`: ask for QoS 0 envelopes as datagrams (Subscription.datagrams).
  bool connect(const std::string& token, const std::vector<std::string>& filters,
               std::chrono::milliseconds timeout, std::string* error, bool datagrams = false);

  std::string app_id = "demo";  // the app `connect` names

  void send_frame(const v1::Frame& frame);
  void send_call(const v1::CallFrame& call);
  // Raw bytes on the frame stream (for malformed-input tests).
  void send_raw(const std::string& bytes);

  // Runs the QUIC loop until `done` (frames are decoded as they arrive) or `timeout`.
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout);

  // Non-blocking: one round of QUIC I/O, then decodes what arrived.
  bool service();
  // When set, every received frame goes here (`datagram`: it came as a datagram) instead of
  // being kept in frames().
  std::function<void(const v1::Frame&, bool datagram)> on_frame;
  // Datagram frames received (when on_frame is not set).
  std::vector<v1::Frame> datagram_frames;

  // Frames received so far, in order.
  const std::vector<v1::Frame>& frames() const { return frames_; }
  // Envelopes among them (live Frame{envelope}), for quick checks.
  std::vector<v1::Envelope> envelopes() const;
  bool stream_failed() const { return decode_failed_; }
  void clear_frames() {
    frames_.clear();
    datagram_frames.clear();
  }

  QuicTestClient& quic() { return quic_; }
  std::int64_t frame_stream() const { return stream_; }

 private:
  void decode_new_bytes();
  void on_datagram(std::string_view payload);

  QuicTestClient quic_;
  std::int64_t stream_ = -1;
  std::size_t consumed_ = 0;  // bytes of quic_.received[stream_] already decoded
  wire::LengthPrefixDecoder decoder_{1 << 20};
  std::vector<v1::Frame> frames_;
  bool decode_failed_ = false;
  std::uint32_t next_id_ = 100;
};

}  // namespace laneway::test

#include "laneway_wt_client.h"

#include "varint.h"

namespace laneway::test {

using namespace std::chrono_literals;

bool LanewayWtClient::open(const std::string& local_ip, std::uint16_t port, std::string* error) {
  quic_.origin.clear();  // a device-side or test client, not a browser page
  quic_.on_datagram = [this](std::string_view payload) { on_datagram(payload); };
  if (!quic_.connect(local_ip, port, error)) return false;
  const int status = quic_.open_session("/v1/wt", 5s);
  if (status != 200) {
    *error = "CONNECT answered " + std::to_string(status);
    return false;
  }
  stream_ = quic_.open_bidi(true);
  if (stream_ < 0) {
    *error = "cannot open the frame stream";
    return false;
  }
  return true;
}

bool LanewayWtClient::connect(const std::string& token, const std::vector<std::string>& filters,
                              std::chrono::milliseconds timeout, std::string* error,
                              bool datagrams) {
  v1::CallFrame call;
  call.set_id(1);
  auto* c = call.mutable_connect();
  c->set_app_id(app_id);
  c->set_token(token);
  c->set_client("laneway_wt_client");
  for (const auto& f : filters) {
    auto* sub = c->add_subscriptions();
    sub->set_filter(f);
    sub->set_datagrams(datagrams);
  }
  send_call(call);
  const v1::CallFrame* reply = nullptr;
  const bool answered = run_until(
      [&] {
        for (const auto& f : frames_) {
          if (f.has_call() && f.call().id() == 1) reply = &f.call();
        }
        return reply != nullptr;
      },
      timeout);
  if (!answered) {
    *error = "no connect_result";
    return false;
  }
  if (!reply->has_connect_result()) {
    *error = "connect refused: " + reply->ShortDebugString();
    return false;
  }
  return true;
}

void LanewayWtClient::send_frame(const v1::Frame& frame) {
  std::string record;
  wire::append_length_prefixed(frame.SerializeAsString(), record);
  quic_.send(stream_, record);
}

void LanewayWtClient::send_call(const v1::CallFrame& call) {
  v1::Frame frame;
  *frame.mutable_call() = call;
  send_frame(frame);
}

void LanewayWtClient::send_raw(const std::string& bytes) {
  quic_.send(stream_, bytes);
}

bool LanewayWtClient::run_until(const std::function<bool()>& done,
                                std::chrono::milliseconds timeout) {
  return quic_.run_until(
      [&] {
        decode_new_bytes();
        return done();
      },
      timeout);
}

bool LanewayWtClient::service() {
  const bool alive = quic_.service();
  decode_new_bytes();
  return alive;
}

void LanewayWtClient::on_datagram(std::string_view payload) {
  // HTTP/3 datagram: varint(session id / 4), then one Frame.
  std::uint64_t quarter = 0;
  const std::size_t n = webtransport::decode_varint(
      reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size(), &quarter);
  if (n == 0) return;
  v1::Frame frame;
  if (!frame.ParseFromArray(payload.data() + n, static_cast<int>(payload.size() - n))) return;
  if (on_frame) {
    on_frame(frame, true);
  } else {
    datagram_frames.push_back(std::move(frame));
  }
}

void LanewayWtClient::decode_new_bytes() {
  if (stream_ < 0 || decode_failed_) return;
  std::string& in = quic_.received[stream_];
  if (consumed_ >= in.size()) return;
  const std::string_view fresh(in.data() + consumed_, in.size() - consumed_);
  const wire::WireError err = decoder_.feed(fresh, [&](std::string_view record) {
    v1::Frame frame;
    if (frame.ParseFromArray(record.data(), static_cast<int>(record.size()))) {
      if (on_frame) {
        on_frame(frame, false);
      } else {
        frames_.push_back(std::move(frame));
      }
    } else {
      decode_failed_ = true;
    }
  });
  if (err != wire::WireError::kOk) decode_failed_ = true;
  // Drop what was decoded so a long session does not keep every byte.
  in.clear();
  consumed_ = 0;
}

std::vector<v1::Envelope> LanewayWtClient::envelopes() const {
  std::vector<v1::Envelope> out;
  for (const auto& f : frames_) {
    if (f.has_envelope()) out.push_back(f.envelope());
  }
  return out;
}

}  // namespace laneway::test

// A webtransport::Server that records what the lane asks of it and answers from fields the
// test sets: the lane's unit tests drive WtLane through it without sockets or QUIC.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "laneway/webtransport/server.h"

namespace laneway::bridge {

class ScriptedWtServer : public webtransport::Server {
 public:
  explicit ScriptedWtServer(webtransport::Handler& handler) : handler_(handler) {}

  std::vector<int> fds() const override { return {}; }
  void on_readable() override {}
  int timeout_ms() const override { return -1; }
  void on_timer() override {}
  int run(const std::atomic<bool>&) override { return 0; }

  bool send_stream(webtransport::SessionRef ref, std::int64_t stream_id, std::string_view data,
                   bool fin, std::string* error) override {
    if (fail_stream_writes) {
      if (error) *error = "scripted failure";
      return false;
    }
    Stream& s = streams[{ref, stream_id}];
    s.bytes.append(data);
    s.fin = s.fin || fin;
    capacity -= std::min(capacity, data.size());
    return true;
  }
  std::size_t send_capacity(webtransport::SessionRef, std::int64_t) const override {
    return capacity;
  }
  std::int64_t open_bidi_stream(webtransport::SessionRef, std::string*) override { return -1; }
  std::int64_t open_uni_stream(webtransport::SessionRef, std::string*) override { return -1; }
  std::size_t max_datagram_payload(webtransport::SessionRef) const override { return datagram_max; }
  bool send_datagram(webtransport::SessionRef, std::string_view payload, std::string*) override {
    if (payload.size() > datagram_max) return false;
    datagrams.emplace_back(payload);
    return true;
  }
  // As the real server does: the close is reported before this returns.
  void close_session(webtransport::SessionRef ref, std::uint32_t code,
                     std::string_view reason) override {
    closed.push_back({ref, code, std::string(reason)});
    handler_.on_session_closed(ref, code, reason);
  }
  bool reload_certificate(const std::string&, const std::string&, std::string*) override {
    return true;
  }
  webtransport::Stats stats() const override { return {}; }
  std::uint16_t port() const override { return 0; }

  struct Stream {
    std::string bytes;
    bool fin = false;
  };
  struct Closed {
    webtransport::SessionRef ref;
    std::uint32_t code;
    std::string reason;
  };
  std::map<std::pair<webtransport::SessionRef, std::int64_t>, Stream> streams;
  std::vector<std::string> datagrams;
  std::vector<Closed> closed;
  std::size_t capacity = 1 << 20;
  std::size_t datagram_max = 1200;
  bool fail_stream_writes = false;

 private:
  webtransport::Handler& handler_;
};

}  // namespace laneway::bridge

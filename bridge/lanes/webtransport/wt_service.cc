#include "wt_service.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace laneway::bridge {
namespace {

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

webtransport::ServerConfig server_config(const BridgeConfig& c) {
  const WebTransportConfig& w = c.webtransport;
  webtransport::ServerConfig s;
  s.addresses = w.hosts;
  s.port = static_cast<std::uint16_t>(w.port);
  s.cert_file = w.cert_file;
  s.key_file = w.key_file;
  s.path = "/v1/wt";
  s.max_connections = w.max_sessions;
  s.max_sessions_per_connection = w.max_sessions_per_connection;
  s.max_streams_bidi = w.max_streams;
  s.max_streams_uni = w.max_streams;
  s.idle_timeout = std::chrono::milliseconds(w.idle_timeout_ms);
  s.max_stream_send_buffer = std::max(kWtStreamSendBuffer, c.limits.max_frame_bytes + 16);
  return s;
}

}  // namespace

WtService::WtService(const BridgeConfig& config, Hub& hub)
    : config_(config), wt_config_(config.webtransport), lane_(config, hub, [this] {
        if (loop_) loop_->defer();
      }) {}

WtService::~WtService() {
  stop();
}

bool WtService::start(struct lws_context* context, struct lws_vhost* vhost, std::string& error) {
  std::string why;
  server_ = webtransport::Server::create(server_config(config_), lane_, &why);
  if (!server_) {
    error = "wt: " + why;
    return false;
  }
  lane_.bind(*server_);
  certificate_ = std::make_unique<CertificateRotation>(wt_config_.cert_file, wt_config_.key_file,
                                                       wt_config_.cert_warn_days);
  if (!certificate_->load(now_us() / 1'000'000, why)) {
    error = "wt: " + why;
    return false;
  }
  loop_ = std::make_unique<WtEventLoop>(
      *server_, WtEventLoop::Hooks{[this] { lane_.write_pending(); }, [this] { every_second(); }});
  if (!loop_->attach(context, vhost, error)) return false;
  for (const std::string& host : wt_config_.hosts) {
    std::fprintf(stderr, "laneway-bridge: WebTransport on https://%s:%u/v1/wt (udp)\n",
                 host.find(':') != std::string::npos ? ("[" + host + "]").c_str() : host.c_str(),
                 static_cast<unsigned>(server_->port()));
  }
  return true;
}

void WtService::stop() {
  if (loop_) loop_->detach();
  lane_.close_all();
}

void WtService::every_second() {
  const std::int64_t now = now_us();
  lane_.every_second(now);
  certificate_->poll(now / 1'000'000, [this](std::string& error) {
    return server_->reload_certificate(wt_config_.cert_file, wt_config_.key_file, &error);
  });
}

std::uint16_t WtService::port() const {
  return server_ ? server_->port() : 0;
}

std::vector<std::string> WtService::certificate_hashes() const {
  if (!certificate_) return {};
  return certificate_->advertised_hashes(now_us() / 1'000'000);
}

WebTransportSample WtService::sample() const {
  WebTransportSample out;
  if (!server_) return out;
  const webtransport::Stats s = server_->stats();
  out.quic_connections = s.connections;
  out.sessions = s.sessions;
  out.sessions_total = s.sessions_total;
  out.sessions_rejected = s.sessions_rejected + lane_.refused();
  out.streams_total = s.streams_total;
  out.datagrams_in = s.datagrams_in;
  out.datagrams_out = s.datagrams_out;
  out.datagrams_dropped = s.datagrams_dropped;
  out.datagrams_on_stream = lane_.datagram_fallbacks();
  out.migrations = s.migrations;
  out.stateless_resets = s.stateless_resets;
  out.protocol_errors = s.protocol_errors;
  out.certificate_expiry_s = certificate_->current().not_after_s - now_us() / 1'000'000;
  out.certificate_reloads = certificate_->reloads();
  return out;
}

}  // namespace laneway::bridge

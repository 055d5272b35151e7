#include "mqtt_network_loop.h"

#include <mosquitto.h>
#include <netdb.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace laneway::bridge {
namespace {

// Keepalive (PINGREQ, and giving up on a silent broker) is checked at least this often;
// libmosquitto counts it in whole seconds.
constexpr int kMaxPollMs = 1000;
// A probe of the primary that has not connected by then counts as refused.
constexpr auto kProbeTimeout = std::chrono::seconds(2);

// A TLS connection whose handshake has not finished. libmosquitto reports a failed connect
// in that state (refused, reset, EOF) as "try again", and keeps the dead socket, so the
// poll would report it ready forever; this loop recognises it and reconnects instead.
bool handshake_pending(struct mosquitto* m) {
  auto* ssl = static_cast<SSL*>(mosquitto_ssl_get(m));
  return ssl != nullptr && !SSL_is_init_finished(ssl);
}

}  // namespace

void MqttNetworkLoop::prepare(struct mosquitto* m) {
  mosquitto_threaded_set(m, true);
}

bool MqttNetworkLoop::start(struct mosquitto* m, std::string& error) {
  mosq_ = m;
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    error = std::string("broker: eventfd: ") + std::strerror(errno);
    return false;
  }
  thread_ = std::thread([this] { run(); });
  return true;
}

void MqttNetworkLoop::poke() {
  if (wake_fd_ < 0) return;
  const std::uint64_t one = 1;
  // A full counter (never in practice) already means "wake up".
  [[maybe_unused]] const ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

void MqttNetworkLoop::drain_pokes() {
  std::uint64_t count = 0;
  [[maybe_unused]] const ssize_t n = ::read(wake_fd_, &count, sizeof count);
}

void MqttNetworkLoop::stop(std::chrono::milliseconds grace) {
  if (thread_.joinable()) {
    stop_deadline_ = (Clock::now() + grace).time_since_epoch().count();
    stopping_ = true;
    poke();
    thread_.join();
  }
  if (wake_fd_ >= 0) {
    ::close(wake_fd_);
    wake_fd_ = -1;
  }
  cancel_primary_probe();
}

MqttNetworkLoop::Clock::duration MqttNetworkLoop::next_delay() {
  const unsigned doublings = std::min(failures_.fetch_add(1), 16u);
  const std::uint64_t s = std::uint64_t{backoff_.min_s} << doublings;
  return std::chrono::seconds(std::min<std::uint64_t>(s, backoff_.max_s));
}

void MqttNetworkLoop::wait_for_poke(Clock::time_point until) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
  pollfd wake{wake_fd_, POLLIN, 0};
  if (::poll(&wake, 1, static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, kMaxPollMs))) >
      0) {
    drain_pokes();
  }
}

void MqttNetworkLoop::reconnect() {
  if (!failover()) {
    mosquitto_reconnect_async(mosq_);
    return;
  }
  const BrokerAddress& next = addresses_->next_attempt();
  std::fprintf(stderr, "laneway-bridge: connecting to the broker at %s:%d\n", next.host.c_str(),
               next.port);
  mosquitto_connect_bind_async(mosq_, next.host.c_str(), next.port, keepalive_s_, nullptr);
}

void MqttNetworkLoop::start_primary_probe(Clock::time_point now) {
  next_probe_ = now + BrokerAddresses::kPrimaryProbeInterval;
  const BrokerAddress& primary = addresses_->primary();
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(primary.host.c_str(), std::to_string(primary.port).c_str(), &hints, &found) !=
      0)
    return;
  const int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd >= 0 && (::connect(fd, found->ai_addr, found->ai_addrlen) == 0 || errno == EINPROGRESS)) {
    probe_fd_ = fd;
    probe_deadline_ = now + kProbeTimeout;
  } else if (fd >= 0) {
    ::close(fd);
  }
  ::freeaddrinfo(found);
}

void MqttNetworkLoop::finish_primary_probe(short revents) {
  int error = 0;
  socklen_t length = sizeof error;
  const bool connected = (revents & POLLOUT) &&
                         ::getsockopt(probe_fd_, SOL_SOCKET, SO_ERROR, &error, &length) == 0 &&
                         error == 0;
  cancel_primary_probe();
  if (!connected) return;
  std::fprintf(stderr, "laneway-bridge: the primary broker %s:%d is back; moving to it\n",
               addresses_->primary().host.c_str(), addresses_->primary().port);
  addresses_->prefer_primary();
  mosquitto_disconnect(mosq_);
}

void MqttNetworkLoop::cancel_primary_probe() {
  if (probe_fd_ >= 0) ::close(probe_fd_);
  probe_fd_ = -1;
}

void MqttNetworkLoop::run() {
  Clock::time_point next_attempt{};
  bool dead = false;  // libmosquitto still holds a socket that can never connect
  bool was_up = true;
  for (;;) {
    const int sock = mosquitto_socket(mosq_);
    const bool down = sock < 0 || dead;
    if (stopping_) {
      // Down: nothing left to send. Up: the DISCONNECT closes the socket once written.
      if (down || Clock::now().time_since_epoch().count() >= stop_deadline_) return;
    }
    if (down) {
      cancel_primary_probe();
      if (was_up) {
        // Not at once: a broker that drops the bridge right after accepting it (say, another
        // client taking over the client id) must not turn into a tight reconnect loop.
        was_up = false;
        next_attempt = Clock::now() + next_delay();
      }
      if (Clock::now() < next_attempt) {
        wait_for_poke(next_attempt);
        continue;
      }
      // Closes a dead socket first. An attempt that fails later (refused, handshake or
      // CONNACK failure) is a lost connection like any other: the next one waits longer.
      dead = false;
      reconnect();
      if (mosquitto_socket(mosq_) < 0) next_attempt = Clock::now() + next_delay();
      continue;
    }
    if (!was_up) next_probe_ = Clock::now() + BrokerAddresses::kPrimaryProbeInterval;
    was_up = true;
    const auto now = Clock::now();
    if (failover() && !addresses_->on_primary() && !stopping_) {
      if (probe_fd_ < 0 && now >= next_probe_) start_primary_probe(now);
      if (probe_fd_ >= 0 && now >= probe_deadline_) cancel_primary_probe();
    }
    pollfd fds[3] = {
        {sock, static_cast<short>(POLLIN | (mosquitto_want_write(mosq_) ? POLLOUT : 0)), 0},
        {wake_fd_, POLLIN, 0},
        {probe_fd_, POLLOUT, 0}};
    int timeout_ms = kMaxPollMs;
    if (stopping_) {
      const auto left = Clock::time_point(Clock::duration(stop_deadline_.load())) - Clock::now();
      timeout_ms = static_cast<int>(std::clamp<std::int64_t>(
          std::chrono::duration_cast<std::chrono::milliseconds>(left).count(), 0, kMaxPollMs));
    }
    if (::poll(fds, probe_fd_ >= 0 ? 3 : 2, timeout_ms) < 0) continue;  // EINTR: re-check all
    const bool poked = fds[1].revents != 0;
    if (poked) drain_pokes();
    if (probe_fd_ >= 0 && fds[2].revents != 0) finish_primary_probe(fds[2].revents);
    const short ready = fds[0].revents;
    // Reading also drives a pending TLS handshake, in either direction; any error closes
    // the socket (libmosquitto calls on_disconnect) and the next pass reconnects.
    int rc = MOSQ_ERR_SUCCESS;
    if (ready != 0) rc = mosquitto_loop_read(mosq_, 1);
    if (rc == MOSQ_ERR_SUCCESS && mosquitto_socket(mosq_) >= 0 && ((ready & POLLOUT) || poked)) {
      rc = mosquitto_loop_write(mosq_, 1);
    }
    if (rc == MOSQ_ERR_SUCCESS && mosquitto_socket(mosq_) >= 0) mosquitto_loop_misc(mosq_);
    if ((ready & (POLLERR | POLLHUP)) && mosquitto_socket(mosq_) >= 0 && handshake_pending(mosq_)) {
      dead = true;
    }
  }
}

}  // namespace laneway::bridge

// Runs one libmosquitto client's network I/O on a thread of its own, waiting with poll(),
// and reconnects it with backoff.
//
// Why not libmosquitto's own loop (mosquitto_loop_start / _forever): it waits with select(),
// which cannot watch a descriptor numbered FD_SETSIZE (1024) or above, and libmosquitto
// 2.0.11 answers such a socket with MOSQ_ERR_INVAL on every pass. Once a thousand browser
// sessions hold the low descriptors, the socket of a reconnect to the broker is such a one,
// and the bridge would never reach the broker again.
//
// The client is put in threaded mode (mosquitto_threaded_set): calls from other threads
// (publish, subscribe, disconnect) only queue packets, and poke() has this thread write
// them, so the TLS connection is only ever used from here.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "broker_addresses.h"

struct mosquitto;

namespace laneway::bridge {

class MqttNetworkLoop {
 public:
  struct Backoff {
    unsigned min_s = 1;   // first retry after a lost or refused connection
    unsigned max_s = 30;  // doubling up to this
  };

  // With more than one address in `addresses` (owned by the caller, used by this thread
  // only once started), each reconnect goes to the next one and a standby connection
  // returns to the primary (broker_addresses.h).
  MqttNetworkLoop(Backoff backoff, BrokerAddresses* addresses, int keepalive_s)
      : backoff_(backoff), addresses_(addresses), keepalive_s_(keepalive_s) {}
  ~MqttNetworkLoop() { stop(std::chrono::milliseconds(0)); }
  MqttNetworkLoop(const MqttNetworkLoop&) = delete;
  MqttNetworkLoop& operator=(const MqttNetworkLoop&) = delete;

  // Call before the client connects or anything is queued on it (threaded mode).
  static void prepare(struct mosquitto* m);
  // Starts the thread. `m` must stay valid until stop() returned. A client that is not
  // connected (first connect refused) is connected by the thread, after min_s.
  bool start(struct mosquitto* m, std::string& error);
  // After queueing a packet from another thread: the network thread writes it now.
  void poke();
  // CONNACK accepted: the next lost connection is retried after min_s again.
  void on_connected() { failures_ = 0; }
  // Lets the thread write what is queued (a DISCONNECT) for up to `grace`, then joins it.
  void stop(std::chrono::milliseconds grace);

 private:
  using Clock = std::chrono::steady_clock;
  void run();
  // Waits for a poke or until `until`.
  void wait_for_poke(Clock::time_point until);
  void drain_pokes();
  Clock::duration next_delay();
  bool failover() const { return addresses_ && addresses_->size() > 1; }
  void reconnect();
  // While connected to a standby: a non-blocking TCP connect to the primary every
  // BrokerAddresses::kPrimaryProbeInterval; once it succeeds the link leaves the standby.
  void start_primary_probe(Clock::time_point now);
  void finish_primary_probe(short revents);
  void cancel_primary_probe();

  const Backoff backoff_;
  BrokerAddresses* const addresses_;
  const int keepalive_s_;
  int probe_fd_ = -1;
  Clock::time_point probe_deadline_{};
  Clock::time_point next_probe_{};
  struct mosquitto* mosq_ = nullptr;
  int wake_fd_ = -1;  // eventfd: poke() → the thread's poll()
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<Clock::rep> stop_deadline_{0};
  std::atomic<unsigned> failures_{0};
};

}  // namespace laneway::bridge

#include "simulator.h"

#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <poll.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>

namespace laneway::fleet {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::duration;
using std::chrono::milliseconds;

struct MosquittoDeleter {
  void operator()(mosquitto* m) const { mosquitto_destroy(m); }
};
using MosquittoPtr = std::unique_ptr<mosquitto, MosquittoDeleter>;

struct PropertiesDeleter {
  void operator()(mosquitto_property* p) const { mosquitto_property_free_all(&p); }
};
using PropertiesPtr = std::unique_ptr<mosquitto_property, PropertiesDeleter>;

enum class State { kWaiting, kConnecting, kConnected };

struct Simulator;

struct SimDevice {
  Simulator* sim = nullptr;
  const DeviceFiles* files = nullptr;
  MosquittoPtr mosq;
  State state = State::kWaiting;
  bool tcp_pending = false;  // connect() in progress: wait for POLLOUT once
  bool ever_connected = false;
  bool reboot_requested = false;
  Clock::time_point next_attempt;
  Clock::time_point next_publish;
  Clock::time_point connected_since;
  Clock::time_point connect_started;
  int backoff_ms = 0;
  std::size_t broker = 0;  // index into Simulator::brokers
  std::uint64_t telemetry_seq = 0;
  std::uint64_t connects = 0;
};

struct Simulator {
  const SimulatorOptions& options;
  SimulatorStats stats;
  std::vector<SimDevice> devices;
  std::mt19937_64 rng{std::random_device{}()};
  Clock::time_point started = Clock::now();
  int connecting = 0;
  std::uint64_t ever_connected = 0;

  std::vector<std::pair<std::string, int>> brokers;

  explicit Simulator(const SimulatorOptions& o) : options(o) {
    brokers.emplace_back(o.host, o.port);
    brokers.insert(brokers.end(), o.more_brokers.begin(), o.more_brokers.end());
  }

  int jitter(int base_ms) {
    // Full range 50%..150% so a fleet kicked at once does not come back in lockstep.
    std::uniform_int_distribution<int> d(base_ms / 2, base_ms + base_ms / 2);
    return d(rng);
  }

  void mark_down(SimDevice& d, int delay_ms = -1) {
    if (d.state == State::kWaiting) return;
    if (d.state == State::kConnecting) --connecting;
    if (d.state == State::kConnected) {
      --stats.connected_now;
      ++stats.disconnects;
    }
    d.state = State::kWaiting;
    d.tcp_pending = false;
    d.broker = (d.broker + 1) % brokers.size();
    if (delay_ms < 0) {
      d.backoff_ms = d.backoff_ms == 0 ? options.backoff_min_ms
                                       : std::min(d.backoff_ms * 2, options.backoff_max_ms);
      delay_ms = jitter(d.backoff_ms);
    }
    d.next_attempt = Clock::now() + milliseconds(delay_ms);
  }

  void on_connected(SimDevice& d) {
    if (d.state != State::kConnecting) return;
    --connecting;
    d.state = State::kConnected;
    d.backoff_ms = 0;
    d.connected_since = Clock::now();
    ++d.connects;
    ++stats.connects;
    ++stats.connected_now;
    if (!d.ever_connected) {
      d.ever_connected = true;
      if (++ever_connected == devices.size())
        stats.first_all_connected_s = duration<double>(Clock::now() - started).count();
    }
    mosquitto* m = d.mosq.get();
    const std::string& id = d.files->id;
    mosquitto_subscribe_v5(m, nullptr, ("devices/" + id + "/rpc/+").c_str(), 1, 0, nullptr);
    mosquitto_subscribe_v5(m, nullptr, "broadcast/#", 1, 0, nullptr);
    for (const auto& group : options.groups)
      mosquitto_subscribe_v5(m, nullptr, ("fleet/" + group + "/#").c_str(), 1, 0, nullptr);
    // Spread the first telemetry over one period so the fleet does not publish in bursts.
    if (options.rate_hz > 0) {
      std::uniform_real_distribution<double> spread(0, 1.0 / options.rate_hz);
      d.next_publish =
          Clock::now() + std::chrono::duration_cast<Clock::duration>(duration<double>(spread(rng)));
    }
  }

  void publish_telemetry(SimDevice& d) {
    // Bounded: if the previous message has not left yet, skip this one instead of queueing.
    if (mosquitto_want_write(d.mosq.get())) return;
    const double uptime = duration<double>(Clock::now() - d.connected_since).count();
    std::uniform_real_distribution<double> noise(-0.5, 0.5);
    char payload[160];
    const int n = std::snprintf(
        payload, sizeof payload, "{\"seq\":%llu,\"uptime_s\":%.1f,\"temperature_c\":%.2f}",
        static_cast<unsigned long long>(++d.telemetry_seq), uptime, 21.0 + noise(rng));
    const std::string topic = "devices/" + d.files->id + "/telemetry";
    if (mosquitto_publish_v5(d.mosq.get(), nullptr, topic.c_str(), n, payload,
                             options.telemetry_qos, false, nullptr) == MOSQ_ERR_SUCCESS)
      ++stats.published;
  }

  void answer_rpc(SimDevice& d, const std::string& method, const mosquitto_property* props) {
    char* response_topic = nullptr;
    void* correlation = nullptr;
    std::uint16_t correlation_len = 0;
    mosquitto_property_read_string(props, MQTT_PROP_RESPONSE_TOPIC, &response_topic, false);
    mosquitto_property_read_binary(props, MQTT_PROP_CORRELATION_DATA, &correlation,
                                   &correlation_len, false);
    std::unique_ptr<char, decltype(&std::free)> topic_owner(response_topic, &std::free);
    std::unique_ptr<void, decltype(&std::free)> correlation_owner(correlation, &std::free);
    // No response topic: nobody to answer (a v3.1.1 requester or a fire-and-forget call).
    if (!response_topic) return;

    nlohmann::json reply = {{"id", d.files->id}, {"method", method}};
    if (method == "ping") {
      reply["ok"] = true;
      reply["result"] = {{"pong", true}};
    } else if (method == "get_state") {
      reply["ok"] = true;
      reply["result"] = {{"uptime_s", duration<double>(Clock::now() - d.connected_since).count()},
                         {"telemetry_seq", d.telemetry_seq},
                         {"connects", d.connects},
                         {"groups", options.groups}};
    } else if (method == "reboot") {
      reply["ok"] = true;
      reply["result"] = {{"rebooting", true}};
      d.reboot_requested = true;
    } else {
      reply["ok"] = false;
      reply["error"] = "unknown method";
    }
    mosquitto_property* raw = nullptr;
    if (correlation)
      mosquitto_property_add_binary(&raw, MQTT_PROP_CORRELATION_DATA, correlation, correlation_len);
    PropertiesPtr reply_props(raw);
    const std::string body = reply.dump();
    if (mosquitto_publish_v5(d.mosq.get(), nullptr, response_topic, static_cast<int>(body.size()),
                             body.data(), 1, false, reply_props.get()) == MOSQ_ERR_SUCCESS)
      ++stats.rpc_answered;
  }

  void on_message(SimDevice& d, const mosquitto_message* message, const mosquitto_property* props) {
    const std::string topic = message->topic ? message->topic : "";
    const std::string rpc_prefix = "devices/" + d.files->id + "/rpc/";
    if (topic.rfind(rpc_prefix, 0) == 0) {
      answer_rpc(d, topic.substr(rpc_prefix.size()), props);
      return;
    }
    if (topic.rfind("fleet/", 0) == 0 || topic.rfind("broadcast/", 0) == 0) {
      ++stats.broadcasts;
      // Acknowledge on the device's own events topic, so operators (and tests) can see
      // which devices a broadcast reached.
      const nlohmann::json ack = {
          {"event", "broadcast"}, {"topic", topic}, {"bytes", message->payloadlen}};
      const std::string body = ack.dump();
      const std::string events = "devices/" + d.files->id + "/events";
      mosquitto_publish_v5(d.mosq.get(), nullptr, events.c_str(), static_cast<int>(body.size()),
                           body.data(), 0, false, nullptr);
    }
  }

  void start_connect(SimDevice& d) {
    const auto& [host, port] = brokers[d.broker];
    const int rc = mosquitto_connect_async(d.mosq.get(), host.c_str(), port, options.keepalive_s);
    d.state = State::kConnecting;
    d.connect_started = Clock::now();
    ++connecting;
    if (rc != MOSQ_ERR_SUCCESS) {
      mark_down(d);
      return;
    }
    d.tcp_pending = true;
  }
};

void on_connect_cb(mosquitto*, void* user, int rc, int, const mosquitto_property*) {
  auto* d = static_cast<SimDevice*>(user);
  if (rc == 0) {
    d->sim->on_connected(*d);
  } else {
    ++d->sim->stats.refused;
    d->sim->mark_down(*d);
  }
}

void on_disconnect_cb(mosquitto*, void* user, int, const mosquitto_property*) {
  auto* d = static_cast<SimDevice*>(user);
  if (d->reboot_requested) {
    d->reboot_requested = false;
    d->sim->mark_down(*d, 1000);  // a reboot takes a second
    return;
  }
  d->sim->mark_down(*d);
}

void on_message_cb(mosquitto*, void* user, const mosquitto_message* message,
                   const mosquitto_property* props) {
  auto* d = static_cast<SimDevice*>(user);
  d->sim->on_message(*d, message, props);
}

// A fresh libmosquitto client for the device. Also how a connection is abandoned (a
// handshake that never finishes, a socket libmosquitto left open after an error):
// destroying the client closes its socket.
bool make_client(SimDevice& d, const SimulatorOptions& options) {
  d.mosq.reset(mosquitto_new(d.files->id.c_str(), true, &d));
  if (!d.mosq) return false;
  mosquitto* m = d.mosq.get();
  mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
  if (mosquitto_tls_set(m, options.cafile.c_str(), nullptr, d.files->certfile.c_str(),
                        d.files->keyfile.c_str(), nullptr) != MOSQ_ERR_SUCCESS) {
    d.mosq.reset();
    return false;
  }
  mosquitto_connect_v5_callback_set(m, on_connect_cb);
  mosquitto_disconnect_v5_callback_set(m, on_disconnect_cb);
  mosquitto_message_v5_callback_set(m, on_message_cb);
  return true;
}

// Gives up on the device's current connection and schedules a retry with backoff.
void abandon_connection(SimDevice& d, const SimulatorOptions& options) {
  d.sim->mark_down(d);
  make_client(d, options);
}

double process_cpu_s() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

void raise_fd_limit(std::size_t wanted) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t target = std::min<rlim_t>(limit.rlim_max, static_cast<rlim_t>(wanted));
  if (limit.rlim_cur < target) {
    limit.rlim_cur = target;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < wanted)
    std::fprintf(stderr,
                 "laneway-fleet simulate: warning: open-file limit %llu is below the %zu "
                 "needed; raise the hard limit (ulimit -Hn)\n",
                 static_cast<unsigned long long>(limit.rlim_cur), wanted);
}

}  // namespace

long current_rss_kb() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return 0;
}

SimulatorStats run_simulator(const SimulatorOptions& options,
                             const std::vector<DeviceFiles>& devices,
                             const std::atomic<bool>& stop) {
  const double cpu_at_start = process_cpu_s();
  raise_fd_limit(devices.size() + 64);
  mosquitto_lib_init();
  Simulator sim(options);
  sim.devices.resize(devices.size());  // never resized again: callbacks hold pointers
  const auto start = Clock::now();
  for (std::size_t i = 0; i < devices.size(); ++i) {
    SimDevice& d = sim.devices[i];
    d.sim = &sim;
    d.files = &devices[i];
    d.broker = i % sim.brokers.size();
    if (!make_client(d, options)) {
      std::fprintf(stderr, "laneway-fleet simulate: error: TLS files of %s unusable\n",
                   devices[i].id.c_str());
      continue;
    }
    d.next_attempt = start;
  }

  const auto deadline = options.duration_s > 0
                            ? start + std::chrono::duration_cast<Clock::duration>(
                                          duration<double>(options.duration_s))
                            : Clock::time_point::max();
  const auto publish_period =
      options.rate_hz > 0
          ? std::chrono::duration_cast<Clock::duration>(duration<double>(1.0 / options.rate_hz))
          : Clock::duration::max();
  // Token bucket for new connection attempts: staggers the TLS handshakes.
  double connect_tokens = 0;
  auto last_refill = start;
  auto next_misc = start;
  auto next_stats = start + std::chrono::duration_cast<Clock::duration>(
                                duration<double>(options.stats_interval_s));
  std::vector<pollfd> fds;
  std::vector<SimDevice*> fd_owner;
  fds.reserve(sim.devices.size());
  fd_owner.reserve(sim.devices.size());

  while (!stop.load() && Clock::now() < deadline) {
    const auto now = Clock::now();
    connect_tokens = std::min<double>(
        connect_tokens + duration<double>(now - last_refill).count() * options.connect_rate,
        std::max(1, options.connect_rate / 10));
    last_refill = now;

    // Timers: connection attempts, telemetry, reboots.
    for (auto& d : sim.devices) {
      if (!d.mosq) continue;
      if (d.state == State::kWaiting) {
        if (now >= d.next_attempt && connect_tokens >= 1 &&
            sim.connecting < options.max_connecting) {
          connect_tokens -= 1;
          sim.start_connect(d);
        }
      } else if (d.state == State::kConnecting) {
        if (now - d.connect_started > milliseconds(options.connect_timeout_ms)) {
          ++sim.stats.connect_timeouts;
          abandon_connection(d, options);
        }
      } else if (d.state == State::kConnected) {
        if (d.reboot_requested && !mosquitto_want_write(d.mosq.get())) {
          mosquitto_disconnect_v5(d.mosq.get(), 0, nullptr);
        } else if (now >= d.next_publish) {
          sim.publish_telemetry(d);
          d.next_publish += publish_period;
          if (d.next_publish < now) d.next_publish = now + publish_period;
        }
      }
    }

    fds.clear();
    fd_owner.clear();
    for (auto& d : sim.devices) {
      if (!d.mosq || d.state == State::kWaiting) continue;
      const int sock = mosquitto_socket(d.mosq.get());
      if (sock < 0) {
        sim.mark_down(d);
        continue;
      }
      short events = POLLIN;
      if (d.tcp_pending || mosquitto_want_write(d.mosq.get())) events |= POLLOUT;
      fds.push_back({sock, events, 0});
      fd_owner.push_back(&d);
    }
    const int ready = poll(fds.data(), fds.size(), 10);
    if (ready > 0) {
      for (std::size_t i = 0; i < fds.size(); ++i) {
        if (!fds[i].revents) continue;
        SimDevice& d = *fd_owner[i];
        mosquitto* m = d.mosq.get();
        // loop_read also finishes a pending non-blocking connect and the TLS handshake.
        int rc = MOSQ_ERR_SUCCESS;
        if (fds[i].revents & (POLLIN | POLLERR | POLLHUP) || d.tcp_pending) {
          d.tcp_pending = false;
          rc = mosquitto_loop_read(m, 16);
        }
        if (rc == MOSQ_ERR_SUCCESS && mosquitto_socket(m) >= 0 && mosquitto_want_write(m))
          rc = mosquitto_loop_write(m, 16);
        if (mosquitto_socket(m) < 0)
          sim.mark_down(d);
        else if (rc != MOSQ_ERR_SUCCESS)
          abandon_connection(d, options);
      }
    }

    if (Clock::now() >= next_misc) {
      next_misc = Clock::now() + milliseconds(500);
      for (auto& d : sim.devices)
        if (d.mosq && d.state == State::kConnected) mosquitto_loop_misc(d.mosq.get());
    }
    if (options.stats_interval_s > 0 && Clock::now() >= next_stats) {
      next_stats +=
          std::chrono::duration_cast<Clock::duration>(duration<double>(options.stats_interval_s));
      std::fprintf(stderr,
                   "laneway-fleet simulate: connected %llu/%zu published %llu rpc %llu "
                   "broadcasts %llu rss %ld KiB\n",
                   static_cast<unsigned long long>(sim.stats.connected_now), sim.devices.size(),
                   static_cast<unsigned long long>(sim.stats.published),
                   static_cast<unsigned long long>(sim.stats.rpc_answered),
                   static_cast<unsigned long long>(sim.stats.broadcasts), current_rss_kb());
    }
  }

  sim.stats.ever_connected = sim.ever_connected;
  sim.stats.rss_kb = current_rss_kb();
  sim.stats.cpu_s = process_cpu_s() - cpu_at_start;
  const SimulatorStats stats = sim.stats;  // before the farewell disconnects change it
  // Clean MQTT disconnects so presence shows the fleet leaving, bounded to one second.
  for (auto& d : sim.devices)
    if (d.mosq && d.state == State::kConnected) mosquitto_disconnect_v5(d.mosq.get(), 0, nullptr);
  const auto flush_deadline = Clock::now() + milliseconds(1000);
  for (bool pending = true; pending && Clock::now() < flush_deadline;) {
    pending = false;
    for (auto& d : sim.devices) {
      if (!d.mosq || mosquitto_socket(d.mosq.get()) < 0) continue;
      if (mosquitto_want_write(d.mosq.get())) {
        pending = true;
        mosquitto_loop_write(d.mosq.get(), 4);
      }
    }
    if (pending) poll(nullptr, 0, 5);
  }
  sim.devices.clear();
  mosquitto_lib_cleanup();
  return stats;
}

}  // namespace laneway::fleet

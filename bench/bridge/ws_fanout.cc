#include "ws_fanout.h"

#include <ev.h>
#include <libwebsockets.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "laneway.pb.h"
#include "lws_tick.h"
#include "percentile.h"
#include "proc_stats.h"

namespace laneway::bench {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int kSampleEvery = 50;  // latency sampled on every 50th session
// Protobuf tags of Frame's oneof (field number << 3 | length-delimited): the first byte of a
// frame tells what it is, so the sessions that are not sampled never decode anything.
constexpr unsigned char kEnvelopeTag = (1 << 3) | 2;
constexpr unsigned char kCallTag = (3 << 3) | 2;
// The lws loop wakes at least this often so each phase can look at its clocks.
constexpr lws_usec_t kTickUs = 10'000;
// Per-connection receive buffer: frames here are ~70 bytes; bigger ones arrive in pieces.
constexpr std::size_t kRxBufferBytes = 2048;
// Reassembly bound for the few messages this client decodes.
constexpr std::size_t kMaxDecodedBytes = 1 << 20;

struct Run;

// One client session. The vector holding them is sized once, so lws can keep a pointer to
// each as the connection's user data.
struct Conn {
  Run* run = nullptr;
  bool sample = false;
  bool ready = false;
  bool done = false;  // failed or closed; counted once
  bool connect_sent = false;
  unsigned char first_byte = 0;
  std::string rx;  // the message being reassembled, for the messages that get decoded
};

struct Run {
  explicit Run(const WsFanoutConfig& c, WsFanoutResult& out) : cfg(c), r(out) {}
  const WsFanoutConfig& cfg;
  WsFanoutResult& r;
  std::vector<Conn> conns;
  int ready = 0;
  int failed = 0;  // handshake failed, or closed before it was ready
  int closed = 0;  // closed after it was ready
  bool measuring = false;
  double last_delivery = 0;
  double first_delivery = 0;
  std::atomic<long> progress{0};  // delivered, for the publisher thread's window
  std::vector<double> latencies;
  std::string write_buf;

  void fail(Conn& c, const std::string& why) {
    if (c.done) return;
    c.done = true;
    ++failed;
    if (r.first_failure.empty()) r.first_failure = why;
  }
};

// The client's event loop is libev on epoll, handed to lws as a foreign loop: lws' own
// loop is poll(), which scans every descriptor on each wakeup, and with 10,000 sessions
// receiving a few frames per wakeup that scan cost the client more CPU than the bridges it
// measured.
struct LoopDeleter {
  void operator()(struct ev_loop* loop) const { ev_loop_destroy(loop); }
};
using LoopPtr = std::unique_ptr<struct ev_loop, LoopDeleter>;

struct ContextDeleter {
  void operator()(struct lws_context* ctx) const { lws_context_destroy(ctx); }
};
using ContextPtr = std::unique_ptr<struct lws_context, ContextDeleter>;

void on_message(Conn& c) {
  Run& run = *c.run;
  if (!c.ready) {
    // laneway's reply to the connect call: the session is subscribed once it says so.
    v1::Frame f;
    if (!f.ParseFromString(c.rx) || !f.has_call() || !f.call().has_connect_result()) {
      run.fail(c, f.has_call() && f.call().has_error()
                      ? "connect refused: " + f.call().error().message()
                      : "unexpected reply to connect");
      return;
    }
    c.ready = true;
    ++run.ready;
    return;
  }
  if (!run.measuring) return;
  if (c.first_byte == kEnvelopeTag) {
    ++run.r.delivered;
    run.progress.store(run.r.delivered, std::memory_order_relaxed);
    run.last_delivery = now_ms();
    if (run.first_delivery == 0) run.first_delivery = run.last_delivery;
    v1::Frame f;
    if (c.sample && f.ParseFromString(c.rx)) {
      const std::string& p = f.envelope().payload();
      if (p.size() == sizeof(double)) {
        double sent = 0;
        std::memcpy(&sent, p.data(), sizeof sent);
        run.latencies.push_back(run.last_delivery - sent);
      }
    }
    return;
  }
  v1::Frame f;
  if (c.first_byte == kCallTag && f.ParseFromString(c.rx) && f.call().has_error() &&
      f.call().error().code() == v1::ERROR_CODE_SLOW_CONSUMER) {
    ++run.r.slow_consumer_errors;
  } else {
    ++run.r.other_frames;  // a history group (the bridge missed envelopes) or another call
  }
}

int on_receive(struct lws* wsi, Conn& c, const unsigned char* data, std::size_t len) {
  if (lws_is_first_fragment(wsi)) {
    c.first_byte = len > 0 ? data[0] : 0;
    c.rx.clear();
  }
  const bool decode = !c.ready || c.first_byte != kEnvelopeTag || c.sample;
  if (decode && c.rx.size() + len <= kMaxDecodedBytes) {
    c.rx.append(reinterpret_cast<const char*>(data), len);
  }
  if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) > 0) return 0;
  on_message(c);
  // Release what a large message made the buffer hold; small ones keep their capacity.
  if (c.rx.capacity() > 4096) std::string().swap(c.rx);
  return 0;
}

int callback(struct lws* wsi, enum lws_callback_reasons reason, void* user, void* in,
             std::size_t len) {
  auto* c = static_cast<Conn*>(user);
  switch (reason) {
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
      if (c) {
        const char* why = static_cast<const char*>(in);
        c->run->fail(*c, why ? std::string(why, len ? len : std::strlen(why))
                             : std::string("connection error"));
      }
      return 0;

    case LWS_CALLBACK_CLIENT_ESTABLISHED:
      if (!c) return -1;
      if (c->run->cfg.connect_frame.empty()) {
        c->ready = true;  // the reference bridge sends to every open socket
        ++c->run->ready;
      } else {
        lws_callback_on_writable(wsi);
      }
      return 0;

    case LWS_CALLBACK_CLIENT_WRITEABLE: {
      if (!c || c->connect_sent || c->run->cfg.connect_frame.empty()) return 0;
      // lws masks client payloads in place and needs LWS_PRE bytes before them, so the
      // connect frame is copied into a scratch buffer for each write.
      const std::string& frame = c->run->cfg.connect_frame;
      std::string& buf = c->run->write_buf;
      buf.assign(LWS_PRE, '\0');
      buf.append(frame);
      c->connect_sent = true;
      const int n = lws_write(wsi, reinterpret_cast<unsigned char*>(buf.data()) + LWS_PRE,
                              frame.size(), LWS_WRITE_BINARY);
      return n < static_cast<int>(frame.size()) ? -1 : 0;
    }

    case LWS_CALLBACK_CLIENT_RECEIVE:
      if (!c) return -1;
      return on_receive(wsi, *c, static_cast<const unsigned char*>(in), len);

    case LWS_CALLBACK_CLIENT_CLOSED:
      if (c && !c->done) {
        if (!c->ready) {
          c->run->fail(*c, "closed before it was ready");
        } else {
          c->done = true;
          ++c->run->closed;
          if (c->run->measuring) ++c->run->r.closed_during_run;
        }
      }
      return 0;

    default:
      break;
  }
  return 0;
}

// No lws keepalive on the client side: lws 4.1's default (ping after 300 s) re-arms one
// timer per connection in a sorted list, O(connections) per connect; the runs are short.
const lws_retry_bo_t kNoValidityTimers{};

// One pass of the loop: waits for at least one event (the Tick timer bounds the wait).
bool service(struct ev_loop* loop) {
  ev_run(loop, EVRUN_ONCE);
  return true;
}

const struct lws_protocols kProtocols[] = {
    {"fanout-client", callback, 0, kRxBufferBytes, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0}};

std::vector<int> bridge_pids(const WsFanoutConfig& cfg) {
  std::vector<int> pids{cfg.bridge_pid};
  pids.insert(pids.end(), cfg.replica_pids.begin(), cfg.replica_pids.end());
  return pids;
}

long bridges_rss_kb(const WsFanoutConfig& cfg) {
  long sum = 0;
  for (int pid : bridge_pids(cfg)) sum += rss_kb(pid);
  return sum;
}

}  // namespace

WsFanoutResult run_ws_fanout(const WsFanoutConfig& cfg) {
  WsFanoutResult r;
  Run run(cfg, r);
  run.conns.resize(static_cast<std::size_t>(cfg.sessions));
  const auto deadline = Clock::now() + std::chrono::seconds(cfg.timeout_s);
  const long rss_before = bridges_rss_kb(cfg);
  std::vector<int> ports{cfg.port};
  ports.insert(ports.end(), cfg.replica_ports.begin(), cfg.replica_ports.end());

  test::MqttTestClient device(cfg.device);
  // The device connects before the sessions open: libmosquitto's loop uses select(), which
  // cannot watch a descriptor numbered 1024 or above, and N sessions push new ones past it.
  // A few tries: the broker may still be busy with the previous run's teardown.
  bool device_up = false;
  for (int attempt = 0; attempt < 3 && !device_up; ++attempt) {
    device_up = device.connect(cfg.broker_port, 10s) == 0;
  }
  if (!device_up) {
    r.error = "the device could not connect";
    return r;
  }
  lws_set_log_level(LLL_ERR, nullptr);
  LoopPtr loop(ev_loop_new(EVBACKEND_EPOLL));
  if (!loop) {
    r.error = "cannot create the libev loop";
    return r;
  }
  void* foreign_loops[1] = {loop.get()};
  struct lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = kProtocols;
  // Raw origin: send the Origin header exactly as given (lws would prefix "http://").
  info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_JUST_USE_RAW_ORIGIN |
                 LWS_SERVER_OPTION_DISABLE_IPV6 | LWS_SERVER_OPTION_LIBEV;
  info.foreign_loops = foreign_loops;
  info.client_ssl_ca_filepath = cfg.ca_file.c_str();
  // No fd_limit_per_thread: with it set lws 4.1 finds a connection from its descriptor by a
  // linear search (25 % of this client's CPU at 10,000 sessions); without it, from RLIMIT_NOFILE,
  // by index.
  info.timeout_secs = 30;  // per handshake step
  info.pt_serv_buf_size = 32 * 1024;
  ContextPtr ctx(lws_create_context(&info));
  if (!ctx) {
    r.error = "cannot create the libwebsockets client context";
    return r;
  }
  LwsTick tick(ctx.get(), kTickUs);  // destroyed before the context

  // Connect, at most `concurrency` handshakes in flight.
  std::vector<std::string> ifaces;
  for (int a = 0; a < cfg.source_addresses; ++a)
    ifaces.push_back("127.0.0." + std::to_string(2 + a));
  int next = 0;
  auto next_report = Clock::now() + 5s;
  while (run.ready + run.failed < cfg.sessions) {
    while (next < cfg.sessions && next - (run.ready + run.failed) < cfg.concurrency) {
      Conn& c = run.conns[static_cast<std::size_t>(next)];
      c.run = &run;
      c.sample = next % kSampleEvery == 0;
      struct lws_client_connect_info ci;
      std::memset(&ci, 0, sizeof ci);
      ci.context = ctx.get();
      ci.address = "127.0.0.1";
      ci.port = ports[static_cast<std::size_t>(next) % ports.size()];
      ci.ssl_connection = LCCSCF_USE_SSL;
      ci.path = "/v1/ws";
      ci.host = cfg.server_name.c_str();
      ci.origin = cfg.origin.c_str();
      ci.alpn = "http/1.1";
      ci.local_protocol_name = kProtocols[0].name;
      ci.iface = ifaces[static_cast<std::size_t>(next % cfg.source_addresses)].c_str();
      ci.userdata = &c;
      ci.retry_and_idle_policy = &kNoValidityTimers;
      if (!lws_client_connect_via_info(&ci)) run.fail(c, "lws_client_connect_via_info failed");
      ++next;
    }
    if (!service(loop.get()) || Clock::now() > deadline) break;
    if (cfg.verbose && Clock::now() > next_report) {
      next_report = Clock::now() + 5s;
      std::fprintf(stderr, "ws_fanout: %d started, %d ready, %d failed (%s)\n", next, run.ready,
                   run.failed, r.first_failure.c_str());
    }
  }
  r.connect_failed = run.failed;
  if (run.ready + run.failed < cfg.sessions) {
    r.error = "connecting took too long (" + std::to_string(run.ready) + " ready)";
    return r;
  }
  if (run.ready == 0) {
    r.error = "no session connected: " + r.first_failure;
    return r;
  }
  for (auto settle = Clock::now() + 1500ms; Clock::now() < settle;) service(loop.get());
  r.rss_per_idle_session_bytes =
      static_cast<double>(bridges_rss_kb(cfg) - rss_before) * 1024.0 / cfg.sessions;
  r.ready = run.ready - run.closed;

  r.expected = static_cast<long>(r.ready) * cfg.messages;
  run.measuring = true;
  const double bridge_cpu_start = cpu_s(bridge_pids(cfg));
  const double broker_cpu_start = cfg.broker_pid ? cpu_s(cfg.broker_pid) : 0;
  const double client_cpu_start = own_cpu_s();
  const double start = now_ms();
  run.last_delivery = start;
  std::atomic<bool> published{false};
  std::atomic<double> publishes_done{0};
  std::atomic<int> publish_failures{0};
  std::atomic<int> window_stalls{0};
  {
    // The publisher runs beside the lws loop so that neither waits for the other.
    std::jthread publisher([&] {
      for (int m = 0; m < cfg.messages; ++m) {
        const long need = cfg.window > 0 ? static_cast<long>(m - cfg.window) * r.ready : 0;
        const auto give_up = Clock::now() + std::chrono::milliseconds(cfg.window_wait_ms);
        while (run.progress.load(std::memory_order_relaxed) < need && Clock::now() < give_up) {
          std::this_thread::sleep_for(100us);
        }
        if (run.progress.load(std::memory_order_relaxed) < need) ++window_stalls;
        const double t = now_ms();
        std::string payload(sizeof t, '\0');
        std::memcpy(payload.data(), &t, sizeof t);
        if (!device.publish(cfg.topic, payload, 0)) ++publish_failures;
        if (m % cfg.publish_burst == cfg.publish_burst - 1) {
          std::this_thread::sleep_for(std::chrono::milliseconds(cfg.publish_pause_ms));
        }
      }
      publishes_done = now_ms();
      published = true;
    });
    double idle_since = 0;
    while (Clock::now() < deadline) {
      service(loop.get());
      if (!published) continue;
      if (r.delivered >= r.expected) break;
      const double t = now_ms();
      if (idle_since == 0) idle_since = t;
      if (t - std::max(idle_since, run.last_delivery) > cfg.idle_stop_s * 1000.0) break;
    }
  }
  run.measuring = false;  // what closes from here on is this client hanging up
  r.bridge_cpu_s = cpu_s(bridge_pids(cfg)) - bridge_cpu_start;
  r.broker_cpu_s = cfg.broker_pid ? cpu_s(cfg.broker_pid) - broker_cpu_start : 0;
  r.client_cpu_s = own_cpu_s() - client_cpu_start;
  r.window_stalls = window_stalls;
  if (publish_failures > 0) {
    r.error = std::to_string(publish_failures.load()) + " publishes failed";
  }
  r.seconds = (run.last_delivery - start) / 1000.0;
  if (run.first_delivery > 0) r.first_delivery_ms = run.first_delivery - start;
  r.publishes_done_ms = publishes_done.load() - start;
  r.deliveries_per_s = r.delivered / std::max(1e-9, r.seconds);
  std::sort(run.latencies.begin(), run.latencies.end());
  r.p50_ms = percentile(run.latencies, 0.5);
  r.p99_ms = percentile(run.latencies, 0.99);
  device.disconnect();
  return r;
}

}  // namespace laneway::bench

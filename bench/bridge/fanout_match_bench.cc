// Fan-out cost by matches, not by filters (docs/bridge.md "Benchmark", "Fan-out by topic
// tree"). N sessions each watch their own device (`devices/d<i>/#`), plus a few wildcard
// dashboards; one envelope of a random device goes to the hub at a time. Side by side in
// one run, per envelope, CPU time of:
//   - the whole Hub::on_broker_message (decode, history, match, queue);
//   - the match step as the hub did it before the tree: every distinct filter tested with
//     wire::topic_matches (reproduced here as the baseline);
//   - the match step through the subscription tree the hub uses now (TopicTree).
// Both match steps find the same receivers (checked). Nothing is asserted on time.
//
// Usage: bridge_fanout_match_bench [N ...]   (default 1000 10000 50000)
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "hub.h"
#include "laneway/wire/frame_codec.h"
#include "laneway/wire/topic_filter.h"
#include "test_tokens.h"
#include "topic_tree.h"

namespace laneway::bridge {
namespace {

constexpr int kEnvelopes = 20000;
constexpr const char* kDashboardFilters[] = {"devices/#", "devices/+/telemetry", "+/+/telemetry",
                                             "devices/+/+"};
constexpr std::int64_t kNowS = 1'800'000'000;

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// The broker, as far as the hub needs one here: connected, every subscription granted.
class GrantingUpstream : public Upstream {
 public:
  bool connected() const override { return true; }
  void subscribe(const std::string&) override {}
  void unsubscribe(const std::string&) override {}
  UpstreamState subscription_state(const std::string&) const override {
    return UpstreamState::kGranted;
  }
  int publish(const std::string&, std::string_view, int, bool) override { return ++mid_; }
  int publish_request(const std::string&, std::string_view, const std::string&, std::string_view,
                      const std::string&) override {
    return ++mid_;
  }

 private:
  int mid_ = 0;
};

struct Setup {
  std::vector<std::string> filters;  // per session
  std::vector<std::string> topics;   // per envelope
  std::vector<std::string> frames;   // per envelope, encoded Frame{envelope}
};

Setup make_setup(int n) {
  Setup s;
  for (int i = 0; i < n; ++i) s.filters.push_back("devices/d" + std::to_string(i) + "/#");
  for (const char* f : kDashboardFilters) s.filters.emplace_back(f);
  std::mt19937 rng(7);
  std::unordered_map<std::string, std::uint64_t> seqs;
  for (int k = 0; k < kEnvelopes; ++k) {
    const std::string topic = "devices/d" + std::to_string(rng() % n) + "/telemetry";
    v1::Frame f;
    auto* e = f.mutable_envelope();
    e->set_topic(topic);
    e->set_epoch(1);
    e->set_seq(++seqs[topic]);
    e->set_qos(0);
    e->set_payload(std::string(8, 'x'));
    std::string bytes;
    wire::encode_frame(f, bytes);
    s.topics.push_back(topic);
    s.frames.push_back(std::move(bytes));
  }
  return s;
}

// µs of CPU per envelope through the whole hub.
double hub_us_per_envelope(const Setup& setup, std::size_t& delivered) {
  BridgeConfig config;
  AppConfig app;
  app.id = "bench";
  app.keys.push_back(JwtKey{JwtAlg::kHS256, "", testing::kTestSecret});
  app.subscribe = {"devices/#", "+/+/telemetry"};
  config.apps = {app};
  config.limits.max_sessions = setup.filters.size() + 1;
  config.limits.queue_max_bytes = std::size_t{64} << 20;
  GrantingUpstream upstream;
  Hub hub(config, upstream);
  const std::string token = testing::mint_token(
      "HS256", testing::kTestSecret, {{"sub", "bench"}, {"exp", kNowS + 3600}, {"app", "bench"}});
  const std::int64_t now_us = kNowS * 1'000'000;
  std::vector<Session*> sessions;
  for (const std::string& filter : setup.filters) {
    Session* s = hub.open(Lane::kWebSocket, nullptr, "", now_us);
    v1::CallFrame call;
    call.set_id(1);
    call.mutable_connect()->set_app_id("bench");
    call.mutable_connect()->set_token(token);
    call.mutable_connect()->add_subscriptions()->set_filter(filter);
    hub.handle_call(
        *s, call, [](const v1::CallFrame&) {}, now_us);
    sessions.push_back(s);
  }
  double cpu = 0;
  delivered = 0;
  constexpr int kChunk = 1000;
  for (int start = 0; start < kEnvelopes; start += kChunk) {
    const double t0 = cpu_seconds();
    for (int k = start; k < start + kChunk && k < kEnvelopes; ++k) {
      hub.on_broker_message("$lw/env/" + setup.topics[k], setup.frames[k], now_us);
    }
    cpu += cpu_seconds() - t0;
    for (Session* s : sessions) {  // what the lanes would write, outside the timing
      delivered += s->queue.size();
      s->queue.clear();
    }
  }
  return cpu / kEnvelopes * 1e6;
}

struct Receiver {
  std::uint64_t mark = 0;
};

// The match before the tree: every distinct filter against the topic.
double linear_us_per_envelope(const Setup& setup, std::vector<Receiver>& receivers,
                              std::size_t& found) {
  std::unordered_map<std::string, std::unordered_set<Receiver*>> index;
  for (std::size_t i = 0; i < setup.filters.size(); ++i)
    index[setup.filters[i]].insert(&receivers[i]);
  std::uint64_t mark = 0;
  found = 0;
  const double t0 = cpu_seconds();
  for (const std::string& topic : setup.topics) {
    ++mark;
    for (const auto& [filter, who] : index) {
      if (!wire::topic_matches(filter, topic)) continue;
      for (Receiver* r : who) {
        if (r->mark == mark) continue;
        r->mark = mark;
        ++found;
      }
    }
  }
  return (cpu_seconds() - t0) / kEnvelopes * 1e6;
}

double tree_us_per_envelope(const Setup& setup, std::vector<Receiver>& receivers,
                            std::size_t& found) {
  TopicTree<Receiver*> tree;
  for (std::size_t i = 0; i < setup.filters.size(); ++i)
    tree.insert(setup.filters[i], &receivers[i]);
  std::uint64_t mark = 1'000'000'000;  // distinct from the linear run's marks
  found = 0;
  const double t0 = cpu_seconds();
  for (const std::string& topic : setup.topics) {
    ++mark;
    tree.for_each_match(topic, [&](Receiver* r) {
      if (r->mark == mark) return;
      r->mark = mark;
      ++found;
    });
  }
  return (cpu_seconds() - t0) / kEnvelopes * 1e6;
}

}  // namespace
}  // namespace laneway::bridge

int main(int argc, char** argv) {
  using namespace laneway::bridge;
  std::vector<int> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(std::atoi(argv[i]));
  if (sizes.empty()) sizes = {1000, 10000, 50000};
  std::printf(
      "fan-out match cost per envelope: N own-device sessions + %zu wildcard dashboards, "
      "%d envelopes of random devices, CPU µs per envelope\n",
      std::size(kDashboardFilters), kEnvelopes);
  std::printf("%8s %10s %12s %12s %10s %14s %12s\n", "N", "filters", "linear µs", "tree µs",
              "linear/tree", "hub (tree) µs", "deliveries");
  for (const int n : sizes) {
    if (n <= 0) continue;
    const Setup setup = make_setup(n);
    std::vector<Receiver> receivers(setup.filters.size());
    std::size_t linear_found = 0;
    std::size_t tree_found = 0;
    std::size_t delivered = 0;
    const double linear = linear_us_per_envelope(setup, receivers, linear_found);
    const double tree = tree_us_per_envelope(setup, receivers, tree_found);
    const double hub = hub_us_per_envelope(setup, delivered);
    std::printf("%8d %10zu %12.3f %12.3f %10.1fx %14.3f %12zu%s\n", n, setup.filters.size(), linear,
                tree, tree > 0 ? linear / tree : 0.0, hub, delivered,
                linear_found == tree_found && tree_found == delivered ? "" : "  MISMATCH");
    if (linear_found != tree_found || tree_found != delivered) return 1;
  }
  return 0;
}

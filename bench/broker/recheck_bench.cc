// recheck_bench: what one registry commit costs the broker's thread with 10,000 devices
// connected, the full re-check (every connected device looked up, every registry record
// listed for the edges) against the change-journal re-check (only the devices the commit
// names), side by side on the same commits. Prints the per-commit stall of each and the
// ratio full/journal. Never asserts on time.
//
// Simulated connections: the plugin's own code (device_recheck.h, Registry::changes_since,
// RegistryPublisher) runs over 10,000 entries of the map the plugin keeps per connection,
// against a real registry file written by another connection, instead of 10,000 real TLS
// clients (their handshakes alone would take minutes on a shared 2-core box, and the broker
// would then measure the scheduler more than the re-check). Commits, per round:
//   presence  the fleet service's batch (presence and last_seen of 1,000 devices)
//   revoke    one device revoked (then re-activated, not timed)
//   groups    one device moved to another group
// Usage: recheck_bench [DEVICES=10000] [ROUNDS=15]
#include <sqlite3.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "device_recheck.h"
#include "laneway/registry/registry.h"
#include "percentile.h"
#include "registry_publisher.h"
#include "temp_dir.h"

namespace {

using laneway::plugin::ConnectedClient;
using laneway::plugin::ConnectedClients;
using laneway::plugin::RegistryPublisher;
using laneway::registry::DeviceChanges;
using laneway::registry::DeviceStatus;
using laneway::registry::Registry;
using Clock = std::chrono::steady_clock;

std::string device_id(int i) {
  char id[16];
  std::snprintf(id, sizeof id, "d-%05d", i);
  return id;
}
std::string serial_of(int i) {
  char serial[16];
  std::snprintf(serial, sizeof serial, "%x", 0x10000 + i);
  return serial;
}

bool exec(sqlite3* db, const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) == SQLITE_OK) return true;
  std::fprintf(stderr, "recheck_bench: %s\n", message ? message : "sqlite error");
  sqlite3_free(message);
  return false;
}

// All devices in one transaction (upsert_device is one transaction per device).
bool fill_registry(const std::string& path, int devices) {
  sqlite3* raw = nullptr;
  if (sqlite3_open(path.c_str(), &raw) != SQLITE_OK) return false;
  std::unique_ptr<sqlite3, decltype(&sqlite3_close_v2)> db(raw, &sqlite3_close_v2);
  const std::string n =
      "WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < " +
      std::to_string(devices - 1) + ") ";
  return exec(db.get(), "BEGIN") &&
         exec(db.get(), n + "INSERT INTO devices(id, status, cert_serial, created_at, updated_at) "
                            "SELECT printf('d-%05d', x), 'active', printf('%x', 65536 + x), 0, 0 "
                            "FROM n") &&
         exec(db.get(), n + "INSERT INTO device_groups(device_id, group_name) "
                            "SELECT printf('d-%05d', x), 'g' || (x % 10) FROM n") &&
         exec(db.get(), "COMMIT");
}

// The plugin's per-commit state, one copy per strategy so both see every commit.
struct Side {
  std::unique_ptr<Registry> reader;
  RegistryPublisher publisher{1};
  std::optional<std::int64_t> journal_seq;
  std::optional<std::int64_t> data_version;
  std::size_t lookups = 0;
};

// Wall clock and this thread's CPU time: on a loaded shared box a sub-millisecond step is
// often preempted, which the wall clock charges to it and the CPU clock does not.
struct Mark {
  Clock::time_point wall = Clock::now();
  double cpu_ms = thread_cpu_ms();
  static double thread_cpu_ms() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
  }
};
struct Span {
  double wall_ms = 0;
  double cpu_ms = 0;
  Span operator+(const Span& o) const { return {wall_ms + o.wall_ms, cpu_ms + o.cpu_ms}; }
};
Span since(const Mark& m) {
  return {std::chrono::duration<double, std::milli>(Clock::now() - m.wall).count(),
          Mark::thread_cpu_ms() - m.cpu_ms};
}

// One commit's stall: the re-check every broker does, and what a core adds for its edges.
struct Stall {
  Span recheck;
  Span edge_copy;
};

// What check_registry does when the journal cannot say what changed (all it did before).
Stall full_recheck(Side& side, const ConnectedClients& clients) {
  Stall stall;
  Mark t0;
  side.data_version = side.reader->data_version();
  const auto result = laneway::plugin::recheck_all(
      clients, [&](std::string_view id) { return side.reader->find_device(id); });
  stall.recheck = since(t0);
  t0 = Mark();
  std::string error;
  auto all = side.reader->list_devices(&error);
  if (all) side.publisher.diff(*all);
  stall.edge_copy = since(t0);
  side.lookups += result.lookups + (all ? all->size() : 0);
  return stall;
}

// What check_registry does with the journal.
Stall journal_recheck(Side& side, const ConnectedClients& clients,
                      const std::unordered_set<std::string>& online) {
  Stall stall;
  Mark t0;
  side.data_version = side.reader->data_version();
  std::string error;
  auto changes =
      side.reader->changes_since(side.journal_seq, laneway::registry::kChangeJournalRows, &error);
  if (!changes || changes->kind != DeviceChanges::Kind::kChanges) {
    std::fprintf(stderr, "recheck_bench: journal not usable (%s)\n", error.c_str());
    std::exit(1);
  }
  side.journal_seq = changes->seq;
  const auto result = laneway::plugin::recheck_changed(
      clients, [&](std::string_view identity) { return online.count(std::string(identity)) > 0; },
      changes->ids, [&](std::string_view id) { return side.reader->find_device(id); });
  stall.recheck = since(t0);
  t0 = Mark();
  std::vector<laneway::registry::Device> found;
  std::vector<std::string> removed;
  for (const auto& id : changes->ids) {
    auto lookup = side.reader->find_device(id);
    if (lookup.status == laneway::registry::LookupStatus::kFound)
      found.push_back(std::move(lookup.device));
    else
      removed.push_back(id);
  }
  side.publisher.update(found, removed);
  stall.edge_copy = since(t0);
  side.lookups += result.lookups + changes->ids.size();
  return stall;
}

struct Samples {
  std::vector<Span> full, journal;            // re-check only (every broker)
  std::vector<Span> full_core, journal_core;  // plus the copy for the edges (a core)
  void add(const Stall& f, const Stall& j) {
    full.push_back(f.recheck);
    journal.push_back(j.recheck);
    full_core.push_back(f.recheck + f.edge_copy);
    journal_core.push_back(j.recheck + j.edge_copy);
  }
};

double p(const std::vector<Span>& spans, double Span::*field, double q) {
  std::vector<double> values;
  for (const auto& span : spans) values.push_back(span.*field);
  std::sort(values.begin(), values.end());
  return laneway::bench::percentile(values, q);
}

void print_row(const char* name, const std::vector<Span>& full, const std::vector<Span>& journal) {
  const double fw = p(full, &Span::wall_ms, 0.5), jw = p(journal, &Span::wall_ms, 0.5);
  const double fc = p(full, &Span::cpu_ms, 0.5), jc = p(journal, &Span::cpu_ms, 0.5);
  std::printf("%-16s  %8.3f %8.3f %8.3f  %8.3f %8.3f %8.3f  %7.0fx %7.0fx\n", name, fw,
              p(full, &Span::wall_ms, 0.99), fc, jw, p(journal, &Span::wall_ms, 0.99), jc,
              jw > 0 ? fw / jw : 0.0, jc > 0 ? fc / jc : 0.0);
}

}  // namespace

int main(int argc, char** argv) {
  const int devices = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 15;
  if (devices < 2 || rounds < 1) {
    std::fprintf(stderr, "usage: recheck_bench [DEVICES>=2] [ROUNDS>=1]\n");
    return 2;
  }
  laneway::test::TempDir dir("laneway-recheck-bench");
  const std::string path = dir.file("fleet.db");
  std::string error;
  auto writer = Registry::open_read_write(path, &error);
  if (!writer || !fill_registry(path, devices)) {
    std::fprintf(stderr, "recheck_bench: %s\n", error.c_str());
    return 1;
  }

  // Every device connected once, as the plugin's map holds them (the keys stand for the
  // broker's client handles and are never dereferenced).
  std::vector<char> handles(static_cast<std::size_t>(devices));
  ConnectedClients clients;
  std::unordered_set<std::string> online;
  for (int i = 0; i < devices; ++i) {
    ConnectedClient client;
    client.identity = device_id(i);
    client.serial = serial_of(i);
    client.client_id = client.identity;
    online.insert(client.identity);
    clients.emplace(reinterpret_cast<const mosquitto*>(&handles[static_cast<std::size_t>(i)]),
                    std::move(client));
  }

  Side full, journal;
  for (Side* side : {&full, &journal}) {
    side->reader = Registry::open_read_only(path, &error);
    if (!side->reader) {
      std::fprintf(stderr, "recheck_bench: %s\n", error.c_str());
      return 1;
    }
    auto all = side->reader->list_devices(&error);
    if (all) side->publisher.diff(*all);  // the initial copy, as at load
    side->journal_seq = side->reader->changes_since(std::nullopt, 1, &error)->seq;
  }

  Samples presence, revoke, groups;
  auto measure = [&](Samples& into, int round) {
    // Alternate which side goes first, so neither always finds the pages warm.
    Stall f, j;
    if (round % 2 == 0) {
      f = full_recheck(full, clients);
      j = journal_recheck(journal, clients, online);
    } else {
      j = journal_recheck(journal, clients, online);
      f = full_recheck(full, clients);
    }
    into.add(f, j);
  };
  const std::int64_t base = 1'800'000'000;
  for (int round = 0; round < rounds; ++round) {
    std::vector<laneway::registry::PresenceUpdate> batch;
    for (int i = 0; i < std::min(devices, 1000); ++i)
      batch.push_back({device_id((round * 1000 + i) % devices), round % 2 == 0, base + round});
    if (!writer->record_presence(batch, &error)) break;
    measure(presence, round);

    const std::string victim = device_id((round * 7919) % devices);
    if (!writer->set_status(victim, DeviceStatus::kRevoked, &error)) break;
    measure(revoke, round);
    if (!writer->set_status(victim, DeviceStatus::kActive, &error)) break;
    full_recheck(full, clients);
    journal_recheck(journal, clients, online);

    laneway::registry::Device moved;
    moved.id = device_id((round * 104729) % devices);
    moved.cert_serial = serial_of((round * 104729) % devices);
    moved.groups = {"moved-" + std::to_string(round)};
    if (!writer->upsert_device(moved, &error)) break;
    measure(groups, round);
  }
  if (!error.empty()) {
    std::fprintf(stderr, "recheck_bench: %s\n", error.c_str());
    return 1;
  }

  std::printf("registry commit stall on the broker's thread, %d devices connected, %d rounds\n",
              devices, rounds);
  std::printf("(simulated connections, real registry file; ms per commit)\n");
  std::printf("%-16s  %26s  %26s  %16s\n", "", "full re-check (ms)", "journal re-check (ms)",
              "full/journal");
  std::printf("%-16s  %8s %8s %8s  %8s %8s %8s  %8s %8s\n", "commit", "wall p50", "wall p99",
              "cpu p50", "wall p50", "wall p99", "cpu p50", "wall", "cpu");
  const std::pair<const char*, Samples*> rows[] = {
      {"presence", &presence}, {"revoke", &revoke}, {"groups", &groups}};
  for (const auto& [name, samples] : rows) print_row(name, samples->full, samples->journal);
  std::printf("a cluster core, plus its registry copy for the edges:\n");
  for (const auto& [name, samples] : rows)
    print_row((std::string(name) + " (core)").c_str(), samples->full_core, samples->journal_core);
  std::printf("registry lookups in total: full %zu, journal %zu\n", full.lookups, journal.lookups);
  return 0;
}

// What the benchmarks read and set about processes: RSS and CPU time from /proc, the
// open-file limit, and one clock that the publisher and the load clients share for
// publish→client latency.
#pragma once

#include <chrono>
#include <vector>

namespace laneway::bench {

// Resident set size of `pid` in KiB (0 if unreadable).
long rss_kb(int pid);
// CPU seconds (user + system) `pid` used so far; of several processes, their sum.
double cpu_s(int pid);
double cpu_s(const std::vector<int>& pids);
// Returns once `pids` together used under 20 ms of CPU in a quarter second, or after
// `bound`: the previous run's work is over.
void wait_until_idle(const std::vector<int>& pids, std::chrono::milliseconds bound);
// CPU seconds (user + system) of this whole process so far.
double own_cpu_s();
// Milliseconds on the steady clock; publishers stamp payloads with it.
double now_ms();
// Raises this process's open-file limit to its hard limit; servers started from it inherit
// it (one descriptor per session or device).
void raise_open_files_limit();

}  // namespace laneway::bench

// What the fan-out benchmark reads about processes: RSS and CPU time from /proc, and one
// clock that the publisher and the load clients share for publish→client latency.
#pragma once

namespace laneway::bench {

// Resident set size of `pid` in KiB (0 if unreadable).
long rss_kb(int pid);
// CPU seconds (user + system) `pid` used so far.
double cpu_s(int pid);
// CPU seconds (user + system) of this whole process so far.
double own_cpu_s();
// Milliseconds on the steady clock; publishers stamp payloads with it.
double now_ms();

}  // namespace laneway::bench

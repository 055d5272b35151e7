// Manufacturer batches: N device keys and certificates plus manifest.json, published
// atomically. Everything is written into <out>.partial; only when every file and the
// manifest are complete are the serials recorded in index.tsv and the directory renamed to
// <out>. A crash leaves at most a <out>.partial, which the next run removes and redoes; a
// directory named <out> is always a whole batch.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "laneway/certs/ca_store.h"
#include "laneway/certs/key.h"
#include "laneway/certs/result.h"

namespace laneway::certs {

inline constexpr int kMaxBatchCount = 1000000;

struct BatchRequest {
  int count = 0;
  std::string group;
  std::filesystem::path out_dir;
  std::string prefix;         // ids are <prefix><number, 6 digits>; empty = "<group>-"
  std::optional<long> start;  // first number; unset = one past the highest already issued
  int days = 0;               // 0 = default_days(Role::kDevice)
  KeyAlgorithm key_algorithm = KeyAlgorithm::kEcP256;
};

struct BatchResult {
  std::filesystem::path out_dir;
  std::filesystem::path manifest_path;
  int count = 0;
  std::string first_id;
  std::string last_id;
  double seconds = 0;  // wall time from the first key to the published directory
};

// Called after each certificate with (done, total); on the calling thread.
using BatchProgress = std::function<void(int done, int total)>;

Result<BatchResult> write_batch(const CaStore& ca, const BatchRequest& request,
                                const BatchProgress& progress = {});

}  // namespace laneway::certs

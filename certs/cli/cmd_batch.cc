// `batch`: a manufacturer's batch of device keys and certificates with a manifest.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "common.h"
#include "laneway/certs/batch.h"
#include "laneway/certs/issuer.h"

namespace laneway::certs::cli {
namespace {

// A one-line bar redrawn in place on stderr, at most every 100 ms (and at the end).
class ProgressBar {
 public:
  void update(int done, int total) {
    const auto now = std::chrono::steady_clock::now();
    if (done != total && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    constexpr int kWidth = 30;
    const int filled =
        total > 0 ? static_cast<int>(static_cast<long>(done) * kWidth / total) : kWidth;
    const double elapsed = std::chrono::duration<double>(now - started_).count();
    const double rate = elapsed > 0 ? done / elapsed : 0;
    std::fprintf(stderr, "\r[%.*s%*s] %d/%d  %.0f cert/s", filled, "##############################",
                 kWidth - filled, "", done, total, rate);
    if (done == total) std::fputc('\n', stderr);
    std::fflush(stderr);
  }

 private:
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace

void register_batch(CLI::App& app) {
  struct Options {
    CommonOptions common;
    int count = 0;
    std::string group;
    std::string out;
    std::string prefix;
    long start = -1;
    int days = 0;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "batch",
      "Manufacturer batch: N device keys + certificates + manifest.json, published atomically");
  add_common_options(cmd, opts->common);
  cmd->add_option("--count", opts->count, "Number of devices")
      ->required()
      ->check(CLI::Range(1, kMaxBatchCount));
  cmd->add_option("--group", opts->group, "Fleet group of every device in the batch")->required();
  cmd->add_option("--out", opts->out,
                  "Output directory; must not exist (built in OUT.partial, then renamed)")
      ->required();
  cmd->add_option("--prefix", opts->prefix,
                  "Device id prefix (default '<group>-'); ids are <prefix><6-digit number>");
  cmd->add_option("--start", opts->start,
                  "First number (default: one past the highest already issued for the prefix)")
      ->check(CLI::Range(0L, 999999999L));
  cmd->add_option("--days", opts->days,
                  "Validity in days (default " + std::to_string(default_days(Role::kDevice)) + ")")
      ->check(CLI::Range(1, 36500));
  cmd->callback([opts] {
    auto ca = open_ca(opts->common);
    if (!ca.ok()) {
      exit_code() = report_error("batch", ca.error());
      return;
    }
    BatchRequest request;
    request.count = opts->count;
    request.group = opts->group;
    request.out_dir = opts->out;
    request.prefix = opts->prefix;
    if (opts->start >= 0) request.start = opts->start;
    request.days = opts->days;
    ProgressBar bar;
    BatchProgress progress;
    if (::isatty(STDERR_FILENO) == 1)
      progress = [&bar](int done, int total) { bar.update(done, total); };
    auto result = write_batch(*ca, request, progress);
    if (!result.ok()) {
      exit_code() = report_error("batch", result.error());
      return;
    }
    const double rate = result->seconds > 0 ? result->count / result->seconds : 0;
    std::printf("batch of %d (%s .. %s) in %s: %.2f s, %.0f certificates/s\n", result->count,
                result->first_id.c_str(), result->last_id.c_str(), result->out_dir.c_str(),
                result->seconds, rate);
  });
}

}  // namespace laneway::certs::cli

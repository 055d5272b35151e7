// Batch throughput, as a ratio: laneway's write_batch (keys, full extension profile, PEM,
// 2N+1 files, index, atomic publish) against the bare OpenSSL floor (P-256 keygen and a
// minimal signed certificate, in memory), run alternately in one process so both see the
// same machine load. Prints certificates/s for each and laneway/floor. Never asserts on time.
//   certs_batch_bench [N=1000] [ROUNDS=3]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "laneway/certs/batch.h"
#include "laneway/certs/ca_store.h"
#include "laneway/certs/ossl.h"

namespace {

using namespace laneway::certs;
namespace fs = std::filesystem;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The floor: what any P-256 issuer must do at least, with nothing of ours around it.
double bare_openssl(const CaStore& ca, int n) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    PKeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    X509Ptr cert(X509_new());
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), i + 1);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
    X509_set_issuer_name(cert.get(), X509_get_subject_name(ca.cert()));
    X509_set_pubkey(cert.get(), key.get());
    if (!key || X509_sign(cert.get(), ca.key(), EVP_sha256()) == 0) {
      std::fprintf(stderr, "bare OpenSSL signing failed\n");
      std::exit(1);
    }
  }
  return seconds_since(start);
}

double laneway_batch(const CaStore& ca, int n, const fs::path& out) {
  BatchRequest request;
  request.count = n;
  request.group = "bench";
  request.out_dir = out;
  const auto start = std::chrono::steady_clock::now();
  auto result = write_batch(ca, request);
  const double elapsed = seconds_since(start);
  if (!result.ok()) {
    std::fprintf(stderr, "batch failed: %s\n", result.error().message.c_str());
    std::exit(1);
  }
  return elapsed;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
  if (n < 1 || n > 100000 || rounds < 1 || rounds > 20) {
    std::fprintf(stderr, "usage: certs_batch_bench [N 1..100000] [ROUNDS 1..20]\n");
    return 2;
  }
  char tmpl[] = "/tmp/laneway-certs-bench-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return 1;
  const fs::path dir = tmpl;
  auto ca = CaStore::create(dir / "pki", {});
  if (!ca.ok()) {
    std::fprintf(stderr, "%s\n", ca.error().message.c_str());
    return 1;
  }
  std::printf("%-7s %12s %12s %8s\n", "round", "floor c/s", "laneway c/s", "ratio");
  double floor_total = 0;
  double laneway_total = 0;
  for (int r = 0; r < rounds; ++r) {
    const double floor_s = bare_openssl(*ca, n);
    const double laneway_s = laneway_batch(*ca, n, dir / ("batch-" + std::to_string(r)));
    floor_total += floor_s;
    laneway_total += laneway_s;
    std::printf("%-7d %12.0f %12.0f %8.2f\n", r + 1, n / floor_s, n / laneway_s,
                floor_s / laneway_s);
  }
  std::printf(
      "N=%d x %d rounds: floor %.0f certs/s, laneway batch %.0f certs/s, laneway/floor %.2f\n", n,
      rounds, n * rounds / floor_total, n * rounds / laneway_total, floor_total / laneway_total);
  std::error_code ec;
  fs::remove_all(dir, ec);
  return 0;
}

// fleet_provision_bench [devices=200] [in_flight=16]: the claim flow's provisioning rate.
// One run provisions N simulated devices through the whole flow (`simulate --claim`: key +
// CSR per device, claim-certificate mTLS connection, MQTT v5 request/response, `serve`
// checking, signing and registering); the baseline, side by side, gives the same number of
// fresh CSRs to the same ProvisioningHandler in process (checks, signature, registry
// transaction, no MQTT, no TLS). Prints both rates and the ratio; never asserts on time.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "broker_harness.h"
#include "device_csr.h"
#include "laneway/certs/ca_store.h"
#include "laneway/registry/registry.h"
#include "process.h"
#include "provisioning_handler.h"
#include "provisioning_protocol.h"
#include "wait.h"

namespace {

using namespace std::chrono_literals;
using laneway::test::BrokerHarness;
using laneway::test::Process;
namespace fleet = laneway::fleet;

double seconds_field(const std::string& output, const std::string& key) {
  const auto at = output.find(key + "=");
  return at == std::string::npos ? -1 : std::atof(output.c_str() + at + key.size() + 1);
}

// Whole flow; returns devices per second, or -1.
double through_mqtt(int devices, int in_flight) {
  BrokerHarness broker;
  if (!broker.setup_error().empty() || !broker.add_service("operator", "admin") ||
      !broker.certs({"claim", "--batch", "bench"}) || !broker.start()) {
    std::fprintf(stderr, "broker failed: %s\n", broker.setup_error().c_str());
    return -1;
  }
  const std::string db = broker.dir() + "/fleet.db";
  std::string output;
  if (laneway::test::run_command({LANEWAY_FLEET_BIN, "claim", "add", "--batch", "bench",
                                  "--allowed", std::to_string(devices), "--registry", db},
                                 &output) != 0)
    return -1;
  std::string error;
  auto serve = Process::start(
      {{LANEWAY_FLEET_BIN, "serve", "--pki", broker.pki(), "--registry", db, "--port",
        std::to_string(broker.port()), "--claim-rate", "100000", "--claim-burst", "100000"},
       {},
       "",
       ""},
      &error);
  if (!serve ||
      !laneway::test::wait_until(
          [&] { return serve->output().find("serving provision") != std::string::npos; }, 20s)) {
    std::fprintf(stderr, "serve did not start: %s\n", error.c_str());
    return -1;
  }
  const int rc = laneway::test::run_command({LANEWAY_FLEET_BIN,
                                             "simulate",
                                             "--devices",
                                             std::to_string(devices),
                                             "--prefix",
                                             "pb-",
                                             "--claim",
                                             broker.pki() + "/claims/bench",
                                             "--store",
                                             broker.dir() + "/store",
                                             "--claim-in-flight",
                                             std::to_string(in_flight),
                                             "--pki",
                                             broker.pki(),
                                             "--port",
                                             std::to_string(broker.port()),
                                             "--rate",
                                             "0",
                                             "--duration",
                                             "1",
                                             "--stats-interval",
                                             "0"},
                                            &output, 600s);
  const double seconds = seconds_field(output, "seconds");
  if (rc != 0 || output.find("provisioned=" + std::to_string(devices) + " ") == std::string::npos ||
      seconds <= 0) {
    std::fprintf(stderr, "simulate --claim failed:\n%s\n", output.c_str());
    return -1;
  }
  return devices / seconds;
}

// In process: the handler alone. CSRs are made before the clock starts (the MQTT run makes
// them before its phase starts too).
double in_process(int devices) {
  BrokerHarness broker;  // for its PKI and registry only; no broker is started
  if (!broker.setup_error().empty()) return -1;
  auto ca = laneway::certs::CaStore::open(broker.pki());
  std::string error;
  auto registry = laneway::registry::Registry::open_read_write(broker.dir() + "/bench.db", &error);
  if (!ca.ok() || !registry) return -1;
  laneway::registry::Claim claim;
  claim.batch = "bench";
  claim.allowed = devices;
  claim.expires_at_s = 4102444800;
  if (!registry->upsert_claim(claim, &error)) return -1;
  std::vector<std::string> requests;
  for (int i = 0; i < devices; ++i) {
    const std::string id = "ip-" + std::to_string(i);
    fleet::DeviceKeyAndCsr made;
    if (!fleet::make_device_csr(id, &made, &error)) return -1;
    requests.push_back(fleet::encode_request({id, made.csr_pem}));
  }
  fleet::HandlerOptions options;
  options.claim_rate = 100000;
  options.claim_burst = 100000;
  fleet::ProvisioningHandler handler(std::move(ca).value(), std::move(registry), options);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < devices; ++i) {
    auto reply = handler.handle("bench", "ip-" + std::to_string(i), requests[i]);
    if (!reply.ok) {
      std::fprintf(stderr, "in-process refusal: %s %s\n", reply.error.c_str(),
                   reply.message.c_str());
      return -1;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return devices / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  const int devices = argc > 1 ? std::atoi(argv[1]) : 200;
  const int in_flight = argc > 2 ? std::atoi(argv[2]) : 16;
  if (devices < 1 || in_flight < 1) {
    std::fprintf(stderr, "usage: fleet_provision_bench [devices=200] [in_flight=16]\n");
    return 2;
  }
  const double floor = in_process(devices);
  const double flow = through_mqtt(devices, in_flight);
  if (floor <= 0 || flow <= 0) return 1;
  std::printf("claim provisioning, %d devices, %d in flight\n", devices, in_flight);
  std::printf("  in-process handler (checks + sign + registry): %8.1f devices/s\n", floor);
  std::printf("  whole flow over MQTT + mTLS (simulate --claim): %8.1f devices/s\n", flow);
  std::printf("  ratio flow/in-process: %.2f\n", flow / floor);
  return 0;
}

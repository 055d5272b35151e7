#include "claim_client.h"

#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <poll.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <random>

namespace laneway::fleet {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct MosquittoDeleter {
  void operator()(mosquitto* m) const { mosquitto_destroy(m); }
};
struct PropertiesDeleter {
  void operator()(mosquitto_property* p) const { mosquitto_property_free_all(&p); }
};
using PropertiesPtr = std::unique_ptr<mosquitto_property, PropertiesDeleter>;

enum class Step { kConnecting, kSubscribing, kWaitingReply, kFinished };

struct Attempt {
  const ClaimClientOptions* options = nullptr;
  ClaimJob* job = nullptr;
  std::unique_ptr<mosquitto, MosquittoDeleter> mosq;
  Step step = Step::kConnecting;
  Clock::time_point deadline;
  std::string correlation;
  bool retryable = false;  // the attempt failed in a way worth another try
  std::string failure;
};

void finish(Attempt& a, std::string failure, bool retryable) {
  if (a.step == Step::kFinished) return;
  a.step = Step::kFinished;
  a.failure = std::move(failure);
  a.retryable = retryable;
}

void on_connect(mosquitto* m, void* user, int rc, int, const mosquitto_property*) {
  auto& a = *static_cast<Attempt*>(user);
  if (rc != 0)
    return finish(a, std::string("broker refused the claim: ") + mosquitto_reason_string(rc),
                  false);
  a.step = Step::kSubscribing;
  const std::string reply = reply_topic(a.options->batch, a.job->device_id);
  if (mosquitto_subscribe_v5(m, nullptr, reply.c_str(), 1, 0, nullptr) != MOSQ_ERR_SUCCESS)
    finish(a, "cannot subscribe to " + reply, true);
}

void on_subscribe(mosquitto* m, void* user, int, int count, const int* granted,
                  const mosquitto_property*) {
  auto& a = *static_cast<Attempt*>(user);
  if (a.step != Step::kSubscribing) return;
  if (count < 1 || granted[0] >= 0x80)
    return finish(a, "broker refused the reply subscription (is the claim's batch right?)", false);
  unsigned char raw[16];
  RAND_bytes(raw, sizeof raw);
  a.correlation.assign(reinterpret_cast<char*>(raw), sizeof raw);
  mosquitto_property* props = nullptr;
  const std::string reply = reply_topic(a.options->batch, a.job->device_id);
  mosquitto_property_add_string(&props, MQTT_PROP_RESPONSE_TOPIC, reply.c_str());
  mosquitto_property_add_binary(&props, MQTT_PROP_CORRELATION_DATA, a.correlation.data(),
                                static_cast<std::uint16_t>(a.correlation.size()));
  mosquitto_property_add_string(&props, MQTT_PROP_CONTENT_TYPE, "application/json");
  PropertiesPtr owner(props);
  const std::string body = encode_request({a.job->device_id, a.job->csr_pem});
  const std::string topic = request_topic(a.options->batch, a.job->device_id);
  a.step = Step::kWaitingReply;
  if (mosquitto_publish_v5(m, nullptr, topic.c_str(), static_cast<int>(body.size()), body.data(), 1,
                           false, owner.get()) != MOSQ_ERR_SUCCESS)
    finish(a, "cannot publish the request", true);
}

void on_message(mosquitto*, void* user, const mosquitto_message* message,
                const mosquitto_property* props) {
  auto& a = *static_cast<Attempt*>(user);
  if (a.step != Step::kWaitingReply) return;
  void* correlation = nullptr;
  std::uint16_t len = 0;
  mosquitto_property_read_binary(props, MQTT_PROP_CORRELATION_DATA, &correlation, &len, false);
  const bool match =
      correlation && std::string(static_cast<char*>(correlation), len) == a.correlation;
  std::free(correlation);
  if (!match) return;  // an old reply to an earlier attempt
  std::string error;
  auto reply = decode_reply(std::string_view(static_cast<const char*>(message->payload),
                                             static_cast<std::size_t>(message->payloadlen)),
                            &error);
  if (!reply) return finish(a, error, false);
  a.job->reply = std::move(*reply);
  // A rate-limit refusal is worth another try after a pause; other refusals are final.
  if (!a.job->reply.ok && a.job->reply.error == "rate_limited")
    return finish(a, "rate_limited: " + a.job->reply.message, true);
  a.job->done = true;
  finish(a, "", false);
}

void on_disconnect(mosquitto*, void* user, int rc, const mosquitto_property*) {
  auto& a = *static_cast<Attempt*>(user);
  finish(a, std::string("disconnected before the reply: ") + mosquitto_reason_string(rc), true);
}

bool start_attempt(Attempt& a) {
  a.mosq.reset(mosquitto_new(a.job->device_id.c_str(), true, &a));
  mosquitto* m = a.mosq.get();
  if (!m) return false;
  mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
  if (mosquitto_tls_set(m, a.options->cafile.c_str(), nullptr, a.options->claim_cert.c_str(),
                        a.options->claim_key.c_str(), nullptr) != MOSQ_ERR_SUCCESS) {
    finish(a, "cannot use the claim certificate " + a.options->claim_cert, false);
    return false;
  }
  mosquitto_connect_v5_callback_set(m, on_connect);
  mosquitto_subscribe_v5_callback_set(m, on_subscribe);
  mosquitto_message_v5_callback_set(m, on_message);
  mosquitto_disconnect_v5_callback_set(m, on_disconnect);
  a.deadline = Clock::now() + milliseconds(a.options->request_timeout_ms);
  a.step = Step::kConnecting;
  // Blocking TCP + TLS handshake; the request/reply exchange then overlaps with others.
  const int rc = mosquitto_connect(m, a.options->host.c_str(), a.options->port, 30);
  if (rc != MOSQ_ERR_SUCCESS) {
    finish(a,
           std::string("cannot connect: ") +
               (rc == MOSQ_ERR_ERRNO ? std::strerror(errno) : mosquitto_strerror(rc)),
           true);
    return false;
  }
  return true;
}

}  // namespace

std::string claim_batch_of(const std::string& cert_path, std::string* error) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(cert_path.c_str(), "rb"), &std::fclose);
  if (!file) {
    *error = "cannot open " + cert_path;
    return {};
  }
  std::unique_ptr<X509, void (*)(X509*)> cert(PEM_read_X509(file.get(), nullptr, nullptr, nullptr),
                                              &X509_free);
  if (!cert) {
    *error = cert_path + " is not a PEM certificate";
    return {};
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  char ou[128] = {0};
  char cn[128] = {0};
  X509_NAME_get_text_by_NID(name, NID_organizationalUnitName, ou, sizeof ou);
  X509_NAME_get_text_by_NID(name, NID_commonName, cn, sizeof cn);
  if (std::string(ou) != "claim" || cn[0] == '\0') {
    *error = cert_path + " is not a claim certificate (OU=claim; laneway-certs claim --batch NAME)";
    return {};
  }
  return cn;
}

void run_claim_jobs(const ClaimClientOptions& options, std::vector<ClaimJob>& jobs,
                    const std::atomic<bool>& stop) {
  mosquitto_lib_init();
  std::mt19937 rng{std::random_device{}()};
  struct Pending {
    ClaimJob* job;
    Clock::time_point not_before;
  };
  std::deque<Pending> queue;
  for (auto& job : jobs) queue.push_back({&job, Clock::now()});
  std::vector<std::unique_ptr<Attempt>> active;
  std::vector<pollfd> fds;

  while (!stop.load() && (!queue.empty() || !active.empty())) {
    const auto now = Clock::now();
    // Start attempts up to the in-flight bound (the queue is ordered by readiness enough
    // for a simulator: retries go to the back with their own not_before).
    for (std::size_t scanned = 0, n = queue.size();
         scanned < n && static_cast<int>(active.size()) < options.max_in_flight; ++scanned) {
      Pending p = queue.front();
      queue.pop_front();
      if (p.not_before > now) {
        queue.push_back(p);
        continue;
      }
      auto attempt = std::make_unique<Attempt>();
      attempt->options = &options;
      attempt->job = p.job;
      ++p.job->attempts;
      start_attempt(*attempt);
      active.push_back(std::move(attempt));
    }

    fds.clear();
    for (auto& a : active) {
      const int sock = a->mosq ? mosquitto_socket(a->mosq.get()) : -1;
      short events = POLLIN;
      if (a->mosq && mosquitto_want_write(a->mosq.get())) events |= POLLOUT;
      fds.push_back({sock, events, 0});  // a negative fd is ignored by poll
    }
    poll(fds.data(), fds.size(), 10);
    for (std::size_t i = 0; i < active.size(); ++i) {
      Attempt& a = *active[i];
      if (a.step == Step::kFinished || !a.mosq) continue;
      mosquitto* m = a.mosq.get();
      int rc = MOSQ_ERR_SUCCESS;
      if (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) rc = mosquitto_loop_read(m, 4);
      if (rc == MOSQ_ERR_SUCCESS && mosquitto_socket(m) >= 0 && mosquitto_want_write(m))
        rc = mosquitto_loop_write(m, 4);
      if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_loop_misc(m);
      if (rc != MOSQ_ERR_SUCCESS && a.step != Step::kFinished)
        finish(a, std::string("connection failed: ") + mosquitto_strerror(rc), true);
      if (a.step != Step::kFinished && Clock::now() > a.deadline)
        finish(a, "no reply within " + std::to_string(options.request_timeout_ms) + " ms", true);
    }

    // Retire finished attempts: retry or record the outcome.
    for (std::size_t i = 0; i < active.size();) {
      Attempt& a = *active[i];
      if (a.step != Step::kFinished) {
        ++i;
        continue;
      }
      if (a.mosq && mosquitto_socket(a.mosq.get()) >= 0) {
        mosquitto_disconnect_v5(a.mosq.get(), 0, nullptr);
        mosquitto_loop_write(a.mosq.get(), 1);
      }
      ClaimJob& job = *a.job;
      if (!job.done) {
        if (a.retryable && job.attempts < options.max_attempts) {
          const int base = 500 << std::min(job.attempts, 5);
          std::uniform_int_distribution<int> jitter(base / 2, base + base / 2);
          queue.push_back({&job, Clock::now() + milliseconds(jitter(rng))});
        } else if (!job.reply.ok && !job.reply.error.empty()) {
          job.done = true;  // the service's last refusal (e.g. rate_limited) is the outcome
        } else {
          job.error = a.failure;
        }
      }
      active[i] = std::move(active.back());
      active.pop_back();
    }
  }
  for (auto& job : jobs)
    if (!job.done && job.error.empty()) job.error = "stopped before the reply";
  active.clear();
  mosquitto_lib_cleanup();
}

}  // namespace laneway::fleet

// The claim provisioning protocol on the wire (docs/fleet.md, "Provisioning protocol"):
// topics, the request a device publishes and the reply the service sends. Pure functions
// so the device side (simulate --claim) and the service side (serve) share one definition.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace laneway::fleet {

// Requests: `provision/<batch>/<client id>/csr`; replies go to the MQTT v5 response topic,
// which must lie under `provision/<batch>/<client id>/` (the only place the claim client
// may subscribe) — by convention `provision/<batch>/<client id>/reply`.
inline constexpr std::string_view kProvisionPrefix = "provision/";
inline constexpr std::size_t kMaxRequestBytes = 80 * 1024;  // a 64 KiB CSR plus JSON

std::string request_topic(std::string_view batch, std::string_view client_id);
std::string reply_topic(std::string_view batch, std::string_view client_id);

struct RequestTopic {
  std::string batch;
  std::string client_id;
};
// `provision/<batch>/<client id>/csr` with both levels non-empty, else nullopt.
std::optional<RequestTopic> parse_request_topic(std::string_view topic);

struct ProvisionRequest {
  std::string device_id;
  std::string csr_pem;
};
// {"device_id": "...", "csr": "-----BEGIN CERTIFICATE REQUEST-----..."}
std::string encode_request(const ProvisionRequest& request);
// nullopt with `error` set for anything else (not JSON, missing or non-string fields).
std::optional<ProvisionRequest> decode_request(std::string_view payload, std::string* error);

struct ProvisionReply {
  bool ok = false;
  // ok: the issued device certificate, the CA certificate (the chain is certificate + CA),
  // its serial, expiry (Unix s) and the groups the device got.
  std::string device_id;
  std::string certificate_pem;
  std::string ca_pem;
  std::string serial;
  std::int64_t not_after = 0;
  std::vector<std::string> groups;
  // refused: a stable code (bad_request, bad_csr, rate_limited, unknown_claim,
  // claim_disabled, claim_expired, claim_exhausted, id_taken, replay, internal_error)
  // and a one-line reason.
  std::string error;
  std::string message;
};
std::string encode_reply(const ProvisionReply& reply);
std::optional<ProvisionReply> decode_reply(std::string_view payload, std::string* error);

}  // namespace laneway::fleet

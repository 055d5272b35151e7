#include "provisioning_handler.h"

#include <ctime>
#include <fstream>
#include <sstream>

#include "csr_check.h"
#include "laneway/certs/issuer.h"
#include "laneway/certs/revocation.h"

namespace laneway::fleet {

ProvisioningHandler::ProvisioningHandler(certs::CaStore ca,
                                         std::unique_ptr<registry::Registry> registry,
                                         HandlerOptions options)
    : ca_(std::move(ca)),
      registry_(std::move(registry)),
      options_(options),
      limiter_(options.claim_rate, options.claim_burst) {
  std::ifstream in(ca_.cert_path(), std::ios::binary);
  std::ostringstream pem;
  pem << in.rdbuf();
  ca_pem_ = pem.str();
}

ProvisionReply ProvisioningHandler::refuse(std::string code, std::string message) {
  ++refusals_[code];
  ProvisionReply reply;
  reply.error = std::move(code);
  reply.message = std::move(message);
  return reply;
}

ProvisionReply ProvisioningHandler::handle(const std::string& batch, const std::string& client_id,
                                           std::string_view payload) {
  (void)client_id;
  // Cheapest checks first: a flood from one leaked claim costs a map lookup per message.
  if (!limiter_.allow(batch))
    return refuse("rate_limited", "too many requests for claim '" + batch + "'; retry later");
  std::string error;
  const auto request = decode_request(payload, &error);
  if (!request) return refuse("bad_request", error);
  if (!registry::is_valid_device_id(request->device_id))
    return refuse("bad_request", "invalid device id (1..64 of [A-Za-z0-9._-])");
  CheckedCsr csr;
  if (!check_csr(request->csr_pem, request->device_id, &csr, &error))
    return refuse("bad_csr", error);

  // The registry transaction is open (claim counted, id and key checked) while the CA signs,
  // so the CA's index gets the serial before the registry does; if the registry then
  // fails, the certificate is revoked and never sent. A device is therefore never active
  // without its certificate being in the index (revoke --id finds it).
  std::string cert_pem;
  const registry::ClaimRequest claim_request{batch, request->device_id, csr.key_sha256,
                                             static_cast<std::int64_t>(std::time(nullptr))};
  const auto outcome = registry_->register_claimed_device(
      claim_request,
      [&](const std::vector<std::string>& groups, registry::ClaimIssued* out, std::string* err) {
        certs::CsrSignRequest sign;
        sign.id = request->device_id;
        sign.groups = groups;
        sign.days = options_.days;
        sign.write_file = false;
        auto issued = certs::sign_csr(ca_, request->csr_pem, sign);
        if (!issued.ok()) {
          *err = issued.error().message;
          return false;
        }
        cert_pem = issued->cert_pem;
        out->cert_serial = issued->serial_hex;
        out->not_after_s = issued->not_after;
        return true;
      },
      [&](const registry::ClaimIssued& issued) {
        auto revoked = certs::revoke(ca_, {std::nullopt, issued.cert_serial});
        if (!revoked.ok())
          std::fprintf(stderr, "laneway-fleet serve: error: cannot revoke unused serial %s: %s\n",
                       issued.cert_serial.c_str(), revoked.error().message.c_str());
      });
  if (outcome.refusal != registry::ClaimRefusal::kNone)
    return refuse(registry::claim_refusal_code(outcome.refusal), outcome.message);

  ++provisioned_;
  ProvisionReply reply;
  reply.ok = true;
  reply.device_id = request->device_id;
  reply.certificate_pem = cert_pem;
  reply.ca_pem = ca_pem_;
  reply.serial = outcome.issued.cert_serial;
  reply.not_after = outcome.issued.not_after_s;
  reply.groups = outcome.groups;
  return reply;
}

}  // namespace laneway::fleet

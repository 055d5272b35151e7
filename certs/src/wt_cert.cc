#include "laneway/certs/wt_cert.h"

#include "laneway/certs/x509_io.h"

namespace laneway::certs {

Result<WtCertificate> issue_wt_cert(const CaStore& ca, const WtCertRequest& request) {
  if (request.days < 1 || request.days > kMaxWtDays) {
    return make_error(
        "--days for wt-cert must be 1..14: browsers refuse serverCertificateHashes for "
        "certificates valid longer than 14 days");
  }
  IssueRequest issue;
  issue.role = Role::kServer;
  issue.id = "wt";
  issue.days = request.days;
  issue.dns_names = request.dns_names;
  issue.ip_addresses = request.ip_addresses;
  if (issue.dns_names.empty() && issue.ip_addresses.empty()) {
    issue.dns_names = {"localhost"};
    issue.ip_addresses = {"127.0.0.1", "::1"};
  }
  issue.out_prefix = request.out_prefix ? *request.out_prefix : ca.dir() / "wt" / "wt";
  issue.force = true;
  issue.key_algorithm = KeyAlgorithm::kEcP256;  // required by serverCertificateHashes
  LW_ASSIGN_OR_RETURN(IssuedCertificate issued, issue_with_new_key(ca, issue));
  WtCertificate wt;
  wt.sha256_base64 = certificate_sha256_base64(issued.cert.get());
  wt.issued = std::move(issued);
  return wt;
}

}  // namespace laneway::certs

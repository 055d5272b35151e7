// Certificate revocation lists: built from the revoked lines of index.tsv, signed by the CA,
// and published as crl.pem with an atomic rename, which is what mosquitto's `crlfile` and
// the laneway plugin's `plugin_opt_crl` read.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "laneway/certs/ca_store.h"
#include "laneway/certs/certificate.h"
#include "laneway/certs/index.h"
#include "laneway/certs/ossl.h"
#include "laneway/certs/result.h"

namespace laneway::certs {

// A v2 CRL with lastUpdate now, nextUpdate now + days, the CRL number and AKI extensions,
// and one entry per index line with status R.
Result<X509CrlPtr> build_crl(const CaCredentials& ca, const std::vector<IndexEntry>& index,
                             std::int64_t crl_number, int days);

Result<std::string> crl_to_pem(X509_CRL* crl);

// Reads the index, bumps crlnumber and rewrites crl.pem atomically. The caller holds the
// CA lock. Verifiers reject a CRL past nextUpdate: re-run `crl` (cron, or the run script)
// well before `days` pass.
Status publish_crl(const CaStore& ca, int days = kDefaultCrlDays);

}  // namespace laneway::certs

// Independent checks of what laneway-certs wrote, done with the OpenSSL API directly: chain
// verification (optionally with the CRL), extension bits, subject fields, file modes.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "laneway/certs/ossl.h"

namespace laneway::certs::testing {

X509Ptr load_cert(const std::filesystem::path& path);
X509CrlPtr load_crl(const std::filesystem::path& path);
PKeyPtr load_key(const std::filesystem::path& path);

// X509_verify_cert of `leaf` against `ca` (and, when `crl` is given, with CRL checking on
// the leaf); returns X509_V_OK or the verification error. `purpose` is an X509_PURPOSE_*
// value or 0 for none.
int verify_chain(X509* ca, X509* leaf, X509_CRL* crl = nullptr, int purpose = 0);

std::string subject_field(X509* cert, int nid);  // first entry with that NID, or ""
std::vector<std::string> san_dns(X509* cert);
std::vector<std::string> san_ips(X509* cert);  // textual form
mode_t file_mode(const std::filesystem::path& path);
std::string read_text(const std::filesystem::path& path);
long validity_seconds(X509* cert);  // notAfter - notBefore

}  // namespace laneway::certs::testing

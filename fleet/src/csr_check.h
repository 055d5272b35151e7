// The provisioning service's checks on a device's CSR before anything is signed: it parses
// (PEM, at most 64 KiB), its self-signature verifies and its key is strong enough (the
// laneway_certs checks that `sign-csr` runs), and a subject CN, if the CSR has one, names
// the requested device id. Also the key fingerprint the registry uses against replays.
#pragma once

#include <string>
#include <string_view>

namespace laneway::fleet {

struct CheckedCsr {
  std::string key_sha256;  // hex SHA-256 of the SubjectPublicKeyInfo DER
};

// False with a one-line `error` saying what is wrong.
bool check_csr(std::string_view csr_pem, std::string_view device_id, CheckedCsr* out,
               std::string* error);

}  // namespace laneway::fleet

// What a device does before it asks to be provisioned: make its own key pair (ECDSA P-256)
// and a CSR for its id, so the private key never leaves it.
#pragma once

#include <string>

namespace laneway::fleet {

struct DeviceKeyAndCsr {
  std::string key_pem;  // PKCS#8
  std::string csr_pem;
};

// False with a one-line `error`.
bool make_device_csr(const std::string& device_id, DeviceKeyAndCsr* out, std::string* error);

}  // namespace laneway::fleet

#include "laneway/certs/ossl.h"

#include <openssl/err.h>

namespace laneway::certs {

std::string drain_openssl_errors() {
  std::string out;
  unsigned long code = 0;
  while ((code = ERR_get_error()) != 0) {
    const char* reason = ERR_reason_error_string(code);
    if (!out.empty()) out += "; ";
    out += reason != nullptr ? reason : "unknown OpenSSL error";
  }
  return out;
}

}  // namespace laneway::certs

#include "laneway/certs/serial.h"

#include <openssl/rand.h>

#include <array>
#include <cctype>

namespace laneway::certs {

Result<Asn1IntegerPtr> random_serial() {
  std::array<unsigned char, 16> bytes{};
  // A zero serial is not allowed; 2^-120 odds, but the loop costs nothing.
  for (int attempt = 0; attempt < 4; ++attempt) {
    if (RAND_bytes(bytes.data(), bytes.size()) != 1) {
      return make_error("the random generator failed: " + drain_openssl_errors());
    }
    bytes[0] &= 0x7f;  // positive, so the DER encoding needs no leading 0x00
    BignumPtr bn(BN_bin2bn(bytes.data(), bytes.size(), nullptr));
    if (!bn) return make_error("out of memory");
    if (BN_is_zero(bn.get())) continue;
    Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
    if (!serial) return make_error("out of memory");
    return serial;
  }
  return make_error("the random generator returned zeros; check the system entropy source");
}

std::string serial_to_hex(const ASN1_INTEGER* serial) {
  BignumPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (!bn) return {};
  OsslString hex(BN_bn2hex(bn.get()));
  return hex ? std::string(hex.get()) : std::string();
}

Result<std::string> canonical_serial_hex(std::string_view hex) {
  if (hex.size() > 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex.remove_prefix(2);
  if (hex.empty() || hex.size() > 40) {
    return make_error("serial '" + std::string(hex) +
                      "' is not 1..40 hex digits: copy it from index.tsv");
  }
  for (char c : hex) {
    if (std::isxdigit(static_cast<unsigned char>(c)) == 0) {
      return make_error("serial '" + std::string(hex) +
                        "' is not hexadecimal: copy it from index.tsv");
    }
  }
  BIGNUM* raw = nullptr;
  const std::string text(hex);
  if (BN_hex2bn(&raw, text.c_str()) == 0) return make_error("cannot parse serial '" + text + "'");
  BignumPtr bn(raw);
  OsslString out(BN_bn2hex(bn.get()));
  return std::string(out.get());
}

}  // namespace laneway::certs

#include "laneway/certs/x509_io.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <array>
#include <cstdio>
#include <ctime>

namespace laneway::certs {
namespace {

std::array<unsigned char, 32> der_sha256(X509* cert) {
  std::array<unsigned char, 32> md{};
  unsigned int len = 0;
  X509_digest(cert, EVP_sha256(), md.data(), &len);
  return md;
}

}  // namespace

Result<std::string> certificate_to_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return make_error("cannot encode certificate: " + drain_openssl_errors());
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

Result<X509Ptr> certificate_from_pem(std::string_view pem, std::string_view what) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return make_error("out of memory");
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    ERR_clear_error();
    return make_error(std::string(what) + " is not a PEM certificate: restore it or re-create it");
  }
  return cert;
}

std::string certificate_sha256_hex(X509* cert) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : der_sha256(cert)) {
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

std::string certificate_sha256_base64(X509* cert) {
  const auto md = der_sha256(cert);
  std::array<unsigned char, 4 * ((32 + 2) / 3) + 1> out{};
  const int n = EVP_EncodeBlock(out.data(), md.data(), static_cast<int>(md.size()));
  return std::string(reinterpret_cast<const char*>(out.data()), static_cast<std::size_t>(n));
}

std::int64_t asn1_time_to_unix(const ASN1_TIME* time) {
  struct tm tm {};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) return 0;
  return static_cast<std::int64_t>(timegm(&tm));
}

std::string unix_to_iso8601(std::int64_t seconds) {
  const time_t t = static_cast<time_t>(seconds);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace laneway::certs

#include "tls.h"

#include <ngtcp2/ngtcp2_crypto_gnutls.h>

namespace laneway::webtransport {

namespace {

// TLS 1.3 only; the compat mode (fake ChangeCipherSpec) is forbidden in QUIC (RFC 9001 §8.4).
constexpr const char* kPriority =
    "%DISABLE_TLS13_COMPAT_MODE:NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:"
    "+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-CCM:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:"
    "+GROUP-SECP384R1";

std::string describe(const char* what, int rv) {
  return std::string(what) + ": " + gnutls_strerror(rv);
}

}  // namespace

std::shared_ptr<TlsCredentials> TlsCredentials::load(const std::string& cert_file,
                                                     const std::string& key_file,
                                                     std::string* error) {
  std::shared_ptr<TlsCredentials> creds(new TlsCredentials());
  if (int rv = gnutls_certificate_allocate_credentials(&creds->cred_); rv != 0) {
    *error = describe("gnutls_certificate_allocate_credentials", rv);
    creds->cred_ = nullptr;
    return nullptr;
  }
  if (int rv = gnutls_certificate_set_x509_key_file(creds->cred_, cert_file.c_str(),
                                                    key_file.c_str(), GNUTLS_X509_FMT_PEM);
      rv < 0) {
    *error = describe(("loading " + cert_file + " / " + key_file).c_str(), rv);
    return nullptr;
  }
  return creds;
}

TlsCredentials::~TlsCredentials() {
  if (cred_) gnutls_certificate_free_credentials(cred_);
}

GnutlsSessionPtr make_server_tls_session(const TlsCredentials& credentials,
                                         ngtcp2_crypto_conn_ref* conn_ref, std::string* error) {
  gnutls_session_t raw = nullptr;
  // No 0-RTT (no session tickets are issued), so no anti-replay database is needed.
  if (int rv = gnutls_init(
          &raw, GNUTLS_SERVER | GNUTLS_NO_AUTO_SEND_TICKET | GNUTLS_NO_END_OF_EARLY_DATA);
      rv != 0) {
    *error = describe("gnutls_init", rv);
    return nullptr;
  }
  GnutlsSessionPtr session(raw);
  if (ngtcp2_crypto_gnutls_configure_server_session(raw) != 0) {
    *error = "ngtcp2_crypto_gnutls_configure_server_session failed";
    return nullptr;
  }
  if (int rv = gnutls_priority_set_direct(raw, kPriority, nullptr); rv != 0) {
    *error = describe("gnutls_priority_set_direct", rv);
    return nullptr;
  }
  if (int rv = gnutls_credentials_set(raw, GNUTLS_CRD_CERTIFICATE, credentials.get()); rv != 0) {
    *error = describe("gnutls_credentials_set", rv);
    return nullptr;
  }
  static const unsigned char kH3[] = "h3";
  gnutls_datum_t alpn{const_cast<unsigned char*>(kH3), 2};
  if (int rv = gnutls_alpn_set_protocols(raw, &alpn, 1, GNUTLS_ALPN_MANDATORY); rv != 0) {
    *error = describe("gnutls_alpn_set_protocols", rv);
    return nullptr;
  }
  gnutls_session_set_ptr(raw, conn_ref);
  return session;
}

}  // namespace laneway::webtransport

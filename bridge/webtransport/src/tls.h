// GnuTLS pieces of the QUIC handshake: the server certificate (shared by every connection
// that started while it was current, so rotation never disturbs open connections) and one
// TLS 1.3 session per connection, wired to ngtcp2 by ngtcp2_crypto_gnutls.
#pragma once

#include <gnutls/gnutls.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include <memory>
#include <string>

namespace laneway::webtransport {

class TlsCredentials {
 public:
  // Loads a PEM certificate chain and key. nullptr and `error` on failure.
  static std::shared_ptr<TlsCredentials> load(const std::string& cert_file,
                                              const std::string& key_file, std::string* error);
  ~TlsCredentials();
  TlsCredentials(const TlsCredentials&) = delete;
  TlsCredentials& operator=(const TlsCredentials&) = delete;
  gnutls_certificate_credentials_t get() const { return cred_; }

 private:
  TlsCredentials() = default;
  gnutls_certificate_credentials_t cred_ = nullptr;
};

struct GnutlsSessionDeleter {
  void operator()(gnutls_session_int* session) const { gnutls_deinit(session); }
};
using GnutlsSessionPtr = std::unique_ptr<gnutls_session_int, GnutlsSessionDeleter>;

// A server TLS session for QUIC: TLS 1.3 only, ALPN "h3" mandatory, `conn_ref` stored as
// the session pointer (ngtcp2_crypto_gnutls finds the ngtcp2_conn through it).
GnutlsSessionPtr make_server_tls_session(const TlsCredentials& credentials,
                                         ngtcp2_crypto_conn_ref* conn_ref, std::string* error);

}  // namespace laneway::webtransport

#include "laneway/certs/certificate.h"

#include <arpa/inet.h>
#include <openssl/err.h>

#include <algorithm>
#include <ctime>

#include "laneway/certs/serial.h"
#include "laneway/certs/x509_io.h"

namespace laneway::certs {
namespace {

Error openssl_error(const std::string& what) {
  const std::string detail = drain_openssl_errors();
  return make_error(what + (detail.empty() ? "" : ": " + detail));
}

Status set_subject(X509* cert, std::string_view ou, const std::string& cn) {
  X509_NAME* name = X509_get_subject_name(cert);
  auto add = [&](const char* field, std::string_view value) {
    return X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(value.data()),
                                      static_cast<int>(value.size()), -1, 0) == 1;
  };
  if (!add("O", "laneway") || (!ou.empty() && !add("OU", ou)) || !add("CN", cn)) {
    return openssl_error("cannot set the certificate subject");
  }
  return ok_status();
}

// Extensions expressed in OpenSSL's config syntax; values here are constants of ours, never
// user input (SAN, which carries user input, is built structurally below).
Status add_config_extension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  X509ExtPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return openssl_error(std::string("cannot add extension ") + OBJ_nid2sn(nid) + "=" + value);
  }
  return ok_status();
}

Status add_subject_alt_names(X509* cert, const CertificateSpec& spec) {
  if (spec.dns_names.empty() && spec.ip_addresses.empty()) return ok_status();
  GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  if (!names) return openssl_error("out of memory");
  for (const auto& dns : spec.dns_names) {
    LW_RETURN_IF_ERROR(validate_dns_name(dns));
    GENERAL_NAME* gn = GENERAL_NAME_new();
    ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
    if (gn == nullptr || ia5 == nullptr ||
        ASN1_STRING_set(ia5, dns.data(), static_cast<int>(dns.size())) != 1) {
      GENERAL_NAME_free(gn);
      ASN1_IA5STRING_free(ia5);
      return openssl_error("out of memory");
    }
    GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
    if (sk_GENERAL_NAME_push(names.get(), gn) == 0) {
      GENERAL_NAME_free(gn);
      return openssl_error("out of memory");
    }
  }
  for (const auto& ip : spec.ip_addresses) {
    Asn1OctetStringPtr octets(a2i_IPADDRESS(ip.c_str()));
    if (!octets) {
      ERR_clear_error();
      return make_error("'" + ip + "' is not an IPv4 or IPv6 address: fix the --ip value");
    }
    GENERAL_NAME* gn = GENERAL_NAME_new();
    if (gn == nullptr) return openssl_error("out of memory");
    GENERAL_NAME_set0_value(gn, GEN_IPADD, octets.release());
    if (sk_GENERAL_NAME_push(names.get(), gn) == 0) {
      GENERAL_NAME_free(gn);
      return openssl_error("out of memory");
    }
  }
  // critical=0: the subject is non-empty, so RFC 5280 lets SAN be non-critical.
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return openssl_error("cannot add subjectAltName");
  }
  return ok_status();
}

Result<X509Ptr> new_certificate(EVP_PKEY* subject_key, std::int64_t not_before,
                                std::int64_t not_after) {
  X509Ptr cert(X509_new());
  if (!cert) return openssl_error("out of memory");
  LW_ASSIGN_OR_RETURN(Asn1IntegerPtr serial, random_serial());
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      X509_set_serialNumber(cert.get(), serial.get()) != 1 ||
      ASN1_TIME_set(X509_getm_notBefore(cert.get()), static_cast<time_t>(not_before)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert.get()), static_cast<time_t>(not_after)) == nullptr ||
      X509_set_pubkey(cert.get(), subject_key) != 1) {
    return openssl_error("cannot fill in the certificate");
  }
  return cert;
}

// The signature digest for a CA key: SHA-256 for RSA and EC, none for EdDSA.
const EVP_MD* digest_for(EVP_PKEY* key) {
  const int id = EVP_PKEY_get_base_id(key);
  return (id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448) ? nullptr : EVP_sha256();
}

}  // namespace

Status validate_dns_name(const std::string& name) {
  if (name.empty() || name.size() > 253) {
    return make_error("DNS name '" + name.substr(0, 64) + "' must be 1..253 characters");
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || (c == '*' && i == 0);
    if (!ok) {
      return make_error(
          "DNS name '" + name.substr(0, 64) +
          "' has a character not allowed in a host name: use letters, digits, '-', '.' "
          "(and a leading '*' for a wildcard)");
    }
  }
  return ok_status();
}

Status validate_ip_address(const std::string& address) {
  unsigned char buf[sizeof(struct in6_addr)];
  if (inet_pton(AF_INET, address.c_str(), buf) == 1 ||
      inet_pton(AF_INET6, address.c_str(), buf) == 1) {
    return ok_status();
  }
  return make_error("'" + address + "' is not an IPv4 or IPv6 address: fix the --ip value");
}

Result<X509Ptr> build_certificate(const CaCredentials& ca, EVP_PKEY* subject_key,
                                  const CertificateSpec& spec) {
  if (spec.days <= 0) return make_error("--days must be at least 1");
  LW_RETURN_IF_ERROR(validate_id(spec.common_name, "name"));
  for (const auto& dns : spec.dns_names) LW_RETURN_IF_ERROR(validate_dns_name(dns));
  for (const auto& ip : spec.ip_addresses) LW_RETURN_IF_ERROR(validate_ip_address(ip));

  const std::int64_t not_before = static_cast<std::int64_t>(std::time(nullptr)) - kBackdateSeconds;
  std::int64_t not_after = not_before + static_cast<std::int64_t>(spec.days) * 86400;
  // A certificate cannot usefully outlive its issuer: end with the CA.
  const std::int64_t ca_not_after = asn1_time_to_unix(X509_get0_notAfter(ca.cert));
  if (ca_not_after > 0) not_after = std::min(not_after, ca_not_after);
  if (not_after <= not_before)
    return make_error("the CA certificate has expired: create a new CA with init --force");

  LW_ASSIGN_OR_RETURN(X509Ptr cert, new_certificate(subject_key, not_before, not_after));
  LW_RETURN_IF_ERROR(set_subject(cert.get(), role_name(spec.role), spec.common_name));
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(ca.cert)) != 1) {
    return openssl_error("cannot set the issuer");
  }

  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca.cert, cert.get(), nullptr, nullptr, 0);
  const bool is_rsa = EVP_PKEY_get_base_id(subject_key) == EVP_PKEY_RSA;
  const bool is_server = spec.role == Role::kServer;
  LW_RETURN_IF_ERROR(
      add_config_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE"));
  // RSA key exchange (TLS 1.2 RSA suites) needs keyEncipherment; EC and EdDSA keys only sign.
  LW_RETURN_IF_ERROR(add_config_extension(
      cert.get(), &ctx, NID_key_usage,
      is_rsa ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature"));
  LW_RETURN_IF_ERROR(add_config_extension(cert.get(), &ctx, NID_ext_key_usage,
                                          is_server ? "serverAuth" : "clientAuth"));
  LW_RETURN_IF_ERROR(add_config_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
  LW_RETURN_IF_ERROR(
      add_config_extension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always"));
  LW_RETURN_IF_ERROR(add_subject_alt_names(cert.get(), spec));

  if (X509_sign(cert.get(), ca.key, digest_for(ca.key)) == 0) {
    return openssl_error("cannot sign the certificate with the CA key");
  }
  return cert;
}

Result<X509Ptr> build_ca_certificate(EVP_PKEY* key, const std::string& common_name, int days) {
  if (days <= 0) return make_error("--days must be at least 1");
  if (common_name.empty() || common_name.size() > 64) {
    return make_error("the CA common name must be 1..64 characters");
  }
  const std::int64_t not_before = static_cast<std::int64_t>(std::time(nullptr)) - kBackdateSeconds;
  const std::int64_t not_after = not_before + static_cast<std::int64_t>(days) * 86400;
  LW_ASSIGN_OR_RETURN(X509Ptr cert, new_certificate(key, not_before, not_after));
  LW_RETURN_IF_ERROR(set_subject(cert.get(), "", common_name));
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())) != 1) {
    return openssl_error("cannot set the issuer");
  }
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  LW_RETURN_IF_ERROR(
      add_config_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
  LW_RETURN_IF_ERROR(
      add_config_extension(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign"));
  LW_RETURN_IF_ERROR(add_config_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
  LW_RETURN_IF_ERROR(add_config_extension(cert.get(), &ctx, NID_authority_key_identifier, "keyid"));
  if (X509_sign(cert.get(), key, digest_for(key)) == 0) {
    return openssl_error("cannot self-sign the CA certificate");
  }
  return cert;
}

}  // namespace laneway::certs

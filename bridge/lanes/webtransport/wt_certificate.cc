#include "wt_certificate.h"

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <ctime>
#include <memory>

#include "laneway/wire/base64.h"

namespace laneway::bridge {
namespace {

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};

std::int64_t asn1_time_to_unix(const ASN1_TIME* t) {
  struct tm tm {};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<std::int64_t>(timegm(&tm));
}

constexpr std::int64_t kWarnEveryS = 3600;

}  // namespace

std::optional<CertificateInfo> read_certificate_info(const std::string& pem_path,
                                                     std::string& error) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_file(pem_path.c_str(), "r"));
  if (!bio) {
    error = "cannot read '" + pem_path + "'";
    return std::nullopt;
  }
  std::unique_ptr<X509, X509Deleter> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    error = "'" + pem_path + "' holds no PEM certificate";
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  const int der_len = i2d_X509(cert.get(), &der);
  if (der_len <= 0) {
    error = "cannot encode the certificate of '" + pem_path + "'";
    return std::nullopt;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  const int ok = EVP_Digest(der, static_cast<std::size_t>(der_len), digest, &digest_len,
                            EVP_sha256(), nullptr);
  OPENSSL_free(der);
  if (ok != 1) {
    error = "SHA-256 failed";
    return std::nullopt;
  }
  CertificateInfo info;
  wire::base64_encode(std::string_view(reinterpret_cast<const char*>(digest), digest_len),
                      info.sha256_base64);
  info.not_before_s = asn1_time_to_unix(X509_get0_notBefore(cert.get()));
  info.not_after_s = asn1_time_to_unix(X509_get0_notAfter(cert.get()));
  return info;
}

CertificateRotation::CertificateRotation(std::string cert_file, std::string key_file,
                                         std::uint32_t warn_days)
    : cert_file_(std::move(cert_file)),
      key_file_(std::move(key_file)),
      warn_before_s_(static_cast<std::int64_t>(warn_days) * 86400) {}

CertificateRotation::FileStamp CertificateRotation::stamp(const std::string& path) {
  FileStamp s;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return s;
  s.dev = st.st_dev;
  s.ino = st.st_ino;
  s.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  s.size = st.st_size;
  return s;
}

bool CertificateRotation::load(std::int64_t now_s, std::string& error) {
  cert_stamp_ = stamp(cert_file_);
  key_stamp_ = stamp(key_file_);
  auto info = read_certificate_info(cert_file_, error);
  if (!info) return false;
  current_ = *info;
  warn_if_expiring(now_s);
  return true;
}

bool CertificateRotation::poll(std::int64_t now_s, const Install& install) {
  const FileStamp cert = stamp(cert_file_);
  const FileStamp key = stamp(key_file_);
  if (cert == cert_stamp_ && key == key_stamp_) {
    warn_if_expiring(now_s);
    return false;
  }
  // Remember what we saw even if it does not load: a half-written pair is retried when
  // either file changes again, not every poll.
  cert_stamp_ = cert;
  key_stamp_ = key;
  std::string error;
  auto info = read_certificate_info(cert_file_, error);
  if (!info) {
    std::fprintf(stderr, "laneway-bridge: wt: certificate change not applied: %s\n", error.c_str());
    return false;
  }
  if (info->sha256_base64 == current_.sha256_base64) return false;
  if (!install(error)) {
    std::fprintf(stderr, "laneway-bridge: wt: certificate change not applied: %s\n", error.c_str());
    return false;
  }
  previous_ = current_;
  current_ = *info;
  ++reloads_;
  last_warning_s_ = 0;
  std::fprintf(stderr,
               "laneway-bridge: wt: certificate rotated (sha-256 %s, expires in %lld s); open "
               "sessions keep theirs\n",
               current_.sha256_base64.c_str(),
               static_cast<long long>(current_.not_after_s - now_s));
  warn_if_expiring(now_s);
  return true;
}

std::vector<std::string> CertificateRotation::advertised_hashes(std::int64_t now_s) const {
  std::vector<std::string> out{current_.sha256_base64};
  if (previous_ && previous_->not_after_s > now_s &&
      previous_->sha256_base64 != current_.sha256_base64) {
    out.push_back(previous_->sha256_base64);
  }
  return out;
}

void CertificateRotation::warn_if_expiring(std::int64_t now_s) {
  const std::int64_t left = current_.not_after_s - now_s;
  if (left > warn_before_s_) return;
  if (last_warning_s_ != 0 && now_s - last_warning_s_ < kWarnEveryS) return;
  last_warning_s_ = now_s;
  if (left <= 0) {
    std::fprintf(stderr,
                 "laneway-bridge: wt: WARNING: certificate %s has expired; browsers will refuse "
                 "it (rotate with laneway-certs wt-cert)\n",
                 cert_file_.c_str());
  } else {
    std::fprintf(stderr,
                 "laneway-bridge: wt: WARNING: certificate %s expires in %lld h; rotate it "
                 "(laneway-certs wt-cert)\n",
                 cert_file_.c_str(), static_cast<long long>(left / 3600));
  }
}

}  // namespace laneway::bridge

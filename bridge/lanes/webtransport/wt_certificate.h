// The WebTransport lane's certificate: the SHA-256 of its DER (what browsers pin through
// serverCertificateHashes), its validity, and rotation. The bridge watches the cert/key
// files; when they change it swaps the certificate for new QUIC connections (open ones keep
// theirs) and keeps advertising the previous hash while that certificate is still valid,
// so a browser holding either hash can connect during the overlap.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace laneway::bridge {

struct CertificateInfo {
  std::string sha256_base64;  // SHA-256 of the leaf certificate's DER, standard base64
  std::int64_t not_before_s = 0;
  std::int64_t not_after_s = 0;
};

// Reads the first certificate of a PEM file. nullopt and `error` when unreadable.
std::optional<CertificateInfo> read_certificate_info(const std::string& pem_path,
                                                     std::string& error);

class CertificateRotation {
 public:
  // Installs a new cert/key pair in the QUIC server; false (and the reason) if refused.
  using Install = std::function<bool(std::string& error)>;

  CertificateRotation(std::string cert_file, std::string key_file, std::uint32_t warn_days);

  // Reads the configured certificate (the server loaded it itself at creation).
  bool load(std::int64_t now_s, std::string& error);
  // Checks the files; on a change, reads the new certificate and installs it. Logs what
  // happened (one line). Returns true when a new certificate took over.
  bool poll(std::int64_t now_s, const Install& install);

  // Hashes to advertise: the current one first, then the previous one while it is valid.
  std::vector<std::string> advertised_hashes(std::int64_t now_s) const;
  const CertificateInfo& current() const { return current_; }
  std::uint64_t reloads() const { return reloads_; }

 private:
  struct FileStamp {
    dev_t dev = 0;
    ino_t ino = 0;
    std::int64_t mtime_ns = 0;
    off_t size = -1;
    bool operator==(const FileStamp&) const = default;
  };
  static FileStamp stamp(const std::string& path);
  void warn_if_expiring(std::int64_t now_s);

  std::string cert_file_;
  std::string key_file_;
  std::int64_t warn_before_s_;
  FileStamp cert_stamp_, key_stamp_;
  CertificateInfo current_;
  std::optional<CertificateInfo> previous_;
  std::uint64_t reloads_ = 0;
  std::int64_t last_warning_s_ = 0;
};

}  // namespace laneway::bridge

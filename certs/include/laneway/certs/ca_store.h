// The CA directory (contract in docs/contracts.md, described in docs/certs.md):
//   ca.crt  ca.key (0600)  index.tsv  crl.pem  crlnumber  .lock
//   devices/<id>.crt|.key  services/<role>-<id>.crt|.key  servers/<name>.crt|.key
//   claims/<batch>.crt|.key  wt/wt.crt|.key
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "laneway/certs/certificate.h"
#include "laneway/certs/identity.h"
#include "laneway/certs/key.h"
#include "laneway/certs/ossl.h"
#include "laneway/certs/result.h"

namespace laneway::certs {

inline constexpr int kDefaultCaDays = 3650;
inline constexpr int kDefaultCrlDays = 30;

struct InitOptions {
  KeyAlgorithm algorithm = KeyAlgorithm::kEcP256;
  int days = kDefaultCaDays;
  std::string common_name = "laneway CA";
  bool force = false;                     // replace an existing CA (and reset index and CRL)
  std::optional<std::string> passphrase;  // encrypt ca.key with it
  int crl_days = kDefaultCrlDays;
};

// An exclusive flock on <dir>/.lock, held while a command reads and rewrites the index, so
// two laneway-certs processes (or threads of the fleet service) never interleave.
class CaLock {
 public:
  CaLock(const CaLock&) = delete;
  CaLock& operator=(const CaLock&) = delete;
  CaLock(CaLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  CaLock& operator=(CaLock&&) = delete;
  ~CaLock();

  static Result<CaLock> acquire(const std::filesystem::path& dir);

 private:
  explicit CaLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

class CaStore {
 public:
  // Creates a CA in `dir` (created if needed). Refuses when ca.crt or ca.key exists unless
  // options.force. Writes ca.key 0600, ca.crt, an empty index.tsv and an empty, valid CRL.
  static Result<CaStore> create(const std::filesystem::path& dir, const InitOptions& options);
  // Loads ca.crt and ca.key and checks that they belong together.
  static Result<CaStore> open(const std::filesystem::path& dir,
                              const std::optional<std::string>& passphrase = {});

  const std::filesystem::path& dir() const { return dir_; }
  CaCredentials credentials() const { return {cert_.get(), key_.get()}; }
  X509* cert() const { return cert_.get(); }
  EVP_PKEY* key() const { return key_.get(); }

  std::filesystem::path cert_path() const { return dir_ / "ca.crt"; }
  std::filesystem::path key_path() const { return dir_ / "ca.key"; }
  std::filesystem::path index_path() const { return dir_ / "index.tsv"; }
  std::filesystem::path crl_path() const { return dir_ / "crl.pem"; }
  std::filesystem::path crl_number_path() const { return dir_ / "crlnumber"; }

  // Where a role's certificate lives unless --out overrides it (no extension).
  std::filesystem::path default_prefix(Role role, const std::string& id) const;

  Result<CaLock> lock() const { return CaLock::acquire(dir_); }

 private:
  CaStore(std::filesystem::path dir, X509Ptr cert, PKeyPtr key)
      : dir_(std::move(dir)), cert_(std::move(cert)), key_(std::move(key)) {}

  std::filesystem::path dir_;
  X509Ptr cert_;
  PKeyPtr key_;
};

}  // namespace laneway::certs

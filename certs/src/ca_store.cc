#include "laneway/certs/ca_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "laneway/certs/crl.h"
#include "laneway/certs/files.h"
#include "laneway/certs/x509_io.h"

namespace laneway::certs {
namespace fs = std::filesystem;

CaLock::~CaLock() {
  if (fd_ >= 0) {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
}

Result<CaLock> CaLock::acquire(const fs::path& dir) {
  const fs::path path = dir / ".lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return make_error("cannot open " + path.string() + ": " + std::strerror(errno));
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    const int err = errno;
    ::close(fd);
    return make_error("cannot lock " + path.string() + ": " + std::strerror(err));
  }
  return CaLock(fd);
}

Result<CaStore> CaStore::create(const fs::path& dir, const InitOptions& options) {
  if (options.days <= 0) return make_error("--days must be at least 1");
  if (options.passphrase && options.passphrase->empty()) {
    return make_error(
        "the CA passphrase is empty: put at least one character in the --ca-pass-file file");
  }
  std::error_code ec;
  if (!options.force && (fs::exists(dir / "ca.crt", ec) || fs::exists(dir / "ca.key", ec))) {
    return make_error("a CA already exists in " + dir.string() +
                      ": use it as is, pick another --dir, or pass --force to replace it (this "
                      "invalidates every certificate it issued)");
  }
  // Everything is generated in memory first, so a failure leaves the directory untouched.
  LW_ASSIGN_OR_RETURN(PKeyPtr key, generate_key(options.algorithm));
  LW_ASSIGN_OR_RETURN(X509Ptr cert,
                      build_ca_certificate(key.get(), options.common_name, options.days));
  LW_ASSIGN_OR_RETURN(std::string key_pem, private_key_to_pem(key.get(), options.passphrase));
  LW_ASSIGN_OR_RETURN(std::string cert_pem, certificate_to_pem(cert.get()));
  LW_ASSIGN_OR_RETURN(X509CrlPtr crl, build_crl({cert.get(), key.get()}, {}, 1, options.crl_days));
  LW_ASSIGN_OR_RETURN(std::string crl_pem, crl_to_pem(crl.get()));

  LW_RETURN_IF_ERROR(ensure_directory(dir, 0755));
  LW_ASSIGN_OR_RETURN(CaLock lock, CaLock::acquire(dir));
  LW_ASSIGN_OR_RETURN(StagedFile key_file,
                      StagedFile::stage(dir / "ca.key", key_pem, kPrivateFileMode));
  LW_ASSIGN_OR_RETURN(StagedFile cert_file,
                      StagedFile::stage(dir / "ca.crt", cert_pem, kPublicFileMode));
  LW_ASSIGN_OR_RETURN(StagedFile index_file,
                      StagedFile::stage(dir / "index.tsv", "", kPublicFileMode));
  LW_ASSIGN_OR_RETURN(StagedFile crl_file,
                      StagedFile::stage(dir / "crl.pem", crl_pem, kPublicFileMode));
  LW_ASSIGN_OR_RETURN(StagedFile number_file,
                      StagedFile::stage(dir / "crlnumber", "1\n", kPublicFileMode));
  for (StagedFile* f : {&key_file, &cert_file, &index_file, &crl_file, &number_file}) {
    LW_RETURN_IF_ERROR(f->commit());
  }
  LW_RETURN_IF_ERROR(sync_directory(dir));
  return CaStore(dir, std::move(cert), std::move(key));
}

Result<CaStore> CaStore::open(const fs::path& dir, const std::optional<std::string>& passphrase) {
  std::error_code ec;
  if (!fs::exists(dir / "ca.crt", ec) && !fs::exists(dir / "ca.key", ec)) {
    return make_error("no CA in " + dir.string() + ": run 'laneway-certs init --dir " +
                      dir.string() + "' first, or pass the right --dir");
  }
  LW_ASSIGN_OR_RETURN(std::string cert_pem, read_file(dir / "ca.crt", "CA certificate"));
  LW_ASSIGN_OR_RETURN(std::string key_pem, read_file(dir / "ca.key", "CA key"));
  LW_ASSIGN_OR_RETURN(X509Ptr cert, certificate_from_pem(cert_pem, (dir / "ca.crt").string()));
  LW_ASSIGN_OR_RETURN(PKeyPtr key,
                      private_key_from_pem(key_pem, passphrase, (dir / "ca.key").string()));
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    drain_openssl_errors();
    return make_error((dir / "ca.key").string() + " does not belong to " +
                      (dir / "ca.crt").string() + ": restore the matching pair");
  }
  return CaStore(dir, std::move(cert), std::move(key));
}

fs::path CaStore::default_prefix(Role role, const std::string& id) const {
  switch (role) {
    case Role::kDevice:
      return dir_ / "devices" / id;
    case Role::kBridge:
    case Role::kOperator:
    case Role::kEdge:
      return dir_ / "services" / (std::string(role_name(role)) + "-" + id);
    case Role::kClaim:
      return dir_ / "claims" / id;
    case Role::kServer:
      return dir_ / "servers" / id;
  }
  return dir_ / id;
}

}  // namespace laneway::certs

#include "device_csr.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "laneway/certs/key.h"
#include "laneway/certs/ossl.h"

namespace laneway::fleet {

bool make_device_csr(const std::string& device_id, DeviceKeyAndCsr* out, std::string* error) {
  auto key = certs::generate_key(certs::KeyAlgorithm::kEcP256);
  if (!key.ok()) {
    *error = key.error().message;
    return false;
  }
  certs::X509ReqPtr req(X509_REQ_new());
  X509_NAME* name = req ? X509_REQ_get_subject_name(req.get()) : nullptr;
  const auto* cn = reinterpret_cast<const unsigned char*>(device_id.c_str());
  if (!name || X509_REQ_set_version(req.get(), 0) != 1 ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, cn, -1, -1, 0) != 1 ||
      X509_REQ_set_pubkey(req.get(), key->get()) != 1 ||
      X509_REQ_sign(req.get(), key->get(), EVP_sha256()) <= 0) {
    *error = "cannot build a CSR for " + device_id + ": " + certs::drain_openssl_errors();
    return false;
  }
  certs::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509_REQ(bio.get(), req.get()) != 1) {
    *error = "cannot encode the CSR: " + certs::drain_openssl_errors();
    return false;
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  out->csr_pem.assign(data, static_cast<std::size_t>(size));
  auto key_pem = certs::private_key_to_pem(key->get());
  if (!key_pem.ok()) {
    *error = key_pem.error().message;
    return false;
  }
  out->key_pem = std::move(key_pem).value();
  return true;
}

}  // namespace laneway::fleet

#include "laneway/certs/csr.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include "laneway/certs/key.h"

namespace laneway::certs {

Result<X509ReqPtr> parse_csr(std::string_view bytes) {
  if (bytes.empty()) return make_error("the CSR is empty: pass the PEM file the device produced");
  if (bytes.size() > kMaxCsrBytes)
    return make_error("the CSR is larger than 64 KiB: is it the right file?");
  BioPtr bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
  if (!bio) return make_error("out of memory");
  X509_REQ* req = nullptr;
  if (bytes.find("-----BEGIN") != std::string_view::npos) {
    req = PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr);
  } else {
    req = d2i_X509_REQ_bio(bio.get(), nullptr);
  }
  ERR_clear_error();
  if (req == nullptr) {
    return make_error(
        "the CSR is malformed (not a PEM or DER certificate request): regenerate it on the device");
  }
  return X509ReqPtr(req);
}

Status verify_csr(X509_REQ* csr) {
  EVP_PKEY* key = X509_REQ_get0_pubkey(csr);
  if (key == nullptr) {
    ERR_clear_error();
    return make_error("the CSR has no usable public key: regenerate it on the device");
  }
  LW_RETURN_IF_ERROR(check_key_strength(key));
  if (X509_REQ_verify(csr, key) != 1) {
    ERR_clear_error();
    return make_error(
        "the CSR signature does not verify (corrupted, or not signed by its own key): "
        "regenerate it on the device");
  }
  return ok_status();
}

}  // namespace laneway::certs

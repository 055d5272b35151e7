#include "csr_builder.h"

#include <openssl/pem.h>

namespace laneway::certs::testing {
namespace {

X509ReqPtr build(EVP_PKEY* key, const std::string& cn, bool request_ca) {
  X509ReqPtr req(X509_REQ_new());
  X509_REQ_set_version(req.get(), 0);
  X509_NAME* name = X509_REQ_get_subject_name(req.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_REQ_set_pubkey(req.get(), key);
  if (request_ca) {
    STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
    X509_EXTENSION* bc =
        X509V3_EXT_conf_nid(nullptr, nullptr, NID_basic_constraints, "critical,CA:TRUE");
    sk_X509_EXTENSION_push(exts, bc);
    X509_REQ_add_extensions(req.get(), exts);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  }
  const int id = EVP_PKEY_get_base_id(key);
  X509_REQ_sign(req.get(), key, id == EVP_PKEY_ED25519 ? nullptr : EVP_sha256());
  return req;
}

}  // namespace

std::string make_csr_pem(EVP_PKEY* key, const std::string& cn, bool request_ca) {
  X509ReqPtr req = build(key, cn, request_ca);
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_REQ(bio.get(), req.get());
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

std::string make_csr_der(EVP_PKEY* key, const std::string& cn) {
  X509ReqPtr req = build(key, cn, false);
  unsigned char* der = nullptr;
  const int len = i2d_X509_REQ(req.get(), &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

}  // namespace laneway::certs::testing

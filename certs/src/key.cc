#include "laneway/certs/key.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <array>
#include <cstring>

namespace laneway::certs {
namespace {

Error openssl_error(std::string_view what) {
  std::string detail = drain_openssl_errors();
  return make_error(std::string(what) + (detail.empty() ? "" : ": " + detail));
}

std::string ec_group_name(EVP_PKEY* key) {
  std::array<char, 64> name{};
  std::size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name.data(), name.size(),
                                     &len) != 1) {
    ERR_clear_error();
    return {};
  }
  return std::string(name.data(), len);
}

// The passphrase callback OpenSSL calls while decrypting; without a passphrase it fails at
// once instead of OpenSSL's default of prompting on the terminal.
struct PassphraseSource {
  const std::optional<std::string>* passphrase;
  bool asked = false;
};

int passphrase_callback(char* buf, int size, int /*rwflag*/, void* userdata) {
  auto* source = static_cast<PassphraseSource*>(userdata);
  source->asked = true;
  if (!source->passphrase->has_value()) return -1;
  const std::string& pass = **source->passphrase;
  if (pass.size() > static_cast<std::size_t>(size)) return -1;
  std::memcpy(buf, pass.data(), pass.size());
  return static_cast<int>(pass.size());
}

}  // namespace

Result<PKeyPtr> generate_key(KeyAlgorithm algorithm) {
  EVP_PKEY* key = nullptr;
  switch (algorithm) {
    case KeyAlgorithm::kEcP256:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
    case KeyAlgorithm::kRsa3072:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(3072));
      break;
  }
  if (key == nullptr) return openssl_error("key generation failed");
  return PKeyPtr(key);
}

Result<std::string> private_key_to_pem(EVP_PKEY* key,
                                       const std::optional<std::string>& passphrase) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return openssl_error("out of memory");
  const EVP_CIPHER* cipher = passphrase ? EVP_aes_256_cbc() : nullptr;
  const auto* pass =
      passphrase ? reinterpret_cast<const unsigned char*>(passphrase->data()) : nullptr;
  const int pass_len = passphrase ? static_cast<int>(passphrase->size()) : 0;
  // const_cast: the PEM API takes a non-const kstr but only reads it.
  if (PEM_write_bio_PKCS8PrivateKey(bio.get(), key, cipher,
                                    const_cast<char*>(reinterpret_cast<const char*>(pass)),
                                    pass_len, nullptr, nullptr) != 1) {
    return openssl_error("cannot encode private key");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

Result<PKeyPtr> private_key_from_pem(std::string_view pem,
                                     const std::optional<std::string>& passphrase,
                                     std::string_view what) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return openssl_error("out of memory");
  PassphraseSource source{&passphrase};
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, passphrase_callback, &source);
  if (key == nullptr) {
    ERR_clear_error();
    if (source.asked && !passphrase) {
      return make_error(std::string(what) +
                        " is encrypted: pass its passphrase with --ca-pass-file FILE");
    }
    if (source.asked) {
      return make_error("cannot decrypt " + std::string(what) +
                        ": wrong passphrase, check the file given to --ca-pass-file");
    }
    return make_error(
        std::string(what) +
        " is not a PEM private key: restore it or re-create the CA with init --force");
  }
  return PKeyPtr(key);
}

Status check_key_strength(EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA: {
      const int bits = EVP_PKEY_get_bits(key);
      if (bits < 2048) {
        return make_error("weak key: RSA " + std::to_string(bits) +
                          " bits; generate an RSA key of at least 2048 bits or an EC P-256 key");
      }
      return ok_status();
    }
    case EVP_PKEY_EC: {
      const std::string group = ec_group_name(key);
      if (group == "prime256v1" || group == "P-256" || group == "secp384r1" || group == "P-384" ||
          group == "secp521r1" || group == "P-521") {
        return ok_status();
      }
      return make_error("unsupported EC curve '" +
                        (group.empty() ? std::string("unknown") : group) +
                        "'; use P-256, P-384 or P-521");
    }
    case EVP_PKEY_ED25519:
      return ok_status();
    default:
      return make_error("unsupported key type " + describe_key(key) +
                        "; use EC P-256, RSA >= 2048 or Ed25519");
  }
}

std::string describe_key(EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      return "RSA " + std::to_string(EVP_PKEY_get_bits(key));
    case EVP_PKEY_EC: {
      std::string group = ec_group_name(key);
      if (group == "prime256v1") group = "P-256";
      if (group == "secp384r1") group = "P-384";
      if (group == "secp521r1") group = "P-521";
      return "EC " + (group.empty() ? std::string("unknown curve") : group);
    }
    case EVP_PKEY_ED25519:
      return "Ed25519";
    default: {
      const char* name = EVP_PKEY_get0_type_name(key);
      return name != nullptr ? name : "unknown";
    }
  }
}

}  // namespace laneway::certs

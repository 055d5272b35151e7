#include "laneway/certs/crl.h"

#include <openssl/pem.h>

#include <charconv>
#include <ctime>

#include "laneway/certs/files.h"

namespace laneway::certs {
namespace {

Error openssl_error(const std::string& what) {
  const std::string detail = drain_openssl_errors();
  return make_error(what + (detail.empty() ? "" : ": " + detail));
}

Status add_revoked(X509_CRL* crl, const IndexEntry& entry) {
  X509RevokedPtr revoked(X509_REVOKED_new());
  if (!revoked) return openssl_error("out of memory");
  BIGNUM* raw = nullptr;
  if (BN_hex2bn(&raw, entry.serial_hex.c_str()) == 0) {
    return make_error("index serial '" + entry.serial_hex + "' is not hex; repair index.tsv");
  }
  BignumPtr bn(raw);
  Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  Asn1TimePtr when(ASN1_TIME_set(nullptr, static_cast<time_t>(entry.revoked_at)));
  if (!serial || !when || X509_REVOKED_set_serialNumber(revoked.get(), serial.get()) != 1 ||
      X509_REVOKED_set_revocationDate(revoked.get(), when.get()) != 1) {
    return openssl_error("cannot build a CRL entry");
  }
  // X509_CRL_add0_revoked takes ownership.
  if (X509_CRL_add0_revoked(crl, revoked.get()) != 1)
    return openssl_error("cannot add a CRL entry");
  revoked.release();
  return ok_status();
}

}  // namespace

Result<X509CrlPtr> build_crl(const CaCredentials& ca, const std::vector<IndexEntry>& index,
                             std::int64_t crl_number, int days) {
  if (days <= 0) return make_error("--crl-days must be at least 1");
  X509CrlPtr crl(X509_CRL_new());
  if (!crl) return openssl_error("out of memory");
  const time_t now = std::time(nullptr);
  Asn1TimePtr last(ASN1_TIME_set(nullptr, now));
  Asn1TimePtr next(ASN1_TIME_set(nullptr, now + static_cast<time_t>(days) * 86400));
  if (!last || !next || X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca.cert)) != 1 ||
      X509_CRL_set1_lastUpdate(crl.get(), last.get()) != 1 ||
      X509_CRL_set1_nextUpdate(crl.get(), next.get()) != 1) {
    return openssl_error("cannot fill in the CRL");
  }
  for (const auto& entry : index) {
    if (entry.status == 'R') LW_RETURN_IF_ERROR(add_revoked(crl.get(), entry));
  }
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca.cert, nullptr, nullptr, crl.get(), 0);
  X509ExtPtr aki(X509V3_EXT_conf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always"));
  Asn1IntegerPtr number(ASN1_INTEGER_new());
  if (!aki || !number || X509_CRL_add_ext(crl.get(), aki.get(), -1) != 1 ||
      ASN1_INTEGER_set_int64(number.get(), crl_number) != 1 ||
      X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, 0) != 1) {
    return openssl_error("cannot add CRL extensions");
  }
  X509_CRL_sort(crl.get());
  const int key_id = EVP_PKEY_get_base_id(ca.key);
  const EVP_MD* md =
      (key_id == EVP_PKEY_ED25519 || key_id == EVP_PKEY_ED448) ? nullptr : EVP_sha256();
  if (X509_CRL_sign(crl.get(), ca.key, md) == 0) return openssl_error("cannot sign the CRL");
  return crl;
}

Result<std::string> crl_to_pem(X509_CRL* crl) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509_CRL(bio.get(), crl) != 1)
    return openssl_error("cannot encode the CRL");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

Status publish_crl(const CaStore& ca, int days) {
  LW_ASSIGN_OR_RETURN(std::vector<IndexEntry> index, read_index(ca.index_path()));
  std::int64_t number = 0;
  std::error_code ec;
  if (std::filesystem::exists(ca.crl_number_path(), ec)) {
    LW_ASSIGN_OR_RETURN(std::string text, read_file(ca.crl_number_path(), "crlnumber file", 64));
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    const auto [ptr, err] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (err != std::errc() || ptr != text.data() + text.size() || number < 0) {
      return make_error(ca.crl_number_path().string() +
                        " is not a number: write the last CRL number into it");
    }
  }
  ++number;
  LW_ASSIGN_OR_RETURN(X509CrlPtr crl, build_crl(ca.credentials(), index, number, days));
  LW_ASSIGN_OR_RETURN(std::string pem, crl_to_pem(crl.get()));
  LW_RETURN_IF_ERROR(
      write_file_atomic(ca.crl_number_path(), std::to_string(number) + "\n", kPublicFileMode));
  return write_file_atomic(ca.crl_path(), pem, kPublicFileMode);
}

}  // namespace laneway::certs

// Helpers of the OCSP tests: a test PKI minted once per test suite, and
// certificates and files read back.
//
// Thread-safety: test-only; one thread.

#ifndef VALKEY_CONNECTION_OCSP_TEST_UTIL_H_
#define VALKEY_CONNECTION_OCSP_TEST_UTIL_H_

#include <openssl/bytestring.h>
#include <openssl/digest.h>
#include <openssl/evp.h>
#include <openssl/mem.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "testing/ocsp_pki.h"

namespace valkey::ocsp_test {

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

inline X509Ptr LoadCert(const std::string& path) {
  FILE* f = fopen(path.c_str(), "r");
  if (f == nullptr) return nullptr;
  X509* x = PEM_read_X509(f, nullptr, nullptr, nullptr);
  fclose(f);
  return X509Ptr(x);
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

// A fresh directory under $TEST_TMPDIR (or /tmp).
inline std::string MakeTempDir() {
  const char* base = getenv("TEST_TMPDIR");
  std::string pattern =
      absl::StrCat(base != nullptr ? base : "/tmp", "/ocsp.XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) return "";
  return pattern;
}

// Re-dates an OCSP response made by `openssl ocsp` (which cannot make one
// that is already expired): every GeneralizedTime in tbsResponseData
// (producedAt, thisUpdate, nextUpdate, in that order) is replaced by the
// next of `times` ("YYYYMMDDHHMMSSZ", same length), and the result is signed
// again with the ECDSA P-256 key in `key_path` (the responder's), keeping
// the certs. Empty on failure.
inline std::string Redate(const std::string& der,
                          const std::vector<std::string>& times,
                          const std::string& key_path) {
  CBS in, resp, status, wrap, bytes, type, octets, basic, tbs, alg, sig;
  CBS_init(&in, reinterpret_cast<const uint8_t*>(der.data()), der.size());
  if (!CBS_get_asn1(&in, &resp, CBS_ASN1_SEQUENCE) ||
      !CBS_get_asn1_element(&resp, &status, CBS_ASN1_ENUMERATED) ||
      !CBS_get_asn1(&resp, &wrap,
                    CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 0) ||
      !CBS_get_asn1(&wrap, &bytes, CBS_ASN1_SEQUENCE) ||
      !CBS_get_asn1_element(&bytes, &type, CBS_ASN1_OBJECT) ||
      !CBS_get_asn1(&bytes, &octets, CBS_ASN1_OCTETSTRING) ||
      !CBS_get_asn1(&octets, &basic, CBS_ASN1_SEQUENCE) ||
      !CBS_get_asn1_element(&basic, &tbs, CBS_ASN1_SEQUENCE) ||
      !CBS_get_asn1_element(&basic, &alg, CBS_ASN1_SEQUENCE) ||
      !CBS_get_asn1(&basic, &sig, CBS_ASN1_BITSTRING)) {
    return "";
  }
  std::string new_tbs(reinterpret_cast<const char*>(CBS_data(&tbs)),
                      CBS_len(&tbs));
  // GeneralizedTime: tag 0x18, length 15.
  size_t at = 0;
  for (const std::string& t : times) {
    at = new_tbs.find(std::string("\x18\x0f", 2), at);
    if (at == std::string::npos || t.size() != 15) return "";
    new_tbs.replace(at + 2, 15, t);
    at += 17;
  }
  FILE* f = fopen(key_path.c_str(), "r");
  if (f == nullptr) return "";
  EVP_PKEY* key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  fclose(f);
  if (key == nullptr) return "";
  uint8_t signature[256];
  size_t sig_len = sizeof(signature);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool signed_ok =
      EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestSign(ctx, signature, &sig_len,
                     reinterpret_cast<const uint8_t*>(new_tbs.data()),
                     new_tbs.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  if (!signed_ok) return "";
  CBB cbb, c_resp, c_wrap, c_bytes, c_octets, c_basic, c_sig;
  uint8_t* out = nullptr;
  size_t out_len = 0;
  CBB_zero(&cbb);
  if (!CBB_init(&cbb, der.size() + 16) ||
      !CBB_add_asn1(&cbb, &c_resp, CBS_ASN1_SEQUENCE) ||
      !CBB_add_bytes(&c_resp, CBS_data(&status), CBS_len(&status)) ||
      !CBB_add_asn1(&c_resp, &c_wrap,
                    CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 0) ||
      !CBB_add_asn1(&c_wrap, &c_bytes, CBS_ASN1_SEQUENCE) ||
      !CBB_add_bytes(&c_bytes, CBS_data(&type), CBS_len(&type)) ||
      !CBB_add_asn1(&c_bytes, &c_octets, CBS_ASN1_OCTETSTRING) ||
      !CBB_add_asn1(&c_octets, &c_basic, CBS_ASN1_SEQUENCE) ||
      !CBB_add_bytes(&c_basic, reinterpret_cast<const uint8_t*>(new_tbs.data()),
                     new_tbs.size()) ||
      !CBB_add_bytes(&c_basic, CBS_data(&alg), CBS_len(&alg)) ||
      !CBB_add_asn1(&c_basic, &c_sig, CBS_ASN1_BITSTRING) ||
      !CBB_add_u8(&c_sig, 0) || !CBB_add_bytes(&c_sig, signature, sig_len) ||
      !CBB_add_bytes(&c_basic, CBS_data(&basic), CBS_len(&basic)) ||
      !CBB_finish(&cbb, &out, &out_len)) {
    CBB_cleanup(&cbb);
    return "";
  }
  std::string result(reinterpret_cast<const char*>(out), out_len);
  OPENSSL_free(out);
  return result;
}

}  // namespace valkey::ocsp_test

#endif  // VALKEY_CONNECTION_OCSP_TEST_UTIL_H_

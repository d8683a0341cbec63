#include "valkey/connection/ocsp_verify.h"

#include <openssl/bn.h>
#include <openssl/bytestring.h>
#include <openssl/digest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/obj.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace {

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

absl::Status Untrusted(absl::string_view why) {
  return TlsError(absl::StrCat("OCSP response: ", why));
}

std::string Digest(const EVP_MD* md, const uint8_t* data, size_t len) {
  uint8_t out[EVP_MAX_MD_SIZE];
  unsigned out_len = 0;
  if (EVP_Digest(data, len, out, &out_len, md, nullptr) != 1) return "";
  return std::string(reinterpret_cast<const char*>(out), out_len);
}

// DER of `name`; empty on failure.
std::string NameDer(X509_NAME* name) {
  uint8_t* der = nullptr;
  const int len = i2d_X509_NAME(name, &der);
  if (len <= 0) return "";
  std::string out(reinterpret_cast<const char*>(der), len);
  OPENSSL_free(der);
  return out;
}

std::string KeyHash(const EVP_MD* md, X509* cert) {
  const ASN1_BIT_STRING* bits = X509_get0_pubkey_bitstr(cert);
  if (bits == nullptr) return "";
  return Digest(md, ASN1_STRING_get0_data(bits), ASN1_STRING_length(bits));
}

std::string SerialDer(X509* cert) {
  uint8_t* der = nullptr;
  const int len = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), &der);
  if (len <= 0) return "";
  std::string out(reinterpret_cast<const char*>(der), len);
  OPENSSL_free(der);
  return out;
}

bool CertIdMatches(const OcspCertId& id, X509* leaf, X509* issuer) {
  const EVP_MD* md = EVP_get_digestbynid(id.hash_nid);
  if (md == nullptr) return false;
  const std::string name = NameDer(X509_get_subject_name(issuer));
  if (name.empty()) return false;
  return id.serial_der == SerialDer(leaf) &&
         id.issuer_name_hash ==
             Digest(md, reinterpret_cast<const uint8_t*>(name.data()),
                    name.size()) &&
         id.issuer_key_hash == KeyHash(md, issuer);
}

bool MatchesResponderId(const OcspResponse& r, X509* cert) {
  if (!r.responder_name_der.empty()) {
    return r.responder_name_der == NameDer(X509_get_subject_name(cert));
  }
  return r.responder_key_hash == KeyHash(EVP_sha1(), cert);
}

absl::Status CheckSignature(const OcspResponse& r, X509* signer) {
  CBS oid;
  CBS_init(&oid,
           reinterpret_cast<const uint8_t*>(r.signature_algorithm_oid.data()),
           r.signature_algorithm_oid.size());
  const int sig_nid = OBJ_cbs2nid(&oid);
  int digest_nid = NID_undef, pkey_nid = NID_undef;
  if (sig_nid == NID_undef || sig_nid == NID_rsassaPss ||
      !OBJ_find_sigid_algs(sig_nid, &digest_nid, &pkey_nid)) {
    return Untrusted("unsupported signature algorithm");
  }
  const EVP_MD* md = nullptr;
  if (digest_nid != NID_undef) {
    md = EVP_get_digestbynid(digest_nid);
    if (md == nullptr) return Untrusted("unsupported signature digest");
  }
  std::unique_ptr<EVP_PKEY, PkeyDeleter> key(X509_get_pubkey(signer));
  if (key == nullptr || EVP_PKEY_id(key.get()) != pkey_nid) {
    return Untrusted("the signer's key does not fit the signature algorithm");
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  const bool ok =
      ctx != nullptr &&
      EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key.get()) == 1 &&
      EVP_DigestVerify(
          ctx.get(), reinterpret_cast<const uint8_t*>(r.signature.data()),
          r.signature.size(),
          reinterpret_cast<const uint8_t*>(r.tbs_response_data.data()),
          r.tbs_response_data.size()) == 1;
  ERR_clear_error();
  if (!ok) return Untrusted("signature does not verify");
  return absl::OkStatus();
}

// A responder certificate from the response that `issuer` authorised.
absl::Status CheckDelegate(X509* delegate, X509* issuer, absl::Time now) {
  std::unique_ptr<EVP_PKEY, PkeyDeleter> issuer_key(X509_get_pubkey(issuer));
  if (issuer_key == nullptr ||
      X509_check_issued(issuer, delegate) != X509_V_OK ||
      X509_verify(delegate, issuer_key.get()) != 1) {
    ERR_clear_error();
    return Untrusted(
        "signed by a responder certificate the server certificate's issuer "
        "did not issue (wrong signer)");
  }
  // X509_get_extended_key_usage() answers "everything" for a certificate
  // without the extension: require the extension itself.
  if ((X509_get_extension_flags(delegate) & EXFLAG_XKUSAGE) == 0 ||
      (X509_get_extended_key_usage(delegate) & XKU_OCSP_SIGN) == 0) {
    return Untrusted(
        "signed by a responder certificate without the OCSPSigning extended "
        "key usage (wrong signer)");
  }
  // The same clock skew as for the response's own times.
  time_t late = absl::ToTimeT(now + kOcspClockSkew);
  time_t early = absl::ToTimeT(now - kOcspClockSkew);
  if (X509_cmp_time(X509_get0_notBefore(delegate), &late) >= 0 ||
      X509_cmp_time(X509_get0_notAfter(delegate), &early) <= 0) {
    return Untrusted(
        "the responder certificate is not valid now (wrong signer)");
  }
  return absl::OkStatus();
}

absl::Status CheckSigner(const OcspResponse& r, X509* issuer, absl::Time now) {
  if (MatchesResponderId(r, issuer)) return CheckSignature(r, issuer);
  for (const std::string& der : r.certs) {
    const uint8_t* p = reinterpret_cast<const uint8_t*>(der.data());
    X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    if (cert == nullptr) {
      ERR_clear_error();
      return Untrusted("a certificate in certs does not parse");
    }
    if (!MatchesResponderId(r, cert.get())) continue;
    if (absl::Status s = CheckDelegate(cert.get(), issuer, now); !s.ok()) {
      return s;
    }
    return CheckSignature(r, cert.get());
  }
  return Untrusted(
      "signed by neither the server certificate's issuer nor a responder "
      "certificate it authorised (wrong signer)");
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

}  // namespace

std::string SerialHex(X509* cert) {
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  if (bn == nullptr) return "?";
  char* hex = BN_bn2hex(bn);
  BN_free(bn);
  if (hex == nullptr) return "?";
  std::string out(hex);
  OPENSSL_free(hex);
  return out;
}

absl::StatusOr<OcspSingleResponse> VerifyOcspResponse(absl::string_view der,
                                                      X509* leaf, X509* issuer,
                                                      absl::Time now) {
  absl::StatusOr<OcspResponse> r = ParseOcspResponse(der);
  if (!r.ok()) return r.status();
  const OcspSingleResponse* mine = nullptr;
  for (const OcspSingleResponse& single : r->responses) {
    if (CertIdMatches(single.cert_id, leaf, issuer)) {
      mine = &single;
      break;
    }
  }
  if (mine == nullptr) {
    return Untrusted(absl::StrCat("not about the server certificate (serial ",
                                  SerialHex(leaf), ")"));
  }
  if (mine->this_update > now + kOcspClockSkew) {
    return Untrusted(absl::StrCat("thisUpdate ", Rfc3339(mine->this_update),
                                  " is in the future"));
  }
  if (mine->next_update.has_value()) {
    if (*mine->next_update <= now - kOcspClockSkew) {
      return Untrusted(absl::StrCat(
          "expired: nextUpdate ", Rfc3339(*mine->next_update), " has passed"));
    }
  } else if (mine->this_update + kOcspMaxAgeWithoutNextUpdate <= now) {
    return Untrusted(absl::StrCat("expired: thisUpdate ",
                                  Rfc3339(mine->this_update),
                                  " is over an hour old and no nextUpdate"));
  }
  // Last, so that a stale or misdirected response says so rather than
  // "wrong signer"; every check must pass anyway.
  if (absl::Status s = CheckSigner(*r, issuer, now); !s.ok()) return s;
  return *mine;
}

}  // namespace valkey

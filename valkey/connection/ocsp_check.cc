#include "valkey/connection/ocsp_check.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "valkey/common/errors.h"
#include "valkey/connection/ocsp_responder.h"
#include "valkey/connection/ocsp_response.h"
#include "valkey/connection/ocsp_verify.h"

namespace valkey {
namespace {

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
struct StoreCtxDeleter {
  void operator()(X509_STORE_CTX* c) const { X509_STORE_CTX_free(c); }
};

// The leaf's issuer from the verified chain (the issuer is often a trusted
// CA the server does not send, so the peer's chain alone is not enough).
// The handshake already verified this chain; this rebuilds it.
absl::StatusOr<X509*> FindIssuer(SSL* ssl, X509* leaf) {
  std::unique_ptr<X509_STORE_CTX, StoreCtxDeleter> ctx(X509_STORE_CTX_new());
  if (ctx == nullptr ||
      X509_STORE_CTX_init(ctx.get(),
                          SSL_CTX_get_cert_store(SSL_get_SSL_CTX(ssl)), leaf,
                          SSL_get_peer_cert_chain(ssl)) != 1 ||
      X509_verify_cert(ctx.get()) != 1) {
    ERR_clear_error();
    return TlsError("cannot rebuild the server's certificate chain");
  }
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
  const size_t n = chain == nullptr ? 0 : sk_X509_num(chain);
  X509* issuer = n >= 2 ? sk_X509_value(chain, 1) : leaf;
  X509_up_ref(issuer);  // Outlives ctx.
  return issuer;
}

// The verified response about the server certificate, from the staple or
// the responder.
absl::StatusOr<OcspSingleResponse> Ask(SSL* ssl, const TlsOptions& options,
                                       X509* leaf, X509* issuer) {
  const uint8_t* staple = nullptr;
  size_t staple_len = 0;
  SSL_get0_ocsp_response(ssl, &staple, &staple_len);
  if (staple_len > 0) {
    return VerifyOcspResponse(
        absl::string_view(reinterpret_cast<const char*>(staple), staple_len),
        leaf, issuer, absl::Now());
  }
  if (options.ocsp == TlsOptions::Ocsp::kStapled) {
    return TlsError("the server stapled no OCSP response");
  }
  absl::StatusOr<std::string> url = OcspResponderUrl(leaf);
  if (!url.ok()) return url.status();
  absl::StatusOr<std::string> request = BuildOcspRequest(leaf, issuer);
  if (!request.ok()) return request.status();
  absl::StatusOr<std::string> der = FetchOcspResponse(
      *url, *request, absl::Now() + options.ocsp_responder_timeout);
  if (!der.ok()) return der.status();
  return VerifyOcspResponse(*der, leaf, issuer, absl::Now());
}

}  // namespace

bool OcspNeedsResponderQuery(SSL* ssl, const TlsOptions& options) {
  if (options.ocsp != TlsOptions::Ocsp::kResponder) return false;
  const uint8_t* staple = nullptr;
  size_t staple_len = 0;
  SSL_get0_ocsp_response(ssl, &staple, &staple_len);
  return staple_len == 0;
}

absl::Status CheckOcsp(SSL* ssl, const TlsOptions& options,
                       X509* verified_issuer, absl::string_view peer) {
  if (options.ocsp == TlsOptions::Ocsp::kOff) return absl::OkStatus();
  const std::string where =
      absl::StrCat("TLS handshake with ", peer, ": OCSP: ");
  std::unique_ptr<X509, X509Deleter> leaf(SSL_get_peer_certificate(ssl));
  absl::Status failure;
  if (leaf == nullptr) {
    failure = TlsError("the server sent no certificate");
  } else {
    absl::StatusOr<X509*> issuer = verified_issuer;
    if (verified_issuer != nullptr) {
      X509_up_ref(verified_issuer);
    } else {
      issuer = FindIssuer(ssl, leaf.get());
    }
    if (!issuer.ok()) {
      failure = issuer.status();
    } else {
      std::unique_ptr<X509, X509Deleter> issuer_ref(*issuer);
      absl::StatusOr<OcspSingleResponse> r =
          Ask(ssl, options, leaf.get(), issuer_ref.get());
      if (!r.ok()) {
        failure = r.status();
      } else if (r->status == OcspCertStatus::kGood) {
        return absl::OkStatus();
      } else if (r->status == OcspCertStatus::kRevoked) {
        // Never allowed, fail-open or not: the status is known.
        return TlsError(absl::StrCat(
            where, "server certificate serial ", SerialHex(leaf.get()),
            " is revoked (since ",
            absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", r->revocation_time,
                             absl::UTCTimeZone()),
            ")"));
      } else {
        failure = TlsError(absl::StrCat("server certificate serial ",
                                        SerialHex(leaf.get()),
                                        " has status unknown"));
      }
    }
  }
  if (options.ocsp_fail_open) {
    std::fprintf(stderr, "valkey: %s%s (allowed: ocsp_fail_open)\n",
                 where.c_str(), std::string(failure.message()).c_str());
    return absl::OkStatus();
  }
  return TlsError(absl::StrCat(where, failure.message(), " (fail-closed)"));
}

}  // namespace valkey

// Checks an OCSP response (RFC 6960) about a server certificate: who signed
// it, which certificate it is about, and whether it is current.
//
//   absl::StatusOr<OcspSingleResponse> r =
//       VerifyOcspResponse(der, leaf, issuer, absl::Now());
//   if (r.ok() && r->status == OcspCertStatus::kRevoked) ...
//
// The response is trusted only when
//   - its signature verifies with the key of the leaf's issuer, or of a
//     delegated responder certificate sent with the response that the issuer
//     signed, that carries the id-kp-OCSPSigning extended key usage and is
//     within its validity period; the signer must match the responderID;
//   - one of its SingleResponses has a CertID (SHA-1, SHA-256, ... hashes)
//     matching the leaf's serial number and its issuer's name and key;
//   - thisUpdate <= now + kOcspClockSkew and now - kOcspClockSkew <
//     nextUpdate; without a nextUpdate, thisUpdate must be at most
//     kOcspMaxAgeWithoutNextUpdate old.
// RSA (PKCS #1 v1.5), ECDSA and Ed25519 signatures are accepted; RSA-PSS is
// not (it fails as an unsupported algorithm).
//
// Thread-safety: a pure function of its arguments.

#ifndef VALKEY_CONNECTION_OCSP_VERIFY_H_
#define VALKEY_CONNECTION_OCSP_VERIFY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "valkey/connection/ocsp_response.h"

typedef struct x509_st X509;

namespace valkey {

inline constexpr absl::Duration kOcspClockSkew = absl::Minutes(5);
inline constexpr absl::Duration kOcspMaxAgeWithoutNextUpdate = absl::Hours(1);

// Returns the SingleResponse about `leaf` (status good, revoked or unknown)
// once every check above passed. `issuer` issued `leaf` (it may be `leaf`
// itself for a self-signed certificate).
// Errors: UNAVAILABLE (kTls) naming the failed check ("OCSP response:
// signature does not verify", "... is not about the server certificate",
// "... expired: nextUpdate ..."), or the parser's DATA_LOSS (kProtocol)
// for malformed DER.
absl::StatusOr<OcspSingleResponse> VerifyOcspResponse(absl::string_view der,
                                                      X509* leaf, X509* issuer,
                                                      absl::Time now);

// The leaf's serial number as upper-case hex ("1A2B"), for messages.
std::string SerialHex(X509* cert);

}  // namespace valkey

#endif  // VALKEY_CONNECTION_OCSP_VERIFY_H_

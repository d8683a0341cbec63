// OCSP responses (RFC 6960) read from DER with BoringSSL's CBS API, which
// has no OCSP parser of its own.
//
//   absl::StatusOr<OcspResponse> r = ParseOcspResponse(der);
//   // r->responses[i].status, r->tbs_response_data, r->signature, ...
//
// Parsing is total: any input — truncated, trailing bytes, wrong tags, a
// non-"successful" responseStatus, bad times — gives an error status, never
// a crash. It only reads the structure; checking the signature, the signer,
// the certificate id and the times is ocsp_verify.h's job.
//
// Thread-safety: a pure function.

#ifndef VALKEY_CONNECTION_OCSP_RESPONSE_H_
#define VALKEY_CONNECTION_OCSP_RESPONSE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace valkey {

// CertID: which certificate a SingleResponse is about.
struct OcspCertId {
  int hash_nid = 0;              // NID of hashAlgorithm (SHA-1, SHA-256...).
  std::string issuer_name_hash;  // Hash of the issuer's DER subject name.
  std::string issuer_key_hash;   // Hash of the issuer's public key bits.
  std::string serial_der;        // The serialNumber INTEGER, DER (tag too).
};

enum class OcspCertStatus { kGood, kRevoked, kUnknown };

struct OcspSingleResponse {
  OcspCertId cert_id;
  OcspCertStatus status = OcspCertStatus::kUnknown;
  absl::Time revocation_time = absl::InfinitePast();  // kRevoked only.
  absl::Time this_update = absl::InfinitePast();
  std::optional<absl::Time> next_update;
};

struct OcspResponse {
  // The signed bytes: the whole DER ResponseData element.
  std::string tbs_response_data;
  // ResponderID: exactly one of the two is set.
  std::string responder_name_der;  // byName: the DER Name.
  std::string responder_key_hash;  // byKey: SHA-1 of the key bits.
  absl::Time produced_at = absl::InfinitePast();
  std::vector<OcspSingleResponse> responses;
  // signatureAlgorithm's OID as DER contents, and the signature bits.
  std::string signature_algorithm_oid;
  std::string signature;
  std::vector<std::string> certs;  // DER certificates sent with it.
};

// Parses an OCSPResponse whose responseStatus is successful(0) and whose
// responseBytes hold an id-pkix-ocsp-basic response.
// Errors: DATA_LOSS (kProtocol) naming the part that is malformed ("OCSP
// response: responses: SingleResponse 1: bad thisUpdate"), or naming the
// responseStatus when it is not successful ("tryLater", ...).
absl::StatusOr<OcspResponse> ParseOcspResponse(absl::string_view der);

// Parses DER GeneralizedTime contents as RFC 5280 requires them
// ("YYYYMMDDHHMMSSZ"); nullopt for anything else.
std::optional<absl::Time> ParseGeneralizedTime(absl::string_view text);

}  // namespace valkey

#endif  // VALKEY_CONNECTION_OCSP_RESPONSE_H_

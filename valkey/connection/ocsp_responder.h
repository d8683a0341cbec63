// Asking a certificate's OCSP responder (RFC 6960 over HTTP, RFC 5019
// style): the responder's URL from the certificate's Authority Information
// Access extension, the request DER, and one HTTP/1.0 POST with a deadline.
//
//   absl::StatusOr<std::string> url = OcspResponderUrl(leaf);
//   absl::StatusOr<std::string> request = BuildOcspRequest(leaf, issuer);
//   absl::StatusOr<std::string> response_der =
//       FetchOcspResponse(*url, *request, absl::Now() + absl::Seconds(2));
//
// The response is not checked here: hand it to VerifyOcspResponse.
//
// Thread-safety: thread-safe; FetchOcspResponse blocks the calling thread
// until the deadline at most.

#ifndef VALKEY_CONNECTION_OCSP_RESPONDER_H_
#define VALKEY_CONNECTION_OCSP_RESPONDER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

typedef struct x509_st X509;

namespace valkey {

// The first http:// OCSP URL of `cert`'s AIA extension.
// Errors: NOT_FOUND when the certificate names no http OCSP
// responder.
absl::StatusOr<std::string> OcspResponderUrl(X509* cert);

// An OCSPRequest for `leaf` with a SHA-1 CertID (the hash every responder
// understands), unsigned, without nonce. Errors: INTERNAL (kTls).
absl::StatusOr<std::string> BuildOcspRequest(X509* leaf, X509* issuer);

// POSTs `request_der` to `url` ("http://host[:port][/path]", IPv6 hosts in
// brackets) and returns the body of a 200 reply (at most 1 MiB). The host
// is looked up with the connections' bounded name lookup.
// Errors: DEADLINE_EXCEEDED (kTimeout) when the responder does not answer
// by `deadline`; UNAVAILABLE (kConnection) when it cannot be reached or
// hangs up early; UNAVAILABLE (kTls) for a non-200 status or a reply that
// is not HTTP; INVALID_ARGUMENT for a URL that is not http://.
absl::StatusOr<std::string> FetchOcspResponse(absl::string_view url,
                                              absl::string_view request_der,
                                              absl::Time deadline);

}  // namespace valkey

#endif  // VALKEY_CONNECTION_OCSP_RESPONDER_H_

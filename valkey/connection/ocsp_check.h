// The revocation check of a TLS connection's server certificate, as
// TlsOptions::ocsp asks (off, stapled, responder): one policy for the
// blocking and the async clients, run by TlsSession when the handshake
// completes.
//
//   off        nothing is checked.
//   stapled    the response the server stapled to the handshake is verified
//              (ocsp_verify.h); no staple is a failure.
//   responder  a stapled response is verified when there is one; otherwise
//              the responder named in the certificate's AIA extension is
//              asked over HTTP (ocsp_responder.h), within
//              ocsp_responder_timeout.
//
// Outcomes: "good" passes. "revoked" always fails. Anything else — no
// staple, no responder URL, responder unreachable or too slow, status
// "unknown", a response that does not parse, is expired or is signed by the
// wrong key — fails when ocsp_fail_open is false, and is written to stderr
// and allowed when it is true.
//
// Thread-safety: thread-safe for distinct SSL objects.

#ifndef VALKEY_CONNECTION_OCSP_CHECK_H_
#define VALKEY_CONNECTION_OCSP_CHECK_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "valkey/common/options.h"

typedef struct ssl_st SSL;
typedef struct x509_st X509;

namespace valkey {

// Checks the server certificate of the established connection `ssl`.
// `verified_issuer` is the leaf's issuer from the chain the handshake
// verified (it may be the leaf itself when that is trusted directly); when
// null, the chain is built and verified again to find it. `peer` names the
// connection in messages.
// Errors: UNAVAILABLE (kTls): "TLS handshake with <peer>: OCSP: server
// certificate serial <hex> is revoked (since <time>)", or "...: OCSP:
// <reason> (fail-closed)" for a check that could not establish the status.
absl::Status CheckOcsp(SSL* ssl, const TlsOptions& options,
                       X509* verified_issuer, absl::string_view peer);

// True when CheckOcsp(ssl, options, ...) would ask the responder over the
// network: responder mode and no stapled response.
bool OcspNeedsResponderQuery(SSL* ssl, const TlsOptions& options);

}  // namespace valkey

#endif  // VALKEY_CONNECTION_OCSP_CHECK_H_

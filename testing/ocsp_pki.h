// OcspPki: a throw-away PKI for OCSP tests, minted with the `openssl`
// command line tool, and OCSP responses made by `openssl ocsp`.
//
//   absl::StatusOr<OcspPki> pki = OcspPki::Mint(dir, responder_port);
//   // pki->good_cert, revoked_cert, unknown_cert: server certificates
//   // (SAN localhost, 127.0.0.1) whose AIA names the OCSP responder
//   // http://127.0.0.1:<responder_port>; the index lists good as valid and
//   // revoked as revoked, and does not know unknown.
//   pki->MakeResponse(pki->good_cert, pki->ocsp_cert, pki->ocsp_key,
//                     /*valid_minutes=*/60, dir + "/good.der");
//
// Signers: ca (issues everything but sub_good, which the intermediate
// sub_ca issues), ocsp (a delegated responder certificate
// the CA issued with the OCSPSigning extended key usage), rogue (issued by
// the CA, without that usage: a wrong signer), other_ca (an unrelated CA:
// also a wrong signer). Keys are ECDSA P-256; certificates are valid from
// now for two days.
//
// Thread-safety: Mint() may run concurrently for different directories.

#ifndef VALKEY_TESTING_OCSP_PKI_H_
#define VALKEY_TESTING_OCSP_PKI_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace valkey::testing {

struct OcspPki {
  // Writes the PKI into `dir` (which must exist). FAILED_PRECONDITION when
  // openssl is missing; INTERNAL (with the tool's output) when a step fails.
  static absl::StatusOr<OcspPki> Mint(const std::string& dir,
                                      int responder_port);

  // Runs `openssl ocsp` over the index and writes the DER response about
  // `cert`, signed by `signer_cert`/`signer_key`, with nextUpdate
  // `valid_minutes` after thisUpdate, to `out`; the CertID hashes with
  // `digest` ("sha1", "sha256"). `issuer` is the CA that issued `cert`
  // (default: ca_cert).
  absl::Status MakeResponse(const std::string& cert,
                            const std::string& signer_cert,
                            const std::string& signer_key, int valid_minutes,
                            const std::string& out,
                            const std::string& digest = "sha1",
                            const std::string& issuer = "") const;

  // argv of `openssl ocsp` serving the index on `responder_port` (all
  // interfaces: `openssl ocsp -port` takes no address), signed by the given
  // signer, responses valid for a day.
  std::vector<std::string> ResponderArgv(const std::string& signer_cert,
                                         const std::string& signer_key) const;

  std::string openssl;  // The binary used.
  std::string dir;
  int responder_port = 0;
  std::string index;  // index.txt, as `openssl ca` writes it.

  std::string ca_cert, ca_key;        // PEM paths.
  std::string ocsp_cert, ocsp_key;    // Delegated responder (OCSPSigning).
  std::string rogue_cert, rogue_key;  // Issued by ca, no OCSPSigning.
  std::string other_ca_cert, other_ca_key;
  std::string good_cert, good_key;          // Valid in the index.
  std::string revoked_cert, revoked_key;    // Revoked in the index.
  std::string unknown_cert, unknown_key;    // Not in the index.
  std::string no_aia_cert, no_aia_key;      // Valid, but names no responder.
  std::string sub_ca_cert, sub_ca_key;      // Intermediate CA issued by ca.
  std::string sub_good_cert, sub_good_key;  // Issued by sub_ca; valid.
};

}  // namespace valkey::testing

#endif  // VALKEY_TESTING_OCSP_PKI_H_

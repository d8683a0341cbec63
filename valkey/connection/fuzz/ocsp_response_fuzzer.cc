// Fuzz target for ParseOcspResponse() (valkey/connection/ocsp_response.h),
// which reads OCSP responses a TLS server staples or a responder returns:
// bytes from the network.
//
// Input: the DER, as is.
//
// Checked, beyond "no crash, no sanitizer report":
//   - every error is DATA_LOSS with kind kProtocol and says "OCSP response";
//   - a parsed response has at least one SingleResponse, exactly one kind of
//     responderID, non-empty signed bytes that are a prefix-free DER element
//     inside the input, and a revocation time only on revoked entries;
//   - parsing is deterministic (the same input parses the same way again),
//     and the input with one byte more never parses (trailing data).

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "valkey/common/errors.h"
#include "valkey/common/fuzz/fuzz_check.h"
#include "valkey/connection/ocsp_response.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using valkey::OcspCertStatus;
  using valkey::OcspResponse;
  using valkey::OcspSingleResponse;
  const absl::string_view der(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<OcspResponse> r = valkey::ParseOcspResponse(der);
  absl::StatusOr<OcspResponse> again = valkey::ParseOcspResponse(der);
  FUZZ_CHECK(r.ok() == again.ok(), "parsing is not deterministic");
  if (!r.ok()) {
    FUZZ_CHECK(r.status().code() == absl::StatusCode::kDataLoss,
               "error is not DATA_LOSS");
    FUZZ_CHECK(valkey::GetErrorKind(r.status()) == valkey::ErrorKind::kProtocol,
               "error kind is not kProtocol");
    FUZZ_CHECK(absl::StrContains(r.status().message(), "OCSP response"),
               "error does not say what was parsed");
    FUZZ_CHECK(r.status() == again.status(), "error is not deterministic");
    return 0;
  }
  FUZZ_CHECK(!r->responses.empty(), "no SingleResponse");
  FUZZ_CHECK(r->responder_name_der.empty() != r->responder_key_hash.empty(),
             "not exactly one responderID");
  FUZZ_CHECK(!r->tbs_response_data.empty() &&
                 absl::StrContains(der, r->tbs_response_data),
             "signed bytes are not part of the input");
  FUZZ_CHECK(!r->signature_algorithm_oid.empty(), "no signature algorithm");
  FUZZ_CHECK(r->responses.size() == again->responses.size(),
             "responses differ between parses");
  for (const OcspSingleResponse& single : r->responses) {
    FUZZ_CHECK(single.cert_id.hash_nid != 0, "CertID without a hash");
    FUZZ_CHECK(!single.cert_id.serial_der.empty(), "CertID without serial");
    if (single.status != OcspCertStatus::kRevoked) {
      FUZZ_CHECK(single.revocation_time == absl::InfinitePast(),
                 "revocation time on a non-revoked entry");
    }
  }
  const std::string longer = std::string(der) + '\0';
  FUZZ_CHECK(!valkey::ParseOcspResponse(longer).ok(), "trailing data accepted");
  return 0;
}

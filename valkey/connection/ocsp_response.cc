#include "valkey/connection/ocsp_response.h"

#include <openssl/bytestring.h>
#include <openssl/digest.h>
#include <openssl/nid.h>
#include <openssl/obj.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace {

constexpr unsigned kExplicit0 =
    CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 0;
constexpr unsigned kExplicit1 =
    CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 1;
constexpr unsigned kExplicit2 =
    CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 2;

// id-pkix-ocsp-basic, 1.3.6.1.5.5.7.48.1.1.
constexpr uint8_t kOcspBasicOid[] = {0x2b, 0x06, 0x01, 0x05, 0x05,
                                     0x07, 0x30, 0x01, 0x01};

absl::Status Malformed(absl::string_view where) {
  return ProtocolError(absl::StrCat("OCSP response: malformed ", where));
}

std::string Bytes(const CBS& cbs) {
  return std::string(reinterpret_cast<const char*>(CBS_data(&cbs)),
                     CBS_len(&cbs));
}

absl::string_view ResponseStatusName(uint64_t status) {
  switch (status) {
    case 1:
      return "malformedRequest";
    case 2:
      return "internalError";
    case 3:
      return "tryLater";
    case 5:
      return "sigRequired";
    case 6:
      return "unauthorized";
    default:
      return "unknown responseStatus";
  }
}

// Reads a GeneralizedTime element.
bool GetTime(CBS* cbs, absl::Time* out) {
  CBS t;
  if (!CBS_get_asn1(cbs, &t, CBS_ASN1_GENERALIZEDTIME)) return false;
  std::optional<absl::Time> parsed = ParseGeneralizedTime(absl::string_view(
      reinterpret_cast<const char*>(CBS_data(&t)), CBS_len(&t)));
  if (!parsed.has_value()) return false;
  *out = *parsed;
  return true;
}

absl::Status ParseCertId(CBS* in, OcspCertId* out) {
  CBS cert_id, hash_alg, name_hash, key_hash, serial;
  if (!CBS_get_asn1(in, &cert_id, CBS_ASN1_SEQUENCE)) {
    return Malformed("CertID");
  }
  if (!CBS_get_asn1_element(&cert_id, &hash_alg, CBS_ASN1_SEQUENCE)) {
    return Malformed("CertID hashAlgorithm");
  }
  const EVP_MD* md = EVP_parse_digest_algorithm(&hash_alg);
  if (md == nullptr || CBS_len(&hash_alg) != 0) {
    return Malformed("CertID hashAlgorithm (unknown digest)");
  }
  out->hash_nid = EVP_MD_type(md);
  if (!CBS_get_asn1(&cert_id, &name_hash, CBS_ASN1_OCTETSTRING) ||
      !CBS_get_asn1(&cert_id, &key_hash, CBS_ASN1_OCTETSTRING) ||
      !CBS_get_asn1_element(&cert_id, &serial, CBS_ASN1_INTEGER) ||
      CBS_len(&cert_id) != 0) {
    return Malformed("CertID");
  }
  out->issuer_name_hash = Bytes(name_hash);
  out->issuer_key_hash = Bytes(key_hash);
  out->serial_der = Bytes(serial);
  return absl::OkStatus();
}

absl::Status ParseSingleResponse(CBS* in, size_t index,
                                 OcspSingleResponse* out) {
  const std::string where = absl::StrCat("SingleResponse ", index);
  CBS single;
  if (!CBS_get_asn1(in, &single, CBS_ASN1_SEQUENCE)) return Malformed(where);
  if (absl::Status s = ParseCertId(&single, &out->cert_id); !s.ok()) {
    return Malformed(absl::StrCat(where, " certID"));
  }
  CBS status;
  unsigned tag = 0;
  if (!CBS_get_any_asn1(&single, &status, &tag)) {
    return Malformed(absl::StrCat(where, " certStatus"));
  }
  if (tag == (CBS_ASN1_CONTEXT_SPECIFIC | 0) && CBS_len(&status) == 0) {
    out->status = OcspCertStatus::kGood;
  } else if (tag == (CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 1)) {
    out->status = OcspCertStatus::kRevoked;
    if (!GetTime(&status, &out->revocation_time)) {
      return Malformed(absl::StrCat(where, " revocationTime"));
    }
    // revocationReason [0] EXPLICIT CRLReason OPTIONAL: not needed.
    if (!CBS_get_optional_asn1(&status, nullptr, nullptr, kExplicit0) ||
        CBS_len(&status) != 0) {
      return Malformed(absl::StrCat(where, " RevokedInfo"));
    }
  } else if (tag == (CBS_ASN1_CONTEXT_SPECIFIC | 2) && CBS_len(&status) == 0) {
    out->status = OcspCertStatus::kUnknown;
  } else {
    return Malformed(absl::StrCat(where, " certStatus"));
  }
  if (!GetTime(&single, &out->this_update)) {
    return Malformed(absl::StrCat(where, " thisUpdate"));
  }
  CBS next;
  int has_next = 0;
  if (!CBS_get_optional_asn1(&single, &next, &has_next, kExplicit0)) {
    return Malformed(absl::StrCat(where, " nextUpdate"));
  }
  if (has_next) {
    absl::Time t;
    if (!GetTime(&next, &t) || CBS_len(&next) != 0) {
      return Malformed(absl::StrCat(where, " nextUpdate"));
    }
    out->next_update = t;
  }
  // singleExtensions [1] EXPLICIT OPTIONAL: none is critical for us.
  if (!CBS_get_optional_asn1(&single, nullptr, nullptr, kExplicit1) ||
      CBS_len(&single) != 0) {
    return Malformed(absl::StrCat(where, " (trailing data)"));
  }
  return absl::OkStatus();
}

absl::Status ParseResponseData(CBS* in, OcspResponse* out) {
  CBS element;
  if (!CBS_get_asn1_element(in, &element, CBS_ASN1_SEQUENCE)) {
    return Malformed("tbsResponseData");
  }
  out->tbs_response_data = Bytes(element);
  CBS data;
  if (!CBS_get_asn1(&element, &data, CBS_ASN1_SEQUENCE)) {
    return Malformed("tbsResponseData");
  }
  CBS version;
  int has_version = 0;
  if (!CBS_get_optional_asn1(&data, &version, &has_version, kExplicit0)) {
    return Malformed("version");
  }
  if (has_version) {
    uint64_t v = 0;
    if (!CBS_get_asn1_uint64(&version, &v) || v != 0 ||
        CBS_len(&version) != 0) {
      return Malformed("version (only v1 is defined)");
    }
  }
  CBS responder;
  unsigned tag = 0;
  if (!CBS_get_any_asn1(&data, &responder, &tag)) {
    return Malformed("responderID");
  }
  if (tag == kExplicit1) {
    CBS name;
    if (!CBS_get_asn1_element(&responder, &name, CBS_ASN1_SEQUENCE) ||
        CBS_len(&responder) != 0) {
      return Malformed("responderID byName");
    }
    out->responder_name_der = Bytes(name);
  } else if (tag == kExplicit2) {
    CBS hash;
    if (!CBS_get_asn1(&responder, &hash, CBS_ASN1_OCTETSTRING) ||
        CBS_len(&responder) != 0 || CBS_len(&hash) == 0) {
      return Malformed("responderID byKey");
    }
    out->responder_key_hash = Bytes(hash);
  } else {
    return Malformed("responderID");
  }
  if (!GetTime(&data, &out->produced_at)) return Malformed("producedAt");
  CBS responses;
  if (!CBS_get_asn1(&data, &responses, CBS_ASN1_SEQUENCE)) {
    return Malformed("responses");
  }
  while (CBS_len(&responses) > 0) {
    OcspSingleResponse single;
    if (absl::Status s =
            ParseSingleResponse(&responses, out->responses.size(), &single);
        !s.ok()) {
      return s;
    }
    out->responses.push_back(std::move(single));
  }
  if (out->responses.empty()) return Malformed("responses (empty)");
  if (!CBS_get_optional_asn1(&data, nullptr, nullptr, kExplicit1) ||
      CBS_len(&data) != 0) {
    return Malformed("tbsResponseData (trailing data)");
  }
  return absl::OkStatus();
}

absl::Status ParseBasicResponse(CBS* in, OcspResponse* out) {
  CBS basic;
  if (!CBS_get_asn1(in, &basic, CBS_ASN1_SEQUENCE) || CBS_len(in) != 0) {
    return Malformed("BasicOCSPResponse");
  }
  if (absl::Status s = ParseResponseData(&basic, out); !s.ok()) return s;
  CBS alg, oid, signature;
  if (!CBS_get_asn1(&basic, &alg, CBS_ASN1_SEQUENCE) ||
      !CBS_get_asn1(&alg, &oid, CBS_ASN1_OBJECT) || CBS_len(&oid) == 0) {
    return Malformed("signatureAlgorithm");
  }
  // Parameters (NULL for RSA, absent for ECDSA) are not looked at: PSS,
  // the only algorithm that needs them, is not accepted.
  out->signature_algorithm_oid = Bytes(oid);
  uint8_t unused_bits = 0;
  if (!CBS_get_asn1(&basic, &signature, CBS_ASN1_BITSTRING) ||
      !CBS_get_u8(&signature, &unused_bits) || unused_bits != 0) {
    return Malformed("signature");
  }
  out->signature = Bytes(signature);
  CBS certs_wrapper;
  int has_certs = 0;
  if (!CBS_get_optional_asn1(&basic, &certs_wrapper, &has_certs, kExplicit0)) {
    return Malformed("certs");
  }
  if (has_certs) {
    CBS certs;
    if (!CBS_get_asn1(&certs_wrapper, &certs, CBS_ASN1_SEQUENCE) ||
        CBS_len(&certs_wrapper) != 0) {
      return Malformed("certs");
    }
    while (CBS_len(&certs) > 0) {
      CBS cert;
      if (!CBS_get_asn1_element(&certs, &cert, CBS_ASN1_SEQUENCE)) {
        return Malformed("certs");
      }
      out->certs.push_back(Bytes(cert));
    }
  }
  if (CBS_len(&basic) != 0) return Malformed("BasicOCSPResponse (trailing)");
  return absl::OkStatus();
}

}  // namespace

std::optional<absl::Time> ParseGeneralizedTime(absl::string_view text) {
  if (text.size() != 15 || text[14] != 'Z') return std::nullopt;
  for (int i = 0; i < 14; ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) {
      return std::nullopt;
    }
  }
  auto num = [&](int pos, int len) {
    int v = 0;
    for (int i = 0; i < len; ++i) v = v * 10 + (text[pos + i] - '0');
    return v;
  };
  const int year = num(0, 4), month = num(4, 2), day = num(6, 2);
  const int hour = num(8, 2), minute = num(10, 2), second = num(12, 2);
  const absl::CivilSecond civil(year, month, day, hour, minute, second);
  // CivilSecond normalises out-of-range fields (month 13, 25:00): refuse.
  if (civil.year() != year || civil.month() != month || civil.day() != day ||
      civil.hour() != hour || civil.minute() != minute ||
      civil.second() != second) {
    return std::nullopt;
  }
  return absl::FromCivil(civil, absl::UTCTimeZone());
}

absl::StatusOr<OcspResponse> ParseOcspResponse(absl::string_view der) {
  CBS in, response;
  CBS_init(&in, reinterpret_cast<const uint8_t*>(der.data()), der.size());
  if (!CBS_get_asn1(&in, &response, CBS_ASN1_SEQUENCE) || CBS_len(&in) != 0) {
    return Malformed("OCSPResponse (not one DER SEQUENCE)");
  }
  uint64_t status = 0;
  CBS status_cbs;
  if (!CBS_get_asn1(&response, &status_cbs, CBS_ASN1_ENUMERATED) ||
      CBS_len(&status_cbs) != 1) {
    return Malformed("responseStatus");
  }
  status = CBS_data(&status_cbs)[0];
  if (status != 0) {
    return ProtocolError(absl::StrCat("OCSP response: responseStatus ", status,
                                      " (", ResponseStatusName(status),
                                      "), not successful"));
  }
  CBS bytes_wrapper, bytes, type, octets;
  if (!CBS_get_asn1(&response, &bytes_wrapper, kExplicit0) ||
      CBS_len(&response) != 0 ||
      !CBS_get_asn1(&bytes_wrapper, &bytes, CBS_ASN1_SEQUENCE) ||
      CBS_len(&bytes_wrapper) != 0 ||
      !CBS_get_asn1(&bytes, &type, CBS_ASN1_OBJECT) ||
      !CBS_get_asn1(&bytes, &octets, CBS_ASN1_OCTETSTRING) ||
      CBS_len(&bytes) != 0) {
    return Malformed("responseBytes");
  }
  if (!CBS_mem_equal(&type, kOcspBasicOid, sizeof(kOcspBasicOid))) {
    return ProtocolError(
        "OCSP response: responseType is not id-pkix-ocsp-basic");
  }
  OcspResponse out;
  if (absl::Status s = ParseBasicResponse(&octets, &out); !s.ok()) return s;
  return out;
}

}  // namespace valkey

#include "valkey/connection/ocsp_responder.h"

#include <openssl/bytestring.h>
#include <openssl/digest.h>
#include <openssl/err.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "valkey/common/errors.h"
#include "valkey/connection/socket_transport.h"
#include "valkey/connection/transport.h"

namespace valkey {
namespace {

constexpr size_t kMaxReply = 1 << 20;

std::string Digest(const EVP_MD* md, const uint8_t* data, size_t len) {
  uint8_t out[EVP_MAX_MD_SIZE];
  unsigned out_len = 0;
  if (EVP_Digest(data, len, out, &out_len, md, nullptr) != 1) return "";
  return std::string(reinterpret_cast<const char*>(out), out_len);
}

struct HttpUrl {
  std::string host;
  int port = 80;
  std::string path = "/";
};

absl::StatusOr<HttpUrl> ParseHttpUrl(absl::string_view url) {
  absl::string_view rest = url;
  if (!absl::ConsumePrefix(&rest, "http://")) {
    return InvalidArgumentError(absl::StrCat("OCSP responder URL '", url,
                                             "': only http:// is supported"));
  }
  HttpUrl out;
  const size_t slash = rest.find('/');
  absl::string_view authority = rest.substr(0, slash);
  if (slash != absl::string_view::npos)
    out.path = std::string(rest.substr(slash));
  absl::string_view port;
  if (absl::StartsWith(authority, "[")) {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) {
      return InvalidArgumentError(
          absl::StrCat("OCSP responder URL '", url, "': unclosed '['"));
    }
    out.host = std::string(authority.substr(1, close - 1));
    absl::string_view after = authority.substr(close + 1);
    if (!after.empty() && !absl::ConsumePrefix(&after, ":")) {
      return InvalidArgumentError(
          absl::StrCat("OCSP responder URL '", url, "': bad authority"));
    }
    port = after;
  } else {
    const size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != absl::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) {
    return InvalidArgumentError(
        absl::StrCat("OCSP responder URL '", url, "': no host"));
  }
  if (!port.empty() && (!absl::SimpleAtoi(port, &out.port) || out.port < 1 ||
                        out.port > 65535)) {
    return InvalidArgumentError(
        absl::StrCat("OCSP responder URL '", url, "': bad port"));
  }
  return out;
}

// Splits an HTTP/1.x reply into status and body.
absl::StatusOr<std::string> HttpBody(absl::string_view reply,
                                     absl::string_view url) {
  const size_t end = reply.find("\r\n\r\n");
  const size_t line_end = reply.find("\r\n");
  if (end == absl::string_view::npos || !absl::StartsWith(reply, "HTTP/1.")) {
    return TlsError(
        absl::StrCat("OCSP responder ", url, ": the reply is not HTTP"));
  }
  absl::string_view status_line = reply.substr(0, line_end);
  const size_t space = status_line.find(' ');
  absl::string_view code = space == absl::string_view::npos
                               ? absl::string_view()
                               : status_line.substr(space + 1, 3);
  if (code != "200") {
    return TlsError(absl::StrCat("OCSP responder ", url, ": HTTP status '",
                                 absl::CHexEscape(status_line), "'"));
  }
  return std::string(reply.substr(end + 4));
}

}  // namespace

absl::StatusOr<std::string> OcspResponderUrl(X509* cert) {
  AUTHORITY_INFO_ACCESS* aia = static_cast<AUTHORITY_INFO_ACCESS*>(
      X509_get_ext_d2i(cert, NID_info_access, nullptr, nullptr));
  std::string found;
  if (aia != nullptr) {
    for (size_t i = 0; i < sk_ACCESS_DESCRIPTION_num(aia); ++i) {
      const ACCESS_DESCRIPTION* ad = sk_ACCESS_DESCRIPTION_value(aia, i);
      if (OBJ_obj2nid(ad->method) != NID_ad_OCSP ||
          ad->location->type != GEN_URI) {
        continue;
      }
      const ASN1_IA5STRING* uri = ad->location->d.uniformResourceIdentifier;
      std::string text(
          reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
          ASN1_STRING_length(uri));
      if (absl::StartsWithIgnoreCase(text, "http://")) {
        found = std::move(text);
        break;
      }
    }
    AUTHORITY_INFO_ACCESS_free(aia);
  }
  ERR_clear_error();
  if (found.empty()) {
    return absl::Status(absl::StatusCode::kNotFound,
                        "the server certificate names no http OCSP responder "
                        "(Authority Information Access)");
  }
  return found;
}

absl::StatusOr<std::string> BuildOcspRequest(X509* leaf, X509* issuer) {
  uint8_t* name_der = nullptr;
  const int name_len = i2d_X509_NAME(X509_get_subject_name(issuer), &name_der);
  const ASN1_BIT_STRING* key = X509_get0_pubkey_bitstr(issuer);
  uint8_t* serial_der = nullptr;
  const int serial_len =
      i2d_ASN1_INTEGER(X509_get0_serialNumber(leaf), &serial_der);
  std::string name_hash, key_hash;
  if (name_len > 0) name_hash = Digest(EVP_sha1(), name_der, name_len);
  if (key != nullptr) {
    key_hash =
        Digest(EVP_sha1(), ASN1_STRING_get0_data(key), ASN1_STRING_length(key));
  }
  OPENSSL_free(name_der);

  CBB cbb, request, tbs, list, one, cert_id, octets;
  uint8_t* out = nullptr;
  size_t out_len = 0;
  CBB_zero(&cbb);
  const bool ok =
      name_len > 0 && serial_len > 0 && !name_hash.empty() &&
      !key_hash.empty() && CBB_init(&cbb, 128) &&
      CBB_add_asn1(&cbb, &request, CBS_ASN1_SEQUENCE) &&
      CBB_add_asn1(&request, &tbs, CBS_ASN1_SEQUENCE) &&
      CBB_add_asn1(&tbs, &list, CBS_ASN1_SEQUENCE) &&
      CBB_add_asn1(&list, &one, CBS_ASN1_SEQUENCE) &&
      CBB_add_asn1(&one, &cert_id, CBS_ASN1_SEQUENCE) &&
      EVP_marshal_digest_algorithm(&cert_id, EVP_sha1()) &&
      CBB_add_asn1(&cert_id, &octets, CBS_ASN1_OCTETSTRING) &&
      CBB_add_bytes(&octets, reinterpret_cast<const uint8_t*>(name_hash.data()),
                    name_hash.size()) &&
      CBB_add_asn1(&cert_id, &octets, CBS_ASN1_OCTETSTRING) &&
      CBB_add_bytes(&octets, reinterpret_cast<const uint8_t*>(key_hash.data()),
                    key_hash.size()) &&
      CBB_add_bytes(&cert_id, serial_der, serial_len) &&
      CBB_finish(&cbb, &out, &out_len);
  OPENSSL_free(serial_der);
  if (!ok) {
    CBB_cleanup(&cbb);
    ERR_clear_error();
    return TlsError("cannot build the OCSP request");
  }
  std::string der(reinterpret_cast<const char*>(out), out_len);
  OPENSSL_free(out);
  return der;
}

absl::StatusOr<std::string> FetchOcspResponse(absl::string_view url,
                                              absl::string_view request_der,
                                              absl::Time deadline) {
  absl::StatusOr<HttpUrl> parsed = ParseHttpUrl(url);
  if (!parsed.ok()) return parsed.status();
  TcpEndpoint endpoint;
  endpoint.host = parsed->host;
  endpoint.port = parsed->port;
  absl::StatusOr<std::unique_ptr<Transport>> t = ConnectTcp(endpoint, deadline);
  if (!t.ok()) {
    return Annotate(t.status(), absl::StrCat("OCSP responder ", url));
  }
  const std::string host_header =
      parsed->host.find(':') != std::string::npos
          ? absl::StrCat("[", parsed->host, "]:", parsed->port)
          : absl::StrCat(parsed->host, ":", parsed->port);
  std::string request = absl::StrCat(
      "POST ", parsed->path, " HTTP/1.0\r\nHost: ", host_header,
      "\r\nContent-Type: application/ocsp-request\r\nContent-Length: ",
      request_der.size(), "\r\n\r\n");
  request.append(request_der.data(), request_der.size());
  if (absl::Status s = (*t)->Write(request, deadline); !s.ok()) {
    return Annotate(s, absl::StrCat("OCSP responder ", url));
  }
  // HTTP/1.0: the reply ends when the responder closes the connection.
  std::string reply;
  char buf[8192];
  for (;;) {
    absl::StatusOr<size_t> n = (*t)->Read(buf, sizeof(buf), deadline);
    if (!n.ok()) {
      if (IsTimeout(n.status())) {
        return Annotate(n.status(), absl::StrCat("OCSP responder ", url));
      }
      break;  // EOF (or reset after the reply): parse what came.
    }
    reply.append(buf, *n);
    if (reply.size() > kMaxReply) {
      return TlsError(
          absl::StrCat("OCSP responder ", url, ": reply larger than 1 MiB"));
    }
  }
  if (reply.empty()) {
    return ConnectionError(
        absl::StrCat("OCSP responder ", url, ": closed without a reply"));
  }
  return HttpBody(reply, url);
}

}  // namespace valkey

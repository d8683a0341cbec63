#include "valkey/connection/tls_session.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "valkey/common/errors.h"
#include "valkey/connection/ocsp_check.h"

namespace valkey {
namespace {

bool IsIpLiteral(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// The oldest queued BoringSSL error, as text; clears the queue.
// The SSL ex_data slot that points back at the TlsSession.
int SessionIndex() {
  static const int index =
      SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

std::string TakeSslError() {
  const uint32_t code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown TLS error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  return buf;
}

}  // namespace

TlsSession::TlsSession(std::shared_ptr<const TlsContext> context,
                       std::string peer)
    : context_(std::move(context)), peer_(std::move(peer)) {}

TlsSession::~TlsSession() {
  if (verified_issuer_ != nullptr) X509_free(verified_issuer_);
  if (ssl_ != nullptr) SSL_free(ssl_);  // Frees the internal BIO too.
  if (network_ != nullptr) BIO_free(network_);
}

absl::StatusOr<std::unique_ptr<TlsSession>> TlsSession::Create(
    std::shared_ptr<const TlsContext> context, absl::string_view host,
    std::string peer) {
  std::unique_ptr<TlsSession> session(
      new TlsSession(std::move(context), std::move(peer)));
  const TlsOptions& options = session->context_->options();
  session->ssl_ = SSL_new(session->context_->ssl_ctx());
  if (session->ssl_ == nullptr) {
    return TlsError(absl::StrCat("TLS to ", session->peer_,
                                 ": cannot create session: ", TakeSslError()));
  }
  BIO* internal = nullptr;
  if (BIO_new_bio_pair(&internal, 0, &session->network_, 0) != 1) {
    return TlsError(absl::StrCat("TLS to ", session->peer_,
                                 ": cannot create BIO pair: ", TakeSslError()));
  }
  SSL_set_bio(session->ssl_, internal, internal);
  SSL_set_connect_state(session->ssl_);
  if (options.ocsp != TlsOptions::Ocsp::kOff) {
    SSL_enable_ocsp_stapling(session->ssl_);
    if (SSL_set_ex_data(session->ssl_, SessionIndex(), session.get()) != 1) {
      return TlsError(
          absl::StrCat("TLS to ", session->peer_,
                       ": cannot attach the session: ", TakeSslError()));
    }
    SSL_set_verify(session->ssl_, SSL_get_verify_mode(session->ssl_),
                   &TlsSession::RememberIssuer);
  }

  const std::string name =
      options.server_name.empty() ? std::string(host) : options.server_name;
  const bool ip = IsIpLiteral(name);
  // SNI carries host names only, never IP literals (RFC 6066 §3).
  if (!ip && !name.empty() &&
      SSL_set_tlsext_host_name(session->ssl_, name.c_str()) != 1) {
    return TlsError(absl::StrCat("TLS to ", session->peer_,
                                 ": cannot set server name: ", TakeSslError()));
  }
  if (options.verify != TlsOptions::Verify::kNone && options.check_hostname) {
    X509_VERIFY_PARAM* param = SSL_get0_param(session->ssl_);
    const int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
                      : X509_VERIFY_PARAM_set1_host(param, name.data(),
                                                    name.size());
    if (ok != 1) {
      return TlsError(absl::StrCat("TLS to ", session->peer_,
                                   ": cannot set the name to verify: ",
                                   TakeSslError()));
    }
  }
  return session;
}

int TlsSession::RememberIssuer(int ok, X509_STORE_CTX* store) {
  // Called per certificate, the leaf (depth 0) last; only a verified leaf
  // is of interest.
  if (ok != 1 || X509_STORE_CTX_get_error_depth(store) != 0) return ok;
  SSL* ssl = static_cast<SSL*>(
      X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  TlsSession* session =
      ssl == nullptr
          ? nullptr
          : static_cast<TlsSession*>(SSL_get_ex_data(ssl, SessionIndex()));
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(store);
  if (session == nullptr || chain == nullptr || sk_X509_num(chain) == 0) {
    return ok;
  }
  X509* issuer = sk_X509_value(chain, sk_X509_num(chain) >= 2 ? 1 : 0);
  X509_up_ref(issuer);
  if (session->verified_issuer_ != nullptr) {
    X509_free(session->verified_issuer_);
  }
  session->verified_issuer_ = issuer;
  return ok;
}

void TlsSession::DrainToOutput() {
  if (output_offset_ > 0 && output_offset_ == output_.size()) {
    output_.clear();
    output_offset_ = 0;
  }
  for (;;) {
    const size_t pending = BIO_ctrl_pending(network_);
    if (pending == 0) return;
    const size_t old = output_.size();
    output_.resize(old + pending);
    const int n = BIO_read(network_, output_.data() + old,
                           static_cast<int>(pending));
    output_.resize(old + (n > 0 ? static_cast<size_t>(n) : 0));
    if (n <= 0) return;
  }
}

absl::StatusOr<TlsSession::Progress> TlsSession::Classify(
    int ret, absl::string_view op) {
  DrainToOutput();
  if (ret > 0) return Progress::kDone;
  switch (SSL_get_error(ssl_, ret)) {
    case SSL_ERROR_WANT_READ:
      ERR_clear_error();
      return output_offset_ < output_.size() ? Progress::kWantWrite
                                             : Progress::kWantRead;
    case SSL_ERROR_WANT_WRITE:
      ERR_clear_error();
      return Progress::kWantWrite;
    case SSL_ERROR_ZERO_RETURN:
      ERR_clear_error();
      return ConnectionError(
          absl::StrCat("TLS ", op, " ", peer_, ": connection closed by server"));
    case SSL_ERROR_SSL: {
      // X509_V_ERR_INVALID_CALL is BoringSSL's "not verified yet": the
      // handshake failed before the certificate was looked at (an alert
      // from the server, say), so the queued error is the cause.
      const long verify = SSL_get_verify_result(ssl_);
      if (verify != X509_V_OK && verify != X509_V_ERR_INVALID_CALL) {
        ERR_clear_error();
        return TlsError(absl::StrCat(
            "TLS ", op, " ", peer_, ": certificate verify failed: ",
            X509_verify_cert_error_string(verify)));
      }
      return TlsError(absl::StrCat("TLS ", op, " ", peer_, ": ",
                                   TakeSslError()));
    }
    default:
      return ConnectionError(absl::StrCat("TLS ", op, " ", peer_,
                                          ": connection lost: ",
                                          TakeSslError()));
  }
}

absl::StatusOr<TlsSession::Progress> TlsSession::Handshake() {
  absl::StatusOr<Progress> p =
      Classify(SSL_do_handshake(ssl_), "handshake with");
  if (p.ok() && *p == Progress::kDone && !revocation_checked_) {
    revocation_checked_ = true;
    if (defer_responder_query_ &&
        OcspNeedsResponderQuery(ssl_, context_->options())) {
      responder_query_pending_ = true;
      return p;
    }
    if (absl::Status s =
            CheckOcsp(ssl_, context_->options(), verified_issuer_, peer_);
        !s.ok()) {
      return s;
    }
  }
  return p;
}

absl::Status TlsSession::QueryResponder() {
  responder_query_pending_ = false;
  return CheckOcsp(ssl_, context_->options(), verified_issuer_, peer_);
}

absl::StatusOr<TlsSession::Progress> TlsSession::Write(absl::string_view data,
                                                       size_t* written) {
  *written = 0;
  if (data.empty()) return Progress::kDone;
  const int n = SSL_write(ssl_, data.data(),
                          static_cast<int>(std::min<size_t>(data.size(),
                                                            1 << 30)));
  if (n > 0) *written = static_cast<size_t>(n);
  return Classify(n, "write to");
}

absl::StatusOr<TlsSession::Progress> TlsSession::Read(char* buffer,
                                                      size_t size,
                                                      size_t* read) {
  *read = 0;
  const int n = SSL_read(
      ssl_, buffer, static_cast<int>(std::min<size_t>(size, 1 << 30)));
  if (n > 0) *read = static_cast<size_t>(n);
  return Classify(n, "read from");
}

bool TlsSession::HasBufferedPlaintext() const {
  return SSL_pending(ssl_) > 0;
}

absl::string_view TlsSession::PendingOutput() {
  DrainToOutput();
  return absl::string_view(output_).substr(output_offset_);
}

void TlsSession::ConsumeOutput(size_t n) {
  output_offset_ = std::min(output_.size(), output_offset_ + n);
  if (output_offset_ == output_.size()) {
    output_.clear();
    output_offset_ = 0;
  }
}

size_t TlsSession::FeedInput(absl::string_view data) {
  const size_t room = BIO_ctrl_get_write_guarantee(network_);
  const size_t n = std::min(room, data.size());
  if (n == 0) return 0;
  const int wrote = BIO_write(network_, data.data(), static_cast<int>(n));
  return wrote > 0 ? static_cast<size_t>(wrote) : 0;
}

size_t TlsSession::InputCapacity() const {
  return BIO_ctrl_get_write_guarantee(network_);
}

}  // namespace valkey

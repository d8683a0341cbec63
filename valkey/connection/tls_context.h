// TlsContext: the client-side TLS configuration shared by every connection
// of a pool — trusted CAs, client certificate, verification rules, minimum
// version and ciphers — loaded once into a BoringSSL SSL_CTX.
//
//   TlsOptions tls;
//   tls.ca_file = "/etc/valkey/ca.pem";
//   absl::StatusOr<std::shared_ptr<const TlsContext>> ctx =
//       TlsContext::Create(tls);
//
// Secure by default: the peer's certificate is verified against the trusted
// CAs (the system's when none is given) and must name the host connected to
// (DNS or IP subject alternative name) unless the options turn that off.
//
// Thread-safety: immutable after Create; share it freely.

#ifndef VALKEY_CONNECTION_TLS_CONTEXT_H_
#define VALKEY_CONNECTION_TLS_CONTEXT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "valkey/common/options.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace valkey {

class TlsContext {
 public:
  // Loads certificates and keys named by `options`.
  // Errors: INVALID_ARGUMENT (kInvalidArgument) naming the option and file
  // that could not be loaded (a wrong key password says so without showing
  // it), or an unknown minimum version or cipher list.
  static absl::StatusOr<std::shared_ptr<const TlsContext>> Create(
      const TlsOptions& options);

  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  SSL_CTX* ssl_ctx() const { return ctx_; }
  const TlsOptions& options() const { return options_; }

 private:
  TlsContext(SSL_CTX* ctx, TlsOptions options);

  SSL_CTX* ctx_;
  TlsOptions options_;
};

}  // namespace valkey

#endif  // VALKEY_CONNECTION_TLS_CONTEXT_H_

// TlsCerts: a throw-away PKI minted at test time with the `openssl` command
// line tool, for TLS tests against a real valkey-server.
//
//   absl::StatusOr<TlsCerts> certs = TlsCerts::Mint(dir);
//   // certs->ca_cert signs server_cert (SAN DNS:localhost, IP:127.0.0.1,
//   // IP:::1) and client_cert; other_ca_cert signs other_client_cert and
//   // other_server_cert, for wrong-CA tests.
//
// Keys are ECDSA P-256 (fast to generate), unencrypted PEM; certificates are
// valid from now for two days. All files live in `dir`, which the caller owns
// and removes.
//
// Thread-safety: Mint() may run concurrently for different directories.

#ifndef VALKEY_TESTING_TLS_CERTS_H_
#define VALKEY_TESTING_TLS_CERTS_H_

#include <string>

#include "absl/status/statusor.h"

namespace valkey::testing {

struct TlsCerts {
  // Writes a CA, a server and a client certificate signed by it, and a second,
  // unrelated CA with its own client and server certificates, into `dir`
  // (which must exist). The openssl binary is $OPENSSL_BIN or `openssl` on
  // PATH. FAILED_PRECONDITION when openssl is missing; INTERNAL (with the
  // tool's output) when a step fails.
  static absl::StatusOr<TlsCerts> Mint(const std::string& dir);

  std::string dir;

  std::string ca_cert;  // PEM paths.
  std::string ca_key;
  std::string server_cert;  // CN=localhost; SAN localhost, 127.0.0.1, ::1.
  std::string server_key;
  std::string client_cert;  // CN=valkey-test-client; clientAuth.
  std::string client_key;

  std::string other_ca_cert;  // Unrelated CA.
  std::string other_ca_key;
  std::string other_client_cert;  // Signed by the other CA.
  std::string other_client_key;
  std::string other_server_cert;  // Signed by the other CA, same SANs.
  std::string other_server_key;
};

}  // namespace valkey::testing

#endif  // VALKEY_TESTING_TLS_CERTS_H_

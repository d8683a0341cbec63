// TlsSession: one client-side TLS connection as an I/O-free state machine.
//
// BoringSSL talks to a memory BIO pair instead of a socket: the caller moves
// ciphertext between the network and the session (TakeOutput / FeedInput) and
// plaintext between the session and itself (Write / Read). The blocking TLS
// transport drives it with poll(); the async connection drives it from the
// event loop — one TLS implementation for both.
//
// The revocation check (TlsOptions::ocsp, ocsp_check.h) runs inside
// Handshake() when the handshake completes, for both clients. Off and
// stapled need no I/O. The exception to "I/O-free": in responder mode,
// when the server stapled nothing, the OCSP responder is asked over HTTP,
// which blocks for up to ocsp_responder_timeout. Handshake() does that
// itself (the blocking transport) unless DeferResponderQuery() was called
// (the async connection): then Handshake() reports kDone with
// responder_query_pending(), and the caller runs QueryResponder() on a
// thread of its own, so that an event loop never waits on the responder.
//
//   TlsSession s = *TlsSession::Create(context, "cache.internal");
//   while (true) {
//     TlsSession::Result r = s.Handshake();
//     send(s.PendingOutput()); s.ConsumeOutput(...);
//     if (r == kDone) break; if (r == kWantRead) s.FeedInput(recv(...));
//   }
//
// Thread-safety: one thread at a time.

#ifndef VALKEY_CONNECTION_TLS_SESSION_H_
#define VALKEY_CONNECTION_TLS_SESSION_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "valkey/connection/tls_context.h"

typedef struct ssl_st SSL;
typedef struct bio_st BIO;
typedef struct x509_st X509;
typedef struct x509_store_ctx_st X509_STORE_CTX;

namespace valkey {

class TlsSession {
 public:
  enum class Progress {
    kDone,       // The operation completed (or made progress, for Write/Read).
    kWantRead,   // Needs more ciphertext from the peer: FeedInput.
    kWantWrite,  // Has ciphertext to send first: PendingOutput.
  };

  // Creates a session for a connection to `host` (used for SNI and for
  // hostname or IP verification, as the context says). `peer` names the
  // connection in error messages.
  // Errors: UNAVAILABLE (kTls) if BoringSSL cannot create the session.
  static absl::StatusOr<std::unique_ptr<TlsSession>> Create(
      std::shared_ptr<const TlsContext> context, absl::string_view host,
      std::string peer);

  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // Advances the handshake. kDone once established and, when OCSP is on,
  // the certificate's revocation status checked. Errors: UNAVAILABLE (kTls)
  // with the reason, e.g. certificate verification failure and why, or a
  // revoked certificate ("... serial 1A2B is revoked ...").
  absl::StatusOr<Progress> Handshake();

  // Encrypts up to data.size() bytes; `*written` says how many were taken.
  absl::StatusOr<Progress> Write(absl::string_view data, size_t* written);

  // Decrypts into `buffer`; `*read` says how many bytes arrived (0 with
  // kWantRead when nothing is available). The peer's close_notify is an
  // UNAVAILABLE (kConnection) error.
  absl::StatusOr<Progress> Read(char* buffer, size_t size, size_t* read);

  // True if decrypted bytes are buffered inside the session.
  bool HasBufferedPlaintext() const;

  // Ciphertext waiting to go to the network, and how to drop what was sent.
  absl::string_view PendingOutput();
  void ConsumeOutput(size_t n);

  // Hands ciphertext received from the network to the session. Returns how
  // many bytes it took (the BIO pair is bounded; feed the rest later).
  size_t FeedInput(absl::string_view data);

  // Free space for FeedInput.
  size_t InputCapacity() const;

  // Leaves a responder query (responder mode, nothing stapled) to the
  // caller instead of making it inside Handshake(). Call before the first
  // Handshake().
  void DeferResponderQuery() { defer_responder_query_ = true; }
  // True once Handshake() reported kDone with the responder still to ask:
  // the connection must not be used until QueryResponder() returned OK.
  bool responder_query_pending() const { return responder_query_pending_; }
  // Asks the responder and judges the answer as Handshake() would have
  // (errors as Handshake()'s revocation errors). Blocks for up to
  // ocsp_responder_timeout. May run on any thread while nothing else
  // touches the session.
  absl::Status QueryResponder();

 private:
  TlsSession(std::shared_ptr<const TlsContext> context, std::string peer);
  absl::StatusOr<Progress> Classify(int ret, absl::string_view op);
  // Verify callback (OCSP on only): keeps the leaf's issuer from the chain
  // BoringSSL verified, so the revocation check need not verify it again.
  static int RememberIssuer(int ok, X509_STORE_CTX* store);
  void DrainToOutput();

  std::shared_ptr<const TlsContext> context_;
  std::string peer_;
  SSL* ssl_ = nullptr;
  BIO* network_ = nullptr;  // Our end of the pair; the SSL owns the other.
  std::string output_;      // Ciphertext taken from network_, not yet sent.
  size_t output_offset_ = 0;
  bool revocation_checked_ = false;
  bool defer_responder_query_ = false;
  bool responder_query_pending_ = false;
  X509* verified_issuer_ = nullptr;  // Owned reference; OCSP on only.
};

}  // namespace valkey

#endif  // VALKEY_CONNECTION_TLS_SESSION_H_

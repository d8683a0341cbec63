// TLS over another transport (normally TCP), blocking with deadlines.
//
//   auto tcp = ConnectTcp(endpoint, deadline);
//   auto tls = ConnectTls(std::move(*tcp), context, endpoint.host, deadline);
//
// Thread-safety: one thread at a time, like every Transport.

#ifndef VALKEY_CONNECTION_TLS_TRANSPORT_H_
#define VALKEY_CONNECTION_TLS_TRANSPORT_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "valkey/connection/tls_context.h"
#include "valkey/connection/transport.h"

namespace valkey {

// Runs the TLS handshake over `inner` for a connection to `host` and returns
// the encrypted transport. Errors: UNAVAILABLE (kTls) when the handshake
// fails — the message says why, e.g. "certificate verify failed: Hostname
// mismatch"; DEADLINE_EXCEEDED when it does not finish by `deadline`;
// UNAVAILABLE (kConnection) when the peer hangs up.
absl::StatusOr<std::unique_ptr<Transport>> ConnectTls(
    std::unique_ptr<Transport> inner,
    std::shared_ptr<const TlsContext> context, absl::string_view host,
    absl::Time deadline);

}  // namespace valkey

#endif  // VALKEY_CONNECTION_TLS_TRANSPORT_H_

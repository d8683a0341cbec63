// Name lookup that never blocks a caller past its deadline, and never blocks
// an event loop at all.
//
// getaddrinfo() cannot be cancelled or bounded: a name whose DNS server is
// slow or gone holds the calling thread for as long as the resolver's own
// retries take (tens of seconds with glibc's defaults). So names are looked
// up on a short-lived helper thread of their own:
//   - LookUpTcpBefore (blocking connects) waits for the answer until a
//     deadline, then gives up with DEADLINE_EXCEEDED; the helper finishes
//     on its own and its late answer is dropped;
//   - LookUpTcpInBackground (the async connection) hands the answer to a
//     callback on the helper thread; the event loop never waits.
// Numeric addresses (127.0.0.1, ::1) need no lookup and are converted on the
// calling thread, with no helper thread.
//
// Thread-safety: thread-safe.

#ifndef VALKEY_CONNECTION_NAME_LOOKUP_H_
#define VALKEY_CONNECTION_NAME_LOOKUP_H_

#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "valkey/connection/socket_transport.h"

namespace valkey::internal {

using LookupResult = absl::StatusOr<std::vector<SocketAddress>>;

// True for an IPv4 or IPv6 literal.
bool IsNumericHost(absl::string_view host);

// ResolveTcp(host, port), bounded by `deadline`.
// Errors: those of ResolveTcp; DEADLINE_EXCEEDED ("connect to host:port:
// name lookup got no answer within ...") when the deadline passes first;
// UNAVAILABLE if no helper thread can be started.
LookupResult LookUpTcpBefore(absl::string_view host, int port,
                             absl::Time deadline);

// ResolveTcp(host, port), answered through `done`: inline for a numeric
// host, else later on a helper thread (`done` must not block for long and
// must cope with running on any thread). Called exactly once.
void LookUpTcpInBackground(
    std::string host, int port,
    absl::AnyInvocable<void(LookupResult) &&> done);

// For tests: replaces ResolveTcp's getaddrinfo for non-numeric names while
// alive, e.g. with one that waits for the test's signal (no DNS server can
// be made slow on a test machine). Only one may exist at a time; it must
// outlive every lookup it serves.
class ScopedNameLookupForTesting {
 public:
  using Fn = LookupResult (*)(absl::string_view host, int port);
  explicit ScopedNameLookupForTesting(Fn fn);
  ~ScopedNameLookupForTesting();
  ScopedNameLookupForTesting(const ScopedNameLookupForTesting&) = delete;
  ScopedNameLookupForTesting& operator=(const ScopedNameLookupForTesting&) =
      delete;
};

}  // namespace valkey::internal

#endif  // VALKEY_CONNECTION_NAME_LOOKUP_H_

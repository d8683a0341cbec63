// Re-authentication on async connections: the AUTH of a ReauthenticateAll
// goes into a multiplexed connection's command stream like any command,
// in order with everything else, and its reply is checked; a tally then
// resolves one Future<ReauthResult> for many connections.
//
//   auto tally = std::make_shared<ReauthTally>(loop, /*expected=*/2, result);
//   SubmitReauth(conn_a, plan, [tally](absl::Status s) { tally->Add(s); });
//   SubmitReauth(conn_b, plan, [tally](absl::Status s) { tally->Add(s); });
//   Future<ReauthResult> done = tally->TakeFuture();
//
// Shared by async::ConnectionPool and async::Client (docs/credentials.md).
//
// Thread-safety: SubmitReauth may be called from any thread (as
// Connection::SubmitPacked). `done` runs once, on the loop's thread (on the
// caller's when the command fails before being queued). A ReauthTally is
// thread-safe.

#ifndef VALKEY_ASYNC_REAUTH_H_
#define VALKEY_ASYNC_REAUTH_H_

#include <functional>
#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "valkey/async/connection.h"
#include "valkey/async/event_loop.h"
#include "valkey/async/future.h"
#include "valkey/common/handshake.h"
#include "valkey/common/reauth_result.h"

namespace valkey::async {

// Queues `plan` (HandshakePlan::CreateReauth) on `connection` and calls
// `done` with OK when the server accepted it, else the refusal (the
// server's error, annotated with the user, never the password) or the
// connection's failure. Does not reconnect on refusal: the caller decides
// (a pool closes the connection, a client reconnects it).
void SubmitReauth(Connection& connection, const HandshakePlan& plan,
                  std::function<void(absl::Status)> done);

// Counts `expected` outcomes into `initial` and then resolves future().
class ReauthTally {
 public:
  ReauthTally(const EventLoop& loop, int expected, ReauthResult initial);

  // The tally once every outcome is in (at once when `expected` is 0).
  // Call once.
  Future<ReauthResult> TakeFuture() { return std::move(future_); }

  // One connection's outcome.
  void Add(const absl::Status& outcome) ABSL_LOCKS_EXCLUDED(mu_);
  // A whole sub-tally (the pool's, inside a client's).
  void AddAll(const ReauthResult& result) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void MaybeResolveLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  int outstanding_ ABSL_GUARDED_BY(mu_);
  ReauthResult result_ ABSL_GUARDED_BY(mu_);
  Promise<ReauthResult> promise_ ABSL_GUARDED_BY(mu_);
  Future<ReauthResult> future_;
};

}  // namespace valkey::async

#endif  // VALKEY_ASYNC_REAUTH_H_

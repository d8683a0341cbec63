// RunWatchTransaction: the async form of valkey::Transaction() (blocking,
// valkey/client/transaction.h) — optimistic locking with WATCH, retried
// while a watched key keeps changing, so async users need not write the
// loop by hand.
//
// It leases a connection from the client's pool, then on each run: WATCHes
// `keys`, calls `fn(lease, tx)` — a coroutine that reads through `lease`
// (typed commands, co_await) and queues the writes on `tx`, a MULTI block —
// and EXECs what `fn` queued. When EXEC is refused because a watched key
// changed (ABORTED, kWatch), it runs again, up to `max_tries` runs in all
// (0 = no limit), pausing `retry_delay` in between; the limit check and the
// final status are the blocking Transaction()'s (watch_retry.h).
//
//   Future<Reply> done = RunWatchTransaction(
//       client, {"balance"},
//       [](ConnectionPool::Lease& lease, Transaction& tx) -> Task<void> {
//         absl::StatusOr<std::optional<std::string>> v =
//             co_await lease.Get("balance");
//         if (!v.ok()) co_return v.status();
//         int64_t n = 0;
//         if (v->has_value() && !absl::SimpleAtoi(**v, &n)) {
//           co_return absl::FailedPreconditionError("not a number");
//         }
//         (void)tx.Set("balance", absl::StrCat(n + 10));
//         co_return absl::OkStatus();
//       },
//       {.max_tries = 5});
//
// Outcome (the future):
//   - EXEC's reply (an array, one element per queued command) when it ran;
//     the futures of the last run's queued commands resolve too. Futures of
//     earlier, conflicting runs fail with ABORTED (kWatch).
//   - a null Reply when `fn` queued nothing (no MULTI/EXEC is sent).
//   - `fn`'s own non-OK status, as is (no retry).
//   - ABORTED (kWatch) once `max_tries` runs all conflicted.
//   - INVALID_ARGUMENT for a negative max_tries; EXECABORT, connection
//     errors and the client's Acquire() errors as they come (never retried:
//     an EXEC that failed on the wire may have been applied).
// The connection goes back to the pool without watched keys: EXEC clears
// them; on the other exits UNWATCH is sent (a failed one discards the
// connection).
//
// `fn` is called on the loop's thread and may run several times: it must
// queue its writes afresh on each call. The client must outlive the future.

#ifndef VALKEY_ASYNC_WATCH_TRANSACTION_H_
#define VALKEY_ASYNC_WATCH_TRANSACTION_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "valkey/async/client.h"
#include "valkey/async/connection_pool.h"
#include "valkey/async/future.h"
#include "valkey/async/transaction.h"
#include "valkey/common/reply.h"

namespace valkey::async {

struct WatchTransactionOptions {
  // Runs of `fn` at most (0 = no limit). Default: 0.
  int max_tries = 0;
  // Pause between a conflict and the next run (a loop timer, no thread
  // blocks). Default: none.
  absl::Duration retry_delay = absl::ZeroDuration();
};

using WatchTransactionFn =
    std::function<Task<void>(ConnectionPool::Lease& lease, Transaction& tx)>;

Future<Reply> RunWatchTransaction(Client& client,
                                  std::vector<std::string> keys,
                                  WatchTransactionFn fn,
                                  WatchTransactionOptions options = {});

}  // namespace valkey::async

#endif  // VALKEY_ASYNC_WATCH_TRANSACTION_H_

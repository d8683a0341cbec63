// Transaction: optimistic locking with WATCH — read, decide, then write
// atomically with MULTI/EXEC, retrying when a watched key changed meanwhile.
//
// Transaction() checks one connection out of the client's pool, WATCHes the
// keys and calls `fn` with a TransactionContext. Through the context `fn`
// reads with ordinary typed commands, run at once on the watched connection
// (`tx.Get(key)` returns absl::StatusOr), and queues the writes on
// `tx.multi()`, a transactional Pipeline. When `fn` returns OK the queued
// commands are sent as MULTI ... EXEC. If a watched key was modified by
// anyone else between WATCH and EXEC, the server refuses EXEC; Transaction()
// then runs `fn` again (WATCH, reads, writes), up to `max_tries` times in
// all, and finally fails with ABORTED (kind kWatch, IsWatchError).
//
//   valkey::Slot<bool> set;
//   absl::StatusOr<valkey::PipelineResults> results = valkey::Transaction(
//       client,
//       [&](valkey::TransactionContext& tx) -> absl::Status {
//         absl::StatusOr<std::optional<std::string>> balance =
//             tx.Get("balance");
//         if (!balance.ok()) return balance.status();
//         int64_t value = 0;
//         if (balance->has_value() && !absl::SimpleAtoi(**balance, &value)) {
//           return absl::FailedPreconditionError("balance is not a number");
//         }
//         set = tx.multi().Set("balance", absl::StrCat(value + 10));
//         return absl::OkStatus();
//       },
//       {"balance"}, {.max_tries = 5});
//   if (!results.ok()) return results.status();  // ABORTED after 5 conflicts
//   absl::StatusOr<bool> was_set = results->Get(set);
//
// `fn` may run several times: it must rebuild its queued writes (and any
// slots it keeps) on every run; slots of an earlier run refer to another
// batch. Commands run through the context are sent immediately (use it for
// reads; a write there is not part of the transaction and is not undone).
//
// Outcome:
//   - OK: EXEC ran; the results are per queued command as in a Pipeline
//     (a WRONGTYPE inside EXEC is that command's value). If `fn` queued
//     nothing, no MULTI/EXEC is sent and the results are empty.
//   - `fn`'s own non-OK status, returned as is (no retry).
//   - ABORTED (kWatch): a watched key changed on each of `max_tries` tries.
//   - EXECABORT, client-side rejections, connection errors: as
//     Pipeline::Execute() in transaction mode (never retried: the EXEC may
//     have been applied). A connection that failed is discarded.
//   - INVALID_ARGUMENT for a negative max_tries (the reference bails out
//     after 0 tries instead).
// On every exit the connection goes back to the pool clean: the server
// forgets the watched keys after EXEC; on the other paths UNWATCH is sent
// (a connection where that fails is discarded). MULTI and EXEC are always
// sent together, so no DISCARD is ever needed.
//
// Thread-safety: Transaction() may be called from many threads at once
// (each call holds its own connection). A TransactionContext is used by the
// thread running `fn` only, and only during that call.

#ifndef VALKEY_CLIENT_TRANSACTION_H_
#define VALKEY_CLIENT_TRANSACTION_H_

#include <optional>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "valkey/client/client.h"
#include "valkey/client/client_cache.h"
#include "valkey/commands/command_table.h"
#include "valkey/commands/immediate_executor.h"
#include "valkey/client/pipeline.h"
#include "valkey/commands/reply_convert.h"
#include "valkey/common/reply.h"
#include "valkey/common/resp_writer.h"
#include "valkey/connection/connection.h"

namespace valkey {

// What `fn` sees: immediate commands on the watched connection, and the
// transactional pipeline for the writes.
class TransactionContext : public ImmediateExecutor<TransactionContext> {
 public:
  TransactionContext(const TransactionContext&) = delete;
  TransactionContext& operator=(const TransactionContext&) = delete;

  // The MULTI/EXEC batch sent when `fn` returns OK. Do not Execute() it
  // yourself (FAILED_PRECONDITION).
  Pipeline& multi() { return *pipeline_; }

  // Which run of `fn` this is: 1 on the first, 2 after one watch conflict...
  int attempt() const { return attempt_; }

  // Sends any command now on the watched connection and returns its reply.
  // Errors: the server's error reply as its status ("GET on host:port:
  // WRONGTYPE ..."), connection errors (then the transaction cannot go on).
  template <typename... Args>
  absl::StatusOr<Reply> Execute(const Args&... args) {
    const CommandArg argv[] = {CommandArg(args)...};
    return RoundTrip(absl::Span<const CommandArg>(argv, sizeof...(args)),
                     std::nullopt);
  }

  // Run / RunArgs / RunBlockingArgs / Fail: the command-table hooks, from
  // ImmediateExecutor.

 private:
  friend class ImmediateExecutor<TransactionContext>;
  friend class pipeline_internal::TransactionAccess;
  TransactionContext(Connection& connection, Pipeline& pipeline, int attempt,
                     ClientCache* cache)
      : connection_(&connection),
        pipeline_(&pipeline),
        attempt_(attempt),
        cache_(cache) {}

  absl::StatusOr<Reply> RoundTrip(absl::Span<const CommandArg> args,
                                  std::optional<absl::Duration> server_timeout);

  Connection* connection_;
  Pipeline* pipeline_;
  int attempt_;
  ClientCache* cache_;  // The client's; null when disabled.
};

struct TransactionOptions {
  // Runs of `fn` at most; after that many watch conflicts Transaction()
  // returns ABORTED (kWatch). 0 = no limit (as the reference's None).
  // Default: 0.
  int max_tries = 0;
  // Pause between a watch conflict and the next run. Default: none.
  absl::Duration retry_delay = absl::ZeroDuration();
  // As PipelineOptions::raise_on_error for the EXEC results. Default: false.
  bool raise_on_error = false;
};

using TransactionFn = absl::FunctionRef<absl::Status(TransactionContext&)>;

// Runs `fn` under WATCH `watched_keys` (none: a plain MULTI/EXEC built by
// code that may read first) and executes what it queued; see the file
// comment. Blocks for the round trips (and any retry_delay).
absl::StatusOr<PipelineResults> Transaction(
    Client& client, TransactionFn fn,
    absl::Span<const std::string> watched_keys,
    const TransactionOptions& options = {});
// Shorthand for {.max_tries = max_tries}.
absl::StatusOr<PipelineResults> Transaction(
    Client& client, TransactionFn fn,
    absl::Span<const std::string> watched_keys, int max_tries);

}  // namespace valkey

#endif  // VALKEY_CLIENT_TRANSACTION_H_

#include "valkey/client/transaction.h"

#include "valkey/client/command_exchange.h"

#include <string>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "valkey/commands/watch_retry.h"
#include "valkey/common/errors.h"
#include "valkey/connection/connection_pool.h"

namespace valkey {

namespace pipeline_internal {

// The private parts of Pipeline and TransactionContext that Transaction()
// drives.
class TransactionAccess {
 public:
  static TransactionContext MakeContext(Connection& conn, Pipeline& pipeline,
                                        int attempt) {
    return TransactionContext(conn, pipeline, attempt, pipeline.cache_);
  }
  static void SetHeld(Pipeline& pipeline, bool held) {
    pipeline.held_by_transaction_ = held;
  }
  static absl::StatusOr<PipelineResults> ExecuteOn(Pipeline& pipeline,
                                                   Connection& conn) {
    return pipeline.ExecuteOn(conn);
  }
  static PipelineResults Empty(Pipeline& pipeline) {
    return pipeline.FinishEmpty();
  }
};

}  // namespace pipeline_internal

namespace {

using pipeline_internal::TransactionAccess;

// Leaves the connection without watched keys. A connection where that
// fails is marked broken, so the pool closes it instead of reusing it.
void Unwatch(Connection& conn) {
  if (conn.broken()) return;
  const CommandArg unwatch[] = {CommandArg("UNWATCH")};
  absl::StatusOr<Reply> reply = ExchangeCommand(conn, unwatch, std::nullopt);
  if (!reply.ok()) conn.Disconnect();
}

// Clears the pipeline's "held" mark however the callback exits.
class HeldMark {
 public:
  explicit HeldMark(Pipeline& pipeline) : pipeline_(pipeline) {
    TransactionAccess::SetHeld(pipeline_, true);
  }
  ~HeldMark() { TransactionAccess::SetHeld(pipeline_, false); }
  HeldMark(const HeldMark&) = delete;
  HeldMark& operator=(const HeldMark&) = delete;

 private:
  Pipeline& pipeline_;
};

absl::StatusOr<PipelineResults> RunTransaction(
    Client& client, TransactionFn fn,
    absl::Span<const std::string> watched_keys,
    const TransactionOptions& options, PooledConnection& pooled) {
  Connection& conn = *pooled;
  Pipeline pipeline(client, {.transaction = true,
                             .raise_on_error = options.raise_on_error});
  absl::InlinedVector<CommandArg, 8> watch;
  if (!watched_keys.empty()) {
    watch.reserve(watched_keys.size() + 1);
    watch.push_back("WATCH");
    for (const std::string& key : watched_keys) watch.push_back(key);
  }
  for (int attempt = 1;; ++attempt) {
    if (!watch.empty()) {
      absl::StatusOr<Reply> watched = ExchangeCommand(conn, watch, std::nullopt);
      if (!watched.ok()) {
        Unwatch(conn);
        return watched.status();
      }
    }
    absl::Status status;
    {
      HeldMark held(pipeline);
      TransactionContext context =
          TransactionAccess::MakeContext(conn, pipeline, attempt);
      status = fn(context);
    }
    if (!status.ok()) {
      pipeline.Reset();
      Unwatch(conn);
      return status;
    }
    if (pipeline.empty()) {
      Unwatch(conn);
      return TransactionAccess::Empty(pipeline);
    }
    absl::StatusOr<PipelineResults> results =
        TransactionAccess::ExecuteOn(pipeline, conn);
    // EXEC (run, refused or aborted) made the server forget the watched keys.
    if (results.ok() || !IsWatchError(results.status())) {
      if (!results.ok() && !IsServerError(results.status())) Unwatch(conn);
      return results;
    }
    if (!WatchRetryAllowed(options.max_tries, attempt)) {
      return WatchRetriesExhausted(attempt, results.status());
    }
    if (options.retry_delay > absl::ZeroDuration()) {
      absl::SleepFor(options.retry_delay);
    }
  }
}

}  // namespace

absl::StatusOr<Reply> TransactionContext::RoundTrip(
    absl::Span<const CommandArg> args,
    std::optional<absl::Duration> server_timeout) {
  OwnWriteScope own_write(cache_, args);  // A write here changes keys too.
  return ExchangeCommand(*connection_, args, server_timeout);
}

absl::StatusOr<PipelineResults> Transaction(
    Client& client, TransactionFn fn,
    absl::Span<const std::string> watched_keys,
    const TransactionOptions& options) {
  if (absl::Status s = CheckWatchMaxTries(options.max_tries); !s.ok()) {
    return s;
  }
  // Connecting is retried per the client's policy; nothing is sent yet.
  absl::StatusOr<PooledConnection> pooled =
      client.retry().Call([&client] { return client.AcquireConnection(); });
  if (!pooled.ok()) return pooled.status();
  absl::StatusOr<PipelineResults> results =
      RunTransaction(client, fn, watched_keys, options, *pooled);
  if ((*pooled)->broken()) pooled->Discard();
  return results;
}

absl::StatusOr<PipelineResults> Transaction(
    Client& client, TransactionFn fn,
    absl::Span<const std::string> watched_keys, int max_tries) {
  return Transaction(client, fn, watched_keys,
                     TransactionOptions{.max_tries = max_tries});
}

}  // namespace valkey

#include "valkey/async/watch_transaction.h"

#include <memory>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "valkey/commands/watch_retry.h"
#include "valkey/common/errors.h"

namespace valkey::async {
namespace {

// Resolves after `delay`, on the loop's thread.
Future<void> Pause(EventLoop& loop, absl::Duration delay) {
  auto promise = std::make_shared<Promise<void>>(&loop);
  Future<void> done = promise->GetFuture();
  loop.RunAfter(delay, [promise] { promise->Set(absl::OkStatus()); });
  return done;
}

// Leaves no watched key behind on a connection going back to the pool.
Task<void> Unwatch(ConnectionPool::Lease& lease) {
  absl::StatusOr<bool> unwatched = co_await lease.Unwatch();
  if (!unwatched.ok()) lease.Discard();
  co_return absl::OkStatus();
}

Task<Reply> Run(Client* client, std::vector<std::string> keys,
                WatchTransactionFn fn, WatchTransactionOptions options) {
  if (absl::Status s = CheckWatchMaxTries(options.max_tries); !s.ok()) {
    co_return s;
  }
  absl::StatusOr<ConnectionPool::Lease> lease = co_await client->Acquire();
  if (!lease.ok()) co_return lease.status();
  for (int attempt = 1;; ++attempt) {
    absl::StatusOr<bool> watched = co_await lease->Watch(keys);
    if (!watched.ok()) {
      lease->Discard();  // Its state is unknown.
      co_return watched.status();
    }
    std::optional<Transaction> tx(lease->Multi());
    absl::Status status = co_await fn(*lease, *tx);
    if (!status.ok() || tx->size() == 0) {
      tx.reset();  // Fails what `fn` queued with CANCELLED; sends nothing.
      (void)co_await Unwatch(*lease);
      if (!status.ok()) co_return status;
      co_return Reply();
    }
    absl::StatusOr<Reply> exec = co_await tx->Exec();
    // EXEC (run, refused or aborted) made the server forget the keys.
    if (exec.ok() || !IsWatchError(exec.status())) {
      if (!exec.ok() && !IsServerError(exec.status())) lease->Discard();
      co_return exec;
    }
    if (!WatchRetryAllowed(options.max_tries, attempt)) {
      co_return WatchRetriesExhausted(attempt, exec.status());
    }
    if (options.retry_delay > absl::ZeroDuration()) {
      (void)co_await Pause(client->loop(), options.retry_delay);
    }
  }
}

}  // namespace

Future<Reply> RunWatchTransaction(Client& client,
                                  std::vector<std::string> keys,
                                  WatchTransactionFn fn,
                                  WatchTransactionOptions options) {
  return Run(&client, std::move(keys), std::move(fn), options).future();
}

}  // namespace valkey::async

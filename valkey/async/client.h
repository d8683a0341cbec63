// async::Client: the typed commands of the blocking Client, from the same
// command table, returning Future<T> — over one multiplexed connection.
//
//   auto thread = *EventLoopThread::Start();
//   auto client = *Client::FromUrl(thread->loop(), "valkey://127.0.0.1:6379");
//   Future<bool> set = client->Set("user:1", "alice");
//   absl::StatusOr<std::optional<std::string>> v = client->Get("user:1").Get();
//
//   Task<int64_t> Bump(Client& c) {                // in a coroutine
//     absl::StatusOr<int64_t> n = co_await c.Incr("hits");
//     co_return n;
//   }
//
// Where commands go:
//   - ordinary commands: the shared connection, auto-pipelined with every
//     other caller's (see connection.h);
//   - blocking commands (BLPOP, XREAD BLOCK, ...): a connection of the
//     exclusive pool, held until the reply, so they never stall the shared
//     connection;
//   - CreatePipeline() / CreateTransaction(): one unbroken unit on the
//     shared connection (a MULTI/EXEC without WATCH is safe there);
//   - Acquire(): an exclusive connection for WATCH transactions and
//     anything stateful;
//   - Subscribe(): a pub/sub subscriber on its own connection (pubsub.h).
//
// Retry: as the blocking client (command_retry.h). With retry.retries > 0,
// a command that fails with a connection error (or a time-out, with
// retry_on_timeout) is sent again after the backoff, on the reconnected
// connection; to do so the client keeps a copy of the command until its
// reply — one allocation per command, only when retries are enabled.
// Commands not yet written when a connection drops wait for the next one
// either way; a command already written may have run, so without retries it
// fails with UNAVAILABLE.
//
// Client-side cache (CacheOptions.enabled, RESP3): the shared connection
// runs CLIENT TRACKING ON (default mode) from its handshake; invalidation
// pushes arrive on that same connection, in order with the replies, and are
// applied on the loop's thread as they arrive. A hit resolves at once without
// I/O. Losing the connection flushes the cache. Which commands are cached
// is the blocking client's rule (cache_policy.h).
//
// Fork: in a fork()ed child every command (cache hits included) fails at
// once with FAILED_PRECONDITION; see event_loop.h and docs/async.md.
//
// Thread-safety: thread-safe; futures resolve on the loop's thread. The
// EventLoop must outlive the client. Destroying the client closes it:
// unanswered commands fail with CANCELLED.

#ifndef VALKEY_ASYNC_CLIENT_H_
#define VALKEY_ASYNC_CLIENT_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "valkey/async/async_executor.h"
#include "valkey/async/connection.h"
#include "valkey/async/connection_pool.h"
#include "valkey/async/credential_refresh_timer.h"
#include "valkey/async/future.h"
#include "valkey/async/transaction.h"
#include "valkey/cache/local_cache.h"
#include "valkey/common/config.h"
#include "valkey/common/config.pb.h"
#include "valkey/common/reauth_result.h"
#include "valkey/common/refresh_schedule.h"

namespace valkey::async {

class PubSub;
struct PubSubHandlers;
class Client;

absl::StatusOr<std::unique_ptr<Client>> MasterFor(EventLoop& loop,
                                                  absl::string_view service,
                                                  ClientOptions options,
                                                  AsyncOptions async);
absl::StatusOr<std::unique_ptr<Client>> ReplicaFor(EventLoop& loop,
                                                   absl::string_view service,
                                                   ClientOptions options,
                                                   AsyncOptions async);

namespace internal {
struct ClientShared;
void ReconnectAll(ClientShared& shared, const std::string& reason);
}  // namespace internal

// The async block of a config (defaults for the fields it leaves unset).
AsyncOptions AsyncOptionsOf(const ClientConfig& config);

class Client : public AsyncExecutor<Client> {
 public:
  // Starts connecting at once (commands issued meanwhile wait for the
  // handshake). Errors: INVALID_ARGUMENT naming the bad option; options
  // with a `sentinel` block are refused (this client connects to the
  // configured server): valkey::async::CreateClient (valkey/client_factory.h)
  // follows the service's master.
  static absl::StatusOr<std::unique_ptr<Client>> Create(
      EventLoop& loop, ClientOptions options, AsyncOptions async = {});
  static absl::StatusOr<std::unique_ptr<Client>> Create(
      EventLoop& loop, const ClientConfig& config);
  static absl::StatusOr<std::unique_ptr<Client>> FromUrl(EventLoop& loop,
                                                         absl::string_view url);

  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Typed commands (Get, Set, HGetAll, ...) and Execute / ExecuteArgs come
  // from AsyncExecutor.

  // A batch written as one unit on the shared connection (transaction.h).
  Pipeline CreatePipeline();
  // MULTI ... EXEC on the shared connection (no WATCH: use Acquire()).
  Transaction CreateTransaction();
  // An exclusive connection (connection_pool.h).
  Future<ConnectionPool::Lease> Acquire();

  // A subscriber on its own connection; see pubsub.h.
  absl::StatusOr<std::unique_ptr<PubSub>> Subscribe(PubSubHandlers handlers);

  // Client-side cache counters (zero without a cache), and a way to drop
  // every entry.
  CacheStats cache_stats() const;
  void FlushCache();
  bool cache_enabled() const;

  // The (first) shared connection.
  Connection& connection();
  // Drops every shared connection and the pool's idle ones, which
  // reconnect (re-resolving: Sentinel's +switch-master uses this).
  void ReconnectAll(const std::string& reason);
  ConnectionPool& pool();
  EventLoop& loop() { return loop_; }
  const ClientOptions& options() const;

  // Credential rotation of live connections (docs/credentials.md).
  //
  // ReauthenticateAll asks the credential provider once (on the calling
  // thread) and switches the client's connections to that identity: AUTH
  // goes into each shared connection's command stream in order with every
  // other caller's commands (commands queued before it run as the old user,
  // those after it as the new one), and the pool re-authenticates its idle
  // connections now and leased ones when their lease ends
  // (ConnectionPool::ReauthenticateAll). A shared connection whose AUTH is
  // refused reconnects (with the provider's secret of that moment; its
  // commands in flight fail with UNAVAILABLE); a refused pool connection is
  // closed. Subscriber connections (Subscribe) keep their identity until
  // they reconnect. The future resolves on the loop's thread with the
  // tally (reauth_result.h; never an error status: failures are in
  // first_error, e.g. FAILED_PRECONDITION without a provider, UNAVAILABLE
  // once closed).
  Future<ReauthResult> ReauthenticateAll();

  // Re-authenticates a margin before the provider's credentials expire,
  // with a timer on the client's event loop (no thread): see
  // credential_refresh_timer.h and refresh_schedule.h. Close() and the
  // destructor stop it. Errors: FAILED_PRECONDITION without a provider or
  // when already enabled; UNAVAILABLE once closed.
  absl::Status EnableCredentialRefresh(CredentialRefreshOptions options = {});
  // Rounds run and failed so far (zeros when refresh is not enabled).
  CredentialRefreshStats credential_refresh_stats() const;

  // Closes the shared connection and the pool, and stops the credential
  // refresh. Idempotent.
  void Close();

  // Command-table hook (AsyncExecutor).
  void Dispatch(absl::Span<const CommandArg> args, ReplySink sink,
                std::optional<absl::Duration> server_timeout);

 private:
  friend absl::StatusOr<std::unique_ptr<Client>> MasterFor(EventLoop&,
                                                           absl::string_view,
                                                           ClientOptions,
                                                           AsyncOptions);
  friend absl::StatusOr<std::unique_ptr<Client>> ReplicaFor(EventLoop&,
                                                            absl::string_view,
                                                            ClientOptions,
                                                            AsyncOptions);

  // How a client built by MasterFor/ReplicaFor differs.
  struct Following {
    bool sentinel = false;             // Retry "no master/replica found".
    std::shared_ptr<void> keep_alive;  // The Sentinel.
  };
  static absl::StatusOr<std::unique_ptr<Client>> CreateWith(
      EventLoop& loop, ClientOptions options, AsyncOptions async,
      Following following);

  Client(EventLoop& loop, std::shared_ptr<internal::ClientShared> shared);

  // Stops the credential refresh, if any (Close).
  void StopCredentialRefresh();

  void DispatchBlocking(absl::Span<const CommandArg> args, ReplySink sink,
                        absl::Duration server_timeout);
  void DispatchWithRetry(absl::Span<const CommandArg> args, ReplySink sink);

  EventLoop& loop_;
  std::shared_ptr<internal::ClientShared> shared_;

  // Null until EnableCredentialRefresh.
  mutable absl::Mutex refresh_mu_;
  std::shared_ptr<CredentialRefreshTimer> refresh_ ABSL_GUARDED_BY(refresh_mu_);
};

}  // namespace valkey::async

#endif  // VALKEY_ASYNC_CLIENT_H_

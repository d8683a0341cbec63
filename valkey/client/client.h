// Client: the blocking Valkey client — typed commands (command_table.h),
// generic Execute, a retry policy on connection errors, and a pool of
// connections underneath.
//
//   absl::StatusOr<std::unique_ptr<valkey::Client>> client =
//       valkey::Client::FromUrl("valkey://localhost:6379/0");
//   if (!client.ok()) return client.status();
//   absl::StatusOr<bool> set = (*client)->Set("greeting", "hello");
//   absl::StatusOr<std::optional<std::string>> v = (*client)->Get("greeting");
//   absl::StatusOr<valkey::Reply> r = (*client)->Execute("OBJECT", "ENCODING",
//                                                        "greeting");
//
// Errors: every call returns absl::Status / StatusOr (errors.h). A server
// error reply becomes a status annotated with the command and the server
// ("GET on 127.0.0.1:6379: WRONGTYPE ..."); it is never retried.
//
// Retry: a command that fails with a connection error (kConnection, kTls),
// and with a time-out when retry_on_timeout is set, is re-run on a fresh
// connection (the broken one is discarded) up to `retry.retries` more times,
// sleeping by the backoff in between. Unlike the reference, a configured
// retry count is all it takes (no separate list of retryable errors to
// keep in step). A retried write may have been applied once already.
//
// Client-side cache (ClientOptions::cache.enabled; RESP3 only): replies of
// read commands such as GET, HGET or LRANGE are kept in memory and served
// without a round trip until the server reports that one of their keys
// changed. One extra connection per client receives those reports, read by
// one small thread the cache owns (it also health-checks that connection);
// see client_cache.h for what is cached and why a value is never served
// stale once its invalidation has arrived. Only Execute*/typed commands use
// the cache (not pipelines, transactions or AcquireConnection()).
//
// Thread-safety: thread-safe. Each call checks a connection out of the pool
// for its duration, so N threads use up to max_connections connections.
// In single-connection mode calls are serialized on one connection.
//
// Fork: a Client may be used in a fork()ed child (fork while no other
// thread is inside a call). The child never touches the parent's sockets:
// the pool forgets inherited connections at the first checkout, a
// single-connection client opens its own connection at its first command,
// and the cache starts over (client_cache.h). The parent's connections keep
// working.

#ifndef VALKEY_CLIENT_CLIENT_H_
#define VALKEY_CLIENT_CLIENT_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "valkey/client/client_cache.h"
#include "valkey/commands/command_table.h"
#include "valkey/commands/immediate_executor.h"
#include "valkey/cache/local_cache.h"
#include "valkey/commands/reply_convert.h"
#include "valkey/common/config.h"
#include "valkey/common/config.pb.h"
#include "valkey/common/reauth_result.h"
#include "valkey/common/refresh_schedule.h"
#include "valkey/common/reply.h"
#include "valkey/common/resp_writer.h"
#include "valkey/common/retry.h"
#include "valkey/connection/connection_pool.h"
#include "valkey/connection/credential_refresher.h"

namespace valkey {

class Client;
namespace client_internal {
// The client's cache (null when disabled), for the pipelines and
// transactions of the same client: their writes must invalidate it too
// (client_cache.h, "Ordering" 5).
ClientCache* CacheOf(Client& client);

// A client on a pool that follows a Sentinel service (valkey/sentinel),
// owning it like Client::Create does (Close() disconnects it); built by
// valkey::MasterFor / ReplicaFor (sentinel_client.h), not by users. Errors
// meaning "no master/replica found" are retried like connection errors.
// With `master_pool`, a READONLY error reply means the master was demoted:
// the connection is discarded, the pool drops every connection
// (Disconnect(true)), and the attempt fails as a connection error
// (UNAVAILABLE) that the retry policy re-runs on a freshly discovered
// master. With `single_connection` the pool must have max_connections 1.
std::unique_ptr<Client> FollowingClient(std::shared_ptr<ConnectionPool> pool,
                                        RetryOptions retry, bool master_pool,
                                        bool single_connection);
}  // namespace client_internal

class Client : public ImmediateExecutor<Client> {
 public:
  // Builds the pool (and the client) from options, a config message or a
  // URL. Errors: INVALID_ARGUMENT naming the bad field (with the cache
  // enabled: "cache.enabled: ... needs connection.protocol 3 ..." under
  // RESP2, bad cache.max_entries / max_bytes / ttl). No connection is
  // opened until the first command. Options with a `sentinel` block (and
  // valkey+sentinel:// URLs) are refused: this client connects to the
  // configured server; valkey::CreateClient (valkey/client_factory.h)
  // follows a Sentinel service's master.
  //
  // With ClientOptions::single_connection the client holds one connection
  // for its life and serializes its calls on it, for code that needs
  // connection state to persist between commands (CLIENT SETNAME,
  // SELECT, ...). With ClientOptions::cache.clock the cache's TTL runs on
  // that clock (tests).
  static absl::StatusOr<std::unique_ptr<Client>> Create(ClientOptions options);
  static absl::StatusOr<std::unique_ptr<Client>> Create(
      const ClientConfig& config);
  static absl::StatusOr<std::unique_ptr<Client>> FromUrl(absl::string_view url);

  // Runs on a pool the caller owns: Close() and the destructor leave it
  // open. `retry` is the policy for this client's commands.
  static std::unique_ptr<Client> FromPool(std::shared_ptr<ConnectionPool> pool,
                                          RetryOptions retry = {});

  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends any command and returns its reply (after a response callback
  // registered for its name, if any). Arguments: strings, bytes, integers,
  // doubles. Errors: a server error reply as its status; connection errors
  // after retries; INVALID_ARGUMENT for an empty command.
  template <typename... Args>
  absl::StatusOr<Reply> Execute(const Args&... args) {
    const CommandArg argv[] = {CommandArg(args)...};
    return ExecuteArgs(absl::Span<const CommandArg>(argv, sizeof...(args)));
  }
  absl::StatusOr<Reply> ExecuteArgs(absl::Span<const CommandArg> args);
  absl::StatusOr<Reply> ExecuteArgv(absl::Span<const absl::string_view> argv);

  // Replaces (or adds) what Execute returns for `command` (case-insensitive):
  // `callback` receives the reply and returns the value handed back (or an
  // error). Typed commands keep their own conversion; to type a command of
  // your own, call Run with a Converter. Not to be called concurrently with
  // commands.
  using ResponseCallback = std::function<absl::StatusOr<Reply>(Reply)>;
  void SetResponseCallback(absl::string_view command,
                           ResponseCallback callback);
  void ClearResponseCallback(absl::string_view command);

  // Run / RunArgs / RunBlockingArgs / Fail: the command-table hooks, from
  // ImmediateExecutor. With the cache, Run/RunArgs convert a hit while the
  // cache's lock is held (the cached reply is read in place): a Converter
  // of your own must not call into this client.

  // A connection for exclusive use (pipelines, transactions, pub/sub,
  // blocking commands); it returns to the pool when released.
  // Errors: as ConnectionPool::Acquire; FAILED_PRECONDITION on a
  // single-connection client, whose only connection is never lent.
  absl::StatusOr<PooledConnection> AcquireConnection();

  ConnectionPool& pool() { return *pool_; }
  const Retry& retry() const { return retry_; }
  // Replaces how the retry loop sleeps between attempts (tests observe the
  // attempts through it; instrumentation may log them). Set before use.
  void set_retry_sleeper(Retry::Sleeper sleeper) {
    retry_.set_sleeper(std::move(sleeper));
  }

  // Client-side cache counters; all zero when the cache is disabled.
  CacheStats cache_stats() const;
  // Drops every cached reply (tracking continues). No-op without a cache.
  void FlushCache();
  // True when ClientOptions::cache.enabled.
  bool cache_enabled() const { return cache_ != nullptr; }

  // Credential rotation of live connections (docs/credentials.md).
  //
  // ReauthenticateAll asks the pool's credential provider once and switches
  // every connection of the client to that identity: the pool's idle
  // connections now, connections checked out by other calls (pipelines,
  // transactions, pub/sub) before their next checkout, and a
  // single-connection client's own connection now (between two commands:
  // it waits for the command in progress). A connection whose AUTH is
  // refused is closed and replaced later with the provider's secret of that
  // moment. See ConnectionPool::ReauthenticateAll for the counts and errors;
  // also UNAVAILABLE once closed. The client-side cache's tracking
  // connection keeps its identity until it reconnects. Thread-safe; blocks
  // for one round trip per idle connection.
  ReauthResult ReauthenticateAll();

  // Starts one background thread that calls ReauthenticateAll a margin
  // before the provider's credentials expire (Credentials::expires_at; see
  // refresh_schedule.h for the margin, the retry backoff after a failed
  // round and the re-check of credentials without an expiry), and again
  // before each new expiry. Close() and the destructor stop and join it.
  // Errors: FAILED_PRECONDITION without a credential provider or when
  // already enabled; UNAVAILABLE once closed.
  absl::Status EnableCredentialRefresh(CredentialRefreshOptions options = {});
  // Rounds run and failed so far (zeros when refresh is not enabled).
  CredentialRefresher::Stats credential_refresh_stats() const;

  // Closes the pool if this client made it, and the cache's tracking
  // connection; stops the credential refresh. Later commands fail with
  // UNAVAILABLE. Idempotent.
  void Close();

 private:
  friend class ImmediateExecutor<Client>;
  friend std::unique_ptr<Client> client_internal::FollowingClient(
      std::shared_ptr<ConnectionPool>, RetryOptions, bool, bool);
  Client(std::shared_ptr<ConnectionPool> pool, bool owns_pool,
         const RetryOptions& retry, bool sentinel = false,
         bool sentinel_master = false);

  // For a Sentinel master pool: READONLY becomes "drop the pool's
  // connections and fail as a connection error" (see client_internal::FollowingClient).
  absl::Status CheckDemoted(const absl::Status& status,
                            PooledConnection& conn);

  // One command: check out, send, read, retry on connection errors. A
  // blocking command adds `server_timeout` to the reply wait (zero: the
  // server may block forever, so the wait is unbounded).
  absl::StatusOr<Reply> RoundTrip(
      absl::Span<const CommandArg> args,
      std::optional<absl::Duration> server_timeout = std::nullopt);
  absl::StatusOr<Reply> RoundTripOnce(
      absl::Span<const CommandArg> args,
      std::optional<absl::Duration> server_timeout);

  // RoundTrip() then `convert` (ImmediateExecutor::RunArgs uses it for
  // every typed non-blocking command). With the cache, a hit is converted
  // straight from the cached entry into the result, under the cache's lock:
  // no copy of the reply, no retry loop, no connection.
  template <typename T>
  absl::StatusOr<T> RoundTripAs(absl::Span<const CommandArg> args,
                                Converter<T> convert) {
    if (cache_ != nullptr && !args.empty() &&
        !closed_.load(std::memory_order_relaxed)) {
      // The result is built in place; `hit` lets the lock go after it.
      if (const LocalCache::Pinned hit = cache_->FindHit(args)) {
        return convert(hit->view());
      }
      ClientCache::Lookup found = cache_->FindMissed(args);
      absl::StatusOr<Reply> reply = RoundTripMissed(args, found);
      if (!reply.ok()) return reply.status();
      return convert(reply->view());
    }
    absl::StatusOr<Reply> reply = RoundTrip(args);
    if (!reply.ok()) return reply.status();
    return convert(reply->view());
  }

  // RoundTrip() of a non-blocking command when there is a cache, for
  // Execute: a hit is copied out of the entry without RoundTrip's frame
  // (the retry loop's), a fifth of a hit's cost.
  absl::StatusOr<Reply> CachedRoundTrip(absl::Span<const CommandArg> args);
  // CachedRoundTrip's miss: out of line, so that the hit's frame is small.
  ABSL_ATTRIBUTE_NOINLINE absl::StatusOr<Reply> CacheMissRoundTrip(
      absl::Span<const CommandArg> args);

  // RoundTrip() of a blocking command when there is a cache (never
  // cached; the read-your-writes bracket). Out of line, as is
  // ApplyCallback: a cache hit's path stays short.
  ABSL_ATTRIBUTE_NOINLINE absl::StatusOr<Reply> RoundTripBlocking(
      absl::Span<const CommandArg> args, absl::Duration server_timeout);
  // Replaces an ok `reply` to the command `name` with what the response
  // callback registered for it returns, if there is one.
  ABSL_ATTRIBUTE_NOINLINE void ApplyCallback(absl::string_view name,
                                             absl::StatusOr<Reply>& reply);

  // The round trip of a non-blocking command the cache did not serve
  // (`found` from ClientCache::Find, not a hit): with the read-your-writes
  // bracket when the command may write, and filling the cache from a
  // cacheable command's reply.
  absl::StatusOr<Reply> RoundTripMissed(absl::Span<const CommandArg> args,
                                        ClientCache::Lookup& found);

  // Checks a connection out of the pool (AcquireConnection minus the
  // single-connection rule).
  absl::StatusOr<PooledConnection> AcquirePooled();

  std::shared_ptr<ConnectionPool> pool_;
  const bool owns_pool_;
  const bool sentinel_master_;
  Retry retry_;
  std::atomic<bool> closed_{false};

  // Single-connection mode.
  bool single_ = false;
  absl::Mutex single_mu_;
  PooledConnection single_connection_ ABSL_GUARDED_BY(single_mu_);

  // Null when the cache is disabled.
  std::unique_ptr<ClientCache> cache_;
  friend ClientCache* client_internal::CacheOf(Client& client);

  // Null until EnableCredentialRefresh.
  mutable absl::Mutex refresh_mu_;
  std::unique_ptr<CredentialRefresher> refresher_ ABSL_GUARDED_BY(refresh_mu_);

  std::atomic<bool> has_callbacks_{false};
  absl::flat_hash_map<std::string, ResponseCallback> callbacks_;
};

}  // namespace valkey

#endif  // VALKEY_CLIENT_CLIENT_H_

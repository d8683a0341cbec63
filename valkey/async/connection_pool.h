// async::ConnectionPool: async connections for exclusive use — WATCH/MULTI/
// EXEC, blocking commands (BLPOP, XREAD BLOCK), anything that needs
// connection state between commands. (Ordinary commands share one
// multiplexed connection instead; see client.h.)
//
//   auto pool = *ConnectionPool::Create(loop, options, {.max_connections = 8});
//   absl::StatusOr<ConnectionPool::Lease> lease = co_await pool->Acquire();
//   co_await lease->Watch({"balance"});
//   ...
//   // The connection returns to the pool when the lease is destroyed.
//
// Acquire never blocks a thread: with every connection lent out, a blocking
// pool (PoolOptions::blocking) queues the request and resolves it when a
// lease comes back, or fails it with DEADLINE_EXCEEDED (kTimeout) after
// wait_timeout (a loop timer); a non-blocking pool fails at once with
// RESOURCE_EXHAUSTED (kPoolExhausted). New connections are opened lazily up
// to max_connections; commands on a new lease wait for its handshake.
//
// Pool connections drop unwritten commands on connection loss
// (AsyncOptions::keep_unwritten_on_loss = false), and a transaction checks
// that no reconnect happened since its WATCH (see Transaction), so a
// reconnect can never silently drop a WATCH.
//
// Thread-safety: thread-safe. A Lease is used by one caller at a time.
// In a fork()ed child Acquire() fails at once with FAILED_PRECONDITION (see
// event_loop.h).

#ifndef VALKEY_ASYNC_CONNECTION_POOL_H_
#define VALKEY_ASYNC_CONNECTION_POOL_H_

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "valkey/async/async_executor.h"
#include "valkey/async/connection.h"
#include "valkey/async/future.h"
#include "valkey/common/credentials.h"
#include "valkey/common/handshake.h"
#include "valkey/common/options.h"
#include "valkey/common/reauth_result.h"

namespace valkey::async {

class Transaction;

class ConnectionPool : public std::enable_shared_from_this<ConnectionPool> {
 public:
  struct Stats {
    int idle = 0;
    int in_use = 0;
    int waiting = 0;
    uint64_t created = 0;
    uint64_t timeouts = 0;   // Waits that ran out.
    uint64_t exhausted = 0;  // Non-blocking refusals.
  };

  // A connection lent out. Typed commands (the command table, blocking ones
  // included), Execute, and transactions run on it. Destroying the lease
  // returns the connection (Discard() closes it instead).
  class Lease : public AsyncExecutor<Lease> {
   public:
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) noexcept;
    ~Lease();

    Connection& connection() { return *connection_; }
    EventLoop& loop() { return connection_->loop(); }

    // WATCH keys...; also records the connection's epoch so that a later
    // Multi() refuses to run across a reconnect.
    Future<bool> Watch(absl::Span<const std::string> keys);
    // UNWATCH.
    Future<bool> Unwatch();
    // A MULTI ... EXEC block on this connection, checked against the last
    // Watch() (if any). See transaction.h.
    Transaction Multi();

    // Closes the connection instead of returning it (its server-side state
    // — a subscription, CLIENT REPLY OFF — must not reach the next user).
    void Discard() { discard_ = true; }

    // Command-table hook (AsyncExecutor).
    void Dispatch(absl::Span<const CommandArg> args, ReplySink sink,
                  std::optional<absl::Duration> server_timeout);

   private:
    friend class ConnectionPool;
    Lease(std::shared_ptr<ConnectionPool> pool,
          std::unique_ptr<Connection> connection)
        : pool_(std::move(pool)), connection_(std::move(connection)) {}
    void Release();

    std::shared_ptr<ConnectionPool> pool_;
    std::unique_ptr<Connection> connection_;
    std::optional<uint64_t> watch_epoch_;
    bool discard_ = false;
  };

  // Errors: INVALID_ARGUMENT for bad options (max_connections < 1, ...).
  static absl::StatusOr<std::shared_ptr<ConnectionPool>> Create(
      EventLoop& loop, ConnectionOptions options, PoolOptions pool,
      AsyncOptions async = {});

  ~ConnectionPool();

  // A connection for exclusive use; see the file comment.
  Future<Lease> Acquire();

  Stats stats() const;
  EventLoop& loop() { return loop_; }

  // Makes idle connections reconnect (see Connection::Reconnect).
  void ReconnectIdle(const std::string& reason);

  // Switches the pool's connections to the credential provider's current
  // identity, asking it once (docs/credentials.md):
  //   - idle connections are taken out of the idle list, sent AUTH
  //     (HandshakePlan::CreateReauth) and put back once the server accepted
  //     it; one refused is closed (it would otherwise keep the old
  //     identity) and replaced on demand;
  //   - leased connections are re-authenticated when their lease ends,
  //     before the next Acquire gets them (counted as `deferred`), never
  //     between a lease holder's commands.
  // The future resolves (on the loop's thread) when every idle
  // connection's reply is in; its value counts the outcomes (always a
  // value, never an error status: failures are in first_error —
  // FAILED_PRECONDITION without a provider, the provider's error with
  // nothing sent, UNAVAILABLE once closed, or the first refusal). Calls
  // the provider on the calling thread. Thread-safe.
  Future<ReauthResult> ReauthenticateAll();
  // Same with credentials already obtained from the provider (a client
  // asks once for its shared connections and its pool).
  Future<ReauthResult> ReauthenticateAll(const Credentials& credentials);

  // Closes idle connections and fails waiters with UNAVAILABLE; later
  // Acquire calls fail, leases still out close when returned. Idempotent.
  void Close();

 private:
  struct Waiter {
    uint64_t id;
    Promise<Lease> promise;
  };

  ConnectionPool(EventLoop& loop, ConnectionOptions options, PoolOptions pool,
                 AsyncOptions async);
  void Return(std::unique_ptr<Connection> connection, bool discard);
  // Sends `plan` on a connection taken out of circulation; then returns it
  // (accepted, and now carrying `epoch`) or discards it (refused).
  void Reauthenticate(std::unique_ptr<Connection> connection,
                      std::shared_ptr<const HandshakePlan> plan,
                      uint64_t epoch,
                      std::function<void(absl::Status)> done);
  void ExpireWaiter(uint64_t id);

  EventLoop& loop_;
  const ConnectionOptions options_;
  const PoolOptions pool_options_;
  const AsyncOptions async_;

  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_ ABSL_GUARDED_BY(mu_);
  std::list<Waiter> waiters_ ABSL_GUARDED_BY(mu_);
  int total_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_waiter_ ABSL_GUARDED_BY(mu_) = 1;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  Stats stats_ ABSL_GUARDED_BY(mu_);
  // Bumped by every ReauthenticateAll; reauth_plan_ is its AUTH. Each live
  // connection maps to the epoch whose credentials it carries.
  uint64_t auth_epoch_ ABSL_GUARDED_BY(mu_) = 0;
  std::shared_ptr<const HandshakePlan> reauth_plan_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<const Connection*, uint64_t> epochs_ ABSL_GUARDED_BY(mu_);
};

}  // namespace valkey::async

#endif  // VALKEY_ASYNC_CONNECTION_POOL_H_

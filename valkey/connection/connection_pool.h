// ConnectionPool: a thread-safe set of Connections to one server, created
// lazily up to a limit and reused last-in-first-out.
//
//   absl::StatusOr<std::unique_ptr<ConnectionPool>> pool =
//       ConnectionPool::Create(connection_options, pool_options);
//   absl::StatusOr<PooledConnection> conn = (*pool)->Acquire();
//   if (conn.ok()) auto reply = (*conn)->Execute("GET", "k");
//   // The connection goes back to the pool when `conn` is destroyed.
//
// At the limit (`max_connections` connections in use), Acquire either fails
// at once with RESOURCE_EXHAUSTED (`PoolOptions::blocking == false`) or waits
// up to `wait_timeout` for a release and then fails with DEADLINE_EXCEEDED
// (blocking; BlockingConnectionPool always is). A release wakes exactly one
// waiter.
//
// At checkout an idle connection is dropped (and replaced) when it has
// unexpected bytes waiting, when its health check fails, or when it was made
// before Disconnect()/Reset() or in another process (fork safety: a child
// never uses its parent's sockets). A broken connection is never returned to
// the idle list. None of this costs a system call for a connection reused
// right after its last reply was read (Connection::HasPendingDataAtCheckout;
// the process ID comes from CurrentProcessId), so a pooled round trip is one
// send and one recv.
//
// Thread-safety: all methods are thread-safe. A PooledConnection is used by
// one thread at a time; it may outlive the pool (it is then closed on
// release).

#ifndef VALKEY_CONNECTION_CONNECTION_POOL_H_
#define VALKEY_CONNECTION_CONNECTION_POOL_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "valkey/common/credentials.h"
#include "valkey/common/options.h"
#include "valkey/common/reauth_result.h"
#include "valkey/connection/connection.h"

namespace valkey {

namespace pool_internal {
class PoolState;
}  // namespace pool_internal

// An RAII handle on a connection checked out of a pool. Move-only, so one
// checkout is released once.
class PooledConnection {
 public:
  PooledConnection() = default;
  PooledConnection(PooledConnection&& other) noexcept;
  PooledConnection& operator=(PooledConnection&& other) noexcept;
  PooledConnection(const PooledConnection&) = delete;
  PooledConnection& operator=(const PooledConnection&) = delete;
  ~PooledConnection();

  Connection* get() const { return connection_; }
  Connection* operator->() const { return connection_; }
  Connection& operator*() const { return *connection_; }
  explicit operator bool() const { return connection_ != nullptr; }

  // Returns the connection to the pool now (closing it if it is broken).
  void Release();
  // Closes the connection and frees its slot instead of reusing it.
  void Discard();

 private:
  friend class pool_internal::PoolState;
  PooledConnection(std::shared_ptr<pool_internal::PoolState> pool,
                   Connection* connection)
      : pool_(std::move(pool)), connection_(connection) {}

  std::shared_ptr<pool_internal::PoolState> pool_;
  Connection* connection_ = nullptr;
};

struct PoolStats {
  int64_t created = 0;     // Connections opened, ever.
  int64_t discarded = 0;   // Connections dropped (broken, stale, pending).
  int idle = 0;            // Open and waiting in the pool.
  int in_use = 0;          // Checked out now.
  int64_t waits = 0;       // Acquires that had to wait (blocking pools).
  int64_t timeouts = 0;    // Waits that ended in DEADLINE_EXCEEDED.
  int64_t exhausted = 0;   // RESOURCE_EXHAUSTED answers (non-blocking).
  int64_t reauthenticated = 0;  // AUTHs of live connections accepted.
  int64_t reauth_failures = 0;  // ... refused or failed (connection closed).
};

class ConnectionPool {
 public:
  // Errors: INVALID_ARGUMENT for max_connections < 1, a negative wait
  // time-out, or bad connection options.
  static absl::StatusOr<std::unique_ptr<ConnectionPool>> Create(
      ConnectionOptions connection, PoolOptions pool);
  static absl::StatusOr<std::unique_ptr<ConnectionPool>> Create(
      std::shared_ptr<const Connector> connector, PoolOptions pool);

  // Opens one new connection for the pool. Called without the pool's lock
  // held, possibly from several threads at once; it may call the pool's
  // Disconnect() (not Acquire()). Its error is what Acquire returns.
  using ConnectFunction =
      std::function<absl::StatusOr<std::unique_ptr<Connection>>()>;

  // Vets an idle connection before it is handed out, after the pool's own
  // checks; a non-OK status drops it and Acquire looks again. Called without
  // the pool's lock held; it may call the pool's Disconnect().
  using CheckoutFunction = std::function<absl::Status(Connection&)>;

  // A pool that opens connections with `connect` instead of
  // connector->Connect(), for connections whose address is decided at
  // connect time (Sentinel: the current master, or a replica), and vets
  // reused ones with `checkout` when given. `connector` still supplies
  // options() and the address named in the pool's own messages.
  // Errors: as Create; INVALID_ARGUMENT when `connect` is empty.
  static absl::StatusOr<std::unique_ptr<ConnectionPool>>
  CreateWithConnectFunction(std::shared_ptr<const Connector> connector,
                            PoolOptions pool, ConnectFunction connect,
                            CheckoutFunction checkout = nullptr);

  virtual ~ConnectionPool();

  // Checks out a connection, opening one if none is idle and the limit
  // allows. Errors: RESOURCE_EXHAUSTED (non-blocking pool at its limit),
  // DEADLINE_EXCEEDED (blocking pool, no release within wait_timeout), or
  // whatever Connector::Connect returns.
  absl::StatusOr<PooledConnection> Acquire();

  // Closes every idle connection now. Connections in use are closed when
  // they come back (include_in_use) or are kept (otherwise).
  void Disconnect(bool include_in_use = true);

  // Forgets every connection (as after fork): idle ones are closed, in-use
  // ones are closed on return, counters restart.
  void Reset();

  // Switches live connections to the provider's current credentials
  // (connector().options().credentials), asking it once:
  //   - every idle connection is sent AUTH now (HandshakePlan::CreateReauth,
  //     the handshake's own AUTH), one after the other on this thread, and
  //     is not handed out meanwhile;
  //   - a connection checked out now (or being opened) is re-authenticated
  //     at its next checkout, before the caller gets it — never between a
  //     caller's commands (counted as `deferred`);
  //   - a connection whose AUTH fails is closed (it would otherwise keep the
  //     old identity); the pool opens a replacement on demand, with the
  //     provider's secret of that moment.
  // Later connections authenticate with the provider as always. Blocks for
  // one round trip per idle connection (each bounded by the socket
  // time-out). The result counts the outcomes (reauth_result.h); its
  // first_error is FAILED_PRECONDITION without a provider, the provider's
  // error (nothing is sent), UNAVAILABLE for a closed pool, or the first
  // refused AUTH (never the password).
  // Thread-safe; concurrent calls are allowed (the last one's credentials
  // win for deferred connections).
  ReauthResult ReauthenticateAll();
  // Same with credentials the caller got from the provider already (a
  // cluster client asks once for all its nodes' pools).
  ReauthResult ReauthenticateAll(const Credentials& credentials);

  PoolStats stats() const;
  const PoolOptions& options() const;
  const Connector& connector() const;

 protected:
  explicit ConnectionPool(std::shared_ptr<pool_internal::PoolState> state);

 private:
  std::shared_ptr<pool_internal::PoolState> state_;
};

// A ConnectionPool that always waits (up to PoolOptions::wait_timeout) for a
// free connection at its limit, whatever PoolOptions::blocking says.
class BlockingConnectionPool : public ConnectionPool {
 public:
  static absl::StatusOr<std::unique_ptr<BlockingConnectionPool>> Create(
      ConnectionOptions connection, PoolOptions pool);
  static absl::StatusOr<std::unique_ptr<BlockingConnectionPool>> Create(
      std::shared_ptr<const Connector> connector, PoolOptions pool);

 private:
  using ConnectionPool::ConnectionPool;
};

}  // namespace valkey

#endif  // VALKEY_CONNECTION_CONNECTION_POOL_H_

#include "valkey/connection/connection_pool.h"

#include <memory>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "valkey/common/errors.h"
#include "valkey/common/handshake.h"
#include "valkey/common/process_id.h"

namespace valkey {
namespace pool_internal {

class PoolState : public std::enable_shared_from_this<PoolState> {
 public:
  PoolState(std::shared_ptr<const Connector> connector, PoolOptions options,
            ConnectionPool::ConnectFunction connect = nullptr,
            ConnectionPool::CheckoutFunction checkout = nullptr)
      : connector_(std::move(connector)),
        options_(std::move(options)),
        connect_(std::move(connect)),
        checkout_(std::move(checkout)),
        pid_(CurrentProcessId()) {}

  absl::StatusOr<PooledConnection> Acquire() ABSL_LOCKS_EXCLUDED(mu_);
  void Release(Connection* connection, bool discard) ABSL_LOCKS_EXCLUDED(mu_);
  void Disconnect(bool include_in_use) ABSL_LOCKS_EXCLUDED(mu_);
  void Reset() ABSL_LOCKS_EXCLUDED(mu_);
  void Close() ABSL_LOCKS_EXCLUDED(mu_);
  PoolStats stats() const ABSL_LOCKS_EXCLUDED(mu_);
  ReauthResult ReauthenticateAll() ABSL_LOCKS_EXCLUDED(mu_);
  ReauthResult ReauthenticateAll(const Credentials& credentials)
      ABSL_LOCKS_EXCLUDED(mu_);

  const PoolOptions& options() const { return options_; }
  const Connector& connector() const { return *connector_; }

 private:
  struct Slot {
    std::unique_ptr<Connection> connection;
    uint64_t generation = 0;
    // The auth_epoch_ whose credentials the connection carries; behind
    // auth_epoch_, it is re-authenticated at its next checkout.
    uint64_t auth_epoch = 0;
  };

  // Sends the plan on `connection` (held in in_use_ by this thread) and
  // counts the outcome.
  absl::Status RunReauth(Connection& connection, const HandshakePlan& plan)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Whether an idle or returning connection may be reused.
  bool Reusable(const Slot& slot) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !closed_ && slot.generation == generation_ &&
           !slot.connection->broken() &&
           // pid_ is refreshed by CheckForkLocked at every Acquire (no
           // system call: CurrentProcessId). A connection released in a
           // child before its first Acquire is dropped by that Acquire.
           slot.connection->owner_pid() == pid_;
  }
  // After fork() the child forgets the parent's connections: they are
  // closed (the child's copy of the descriptor only) and never reused.
  // The check is inline (a load and a compare on every Acquire); starting
  // over is not.
  void CheckForkLocked(std::vector<Slot>& doomed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const pid_t pid = CurrentProcessId();
    if (ABSL_PREDICT_FALSE(pid != pid_)) StartOverInChildLocked(pid, doomed);
  }
  ABSL_ATTRIBUTE_NOINLINE void StartOverInChildLocked(pid_t pid,
                                                      std::vector<Slot>& doomed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ForgetAllLocked(std::vector<Slot>& doomed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int TotalLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return static_cast<int>(idle_.size() + in_use_.size()) + opening_;
  }

  const std::shared_ptr<const Connector> connector_;
  const PoolOptions options_;
  // Null: connector_->Connect().
  const ConnectionPool::ConnectFunction connect_;
  const ConnectionPool::CheckoutFunction checkout_;  // May be null.

  mutable absl::Mutex mu_;
  absl::CondVar released_;  // Signalled once per freed slot or connection.
  std::vector<Slot> idle_ ABSL_GUARDED_BY(mu_);  // LIFO: back is newest.
  absl::flat_hash_map<Connection*, Slot> in_use_ ABSL_GUARDED_BY(mu_);
  // Checked out before a Reset or fork; closed when they come back and not
  // counted against the limit.
  absl::flat_hash_map<Connection*, Slot> abandoned_ ABSL_GUARDED_BY(mu_);
  int opening_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  pid_t pid_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  // Bumped by every ReauthenticateAll; reauth_plan_ is its AUTH, for the
  // connections that were checked out then (null before the first).
  uint64_t auth_epoch_ ABSL_GUARDED_BY(mu_) = 0;
  std::shared_ptr<const HandshakePlan> reauth_plan_ ABSL_GUARDED_BY(mu_);
  PoolStats stats_ ABSL_GUARDED_BY(mu_);
};

void PoolState::ForgetAllLocked(std::vector<Slot>& doomed) {
  ++generation_;
  for (Slot& slot : idle_) doomed.push_back(std::move(slot));
  idle_.clear();
  for (auto& [ptr, slot] : in_use_) abandoned_.emplace(ptr, std::move(slot));
  in_use_.clear();
}

void PoolState::StartOverInChildLocked(pid_t pid, std::vector<Slot>& doomed) {
  pid_ = pid;
  ForgetAllLocked(doomed);
  opening_ = 0;  // Threads opening connections did not survive the fork.
  stats_ = PoolStats();
}

absl::StatusOr<PooledConnection> PoolState::Acquire() {
  std::vector<Slot> doomed;  // Closed outside the lock.
  absl::Time wait_deadline = absl::InfiniteFuture();
  bool waited = false;
  absl::MutexLock lock(&mu_);
  for (;;) {
    CheckForkLocked(doomed);
    if (closed_) {
      return ConnectionError(absl::StrCat("connection pool for ",
                                          connector_->options().Address(),
                                          " is closed"));
    }
    // 1. The most recently used idle connection.
    while (!idle_.empty()) {
      Slot slot = std::move(idle_.back());
      idle_.pop_back();
      if (!Reusable(slot)) {
        ++stats_.discarded;
        doomed.push_back(std::move(slot));
        continue;
      }
      Connection* connection = slot.connection.get();
      const uint64_t generation = slot.generation;
      // Checked out during a ReauthenticateAll: switch it to the new
      // identity before anyone sends on it.
      std::shared_ptr<const HandshakePlan> reauth;
      if (slot.auth_epoch != auth_epoch_) {
        reauth = reauth_plan_;
        slot.auth_epoch = auth_epoch_;
      }
      in_use_.emplace(connection, std::move(slot));
      // Checks that may touch the network run without the lock.
      mu_.Unlock();
      doomed.clear();
      absl::Status healthy = absl::OkStatus();
      if (connection->HasPendingDataAtCheckout()) {
        healthy = ProtocolError("unexpected pending data");
      } else {
        healthy = connection->CheckHealth();
      }
      if (healthy.ok() && reauth != nullptr) {
        healthy = RunReauth(*connection, *reauth);
      }
      if (healthy.ok() && checkout_) healthy = checkout_(*connection);
      mu_.Lock();
      if (healthy.ok() && generation == generation_) {
        return PooledConnection(shared_from_this(), connection);
      }
      // Drop it and look again (its slot is free for a new connection).
      auto it = in_use_.find(connection);
      if (it != in_use_.end()) {
        ++stats_.discarded;
        doomed.push_back(std::move(it->second));
        in_use_.erase(it);
      }
    }
    // 2. A new connection, if the limit allows.
    if (TotalLocked() < options_.max_connections) {
      ++opening_;
      const uint64_t generation = generation_;
      const uint64_t auth_epoch = auth_epoch_;
      mu_.Unlock();
      doomed.clear();
      absl::StatusOr<std::unique_ptr<Connection>> opened =
          connect_ ? connect_() : connector_->Connect();
      if (opened.ok() && *opened == nullptr) {
        opened = ConnectionError("connect function returned no connection");
      }
      mu_.Lock();
      if (opening_ > 0) --opening_;
      if (!opened.ok()) {
        released_.Signal();  // The reserved slot is free again.
        return opened.status();
      }
      ++stats_.created;
      Connection* connection = opened->get();
      in_use_.emplace(connection,
                      Slot{*std::move(opened), generation, auth_epoch});
      return PooledConnection(shared_from_this(), connection);
    }
    // 3. At the limit.
    if (!options_.blocking) {
      ++stats_.exhausted;
      return PoolExhaustedError(absl::StrCat(
          "connection pool for ", connector_->options().Address(),
          " has all ", options_.max_connections, " connections in use"));
    }
    if (!waited) {
      waited = true;
      ++stats_.waits;
      wait_deadline = absl::Now() + options_.wait_timeout;
    }
    if (released_.WaitWithDeadline(&mu_, wait_deadline) &&
        TotalLocked() >= options_.max_connections && idle_.empty()) {
      ++stats_.timeouts;
      return TimeoutError(absl::StrCat(
          "no free connection to ", connector_->options().Address(), " within ",
          absl::FormatDuration(options_.wait_timeout), " (all ",
          options_.max_connections, " in use)"));
    }
  }
}

void PoolState::Release(Connection* connection, bool discard) {
  Slot slot;
  {
    absl::MutexLock lock(&mu_);
    auto it = in_use_.find(connection);
    if (it == in_use_.end()) {
      // Checked out before a Reset or fork: close it, free nothing.
      auto old = abandoned_.find(connection);
      if (old == abandoned_.end()) return;  // Not ours: ignore.
      slot = std::move(old->second);
      abandoned_.erase(old);
    } else {
      slot = std::move(it->second);
      in_use_.erase(it);
      if (!discard && Reusable(slot)) {
        idle_.push_back(std::move(slot));
        released_.Signal();
        return;
      }
      ++stats_.discarded;
      released_.Signal();
    }
  }
  // `slot` closes its connection here, outside the lock.
}

void PoolState::Disconnect(bool include_in_use) {
  std::vector<Slot> doomed;
  absl::MutexLock lock(&mu_);
  if (include_in_use) ++generation_;
  for (Slot& slot : idle_) doomed.push_back(std::move(slot));
  idle_.clear();
  released_.SignalAll();  // Waiters may open new connections now.
}

void PoolState::Reset() {
  std::vector<Slot> doomed;
  absl::MutexLock lock(&mu_);
  ForgetAllLocked(doomed);
  stats_ = PoolStats();
  released_.SignalAll();
}

void PoolState::Close() {
  std::vector<Slot> doomed;
  absl::MutexLock lock(&mu_);
  closed_ = true;
  ForgetAllLocked(doomed);
  released_.SignalAll();
}

absl::Status PoolState::RunReauth(Connection& connection,
                                  const HandshakePlan& plan) {
  absl::Status status = connection.Reauthenticate(plan);
  absl::MutexLock lock(&mu_);
  if (status.ok()) {
    ++stats_.reauthenticated;
  } else {
    ++stats_.reauth_failures;
  }
  return status;
}

ReauthResult PoolState::ReauthenticateAll() {
  const std::shared_ptr<CredentialProvider>& provider =
      connector_->options().credentials;
  ReauthResult result;
  if (provider == nullptr) {
    result.first_error = MakeError(
        absl::StatusCode::kFailedPrecondition, ErrorKind::kNone,
        absl::StrCat("re-authenticate connections to ",
                     connector_->options().Address(),
                     ": no credential provider configured"));
    return result;
  }
  absl::StatusOr<Credentials> credentials = provider->GetCredentials();
  if (!credentials.ok()) {
    result.first_error = Annotate(
        credentials.status(),
        absl::StrCat("get credentials to re-authenticate connections to ",
                     connector_->options().Address()));
    return result;
  }
  return ReauthenticateAll(*credentials);
}

ReauthResult PoolState::ReauthenticateAll(const Credentials& credentials) {
  ReauthResult result;
  result.expires_at = credentials.expires_at;
  auto plan = std::make_shared<const HandshakePlan>(
      HandshakePlan::CreateReauth(credentials));
  std::vector<Connection*> now;  // Idle ones, held in in_use_ meanwhile.
  std::vector<Slot> doomed;      // Closed outside the lock.
  {
    absl::MutexLock lock(&mu_);
    CheckForkLocked(doomed);
    if (closed_) {
      result.first_error = ConnectionError(
          absl::StrCat("connection pool for ", connector_->options().Address(),
                       " is closed"));
      return result;
    }
    ++auth_epoch_;
    reauth_plan_ = plan;
    // Connections in use, or being opened (possibly with the previous
    // secret), switch at their next checkout.
    result.deferred = static_cast<int>(in_use_.size()) + opening_;
    for (Slot& slot : idle_) {
      if (!Reusable(slot)) {
        ++stats_.discarded;
        doomed.push_back(std::move(slot));
        continue;
      }
      slot.auth_epoch = auth_epoch_;
      Connection* connection = slot.connection.get();
      now.push_back(connection);
      in_use_.emplace(connection, std::move(slot));
    }
    idle_.clear();
  }
  doomed.clear();
  for (Connection* connection : now) {
    absl::Status status = RunReauth(*connection, *plan);
    result.Record(status);
    // Back to the idle list (or closed, when AUTH failed: Disconnect()
    // marked it broken, so Release drops it and frees its slot).
    Release(connection, /*discard=*/!status.ok());
  }
  return result;
}

PoolStats PoolState::stats() const {
  absl::MutexLock lock(&mu_);
  PoolStats stats = stats_;
  stats.idle = static_cast<int>(idle_.size());
  stats.in_use = static_cast<int>(in_use_.size());
  return stats;
}

}  // namespace pool_internal

// ---------------------------------------------------------- PooledConnection

PooledConnection::PooledConnection(PooledConnection&& other) noexcept
    : pool_(std::move(other.pool_)),
      connection_(std::exchange(other.connection_, nullptr)) {}

PooledConnection& PooledConnection::operator=(
    PooledConnection&& other) noexcept {
  if (this != &other) {
    Release();
    pool_ = std::move(other.pool_);
    connection_ = std::exchange(other.connection_, nullptr);
  }
  return *this;
}

PooledConnection::~PooledConnection() { Release(); }

void PooledConnection::Release() {
  if (connection_ == nullptr) return;
  pool_->Release(std::exchange(connection_, nullptr), /*discard=*/false);
  pool_.reset();
}

void PooledConnection::Discard() {
  if (connection_ == nullptr) return;
  pool_->Release(std::exchange(connection_, nullptr), /*discard=*/true);
  pool_.reset();
}

// ------------------------------------------------------------ ConnectionPool

namespace {

absl::Status ValidatePoolOptions(const PoolOptions& options) {
  if (options.max_connections < 1) {
    return InvalidArgumentError(absl::StrCat(
        "pool.max_connections: ", options.max_connections,
        " is not a valid limit (must be at least 1)"));
  }
  if (options.wait_timeout < absl::ZeroDuration()) {
    return InvalidArgumentError("pool.wait_timeout: must not be negative");
  }
  return absl::OkStatus();
}

}  // namespace

ConnectionPool::ConnectionPool(std::shared_ptr<pool_internal::PoolState> state)
    : state_(std::move(state)) {}

ConnectionPool::~ConnectionPool() { state_->Close(); }

absl::StatusOr<std::unique_ptr<ConnectionPool>> ConnectionPool::Create(
    ConnectionOptions connection, PoolOptions pool) {
  absl::StatusOr<std::shared_ptr<const Connector>> connector =
      Connector::Create(std::move(connection));
  if (!connector.ok()) return connector.status();
  return Create(*std::move(connector), std::move(pool));
}

absl::StatusOr<std::unique_ptr<ConnectionPool>> ConnectionPool::Create(
    std::shared_ptr<const Connector> connector, PoolOptions pool) {
  if (absl::Status s = ValidatePoolOptions(pool); !s.ok()) return s;
  return std::unique_ptr<ConnectionPool>(
      new ConnectionPool(std::make_shared<pool_internal::PoolState>(
          std::move(connector), std::move(pool))));
}

absl::StatusOr<std::unique_ptr<ConnectionPool>>
ConnectionPool::CreateWithConnectFunction(
    std::shared_ptr<const Connector> connector, PoolOptions pool,
    ConnectFunction connect, CheckoutFunction checkout) {
  if (absl::Status s = ValidatePoolOptions(pool); !s.ok()) return s;
  if (!connect) {
    return InvalidArgumentError("connection pool: empty connect function");
  }
  return std::unique_ptr<ConnectionPool>(
      new ConnectionPool(std::make_shared<pool_internal::PoolState>(
          std::move(connector), std::move(pool), std::move(connect),
          std::move(checkout))));
}

absl::StatusOr<PooledConnection> ConnectionPool::Acquire() {
  return state_->Acquire();
}

void ConnectionPool::Disconnect(bool include_in_use) {
  state_->Disconnect(include_in_use);
}

void ConnectionPool::Reset() { state_->Reset(); }

ReauthResult ConnectionPool::ReauthenticateAll() {
  return state_->ReauthenticateAll();
}

ReauthResult ConnectionPool::ReauthenticateAll(const Credentials& credentials) {
  return state_->ReauthenticateAll(credentials);
}

PoolStats ConnectionPool::stats() const { return state_->stats(); }

const PoolOptions& ConnectionPool::options() const {
  return state_->options();
}

const Connector& ConnectionPool::connector() const {
  return state_->connector();
}

absl::StatusOr<std::unique_ptr<BlockingConnectionPool>>
BlockingConnectionPool::Create(ConnectionOptions connection, PoolOptions pool) {
  absl::StatusOr<std::shared_ptr<const Connector>> connector =
      Connector::Create(std::move(connection));
  if (!connector.ok()) return connector.status();
  return Create(*std::move(connector), std::move(pool));
}

absl::StatusOr<std::unique_ptr<BlockingConnectionPool>>
BlockingConnectionPool::Create(std::shared_ptr<const Connector> connector,
                               PoolOptions pool) {
  pool.blocking = true;
  if (absl::Status s = ValidatePoolOptions(pool); !s.ok()) return s;
  return std::unique_ptr<BlockingConnectionPool>(
      new BlockingConnectionPool(std::make_shared<pool_internal::PoolState>(
          std::move(connector), std::move(pool))));
}

}  // namespace valkey

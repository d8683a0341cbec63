#include "valkey/async/connection_pool.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "valkey/async/reauth.h"
#include "valkey/async/transaction.h"
#include "valkey/commands/command_args.h"
#include "valkey/common/errors.h"
#include "valkey/connection/connection.h"

namespace valkey::async {

ConnectionPool::Lease& ConnectionPool::Lease::operator=(Lease&& o) noexcept {
  if (this != &o) {
    Release();
    pool_ = std::move(o.pool_);
    connection_ = std::move(o.connection_);
    watch_epoch_ = o.watch_epoch_;
    discard_ = o.discard_;
  }
  return *this;
}

ConnectionPool::Lease::~Lease() { Release(); }

void ConnectionPool::Lease::Release() {
  if (pool_ != nullptr && connection_ != nullptr) {
    // A WATCH left behind would abort the next user's transaction. UNWATCH
    // has a reply like any command: queue it as one (FIFO matching consumes
    // its +OK before the next user's first command).
    if (watch_epoch_.has_value()) {
      const CommandArg unwatch[] = {"UNWATCH"};
      connection_->Submit(unwatch,
                          ReplySink{[](void*, void*, absl::StatusOr<Reply>) {},
                                    nullptr, nullptr});
    }
    pool_->Return(std::move(connection_), discard_);
  }
  pool_.reset();
  connection_.reset();
}

void ConnectionPool::Lease::Dispatch(
    absl::Span<const CommandArg> args, ReplySink sink,
    std::optional<absl::Duration> server_timeout) {
  connection_->Submit(args, sink, BlockingExtraWait(server_timeout));
}

Future<bool> ConnectionPool::Lease::Watch(absl::Span<const std::string> keys) {
  if (keys.empty()) {
    return Future<bool>::Resolved(
        InvalidArgumentError("WATCH: needs at least one key"));
  }
  // The epoch of the connection the WATCH goes out on. Commands on a pool
  // connection are never carried across a reconnect (keep_unwritten_on_loss
  // is off), so if the epoch moves later, this WATCH is gone.
  watch_epoch_ = connection_->stats().connects;
  if (!connection_->connected()) {
    // Not up yet (a fresh lease): it will be the first connection.
    watch_epoch_ = std::max<uint64_t>(*watch_epoch_, 1);
  }
  CommandArgs args{"WATCH"};
  for (const std::string& k : keys) args.push_back(k);
  return RunArgs<bool>(&convert::Ok, args.span());
}

Future<bool> ConnectionPool::Lease::Unwatch() {
  watch_epoch_.reset();
  return Run<bool>(&convert::Ok, "UNWATCH");
}

Transaction ConnectionPool::Lease::Multi() {
  std::optional<uint64_t> epoch = watch_epoch_;
  watch_epoch_.reset();  // EXEC (or its failure) ends the WATCH.
  return Transaction(*connection_, epoch);
}

absl::StatusOr<std::shared_ptr<ConnectionPool>> ConnectionPool::Create(
    EventLoop& loop, ConnectionOptions options, PoolOptions pool,
    AsyncOptions async) {
  if (pool.max_connections < 1) {
    return InvalidArgumentError(absl::StrCat(
        "pool.max_connections must be at least 1, got ", pool.max_connections));
  }
  if (pool.blocking && pool.wait_timeout <= absl::ZeroDuration()) {
    return InvalidArgumentError("pool.wait_timeout must be positive");
  }
  async.keep_unwritten_on_loss = false;
  // Validate once up front (the checks every connection runs).
  if (absl::StatusOr<std::shared_ptr<const Connector>> connector =
          Connector::Create(options);
      !connector.ok()) {
    return connector.status();
  }
  return std::shared_ptr<ConnectionPool>(
      new ConnectionPool(loop, std::move(options), pool, std::move(async)));
}

ConnectionPool::ConnectionPool(EventLoop& loop, ConnectionOptions options,
                               PoolOptions pool, AsyncOptions async)
    : loop_(loop),
      options_(std::move(options)),
      pool_options_(pool),
      async_(std::move(async)) {}

ConnectionPool::~ConnectionPool() { Close(); }

Future<ConnectionPool::Lease> ConnectionPool::Acquire() {
  if (!loop_.InOwnerProcess()) {  // fork()ed child: see event_loop.h.
    return Future<Lease>::Resolved(loop_.CheckOwnerProcess());
  }
  std::unique_ptr<Connection> connection;
  Future<Lease> waiting;
  uint64_t waiter_id = 0;
  {
    absl::MutexLock lock(&mu_);
    if (closed_) {
      return Future<Lease>::Resolved(
          ConnectionError("connection pool is closed"));
    }
    if (!idle_.empty()) {
      connection = std::move(idle_.back());
      idle_.pop_back();
    } else if (total_ < pool_options_.max_connections) {
      absl::StatusOr<Connection> created =
          Connection::Create(loop_, options_, async_);
      if (!created.ok()) return Future<Lease>::Resolved(created.status());
      connection = std::make_unique<Connection>(*std::move(created));
      ++total_;
      ++stats_.created;
      epochs_[connection.get()] = auth_epoch_;
    } else if (!pool_options_.blocking) {
      ++stats_.exhausted;
      return Future<Lease>::Resolved(PoolExhaustedError(absl::StrCat(
          "connection pool for ", options_.Address(), ": all ",
          pool_options_.max_connections, " connections are in use")));
    } else {
      waiter_id = next_waiter_++;
      Promise<Lease> promise(&loop_);
      waiting = promise.GetFuture();
      waiters_.push_back(Waiter{waiter_id, std::move(promise)});
    }
  }
  if (connection != nullptr) {
    return Future<Lease>::Resolved(
        Lease(shared_from_this(), std::move(connection)));
  }
  std::weak_ptr<ConnectionPool> weak = weak_from_this();
  const absl::Duration wait = pool_options_.wait_timeout;
  loop_.Post([weak, waiter_id, wait, &loop = loop_] {
    loop.RunAfter(wait, [weak, waiter_id] {
      if (auto pool = weak.lock()) pool->ExpireWaiter(waiter_id);
    });
  });
  return waiting;
}

void ConnectionPool::ExpireWaiter(uint64_t id) {
  std::optional<Promise<Lease>> expired;
  {
    absl::MutexLock lock(&mu_);
    for (auto it = waiters_.begin(); it != waiters_.end(); ++it) {
      if (it->id == id) {
        expired.emplace(std::move(it->promise));
        waiters_.erase(it);
        ++stats_.timeouts;
        break;
      }
    }
  }
  if (expired.has_value()) {
    expired->Set(TimeoutError(
        absl::StrCat("connection pool for ", options_.Address(),
                     ": no connection free within ",
                     absl::FormatDuration(pool_options_.wait_timeout))));
  }
}

void ConnectionPool::Return(std::unique_ptr<Connection> connection,
                            bool discard) {
  std::optional<Promise<Lease>> waiter;
  std::shared_ptr<const HandshakePlan> reauth;
  uint64_t reauth_epoch = 0;
  {
    absl::MutexLock lock(&mu_);
    auto stale = epochs_.find(connection.get());
    if (!closed_ && !discard && reauth_plan_ != nullptr &&
        stale != epochs_.end() && stale->second != auth_epoch_) {
      // Leased during a ReauthenticateAll: switch it before anyone else
      // gets it (below, without the lock).
      reauth = reauth_plan_;
      reauth_epoch = auth_epoch_;
    } else if (closed_ || discard) {
      --total_;
      epochs_.erase(connection.get());
      // Closed outside the lock (below) when `connection` goes.
    } else if (!waiters_.empty()) {
      waiter.emplace(std::move(waiters_.front().promise));
      waiters_.pop_front();
    } else {
      idle_.push_back(std::move(connection));
    }
  }
  if (reauth != nullptr) {
    Reauthenticate(std::move(connection), std::move(reauth), reauth_epoch,
                   [](absl::Status) {});
    return;
  }
  if (waiter.has_value()) {
    waiter->Set(Lease(shared_from_this(), std::move(connection)));
  } else if (discard && connection != nullptr) {
    // A discarded connection may be replaced: wake a waiter with a new one.
    connection.reset();
    bool wake = false;
    {
      absl::MutexLock lock(&mu_);
      wake = !waiters_.empty() && !closed_;
    }
    if (wake) {
      absl::StatusOr<Connection> created =
          Connection::Create(loop_, options_, async_);
      std::optional<Promise<Lease>> w;
      {
        absl::MutexLock lock(&mu_);
        if (!waiters_.empty()) {
          w.emplace(std::move(waiters_.front().promise));
          waiters_.pop_front();
          if (created.ok()) {
            ++total_;
            ++stats_.created;
          }
        }
      }
      if (w.has_value()) {
        if (created.ok()) {
          auto fresh = std::make_unique<Connection>(*std::move(created));
          {
            absl::MutexLock lock(&mu_);
            epochs_[fresh.get()] = auth_epoch_;
          }
          w->Set(Lease(shared_from_this(), std::move(fresh)));
        } else {
          w->Set(created.status());
        }
      }
    }
  }
}

void ConnectionPool::ReconnectIdle(const std::string& reason) {
  absl::MutexLock lock(&mu_);
  for (auto& c : idle_) c->Reconnect(reason);
}

ConnectionPool::Stats ConnectionPool::stats() const {
  absl::MutexLock lock(&mu_);
  Stats s = stats_;
  s.idle = static_cast<int>(idle_.size());
  s.in_use = total_ - s.idle;
  s.waiting = static_cast<int>(waiters_.size());
  return s;
}

void ConnectionPool::Close() {
  std::vector<std::unique_ptr<Connection>> idle;
  std::list<Waiter> waiters;
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    closed_ = true;
    idle.swap(idle_);
    total_ -= static_cast<int>(idle.size());
    for (const auto& c : idle) epochs_.erase(c.get());
    waiters.swap(waiters_);
  }
  for (Waiter& w : waiters) {
    w.promise.Set(ConnectionError("connection pool was closed"));
  }
  // `idle` closes its connections on the way out.
}

void ConnectionPool::Reauthenticate(std::unique_ptr<Connection> connection,
                                    std::shared_ptr<const HandshakePlan> plan,
                                    uint64_t epoch,
                                    std::function<void(absl::Status)> done) {
  // The callback owns the connection until the reply is in (a
  // std::function must be copyable, hence the shared holder).
  Connection& conn = *connection;
  auto held =
      std::make_shared<std::unique_ptr<Connection>>(std::move(connection));
  std::weak_ptr<ConnectionPool> weak = weak_from_this();
  SubmitReauth(conn, *plan,
               [weak, held, epoch, done = std::move(done)](absl::Status s) {
                 if (std::shared_ptr<ConnectionPool> pool = weak.lock()) {
                   if (s.ok()) {
                     absl::MutexLock lock(&pool->mu_);
                     auto it = pool->epochs_.find(held->get());
                     if (it != pool->epochs_.end() && it->second < epoch) {
                       it->second = epoch;
                     }
                   }
                   // Refused: closed, as it still has the old identity.
                   pool->Return(std::move(*held), /*discard=*/!s.ok());
                 }
                 done(s);
               });
}

Future<ReauthResult> ConnectionPool::ReauthenticateAll() {
  ReauthResult result;
  if (options_.credentials == nullptr) {
    result.first_error = MakeError(
        absl::StatusCode::kFailedPrecondition, ErrorKind::kNone,
        absl::StrCat("re-authenticate connections to ", options_.Address(),
                     ": no credential provider configured"));
    return Future<ReauthResult>::Resolved(std::move(result));
  }
  absl::StatusOr<Credentials> credentials =
      options_.credentials->GetCredentials();
  if (!credentials.ok()) {
    result.first_error = Annotate(
        credentials.status(),
        absl::StrCat("get credentials to re-authenticate connections to ",
                     options_.Address()));
    return Future<ReauthResult>::Resolved(std::move(result));
  }
  return ReauthenticateAll(*credentials);
}

Future<ReauthResult> ConnectionPool::ReauthenticateAll(
    const Credentials& credentials) {
  ReauthResult result;
  result.expires_at = credentials.expires_at;
  auto plan = std::make_shared<const HandshakePlan>(
      HandshakePlan::CreateReauth(credentials));
  std::vector<std::unique_ptr<Connection>> now;
  uint64_t epoch = 0;
  {
    absl::MutexLock lock(&mu_);
    if (closed_) {
      result.first_error = ConnectionError(absl::StrCat(
          "connection pool for ", options_.Address(), " is closed"));
      return Future<ReauthResult>::Resolved(std::move(result));
    }
    epoch = ++auth_epoch_;
    reauth_plan_ = plan;
    now.swap(idle_);
    result.deferred = total_ - static_cast<int>(now.size());
  }
  auto tally = std::make_shared<ReauthTally>(
      loop_, static_cast<int>(now.size()), std::move(result));
  Future<ReauthResult> done = tally->TakeFuture();
  for (std::unique_ptr<Connection>& connection : now) {
    Reauthenticate(std::move(connection), plan, epoch,
                   [tally](absl::Status s) { tally->Add(s); });
  }
  return done;
}

}  // namespace valkey::async

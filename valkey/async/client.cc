#include "valkey/async/client.h"

#include <atomic>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "valkey/async/cache_own_writes.h"
#include "valkey/async/pubsub.h"
#include "valkey/async/reauth.h"
#include "valkey/cache/cache_policy.h"
#include "valkey/commands/command_retry.h"
#include "valkey/common/errors.h"
#include "valkey/common/handshake.h"
#include "valkey/common/one_reply_rule.h"
#include "valkey/common/retry.h"
#include "valkey/common/url.h"

namespace valkey::async {
namespace internal {

struct ClientShared {
  ClientShared(ClientOptions o, AsyncOptions a, bool sentinel)
      : options(std::move(o)),
        async(std::move(a)),
        retry(CommandRetry(options.connection.retry, sentinel)) {}

  // The next shared connection, round-robin.
  Connection& Pick() {
    if (connections.size() == 1) return *connections[0];
    return *connections[next.fetch_add(1, std::memory_order_relaxed) %
                        connections.size()];
  }

  const ClientOptions options;
  const AsyncOptions async;
  const Retry retry;
  std::vector<std::unique_ptr<Connection>> connections;
  std::atomic<uint64_t> next{0};
  std::shared_ptr<void> keep_alive;  // E.g. the Sentinel being followed.
  std::shared_ptr<ConnectionPool> pool;
  std::atomic<bool> closed{false};  // No more retries once set.

  // Client-side cache (null when disabled). `tracking` is true while the
  // shared connection is up with CLIENT TRACKING on.
  std::unique_ptr<CachePolicy> policy;
  std::shared_ptr<LocalCache> cache;
  std::shared_ptr<std::atomic<bool>> tracking;
};

void ReconnectAll(ClientShared& shared, const std::string& reason) {
  for (auto& c : shared.connections) c->Reconnect(reason);
  shared.pool->ReconnectIdle(reason);
}

}  // namespace internal

namespace {

// A cache miss on its way to the server: stores the reply for its fill
// (unless an invalidation poisoned the fill meanwhile), then hands it on.
struct CacheFill {
  std::shared_ptr<LocalCache> cache;
  LocalCache::Ticket ticket;
  ReplySink next;

  static void OnReply(void* ctx, void*, absl::StatusOr<Reply> outcome) {
    std::unique_ptr<CacheFill> fill(static_cast<CacheFill*>(ctx));
    if (outcome.ok() && !outcome->is_error() && !outcome->is_push()) {
      fill->cache->EndFill(fill->ticket, outcome->Clone());
    } else {
      fill->cache->CancelFill(fill->ticket);
    }
    fill->next.fn(fill->next.ctx, fill->next.aux, std::move(outcome));
  }
};

// A command kept (packed) so it can be sent again after a retryable failure.
struct RetryOp {
  RetryOp(std::shared_ptr<internal::ClientShared> s, ReplySink n)
      : shared(std::move(s)), next(n), state(shared->retry) {}

  std::shared_ptr<internal::ClientShared> shared;
  std::string packed;
  ReplySink next;
  RetryState state;

  void Send() {
    const ReplySink sink{&RetryOp::OnReply, this, nullptr};
    shared->Pick().SubmitPacked(packed, absl::MakeConstSpan(&sink, 1));
  }

  static void OnReply(void* ctx, void*, absl::StatusOr<Reply> outcome) {
    auto* op = static_cast<RetryOp*>(ctx);
    if (!outcome.ok() && !op->shared->closed.load() &&
        op->state.IsRetryable(outcome.status())) {
      std::optional<absl::Duration> wait = op->state.OnFailure();
      if (wait.has_value()) {
        // OnReply may run on a caller's thread (a refused submission):
        // timers belong to the loop.
        EventLoop& loop = op->shared->connections[0]->loop();
        const absl::Duration delay = *wait;
        loop.Post(
            [op, delay, &loop] { loop.RunAfter(delay, [op] { op->Send(); }); });
        return;
      }
    }
    std::unique_ptr<RetryOp> done(op);
    done->next.fn(done->next.ctx, done->next.aux, std::move(outcome));
  }
};

// A blocking command on a leased pool connection, returned after the reply.
struct BlockingOp {
  std::optional<ConnectionPool::Lease> lease;
  ReplySink next;

  static void OnReply(void* ctx, void*, absl::StatusOr<Reply> outcome) {
    std::unique_ptr<BlockingOp> op(static_cast<BlockingOp*>(ctx));
    // A command that timed out may still be running on the server: the
    // connection must not carry its late reply to the next user.
    if (!outcome.ok() && IsTimeout(outcome.status())) op->lease->Discard();
    op->lease.reset();
    op->next.fn(op->next.ctx, op->next.aux, std::move(outcome));
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<Client>> Client::Create(EventLoop& loop,
                                                       ClientOptions options,
                                                       AsyncOptions async) {
  if (options.sentinel.has_value()) {
    return InvalidArgumentError(
        "sentinel: Client::Create connects to the configured server; to "
        "follow a Sentinel service use valkey::async::CreateClient "
        "(valkey/client_factory.h) or valkey::async::MasterFor "
        "(valkey/sentinel/async_sentinel.h)");
  }
  return CreateWith(loop, std::move(options), std::move(async), {});
}

absl::StatusOr<std::unique_ptr<Client>> Client::CreateWith(
    EventLoop& loop, ClientOptions options, AsyncOptions async,
    Following following) {
  if (async.shared_connections < 1) {
    return InvalidArgumentError("shared_connections must be at least 1");
  }
  if (options.cache.enabled && async.shared_connections != 1) {
    return InvalidArgumentError(
        "cache.enabled: the async client's cache needs one shared "
        "connection");
  }
  auto shared = std::make_shared<internal::ClientShared>(
      std::move(options), async, following.sentinel);
  shared->keep_alive = std::move(following.keep_alive);
  AsyncOptions shared_async = async;
  if (shared->options.cache.enabled) {
    if (absl::Status s = CachePolicy::Validate(shared->options.cache,
                                               shared->options.connection);
        !s.ok()) {
      return s;
    }
    const CacheOptions& c = shared->options.cache;
    shared->policy = std::make_unique<CachePolicy>(c);
    shared->cache = std::make_shared<LocalCache>(
        LocalCache::Options{.max_entries = c.max_entries,
                            .max_bytes = static_cast<size_t>(c.max_bytes),
                            .ttl = c.ttl,
                            .eviction = c.eviction,
                            .clock = nullptr});
    shared->tracking = std::make_shared<std::atomic<bool>>(false);
    // Default-mode tracking on the shared connection: the server tracks the
    // keys this connection reads, and its invalidations arrive in order
    // with the replies. The connection's loss is always seen (below).
    // A server (or an ACL) that refuses tracking leaves the client working
    // without the cache: commands then bypass it.
    const size_t tracking_index = shared_async.setup_commands.size();
    shared_async.setup_commands.push_back({"CLIENT", "TRACKING", "ON"});
    auto accepted = std::make_shared<std::atomic<bool>>(false);
    auto user_check = async.check_setup_reply;
    shared_async.check_setup_reply = [tracking_index, accepted, user_check](
                                         size_t i,
                                         const Reply& reply) -> absl::Status {
      if (i == tracking_index) {
        accepted->store(!reply.is_error());
        return absl::OkStatus();
      }
      return user_check ? user_check(i, reply) : reply.ToStatus();
    };
    std::shared_ptr<LocalCache> cache = shared->cache;
    std::shared_ptr<std::atomic<bool>> tracking = shared->tracking;
    // Read-your-writes on every connection of the client (cache_own_writes.h).
    shared_async.observer = std::make_shared<CacheOwnWrites>(cache);
    auto user_push = async.on_push;
    shared_async.on_push = [cache, user_push](Reply push) {
      if (CachePolicy::ApplyInvalidation(push.view(), *cache)) return;
      if (user_push) user_push(std::move(push));
    };
    auto user_connected = async.on_connected;
    shared_async.on_connected = [tracking, accepted, user_connected] {
      tracking->store(accepted->load());
      if (user_connected) user_connected();
    };
    auto user_disconnected = async.on_disconnected;
    shared_async.on_disconnected = [cache, tracking,
                                    user_disconnected](const absl::Status& s) {
      // Invalidations may have been lost with the connection.
      tracking->store(false);
      cache->Flush();
      if (user_disconnected) user_disconnected(s);
    };
  }
  for (int i = 0; i < async.shared_connections; ++i) {
    absl::StatusOr<Connection> connection =
        Connection::Create(loop, shared->options.connection, shared_async);
    if (!connection.ok()) return connection.status();
    shared->connections.push_back(
        std::make_unique<Connection>(*std::move(connection)));
  }
  // Exclusive connections: the same routing, none of the shared hooks.
  AsyncOptions pool_async;
  pool_async.max_in_flight = async.max_in_flight;
  pool_async.max_queued_bytes = async.max_queued_bytes;
  pool_async.write_during_dispatch = async.write_during_dispatch;
  pool_async.setup_commands = async.setup_commands;
  pool_async.resolve = async.resolve;
  pool_async.address_label = async.address_label;
  pool_async.check_setup_reply = async.check_setup_reply;
  pool_async.drop_on_readonly = async.drop_on_readonly;
  pool_async.observer = shared_async.observer;
  absl::StatusOr<std::shared_ptr<ConnectionPool>> pool = ConnectionPool::Create(
      loop, shared->options.connection, shared->options.pool, pool_async);
  if (!pool.ok()) return pool.status();
  shared->pool = *std::move(pool);
  return std::unique_ptr<Client>(new Client(loop, std::move(shared)));
}

absl::StatusOr<std::unique_ptr<Client>> Client::Create(
    EventLoop& loop, const ClientConfig& config) {
  absl::StatusOr<ClientOptions> options = ToClientOptions(config);
  if (!options.ok()) return options.status();
  return Create(loop, *std::move(options), AsyncOptionsOf(config));
}

AsyncOptions AsyncOptionsOf(const ClientConfig& config) {
  AsyncOptions async;
  if (config.async().has_max_in_flight()) {
    async.max_in_flight = config.async().max_in_flight();
  }
  if (config.async().has_max_queued_bytes()) {
    async.max_queued_bytes = config.async().max_queued_bytes();
  }
  if (config.async().has_write_during_dispatch()) {
    async.write_during_dispatch = config.async().write_during_dispatch();
  }
  return async;
}

absl::StatusOr<std::unique_ptr<Client>> Client::FromUrl(EventLoop& loop,
                                                        absl::string_view url) {
  absl::StatusOr<ClientConfig> config = ParseUrl(url);
  if (!config.ok()) return config.status();
  return Create(loop, *config);
}

Client::Client(EventLoop& loop, std::shared_ptr<internal::ClientShared> shared)
    : loop_(loop), shared_(std::move(shared)) {}

Client::~Client() { Close(); }

void Client::Close() {
  StopCredentialRefresh();
  shared_->closed.store(true);
  for (auto& c : shared_->connections) c->Close();
  shared_->pool->Close();
}

void Client::Dispatch(absl::Span<const CommandArg> args, ReplySink sink,
                      std::optional<absl::Duration> server_timeout) {
  // fork()ed child: no cache hit either (no invalidation reaches it there).
  if (!loop_.InOwnerProcess()) {
    sink.fn(sink.ctx, sink.aux, loop_.CheckOwnerProcess());
    return;
  }
  // Checked here for the retry and blocking paths, which pack the command;
  // a plain submission is checked by Connection::Submit, and the cache
  // takes only reads, none of which the rule refuses.
  if (server_timeout.has_value() || shared_->retry.retries() != 0) {
    if (absl::Status refused = CheckOneReplyPerCommand(args); !refused.ok()) {
      sink.fn(sink.ctx, sink.aux, std::move(refused));
      return;
    }
  }
  if (server_timeout.has_value()) {
    return DispatchBlocking(args, sink, *server_timeout);
  }
  if (shared_->cache != nullptr && shared_->tracking->load()) {
    // The store is probed first, by the arguments themselves: an entry
    // exists only for a command the policy accepted (the policy is a
    // function of what the key holds), so a hit needs neither the policy
    // nor a key. The copy is made under the store's lock, the sink runs
    // after it (it may call into the cache).
    std::optional<Reply> hit;
    if (LocalCache::Pinned pinned =
            shared_->cache->Pin(args, /*count=*/false)) {
      pinned.CountHit();
      hit.emplace(Reply::CloneOf{*pinned});
    }
    if (hit.has_value()) {
      sink.fn(sink.ctx, sink.aux, *std::move(hit));
      return;
    }
    if (shared_->policy->Cacheable(args)) {
      // A miss allocates nothing here but the fill: the key is built on
      // the stack, the keys the command reads are listed for the fill.
      // Get() counts the miss (or serves what another caller just filled).
      LocalCache::KeyBuffer buffer;
      const absl::string_view key = LocalCache::MakeKey(args, buffer);
      if (std::optional<Reply> filled = shared_->cache->Get(key);
          filled.has_value()) {
        sink.fn(sink.ctx, sink.aux, *std::move(filled));
        return;
      }
      auto* fill =
          new CacheFill{shared_->cache,
                        shared_->cache->BeginFill(
                            key, shared_->policy->KeysOfCacheable(args)),
                        sink};
      sink = ReplySink{&CacheFill::OnReply, fill, nullptr};
    }
  }
  if (shared_->retry.retries() != 0) return DispatchWithRetry(args, sink);
  shared_->Pick().Submit(args, sink);
}

void Client::DispatchWithRetry(absl::Span<const CommandArg> args,
                               ReplySink sink) {
  if (args.empty()) {
    sink.fn(sink.ctx, sink.aux, InvalidArgumentError("empty command"));
    return;
  }
  auto* op = new RetryOp(shared_, sink);
  AppendCommandArgs(op->packed, args);
  op->Send();
}

void Client::DispatchBlocking(absl::Span<const CommandArg> args, ReplySink sink,
                              absl::Duration server_timeout) {
  if (args.empty()) {
    sink.fn(sink.ctx, sink.aux, InvalidArgumentError("empty command"));
    return;
  }
  std::string packed;
  AppendCommandArgs(packed, args);
  const absl::Duration extra = BlockingExtraWait(server_timeout);
  shared_->pool->Acquire().Then(
      [packed = std::move(packed), sink,
       extra](absl::StatusOr<ConnectionPool::Lease> lease) mutable {
        if (!lease.ok()) {
          sink.fn(sink.ctx, sink.aux, lease.status());
          return;
        }
        auto* op = new BlockingOp{*std::move(lease), sink};
        const ReplySink wrapped{&BlockingOp::OnReply, op, nullptr};
        op->lease->connection().SubmitPacked(
            packed, absl::MakeConstSpan(&wrapped, 1), std::nullopt, extra);
      });
}

Pipeline Client::CreatePipeline() { return Pipeline(shared_->Pick()); }

Transaction Client::CreateTransaction() { return Transaction(shared_->Pick()); }

Future<ConnectionPool::Lease> Client::Acquire() {
  return shared_->pool->Acquire();
}

absl::StatusOr<std::unique_ptr<PubSub>> Client::Subscribe(
    PubSubHandlers handlers) {
  return PubSub::Create(loop_, shared_->options.connection,
                        std::move(handlers));
}

CacheStats Client::cache_stats() const {
  return shared_->cache != nullptr ? shared_->cache->stats() : CacheStats();
}

void Client::FlushCache() {
  if (shared_->cache != nullptr) shared_->cache->Flush();
}

bool Client::cache_enabled() const { return shared_->cache != nullptr; }

Connection& Client::connection() { return *shared_->connections[0]; }

void Client::ReconnectAll(const std::string& reason) {
  internal::ReconnectAll(*shared_, reason);
}
ConnectionPool& Client::pool() { return *shared_->pool; }
const ClientOptions& Client::options() const { return shared_->options; }

// Credential rotation (client.h). Kept together, after the rest.

namespace {

Future<ReauthResult> ReauthenticateShared(
    const EventLoop& loop, std::shared_ptr<internal::ClientShared> shared) {
  ReauthResult result;
  if (shared->closed.load()) {
    result.first_error = ConnectionError("client is closed");
    return Future<ReauthResult>::Resolved(std::move(result));
  }
  const ConnectionOptions& options = shared->options.connection;
  if (options.credentials == nullptr) {
    result.first_error = MakeError(
        absl::StatusCode::kFailedPrecondition, ErrorKind::kNone,
        absl::StrCat("re-authenticate connections to ", options.Address(),
                     ": no credential provider configured"));
    return Future<ReauthResult>::Resolved(std::move(result));
  }
  absl::StatusOr<Credentials> credentials =
      options.credentials->GetCredentials();
  if (!credentials.ok()) {
    result.first_error = Annotate(
        credentials.status(),
        absl::StrCat("get credentials to re-authenticate connections to ",
                     options.Address()));
    return Future<ReauthResult>::Resolved(std::move(result));
  }
  result.expires_at = credentials->expires_at;
  const HandshakePlan plan = HandshakePlan::CreateReauth(*credentials);
  auto tally = std::make_shared<ReauthTally>(
      loop, static_cast<int>(shared->connections.size()) + 1,
      std::move(result));
  Future<ReauthResult> done = tally->TakeFuture();
  for (size_t i = 0; i < shared->connections.size(); ++i) {
    SubmitReauth(
        *shared->connections[i], plan, [tally, shared, i](absl::Status status) {
          // Refused: it still has the old identity; reconnecting
          // takes the provider's current secret.
          if (!status.ok() && !shared->closed.load()) {
            shared->connections[i]->Reconnect("re-authentication failed");
          }
          tally->Add(status);
        });
  }
  shared->pool->ReauthenticateAll(*credentials)
      .Then([tally](absl::StatusOr<ReauthResult> pool_result) {
        if (pool_result.ok()) {
          tally->AddAll(*pool_result);
        } else {
          ReauthResult failed;
          failed.first_error = pool_result.status();
          tally->AddAll(failed);
        }
      });
  return done;
}

}  // namespace

Future<ReauthResult> Client::ReauthenticateAll() {
  return ReauthenticateShared(loop_, shared_);
}

absl::Status Client::EnableCredentialRefresh(CredentialRefreshOptions options) {
  absl::MutexLock lock(&refresh_mu_);
  if (shared_->closed.load()) return ConnectionError("client is closed");
  if (refresh_ != nullptr) {
    return MakeError(absl::StatusCode::kFailedPrecondition, ErrorKind::kNone,
                     "credential refresh is already enabled on this client");
  }
  // The timer keeps the shared state (not the Client) alive, so a round
  // under way when the client goes finishes safely.
  absl::StatusOr<std::shared_ptr<CredentialRefreshTimer>> timer =
      CredentialRefreshTimer::Start(
          loop_, shared_->options.connection.credentials,
          [&loop = loop_, shared = shared_] {
            return ReauthenticateShared(loop, shared);
          },
          std::move(options));
  if (!timer.ok()) return timer.status();
  refresh_ = *std::move(timer);
  return absl::OkStatus();
}

CredentialRefreshStats Client::credential_refresh_stats() const {
  absl::MutexLock lock(&refresh_mu_);
  return refresh_ != nullptr ? refresh_->stats() : CredentialRefreshStats();
}

void Client::StopCredentialRefresh() {
  std::shared_ptr<CredentialRefreshTimer> timer;
  {
    absl::MutexLock lock(&refresh_mu_);
    timer = std::move(refresh_);
  }
  if (timer != nullptr) timer->Stop();
}

}  // namespace valkey::async

#include "valkey/client/client.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "valkey/client/command_exchange.h"
#include "valkey/commands/command_retry.h"
#include "valkey/common/errors.h"
#include "valkey/common/handshake.h"
#include "valkey/common/process_id.h"
#include "valkey/common/url.h"

namespace valkey {

Client::Client(std::shared_ptr<ConnectionPool> pool, bool owns_pool,
               const RetryOptions& retry, bool sentinel, bool sentinel_master)
    : pool_(std::move(pool)),
      owns_pool_(owns_pool),
      sentinel_master_(sentinel_master),
      retry_(CommandRetry(retry, sentinel)) {}

Client::~Client() { Close(); }

absl::StatusOr<std::unique_ptr<Client>> Client::Create(ClientOptions options) {
  if (options.sentinel.has_value()) {
    return InvalidArgumentError(
        "sentinel: Client::Create connects to the configured server; to "
        "follow a Sentinel service use valkey::CreateClient "
        "(valkey/client_factory.h) or valkey::MasterFor "
        "(valkey/sentinel/sentinel_client.h)");
  }
  std::unique_ptr<ClientCache> cache;
  if (options.cache.enabled) {
    LocalCache::Clock clock = options.cache.clock;
    absl::StatusOr<std::unique_ptr<ClientCache>> made = ClientCache::Create(
        options.cache, options.connection, std::move(clock));
    if (!made.ok()) return made.status();
    cache = *std::move(made);
  }
  if (options.single_connection) {
    options.pool.max_connections = 1;
    options.pool.blocking = true;
  }
  const RetryOptions retry = options.connection.retry;
  absl::StatusOr<std::unique_ptr<ConnectionPool>> pool = ConnectionPool::Create(
      std::move(options.connection), std::move(options.pool));
  if (!pool.ok()) return pool.status();
  auto client = std::unique_ptr<Client>(
      new Client(std::shared_ptr<ConnectionPool>(*std::move(pool)),
                 /*owns_pool=*/true, retry));
  client->cache_ = std::move(cache);
  client->single_ = options.single_connection;
  return client;
}

absl::StatusOr<std::unique_ptr<Client>> Client::Create(
    const ClientConfig& config) {
  absl::StatusOr<ClientOptions> options = ToClientOptions(config);
  if (!options.ok()) return options.status();
  return Create(*std::move(options));
}

absl::StatusOr<std::unique_ptr<Client>> Client::FromUrl(absl::string_view url) {
  absl::StatusOr<ClientConfig> config = ParseUrl(url);
  if (!config.ok()) return config.status();
  return Create(*config);
}

std::unique_ptr<Client> Client::FromPool(std::shared_ptr<ConnectionPool> pool,
                                         RetryOptions retry) {
  return std::unique_ptr<Client>(
      new Client(std::move(pool), /*owns_pool=*/false, retry));
}

std::unique_ptr<Client> client_internal::FollowingClient(
    std::shared_ptr<ConnectionPool> pool, RetryOptions retry, bool master_pool,
    bool single_connection) {
  auto client = std::unique_ptr<Client>(
      new Client(std::move(pool), /*owns_pool=*/true, retry,
                 /*sentinel=*/true, master_pool));
  client->single_ = single_connection;
  return client;
}

absl::Status Client::CheckDemoted(const absl::Status& status,
                                  PooledConnection& conn) {
  if (!sentinel_master_ || !IsReadOnlyError(status)) return status;
  conn.Discard();
  pool_->Disconnect(/*include_in_use=*/true);
  return ConnectionError(absl::StrCat(
      "the previous master is now a replica (", status.message(), ")"));
}

CacheStats Client::cache_stats() const {
  return cache_ != nullptr ? cache_->stats() : CacheStats();
}

void Client::FlushCache() {
  if (cache_ != nullptr) cache_->Flush();
}

void Client::Close() {
  if (closed_.exchange(true)) return;
  std::unique_ptr<CredentialRefresher> refresher;
  {
    absl::MutexLock lock(&refresh_mu_);
    refresher = std::move(refresher_);
  }
  refresher.reset();  // Joins its thread before the pool closes.
  if (cache_ != nullptr) cache_->Close();
  {
    absl::MutexLock lock(&single_mu_);
    single_connection_.Release();
  }
  if (owns_pool_) pool_->Disconnect(/*include_in_use=*/true);
}

absl::StatusOr<PooledConnection> Client::AcquireConnection() {
  if (single_) {
    // The client's only connection is held for its commands: waiting for
    // another would only end in the pool's wait time-out.
    return MakeError(
        absl::StatusCode::kFailedPrecondition, ErrorKind::kNone,
        "a single-connection client has no connection to lend (pipelines, "
        "transactions, pub/sub and monitor need a pooled Client)");
  }
  return AcquirePooled();
}

absl::StatusOr<PooledConnection> Client::AcquirePooled() {
  if (closed_.load(std::memory_order_relaxed)) {
    return ConnectionError("client is closed");
  }
  return pool_->Acquire();
}

absl::StatusOr<Reply> Client::RoundTripOnce(
    absl::Span<const CommandArg> args,
    std::optional<absl::Duration> server_timeout) {
  auto exchange = [&](Connection& conn) {
    return ExchangeCommand(conn, args, server_timeout);
  };

  if (single_) {
    absl::MutexLock lock(&single_mu_);
    // In a fork()ed child the held connection is the parent's socket: a
    // command sent on it would interleave with the parent's and take its
    // replies. Drop the child's copy of the descriptor (Discard only closes
    // it: no shutdown(), no TLS close_notify) and open the child's own, as
    // the pool does at checkout.
    if (!single_connection_ || single_connection_->broken() ||
        single_connection_->owner_pid() != CurrentProcessId()) {
      single_connection_.Discard();
      absl::StatusOr<PooledConnection> conn = AcquirePooled();
      if (!conn.ok()) return conn.status();
      single_connection_ = *std::move(conn);
    }
    absl::StatusOr<Reply> reply = exchange(*single_connection_);
    if (sentinel_master_ && !reply.ok()) {
      return CheckDemoted(reply.status(), single_connection_);
    }
    return reply;
  }
  absl::StatusOr<PooledConnection> conn = AcquireConnection();
  if (!conn.ok()) return conn.status();
  // A broken connection goes back to the pool, which closes it.
  absl::StatusOr<Reply> reply = exchange(**conn);
  if (sentinel_master_ && !reply.ok()) return CheckDemoted(reply.status(), *conn);
  return reply;
}

absl::StatusOr<Reply> Client::RoundTrip(
    absl::Span<const CommandArg> args,
    std::optional<absl::Duration> server_timeout) {
  if (args.empty()) return InvalidArgumentError("empty command");
  // A closed client fails at once: retrying (and sleeping) cannot help.
  if (closed_.load(std::memory_order_relaxed)) {
    return ConnectionError("client is closed");
  }
  // Read-your-writes: a write drops its keys from the cache now and again
  // when its reply is in (client_cache.h, "Ordering" 5). Blocking commands
  // are never cached.
  if (cache_ == nullptr) {
    // The common case stays inline: out of line it cost a round trip ~37
    // instructions (client_benchmark --count=ours/client/get16).
    return retry_.Call([&]() { return RoundTripOnce(args, server_timeout); });
  }
  if (server_timeout.has_value()) {
    return RoundTripBlocking(args, *server_timeout);
  }
  if (const LocalCache::Pinned hit = cache_->FindHit(args)) {
    return hit->Clone();
  }
  ClientCache::Lookup found = cache_->FindMissed(args);
  return RoundTripMissed(args, found);
}

// Inlined into ExecuteArgs, its one caller: the hit is built in the
// caller's result, in one frame; a miss goes out of line.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline absl::StatusOr<Reply>
Client::CachedRoundTrip(absl::Span<const CommandArg> args) {
  if (!args.empty() && !closed_.load(std::memory_order_relaxed)) {
    if (const LocalCache::Pinned hit = cache_->FindHit(args)) {
      return absl::StatusOr<Reply>(absl::in_place, Reply::CloneOf{*hit});
    }
    return CacheMissRoundTrip(args);
  }
  return RoundTrip(args);  // Its error.
}

absl::StatusOr<Reply> Client::CacheMissRoundTrip(
    absl::Span<const CommandArg> args) {
  ClientCache::Lookup found = cache_->FindMissed(args);
  return RoundTripMissed(args, found);
}

absl::StatusOr<Reply> Client::RoundTripBlocking(
    absl::Span<const CommandArg> args, absl::Duration server_timeout) {
  OwnWriteScope own_write(cache_.get(), args);
  return retry_.Call([&]() { return RoundTripOnce(args, server_timeout); });
}

absl::StatusOr<Reply> Client::RoundTripMissed(absl::Span<const CommandArg> args,
                                              ClientCache::Lookup& found) {
  constexpr std::optional<absl::Duration> server_timeout;  // Not blocking.
  if (!found.cacheable) {
    OwnWriteScope own_write(cache_.get(), args);
    return retry_.Call([&]() { return RoundTripOnce(args, server_timeout); });
  }
  // A cacheable command only reads: there is nothing of its own to drop.
  absl::StatusOr<Reply> reply =
      retry_.Call([&]() { return RoundTripOnce(args, server_timeout); });
  if (reply.ok()) cache_->Store(std::move(found.fill), *reply);
  return reply;
}

absl::StatusOr<Reply> Client::ExecuteArgs(absl::Span<const CommandArg> args) {
  // One named result, returned on every path (no move of it on return).
  absl::StatusOr<Reply> reply =
      cache_ != nullptr ? CachedRoundTrip(args) : RoundTrip(args);
  if (has_callbacks_.load(std::memory_order_acquire) && !args.empty() &&
      reply.ok()) {
    ApplyCallback(args[0].view(), reply);
  }
  return reply;
}

void Client::ApplyCallback(absl::string_view name,
                           absl::StatusOr<Reply>& reply) {
  auto it = callbacks_.find(absl::AsciiStrToUpper(name));
  if (it != callbacks_.end()) reply = it->second(*std::move(reply));
}

absl::StatusOr<Reply> Client::ExecuteArgv(
    absl::Span<const absl::string_view> argv) {
  absl::InlinedVector<CommandArg, 8> args(argv.begin(), argv.end());
  return ExecuteArgs(args);
}

void Client::SetResponseCallback(absl::string_view command,
                                 ResponseCallback callback) {
  callbacks_.insert_or_assign(absl::AsciiStrToUpper(command),
                              std::move(callback));
  has_callbacks_.store(true, std::memory_order_release);
}

void Client::ClearResponseCallback(absl::string_view command) {
  callbacks_.erase(absl::AsciiStrToUpper(command));
  has_callbacks_.store(!callbacks_.empty(), std::memory_order_release);
}

ReauthResult Client::ReauthenticateAll() {
  ReauthResult result;
  if (closed_.load(std::memory_order_relaxed)) {
    result.first_error = ConnectionError("client is closed");
    return result;
  }
  if (!single_) return pool_->ReauthenticateAll();
  const std::shared_ptr<CredentialProvider>& provider =
      pool_->connector().options().credentials;
  if (provider == nullptr) return pool_->ReauthenticateAll();  // Its error.
  absl::StatusOr<Credentials> credentials = provider->GetCredentials();
  if (!credentials.ok()) {
    result.first_error = Annotate(
        credentials.status(),
        absl::StrCat("get credentials to re-authenticate connections to ",
                     pool_->connector().options().Address()));
    return result;
  }
  // Held so that no command of this client is between its send and its
  // reply while the AUTH goes out.
  absl::MutexLock lock(&single_mu_);
  result = pool_->ReauthenticateAll(*credentials);
  if (single_connection_ && !single_connection_->broken() &&
      single_connection_->owner_pid() == CurrentProcessId()) {
    --result.deferred;  // The pool counted it as checked out.
    const absl::Status status = single_connection_->Reauthenticate(
        HandshakePlan::CreateReauth(*credentials));
    result.Record(status);
    // Refused: it was closed; the next command opens a new one.
    if (!status.ok()) single_connection_.Discard();
  }
  return result;
}

absl::Status Client::EnableCredentialRefresh(
    CredentialRefreshOptions options) {
  absl::MutexLock lock(&refresh_mu_);
  if (closed_.load(std::memory_order_relaxed)) {
    return ConnectionError("client is closed");
  }
  if (refresher_ != nullptr) {
    return MakeError(absl::StatusCode::kFailedPrecondition, ErrorKind::kNone,
                     "credential refresh is already enabled on this client");
  }
  absl::StatusOr<std::unique_ptr<CredentialRefresher>> refresher =
      CredentialRefresher::Start(pool_->connector().options().credentials,
                                 [this] { return ReauthenticateAll(); },
                                 std::move(options));
  if (!refresher.ok()) return refresher.status();
  refresher_ = *std::move(refresher);
  return absl::OkStatus();
}

CredentialRefresher::Stats Client::credential_refresh_stats() const {
  absl::MutexLock lock(&refresh_mu_);
  return refresher_ != nullptr ? refresher_->stats()
                               : CredentialRefresher::Stats();
}

namespace client_internal {
ClientCache* CacheOf(Client& client) { return client.cache_.get(); }
}  // namespace client_internal

}  // namespace valkey

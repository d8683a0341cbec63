#include "valkey/client/client.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "valkey/common/errors.h"
#include "valkey/common/url.h"

namespace valkey {
namespace {

Retry MakeRetry(const RetryOptions& options) {
  std::vector<ErrorKind> kinds = {ErrorKind::kConnection, ErrorKind::kTls};
  if (options.retry_on_timeout) kinds.push_back(ErrorKind::kTimeout);
  return Retry(options.backoff, options.retries, kinds);
}

}  // namespace

Client::Client(std::shared_ptr<ConnectionPool> pool, bool owns_pool,
               const RetryOptions& retry)
    : pool_(std::move(pool)), owns_pool_(owns_pool), retry_(MakeRetry(retry)) {}

Client::~Client() { Close(); }

absl::StatusOr<std::unique_ptr<Client>> Client::Create(ClientOptions options) {
  return Create(std::move(options), nullptr);
}

absl::StatusOr<std::unique_ptr<Client>> Client::Create(
    ClientOptions options, LocalCache::Clock cache_clock) {
  if (options.sentinel.has_value()) {
    return InvalidArgumentError(
        "sentinel: Sentinel-managed clients are not available yet");
  }
  std::unique_ptr<ClientCache> cache;
  if (options.cache.enabled) {
    absl::StatusOr<std::unique_ptr<ClientCache>> made = ClientCache::Create(
        options.cache, options.connection, std::move(cache_clock));
    if (!made.ok()) return made.status();
    cache = *std::move(made);
  }
  const RetryOptions retry = options.connection.retry;
  absl::StatusOr<std::unique_ptr<ConnectionPool>> pool = ConnectionPool::Create(
      std::move(options.connection), std::move(options.pool));
  if (!pool.ok()) return pool.status();
  auto client = std::unique_ptr<Client>(
      new Client(std::shared_ptr<ConnectionPool>(*std::move(pool)),
                 /*owns_pool=*/true, retry));
  client->cache_ = std::move(cache);
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

absl::StatusOr<std::unique_ptr<Client>> Client::CreateSingleConnection(
    ClientOptions options) {
  options.pool.max_connections = 1;
  options.pool.blocking = true;
  absl::StatusOr<std::unique_ptr<Client>> client = Create(std::move(options));
  if (!client.ok()) return client;
  (*client)->single_ = true;
  return client;
}

std::unique_ptr<Client> Client::FromPool(std::shared_ptr<ConnectionPool> pool,
                                         RetryOptions retry) {
  return std::unique_ptr<Client>(
      new Client(std::move(pool), /*owns_pool=*/false, retry));
}

CacheStats Client::cache_stats() const {
  return cache_ != nullptr ? cache_->stats() : CacheStats();
}

void Client::FlushCache() {
  if (cache_ != nullptr) cache_->Flush();
}

void Client::Close() {
  if (closed_.exchange(true)) return;
  if (cache_ != nullptr) cache_->Close();
  {
    absl::MutexLock lock(&single_mu_);
    single_connection_.Release();
  }
  if (owns_pool_) pool_->Disconnect(/*include_in_use=*/true);
}

absl::StatusOr<PooledConnection> Client::AcquireConnection() {
  if (closed_.load(std::memory_order_relaxed)) {
    return ConnectionError("client is closed");
  }
  return pool_->Acquire();
}

absl::StatusOr<Reply> Client::RoundTripOnce(
    absl::Span<const CommandArg> args,
    std::optional<absl::Duration> server_timeout) {
  auto exchange = [&](Connection& conn) -> absl::StatusOr<Reply> {
    absl::Status sent = conn.SendEncoded(
        [&](std::string& out) { AppendCommandArgs(out, args); });
    if (!sent.ok()) return sent;
    absl::StatusOr<Reply> reply;
    if (server_timeout.has_value()) {
      const absl::Duration socket = conn.connector().options().socket_timeout;
      const bool forever = *server_timeout <= absl::ZeroDuration() ||
                           socket == absl::InfiniteDuration();
      reply = conn.ReadReply(forever ? absl::InfiniteFuture()
                                     : absl::Now() + socket + *server_timeout);
    } else {
      reply = conn.ReadReply();
    }
    if (reply.ok() && reply->is_error()) {
      return Annotate(reply->ToStatus(),
                      absl::StrCat(absl::AsciiStrToUpper(args[0].view()),
                                   " on ", conn.address()));
    }
    return reply;
  };
  if (single_) {
    absl::MutexLock lock(&single_mu_);
    if (!single_connection_ || single_connection_->broken()) {
      single_connection_.Discard();
      absl::StatusOr<PooledConnection> conn = AcquireConnection();
      if (!conn.ok()) return conn.status();
      single_connection_ = *std::move(conn);
    }
    return exchange(*single_connection_);
  }
  absl::StatusOr<PooledConnection> conn = AcquireConnection();
  if (!conn.ok()) return conn.status();
  // A broken connection goes back to the pool, which closes it.
  return exchange(**conn);
}

absl::StatusOr<Reply> Client::RoundTrip(
    absl::Span<const CommandArg> args,
    std::optional<absl::Duration> server_timeout) {
  if (args.empty()) return InvalidArgumentError("empty command");
  // Blocking commands are never cached.
  if (cache_ == nullptr || server_timeout.has_value() ||
      closed_.load(std::memory_order_relaxed)) {
    return retry_.Call([&]() { return RoundTripOnce(args, server_timeout); });
  }
  ClientCache::Lookup found = cache_->Find(args);
  if (found.hit.has_value()) return *std::move(found.hit);
  absl::StatusOr<Reply> reply =
      retry_.Call([&]() { return RoundTripOnce(args, server_timeout); });
  if (reply.ok()) cache_->Store(std::move(found.fill), *reply);
  return reply;
}

absl::StatusOr<Reply> Client::ExecuteArgs(absl::Span<const CommandArg> args) {
  absl::StatusOr<Reply> reply = RoundTrip(args);
  if (!has_callbacks_.load(std::memory_order_acquire) || args.empty()) {
    return reply;
  }
  auto it = callbacks_.find(absl::AsciiStrToUpper(args[0].view()));
  if (it == callbacks_.end() || !reply.ok()) return reply;
  return it->second(*std::move(reply));
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

}  // namespace valkey

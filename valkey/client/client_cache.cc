#include "valkey/client/client_cache.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "valkey/common/errors.h"

namespace valkey {
ClientCache::Fill& ClientCache::Fill::operator=(Fill&& other) noexcept {
  if (this != &other) {
    Cancel();
    cache_ = std::exchange(other.cache_, nullptr);
    ticket_ = std::exchange(other.ticket_, 0);
  }
  return *this;
}

void ClientCache::Fill::Cancel() {
  if (cache_ != nullptr) cache_->CancelFill(ticket_);
  cache_ = nullptr;
}

absl::StatusOr<std::unique_ptr<ClientCache>> ClientCache::Create(
    const CacheOptions& options, const ConnectionOptions& connection,
    LocalCache::Clock clock) {
  if (absl::Status s = CachePolicy::Validate(options, connection); !s.ok()) {
    return s;
  }
  absl::StatusOr<std::shared_ptr<const Connector>> connector =
      Connector::Create(connection);
  if (!connector.ok()) return connector.status();
  return std::unique_ptr<ClientCache>(
      new ClientCache(options, *std::move(connector), std::move(clock)));
}

ClientCache::ClientCache(const CacheOptions& options,
                         std::shared_ptr<const Connector> connector,
                         LocalCache::Clock clock)
    : options_(options),
      connector_(std::move(connector)),
      policy_(options),
      cache_(LocalCache::Options{.max_entries = options.max_entries,
                                 .max_bytes =
                                     static_cast<size_t>(options.max_bytes),
                                 .ttl = options.ttl,
                                 .eviction = options.eviction,
                                 .clock = std::move(clock)}) {}

ClientCache::~ClientCache() { Close(); }

std::optional<std::vector<std::string>> ClientCache::KeysOf(
    absl::string_view upper_name, absl::Span<const CommandArg> args) {
  return CachePolicy::KeysOf(upper_name, args);
}

ClientCache::Lookup ClientCache::Find(absl::Span<const CommandArg> args) {
  Lookup out;
  std::vector<std::string> keys;
  if (!policy_.Cacheable(args, &keys)) return out;
  std::string key = LocalCache::MakeKey(args);
  absl::MutexLock lock(&sink_mu_);
  if (!ReadyLocked()) return out;
  // Still under sink_mu_: losing the sink (which flushes and poisons) is
  // ordered either before this lookup (then ReadyLocked said no) or after
  // the fill is registered (then it poisons it).
  out.hit = cache_.Get(key);
  if (!out.hit.has_value()) {
    out.fill = Fill(&cache_, cache_.BeginFill(key, std::move(keys)));
  }
  return out;
}

void ClientCache::Store(Fill fill, const Reply& reply) {
  if (!fill) return;
  if (reply.is_error() || reply.is_push()) return;  // ~Fill cancels.
  LocalCache* cache = std::exchange(fill.cache_, nullptr);
  cache->EndFill(fill.ticket_, reply.Clone());
}

void ClientCache::Flush() { cache_.Flush(); }

void ClientCache::Close() {
  absl::MutexLock lock(&sink_mu_);
  closed_ = true;
  sink_.reset();
}

bool ClientCache::tracking() const {
  absl::MutexLock lock(&sink_mu_);
  return sink_ != nullptr && !sink_->broken();
}

absl::Status ClientCache::last_tracking_error() const {
  absl::MutexLock lock(&sink_mu_);
  return last_error_;
}

bool ClientCache::ReadyLocked() {
  if (closed_) return false;
  if (sink_ != nullptr) {
    if (!sink_->OwnedByThisProcess()) {
      LoseSinkLocked();  // Forked: the parent's tracking is not ours.
    } else {
      DrainLocked();
    }
  }
  if (sink_ == nullptr) OpenSinkLocked();
  return sink_ != nullptr;
}

void ClientCache::DrainLocked() {
  const ConnectionOptions& o = connector_->options();
  const absl::Duration bound = std::min(o.socket_timeout, o.connect_timeout);
  while (!sink_->broken() && sink_->HasPendingData()) {
    absl::StatusOr<Reply> push = sink_->ReadAny(absl::Now() + bound);
    if (!push.ok()) break;  // ReadAny marked it broken.
    if (!push->is_push()) {
      // The sink never sends commands: any other reply is a protocol error.
      sink_->Disconnect();
      break;
    }
    HandlePush(push->view());
  }
  if (sink_->broken()) LoseSinkLocked();
}

void ClientCache::OpenSinkLocked() {
  const absl::Time now = absl::Now();
  if (now < next_attempt_) return;
  auto fail = [&](absl::Status status) {
    last_error_ = std::move(status);
    next_attempt_ = now + absl::Seconds(1);
  };
  absl::StatusOr<std::unique_ptr<Connection>> conn = connector_->Connect();
  if (!conn.ok()) return fail(conn.status());
  if ((*conn)->protocol() != 3) {
    return fail(InvalidArgumentError(
        "client-side cache: the server did not accept RESP3"));
  }
  (*conn)->set_push_handler([this](Reply push) { HandlePush(push.view()); });
  std::vector<std::string> argv = {"CLIENT", "TRACKING", "ON", "BCAST"};
  for (const std::string& p : policy_.bcast_prefixes()) {
    argv.push_back("PREFIX");
    argv.push_back(p);
  }
  std::vector<absl::string_view> views(argv.begin(), argv.end());
  absl::StatusOr<Reply> on = (*conn)->ExecuteArgv(views);
  if (!on.ok()) return fail(on.status());
  last_error_ = absl::OkStatus();
  next_attempt_ = absl::InfinitePast();
  sink_ = *std::move(conn);
}

void ClientCache::LoseSinkLocked() {
  sink_.reset();
  cache_.Flush();
}

void ClientCache::HandlePush(ReplyView push) {
  CachePolicy::ApplyInvalidation(push, cache_);
}

}  // namespace valkey

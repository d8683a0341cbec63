#include "valkey/cluster/cluster_client.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "valkey/client/command_exchange.h"
#include "valkey/commands/command_retry.h"
#include "valkey/cluster/combine_replies.h"
#include "valkey/cluster/key_slot.h"
#include "valkey/cluster/redirects.h"
#include "valkey/cluster/split_by_slot.h"
#include "valkey/common/errors.h"
#include "valkey/common/resp_reader.h"

namespace valkey {
namespace cluster {
namespace {

Retry WithSleeper(Retry retry, Retry::Sleeper sleeper) {
  retry.set_sleeper(std::move(sleeper));
  return retry;
}


const CommandArg kAsking[] = {CommandArg("ASKING")};
const CommandArg kReadOnly[] = {CommandArg("READONLY")};
const CommandArg kClusterSlots[] = {CommandArg("CLUSTER"),
                                        CommandArg("SLOTS")};

}  // namespace

absl::StatusOr<std::unique_ptr<ClusterClient>> ClusterClient::Create(
    ClusterOptions options) {
  absl::StatusOr<std::vector<NodeAddress>> seeds =
      CheckClusterOptions(options);
  if (!seeds.ok()) return seeds.status();
  ConnectionOptions template_options = options.connection;
  template_options.host = (*seeds)[0].host;
  template_options.port = (*seeds)[0].port;
  absl::StatusOr<std::shared_ptr<const Connector>> connector =
      Connector::Create(std::move(template_options));
  if (!connector.ok()) return connector.status();
  auto client = std::unique_ptr<ClusterClient>(new ClusterClient(
      std::move(options), *std::move(seeds), *std::move(connector)));
  if (absl::Status s = client->MaybeRefresh(/*force=*/true); !s.ok()) {
    return s;
  }
  return client;
}

ClusterClient::ClusterClient(ClusterOptions options,
                             std::vector<NodeAddress> seeds,
                             std::shared_ptr<const Connector> connector)
    : options_(std::move(options)),
      connector_(std::move(connector)),
      retry_(WithSleeper(
          CommandRetry(options_.connection.retry, /*sentinel=*/false),
          [this](absl::Duration d) { BackOffWatchingTopology(d); })),
      topology_(std::move(seeds),
                Topology::Options{
                    .min_refresh_interval = options_.min_refresh_interval,
                    .refresh_interval = options_.refresh_interval}) {}

ClusterClient::~ClusterClient() { Close(); }

void ClusterClient::Close() {
  closed_.store(true, std::memory_order_relaxed);
  std::unique_ptr<CredentialRefresher> refresher;
  {
    absl::MutexLock lock(&refresh_mu_);
    refresher = std::move(refresher_);
  }
  refresher.reset();  // Joins its thread before the pools close.
  absl::flat_hash_map<std::string, std::shared_ptr<ConnectionPool>> pools;
  {
    absl::MutexLock lock(&mu_);
    pools.swap(pools_);
  }
  for (auto& [address, pool] : pools) pool->Disconnect(true);
}

ReauthResult ClusterClient::ReauthenticateAll() {
  ReauthResult result;
  if (closed_.load(std::memory_order_relaxed)) {
    result.first_error = ConnectionError("cluster client is closed");
    return result;
  }
  const std::shared_ptr<CredentialProvider>& provider =
      connector_->options().credentials;
  if (provider == nullptr) {
    result.first_error =
        MakeError(absl::StatusCode::kFailedPrecondition, ErrorKind::kNone,
                  "cluster: re-authenticate connections: no credential "
                  "provider configured");
    return result;
  }
  absl::StatusOr<Credentials> credentials = provider->GetCredentials();
  if (!credentials.ok()) {
    result.first_error =
        Annotate(credentials.status(),
                 "cluster: get credentials to re-authenticate connections");
    return result;
  }
  result.expires_at = credentials->expires_at;
  std::vector<std::shared_ptr<ConnectionPool>> pools;
  {
    absl::MutexLock lock(&mu_);
    pools.reserve(pools_.size());
    for (const auto& [address, pool] : pools_) pools.push_back(pool);
  }
  for (const std::shared_ptr<ConnectionPool>& pool : pools) {
    result.Merge(pool->ReauthenticateAll(*credentials));
  }
  return result;
}

absl::Status ClusterClient::EnableCredentialRefresh(
    CredentialRefreshOptions options) {
  absl::MutexLock lock(&refresh_mu_);
  if (closed_.load(std::memory_order_relaxed)) {
    return ConnectionError("cluster client is closed");
  }
  if (refresher_ != nullptr) {
    return MakeError(absl::StatusCode::kFailedPrecondition, ErrorKind::kNone,
                     "credential refresh is already enabled on this client");
  }
  absl::StatusOr<std::unique_ptr<CredentialRefresher>> refresher =
      CredentialRefresher::Start(connector_->options().credentials,
                                 [this] { return ReauthenticateAll(); },
                                 std::move(options));
  if (!refresher.ok()) return refresher.status();
  refresher_ = *std::move(refresher);
  return absl::OkStatus();
}

CredentialRefresher::Stats ClusterClient::credential_refresh_stats() const {
  absl::MutexLock lock(&refresh_mu_);
  return refresher_ != nullptr ? refresher_->stats()
                               : CredentialRefresher::Stats();
}

ClusterClient::Stats ClusterClient::stats() const {
  Stats s;
  s.redirects = redirects_.load(std::memory_order_relaxed);
  s.topology_refreshes = topology_.refreshes();
  absl::MutexLock lock(&mu_);
  s.nodes = static_cast<int>(pools_.size());
  return s;
}

// Topology.

absl::StatusOr<SlotMap> ClusterClient::FetchTopology() {
  std::vector<std::string> failures;
  // A node that refused the handshake (SELECT db on a server without
  // cluster databases) will refuse again: no connection error to retry.
  bool refused = false;
  for (const NodeAddress& node : topology_.RefreshCandidates()) {
    absl::StatusOr<Reply> reply = SendTo(node, kClusterSlots, false,
                                         std::nullopt);
    if (!reply.ok()) {
      refused = refused || reply.status().code() ==
                               absl::StatusCode::kFailedPrecondition;
      failures.push_back(
          absl::StrCat(node.HostPort(), ": ", reply.status().message()));
      continue;
    }
    absl::StatusOr<SlotMap> map = ParseClusterSlots(reply->view(), node.host);
    if (!map.ok()) {
      failures.push_back(
          absl::StrCat(node.HostPort(), ": ", map.status().message()));
      continue;
    }
    if (map->shards().empty()) {
      failures.push_back(
          absl::StrCat(node.HostPort(), ": serves no slot yet"));
      continue;
    }
    return map;
  }
  const std::string message =
      absl::StrCat("cluster: no node answered CLUSTER SLOTS (",
                   absl::StrJoin(failures, "; "), ")");
  return refused ? MakeError(absl::StatusCode::kFailedPrecondition,
                             ErrorKind::kResponse, message)
                 : ConnectionError(message);
}

void ClusterClient::BackOffWatchingTopology(absl::Duration delay) {
  const absl::Time end = absl::Now() + delay;
  const std::shared_ptr<const SlotMap> before = topology_.map();
  const absl::Duration step =
      std::max(options_.min_refresh_interval, absl::Milliseconds(1));
  for (absl::Time now = absl::Now(); now < end; now = absl::Now()) {
    absl::SleepFor(std::min(end - now, step));
    // Rate-limited and one at a time across threads; a failed fetch keeps
    // the map.
    (void)MaybeRefresh(/*force=*/true);
    if (*topology_.map() != *before) return;
  }
}

absl::Status ClusterClient::MaybeRefresh(bool force) {
  if (!topology_.BeginRefresh(absl::Now(), force)) return absl::OkStatus();
  absl::StatusOr<SlotMap> map = FetchTopology();
  absl::Status status = map.status();
  topology_.EndRefresh(absl::Now(), std::move(map));
  return status;
}

absl::Status ClusterClient::RefreshTopology() {
  // Waits out the rate limit (and a refresh another thread is running)
  // rather than skip: the caller asked for a fresh map.
  const absl::Time give_up = absl::Now() + options_.min_refresh_interval +
                             absl::Seconds(10);
  while (!topology_.BeginRefresh(absl::Now(), /*force=*/true)) {
    if (absl::Now() >= give_up) {
      return TimeoutError(
          "cluster: RefreshTopology waited 10 s for another refresh");
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  absl::StatusOr<SlotMap> map = FetchTopology();
  absl::Status status = map.status();
  topology_.EndRefresh(absl::Now(), std::move(map));
  return status;
}

// Node pools.

absl::StatusOr<std::shared_ptr<ConnectionPool>> ClusterClient::PoolFor(
    const NodeAddress& node) {
  if (closed_.load(std::memory_order_relaxed)) {
    return ConnectionError("cluster client is closed");
  }
  std::string key = node.HostPort();
  {
    absl::MutexLock lock(&mu_);
    auto it = pools_.find(key);
    if (it != pools_.end()) return it->second;
  }
  // Replica reads need READONLY on the connection; sending it to every node
  // when replicas may be read keeps one pool per node whatever its role
  // (READONLY is harmless on a primary, and roles change on failover).
  const bool readonly = options_.read_from != ReadPolicy::kPrimary;
  std::shared_ptr<const Connector> connector = connector_;
  ConnectionPool::ConnectFunction connect =
      [connector, host = node.host, port = node.port,
       readonly]() -> absl::StatusOr<std::unique_ptr<Connection>> {
    absl::StatusOr<std::unique_ptr<Connection>> conn =
        connector->ConnectTo(host, port);
    if (!conn.ok() || !readonly) return conn;
    absl::StatusOr<Reply> ok = ExchangeCommand(**conn, kReadOnly);
    if (!ok.ok()) return ok.status();
    return conn;
  };
  absl::StatusOr<std::unique_ptr<ConnectionPool>> made =
      ConnectionPool::CreateWithConnectFunction(connector_, options_.pool,
                                                std::move(connect));
  if (!made.ok()) return made.status();
  std::shared_ptr<ConnectionPool> pool(*std::move(made));
  absl::MutexLock lock(&mu_);
  if (closed_.load(std::memory_order_relaxed)) {
    return ConnectionError("cluster client is closed");
  }
  auto [it, added] = pools_.try_emplace(std::move(key), std::move(pool));
  return it->second;
}

absl::StatusOr<Reply> ClusterClient::SendTo(
    const NodeAddress& node, absl::Span<const CommandArg> args, bool asking,
    std::optional<absl::Duration> server_timeout) {
  absl::StatusOr<std::shared_ptr<ConnectionPool>> pool = PoolFor(node);
  if (!pool.ok()) return pool.status();
  absl::StatusOr<PooledConnection> conn = (*pool)->Acquire();
  if (!conn.ok()) return conn.status();
  if (asking) {
    // ASKING lets the next command on this connection reach a slot the node
    // is importing; it must come right before the command.
    absl::StatusOr<Reply> ok = ExchangeCommand(**conn, kAsking);
    if (!ok.ok()) return ok.status();
  }
  // A broken connection goes back to the pool, which closes it.
  return ExchangeCommand(**conn, args, server_timeout);
}

// Routing.

absl::StatusOr<NodeAddress> ClusterClient::ChooseFor(int slot,
                                                     bool read_only) {
  const uint64_t n = counter_.fetch_add(1, std::memory_order_relaxed);
  for (int pass = 0; pass < 2; ++pass) {
    std::shared_ptr<const SlotMap> map = topology_.map();
    const Shard* shard = nullptr;
    if (slot >= 0) {
      shard = map->ShardForSlot(slot);
    } else if (!map->shards().empty()) {
      shard = &map->shards()[n % map->shards().size()];
    }
    if (shard != nullptr) {
      return ChooseNode(*shard, options_.read_from, read_only, n,
                        options_.client_az);
    }
    // No shard serves the slot in our map: fetch a fresh one, once.
    topology_.MarkStale();
    if (pass == 0) (void)MaybeRefresh();
  }
  return ConnectionError(
      slot >= 0 ? absl::StrCat("cluster: no node serves slot ", slot)
                : std::string("cluster: no node is known"));
}

absl::StatusOr<Reply> ClusterClient::RunRouted(
    absl::Span<const CommandArg> args, int slot, bool read_only,
    std::optional<absl::Duration> server_timeout) {
  absl::StatusOr<NodeAddress> node = ChooseFor(slot, read_only);
  if (!node.ok()) return node.status();
  CommandRedirects redirects(options_.max_redirects);
  bool asking = false;
  for (;;) {
    absl::StatusOr<Reply> reply = SendTo(*node, args, asking, server_timeout);
    NextStep step = redirects.Next(reply.status(), *node, topology_);
    if (step.kind == NextStep::kDone) {
      if (!step.status.ok()) return step.status;
      return reply;
    }
    redirects_.fetch_add(1, std::memory_order_relaxed);
    if (step.delay > absl::ZeroDuration()) absl::SleepFor(step.delay);
    (void)MaybeRefresh();
    if (step.kind == NextStep::kReroute) {
      node = ChooseFor(slot, read_only);
      if (!node.ok()) return node.status();
      asking = false;
    } else {
      *node = std::move(step.node);
      asking = step.asking;
    }
  }
}

absl::StatusOr<Reply> ClusterClient::Broadcast(
    absl::Span<const CommandArg> args, bool all_nodes) {
  std::shared_ptr<const SlotMap> map = topology_.map();
  const std::vector<NodeAddress> nodes =
      all_nodes ? map->AllNodes() : map->Primaries();
  if (nodes.empty()) return ConnectionError("cluster: no node is known");
  std::vector<NodeReply> replies;
  replies.reserve(nodes.size());
  for (const NodeAddress& node : nodes) {
    replies.push_back(
        {node.HostPort(), SendTo(node, args, false, std::nullopt)});
    if (!replies.back().reply.ok()) topology_.MarkStale(&node);
  }
  return CombineReplies(args, replies);
}

absl::StatusOr<Reply> ClusterClient::SplitBySlot(
    absl::Span<const CommandArg> args) {
  absl::StatusOr<SplitPlan> plan = PlanSplit(args);
  if (!plan.ok()) return plan.status();
  // One part after another: a blocking client has one thread to wait with,
  // and a failing part stops the rest (the split is not atomic either way).
  std::vector<NodeReply> replies;
  replies.reserve(plan->parts.size());
  for (const SlotPart& part : plan->parts) {
    absl::StatusOr<NodeAddress> node = ChooseFor(part.slot, plan->read_only);
    replies.push_back({node.ok() ? node->HostPort() : "no node",
                       RunRouted(part.args, part.slot, plan->read_only,
                                 std::nullopt)});
    if (!replies.back().reply.ok() || replies.back().reply->is_error()) {
      // MergeSplit reports the first failure; parts never sent are not read.
      while (replies.size() < plan->parts.size()) {
        replies.push_back({"", absl::CancelledError("not sent")});
      }
      break;
    }
  }
  return MergeSplit(*plan, replies);
}

absl::StatusOr<Reply> ClusterClient::RoundTripOnce(
    absl::Span<const CommandArg> args,
    std::optional<absl::Duration> server_timeout) {
  (void)MaybeRefresh();  // Only when wanted, due and nobody else is at it.
  Route route = RouteCommand(args);
  switch (route.kind) {
    case Route::kRefused:
      if (options_.split_multi_key &&
          GetErrorKind(route.refusal) == ErrorKind::kCrossSlot &&
          IsSplittable(absl::AsciiStrToUpper(args[0].view()))) {
        return SplitBySlot(args);
      }
      return route.refusal;
    case Route::kSlot:
      return RunRouted(args, route.slot, route.read_only, server_timeout);
    case Route::kAnyNode:
      return RunRouted(args, -1, route.read_only, server_timeout);
    case Route::kAllPrimaries:
    case Route::kAllNodes:
      if (absl::AsciiStrToUpper(args[0].view()) == "SCAN") {
        return InvalidArgumentError(
            "SCAN: a cluster has one keyspace per primary; use "
            "ClusterClient::ForEachKey, which scans every primary");
      }
      return Broadcast(args, route.kind == Route::kAllNodes);
  }
  return route.refusal;
}

absl::StatusOr<Reply> ClusterClient::RoundTrip(
    absl::Span<const CommandArg> args,
    std::optional<absl::Duration> server_timeout) {
  if (args.empty()) return InvalidArgumentError("empty command");
  if (closed_.load(std::memory_order_relaxed)) {
    return ConnectionError("cluster client is closed");
  }
  return retry_.Call([&]() { return RoundTripOnce(args, server_timeout); });
}

absl::StatusOr<Reply> ClusterClient::ExecuteArgs(
    absl::Span<const CommandArg> args) {
  return RoundTrip(args, std::nullopt);
}

// Whole-cluster helpers.

absl::Status ClusterClient::ForEachKey(
    absl::string_view pattern, int64_t count,
    absl::FunctionRef<absl::Status(absl::string_view key)> fn) {
  if (count < 1) {
    return InvalidArgumentError(
        absl::StrCat("ForEachKey: count must be >= 1, got ", count));
  }
  const std::vector<NodeAddress> primaries = topology_.map()->Primaries();
  for (const NodeAddress& node : primaries) {
    std::string cursor = "0";
    do {
      const CommandArg scan[] = {"SCAN", cursor, "MATCH", pattern, "COUNT",
                                 count};
      absl::StatusOr<Reply> page = retry_.Call(
          [&]() { return SendTo(node, scan, false, std::nullopt); });
      if (!page.ok()) {
        return Annotate(page.status(), absl::StrCat("SCAN on ", node.HostPort()));
      }
      if (page->size() != 2) {
        return ProtocolError(absl::StrCat("SCAN on ", node.HostPort(),
                                          ": expected [cursor, keys]"));
      }
      cursor = std::string((*page)[0].str());
      for (ReplyView key : (*page)[1]) {
        absl::Status s = fn(key.str());
        if (!s.ok()) return s;
      }
    } while (cursor != "0");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Client>> ClusterClient::ClientFor(
    absl::string_view key) {
  (void)MaybeRefresh();
  absl::StatusOr<NodeAddress> node = ChooseFor(KeySlot(key), false);
  if (!node.ok()) return node.status();
  absl::StatusOr<std::shared_ptr<ConnectionPool>> pool = PoolFor(*node);
  if (!pool.ok()) return pool.status();
  return Client::FromPool(*std::move(pool), options_.connection.retry);
}

}  // namespace cluster
}  // namespace valkey

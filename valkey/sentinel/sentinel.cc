#include "valkey/sentinel/sentinel.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace {

std::string HostPort(absl::string_view host, int port) {
  if (absl::StrContains(host, ':')) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

// A scalar reply field as text.
std::string FieldText(ReplyView value) {
  switch (value.type()) {
    case ReplyType::kInteger:
      return absl::StrCat(value.integer());
    case ReplyType::kDouble:
      return absl::StrCat(value.dbl());
    case ReplyType::kBoolean:
      return value.boolean() ? "1" : "0";
    case ReplyType::kArray:
    case ReplyType::kSet: {
      // RESP3 may send "flags" as a set of strings.
      std::vector<std::string> parts;
      for (ReplyView e : value) parts.push_back(FieldText(e));
      return absl::StrJoin(parts, ",");
    }
    default:
      return std::string(value.str());
  }
}

bool ValidPort(int port) { return port >= 1 && port <= 65535; }

}  // namespace

// ---------------------------------------------------------------- NodeAddress

std::string NodeAddress::ToString() const { return HostPort(host, port); }

std::string SentinelAddressString(const SentinelAddress& address) {
  return HostPort(address.host, address.port);
}

// ---------------------------------------------------------- SentinelNodeState

std::string SentinelNodeState::Get(absl::string_view name) const {
  auto it = fields.find(name);
  return it == fields.end() ? std::string() : it->second;
}

int64_t SentinelNodeState::GetInt(absl::string_view name,
                                  int64_t fallback) const {
  auto it = fields.find(name);
  int64_t value = 0;
  if (it == fields.end() || !absl::SimpleAtoi(it->second, &value)) {
    return fallback;
  }
  return value;
}

NodeAddress SentinelNodeState::address() const {
  return NodeAddress{Get("ip"), static_cast<int>(GetInt("port"))};
}

bool SentinelNodeState::HasFlag(absl::string_view flag) const {
  auto it = fields.find("flags");
  if (it == fields.end()) return false;
  for (absl::string_view f : absl::StrSplit(it->second, ',')) {
    if (absl::StripAsciiWhitespace(f) == flag) return true;
  }
  return false;
}

absl::StatusOr<SentinelNodeState> ParseSentinelNodeState(ReplyView reply) {
  const bool is_map = reply.type() == ReplyType::kMap;
  const bool is_flat = reply.type() == ReplyType::kArray;
  if (!is_map && !is_flat) {
    return ProtocolError(absl::StrCat("sentinel state: expected a map, got ",
                                      ReplyTypeName(reply.type())));
  }
  if (is_flat && reply.size() % 2 != 0) {
    return ProtocolError(absl::StrCat(
        "sentinel state: odd number of elements (", reply.size(), ")"));
  }
  SentinelNodeState state;
  for (auto [key, value] : reply.pairs()) {
    if (!key.is_string()) {
      return ProtocolError("sentinel state: a field name is not a string");
    }
    state.fields.insert_or_assign(std::string(key.str()), FieldText(value));
  }
  return state;
}

absl::StatusOr<std::vector<SentinelNodeState>> ParseSentinelNodeStates(
    ReplyView reply) {
  if (reply.type() != ReplyType::kArray && reply.type() != ReplyType::kSet) {
    return ProtocolError(absl::StrCat(
        "sentinel state list: expected an array, got ",
        ReplyTypeName(reply.type())));
  }
  std::vector<SentinelNodeState> states;
  states.reserve(reply.size());
  for (ReplyView entry : reply) {
    absl::StatusOr<SentinelNodeState> state = ParseSentinelNodeState(entry);
    if (!state.ok()) return state.status();
    states.push_back(*std::move(state));
  }
  return states;
}

// ------------------------------------------------------------------- Sentinel

absl::StatusOr<std::shared_ptr<Sentinel>> Sentinel::Create(
    SentinelOptions options) {
  if (options.sentinels.empty()) {
    return InvalidArgumentError("sentinel.sentinels: at least one is required");
  }
  if (options.min_other_sentinels < 0) {
    return InvalidArgumentError(
        "sentinel.min_other_sentinels: must not be negative");
  }
  if (options.max_connections_per_sentinel < 1) {
    return InvalidArgumentError(absl::StrCat(
        "sentinel.max_connections_per_sentinel: ",
        options.max_connections_per_sentinel, " is not valid (must be >= 1)"));
  }
  PoolOptions pool_options;
  pool_options.max_connections = options.max_connections_per_sentinel;
  pool_options.blocking = true;
  pool_options.wait_timeout = options.connection.connect_timeout;
  std::vector<Node> nodes;
  for (size_t i = 0; i < options.sentinels.size(); ++i) {
    const SentinelAddress& address = options.sentinels[i];
    if (address.host.empty()) {
      return InvalidArgumentError(
          absl::StrCat("sentinel.sentinels[", i, "].host: required"));
    }
    if (!ValidPort(address.port)) {
      return InvalidArgumentError(
          absl::StrCat("sentinel.sentinels[", i, "].port: ", address.port,
                       " is not a valid port (1-65535)"));
    }
    absl::StatusOr<std::unique_ptr<ConnectionPool>> pool =
        ConnectionPool::Create(sentinel_rules::ConnectionFor(options, address),
                               pool_options);
    if (!pool.ok()) return pool.status();
    nodes.push_back(
        Node{address, std::shared_ptr<ConnectionPool>(*std::move(pool))});
  }
  return std::shared_ptr<Sentinel>(
      new Sentinel(std::move(options), std::move(nodes)));
}

Sentinel::~Sentinel() = default;

std::vector<Sentinel::Node> Sentinel::Snapshot() const {
  absl::MutexLock lock(&mu_);
  return nodes_;
}

std::vector<SentinelAddress> Sentinel::sentinels() const {
  std::vector<SentinelAddress> out;
  for (const Node& node : Snapshot()) out.push_back(node.address);
  return out;
}

void Sentinel::MoveToFront(const SentinelAddress& address) {
  absl::MutexLock lock(&mu_);
  auto it = std::find_if(nodes_.begin(), nodes_.end(), [&](const Node& n) {
    return n.address.host == address.host && n.address.port == address.port;
  });
  if (it != nodes_.end()) std::rotate(nodes_.begin(), it, it + 1);
}

absl::StatusOr<Reply> Sentinel::RunOn(const Node& node,
                                      absl::Span<const CommandArg> args) {
  if (args.empty()) return InvalidArgumentError("empty command");
  absl::StatusOr<PooledConnection> conn = node.pool->Acquire();
  if (!conn.ok()) return conn.status();
  std::vector<absl::string_view> argv;
  argv.reserve(args.size());
  for (const CommandArg& arg : args) argv.push_back(arg.view());
  // A broken connection is closed by the pool when `conn` is released.
  return (*conn)->ExecuteArgv(argv);
}

bool Sentinel::CheckMasterState(const SentinelNodeState& state) const {
  return state.is_master() && !state.is_sdown() && !state.is_odown() &&
         state.num_other_sentinels() >= options_.min_other_sentinels;
}

absl::StatusOr<NodeAddress> Sentinel::DiscoverMaster(
    absl::string_view service) {
  if (service.empty()) {
    return InvalidArgumentError("sentinel: empty service name");
  }
  std::vector<std::string> errors;
  for (const Node& node : Snapshot()) {
    const std::string who = SentinelAddressString(node.address);
    const CommandArg args[] = {"SENTINEL", "MASTER", service};
    absl::StatusOr<Reply> reply = RunOn(node, args);
    if (!reply.ok()) {
      errors.push_back(absl::StrCat(who, " - ", reply.status().message()));
      continue;
    }
    absl::StatusOr<NodeAddress> address =
        sentinel_rules::MasterFromReply(reply->view(),
                                        options_.min_other_sentinels);
    if (!address.ok()) {
      errors.push_back(absl::StrCat(who, " - ", address.status().message()));
      continue;
    }
    MoveToFront(node.address);
    return *std::move(address);
  }
  return sentinel_rules::NoMasterFound(service, errors);
}

absl::StatusOr<std::vector<NodeAddress>> Sentinel::DiscoverReplicas(
    absl::string_view service) {
  if (service.empty()) {
    return InvalidArgumentError("sentinel: empty service name");
  }
  for (const Node& node : Snapshot()) {
    const CommandArg args[] = {"SENTINEL", "REPLICAS", service};
    absl::StatusOr<Reply> reply = RunOn(node, args);
    if (!reply.ok()) continue;
    absl::StatusOr<std::vector<NodeAddress>> replicas =
        sentinel_rules::ReplicasFromReply(reply->view());
    if (!replicas.ok()) continue;
    if (!replicas->empty()) return *std::move(replicas);
  }
  return std::vector<NodeAddress>();
}

absl::StatusOr<Reply> Sentinel::ExecuteArgs(
    absl::Span<const CommandArg> args) {
  std::vector<std::string> errors;
  for (const Node& node : Snapshot()) {
    absl::StatusOr<Reply> reply = RunOn(node, args);
    if (reply.ok() || IsServerError(reply.status()) ||
        GetErrorKind(reply.status()) == ErrorKind::kInvalidArgument) {
      return reply;
    }
    errors.push_back(absl::StrCat(SentinelAddressString(node.address), " - ",
                                  reply.status().message()));
  }
  return ConnectionError(absl::StrCat("no sentinel could be reached: ",
                                      absl::StrJoin(errors, ", ")));
}

absl::StatusOr<std::vector<Reply>> Sentinel::ExecuteOnAllArgs(
    absl::Span<const CommandArg> args) {
  std::vector<Reply> replies;
  absl::Status first_error;
  for (const Node& node : Snapshot()) {
    absl::StatusOr<Reply> reply = RunOn(node, args);
    if (!reply.ok()) {
      if (first_error.ok()) {
        first_error = Annotate(reply.status(),
                               SentinelAddressString(node.address));
      }
      continue;
    }
    replies.push_back(*std::move(reply));
  }
  if (!first_error.ok()) return first_error;
  return replies;
}

absl::StatusOr<std::vector<SentinelNodeState>> Sentinel::Masters() {
  absl::StatusOr<Reply> reply = Execute("SENTINEL", "MASTERS");
  if (!reply.ok()) return reply.status();
  return ParseSentinelNodeStates(reply->view());
}

absl::StatusOr<SentinelNodeState> Sentinel::Master(absl::string_view service) {
  absl::StatusOr<Reply> reply = Execute("SENTINEL", "MASTER", service);
  if (!reply.ok()) return reply.status();
  return ParseSentinelNodeState(reply->view());
}

absl::StatusOr<std::vector<SentinelNodeState>> Sentinel::Replicas(
    absl::string_view service) {
  absl::StatusOr<Reply> reply = Execute("SENTINEL", "REPLICAS", service);
  if (!reply.ok()) return reply.status();
  return ParseSentinelNodeStates(reply->view());
}

absl::StatusOr<std::vector<SentinelNodeState>> Sentinel::Sentinels(
    absl::string_view service) {
  absl::StatusOr<Reply> reply = Execute("SENTINEL", "SENTINELS", service);
  if (!reply.ok()) return reply.status();
  return ParseSentinelNodeStates(reply->view());
}

absl::StatusOr<NodeAddress> Sentinel::GetMasterAddrByName(
    absl::string_view service) {
  absl::StatusOr<Reply> reply =
      Execute("SENTINEL", "GET-MASTER-ADDR-BY-NAME", service);
  if (!reply.ok()) return reply.status();
  if (reply->is_null()) {
    return MasterNotFoundError(
        absl::StrCat("No master found for '", service, "'"));
  }
  int port = 0;
  if (!reply->is_aggregate() || reply->size() != 2 ||
      !absl::SimpleAtoi(reply->child(1).str(), &port)) {
    return ProtocolError("SENTINEL GET-MASTER-ADDR-BY-NAME: unexpected reply");
  }
  return NodeAddress{std::string(reply->child(0).str()), port};
}

absl::Status Sentinel::CkQuorum(absl::string_view service) {
  return Execute("SENTINEL", "CKQUORUM", service).status();
}

absl::Status Sentinel::Failover(absl::string_view service) {
  return Execute("SENTINEL", "FAILOVER", service).status();
}

absl::Status Sentinel::Monitor(absl::string_view service, absl::string_view ip,
                               int port, int quorum) {
  const CommandArg args[] = {"SENTINEL", "MONITOR", service, ip, port, quorum};
  return ExecuteOnAllArgs(args).status();
}

absl::Status Sentinel::Remove(absl::string_view service) {
  const CommandArg args[] = {"SENTINEL", "REMOVE", service};
  return ExecuteOnAllArgs(args).status();
}

absl::Status Sentinel::Set(absl::string_view service, absl::string_view option,
                           absl::string_view value) {
  const CommandArg args[] = {"SENTINEL", "SET", service, option, value};
  return ExecuteOnAllArgs(args).status();
}

absl::Status Sentinel::FlushConfig() {
  const CommandArg args[] = {"SENTINEL", "FLUSHCONFIG"};
  return ExecuteOnAllArgs(args).status();
}

absl::StatusOr<int64_t> Sentinel::Reset(absl::string_view pattern) {
  const CommandArg args[] = {"SENTINEL", "RESET", pattern};
  absl::StatusOr<std::vector<Reply>> replies = ExecuteOnAllArgs(args);
  if (!replies.ok()) return replies.status();
  int64_t total = 0;
  for (const Reply& reply : *replies) total += reply.view().integer();
  return total;
}

// ---------------------------------------------------------------- Pools

namespace {

// What a master pool's connections share: finds the master at connect
// time and drops the pool's connections when it moved.
class MasterRouter {
 public:
  MasterRouter(std::shared_ptr<Sentinel> sentinel, std::string service,
               std::shared_ptr<const Connector> connector,
               absl::Duration recheck_interval)
      : sentinel_(std::move(sentinel)),
        service_(std::move(service)),
        connector_(std::move(connector)),
        recheck_interval_(recheck_interval) {}

  // Checkout: at most once per interval (one thread; the others go on),
  // asks the sentinels again; when the master moved, the pool's
  // connections are dropped, this one included.
  absl::Status Recheck(Connection&) {
    if (recheck_interval_ <= absl::ZeroDuration()) return absl::OkStatus();
    const absl::Time now = absl::Now();
    {
      absl::MutexLock lock(&mu_);
      if (now < next_check_) return absl::OkStatus();
      next_check_ = now + recheck_interval_;
    }
    absl::StatusOr<NodeAddress> master = sentinel_->DiscoverMaster(service_);
    // No answer: keep what works.
    if (!master.ok()) return absl::OkStatus();
    if (!Moved(*master)) return absl::OkStatus();
    return ConnectionError(absl::StrCat("sentinel: the master of '", service_,
                                        "' moved to ", master->ToString()));
  }

  void set_pool(std::weak_ptr<ConnectionPool> pool) {
    absl::MutexLock lock(&mu_);
    pool_ = std::move(pool);
  }

  absl::StatusOr<std::unique_ptr<Connection>> Connect() {
    absl::StatusOr<NodeAddress> master = sentinel_->DiscoverMaster(service_);
    if (!master.ok()) return master.status();
    Moved(*master);
    absl::StatusOr<std::unique_ptr<Connection>> conn =
        connector_->ConnectTo(master->host, master->port);
    if (!conn.ok()) return conn.status();
    absl::StatusOr<Reply> role = (*conn)->Execute("ROLE");
    if (!role.ok()) return role.status();
    const absl::string_view kind = role->is_aggregate()
                                       ? role->child(0).str()
                                       : absl::string_view();
    if (kind != "master") {
      (*conn)->Disconnect();
      return ConnectionError(absl::StrCat(
          "sentinel: ", master->ToString(), " reported for '", service_,
          "' is not a master (ROLE ", kind.empty() ? "?" : kind, ")"));
    }
    return conn;
  }

 private:
  // Records `master`; when it differs from the previous one, drops the
  // pool's connections (idle now, busy when returned) and returns true.
  bool Moved(const NodeAddress& master) {
    std::shared_ptr<ConnectionPool> pool;
    {
      absl::MutexLock lock(&mu_);
      const bool moved = last_.has_value() && *last_ != master;
      last_ = master;
      if (!moved) return false;
      pool = pool_.lock();
    }
    if (pool != nullptr) pool->Disconnect(/*include_in_use=*/true);
    return true;
  }

  const std::shared_ptr<Sentinel> sentinel_;
  const std::string service_;
  const std::shared_ptr<const Connector> connector_;
  const absl::Duration recheck_interval_;
  absl::Mutex mu_;
  absl::Time next_check_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::optional<NodeAddress> last_ ABSL_GUARDED_BY(mu_);
  std::weak_ptr<ConnectionPool> pool_ ABSL_GUARDED_BY(mu_);
};

// What a replica pool's connections share: the round-robin position.
class ReplicaRouter {
 public:
  ReplicaRouter(std::shared_ptr<Sentinel> sentinel, std::string service,
                std::shared_ptr<const Connector> connector)
      : sentinel_(std::move(sentinel)),
        service_(std::move(service)),
        connector_(std::move(connector)) {}

  absl::StatusOr<std::unique_ptr<Connection>> Connect() {
    std::vector<std::string> errors;
    absl::StatusOr<std::vector<NodeAddress>> replicas =
        sentinel_->DiscoverReplicas(service_);
    if (!replicas.ok()) return replicas.status();
    const size_t n = replicas->size();
    size_t start = 0;
    if (n > 0) {
      absl::MutexLock lock(&mu_);
      if (!counter_.has_value()) {
        std::random_device seed;
        counter_ = std::uniform_int_distribution<uint64_t>(0, n - 1)(seed);
      }
      start = static_cast<size_t>(++*counter_ % n);
    }
    for (size_t i = 0; i < n; ++i) {
      const NodeAddress& replica = (*replicas)[(start + i) % n];
      absl::StatusOr<std::unique_ptr<Connection>> conn =
          connector_->ConnectTo(replica.host, replica.port);
      if (conn.ok()) {
        // Later connections start after this one.
        absl::MutexLock lock(&mu_);
        if (i > 0) counter_ = *counter_ + i;
        return conn;
      }
      errors.push_back(
          absl::StrCat(replica.ToString(), " - ", conn.status().message()));
    }
    // Fall back to the master.
    absl::StatusOr<NodeAddress> master = sentinel_->DiscoverMaster(service_);
    if (master.ok()) {
      absl::StatusOr<std::unique_ptr<Connection>> conn =
          connector_->ConnectTo(master->host, master->port);
      if (conn.ok()) return conn;
      errors.push_back(absl::StrCat(master->ToString(), " (master) - ",
                                    conn.status().message()));
    } else {
      errors.push_back(std::string(master.status().message()));
    }
    return ReplicaNotFoundError(absl::StrCat("No replica found for '",
                                             service_, "' : ",
                                             absl::StrJoin(errors, ", ")));
  }

 private:
  const std::shared_ptr<Sentinel> sentinel_;
  const std::string service_;
  const std::shared_ptr<const Connector> connector_;
  absl::Mutex mu_;
  std::optional<uint64_t> counter_ ABSL_GUARDED_BY(mu_);
};

absl::Status CheckPoolArgs(const std::shared_ptr<Sentinel>& sentinel,
                           const std::string& service) {
  if (sentinel == nullptr) return InvalidArgumentError("sentinel: null");
  if (service.empty()) {
    return InvalidArgumentError("sentinel.service_name: required");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<ConnectionPool>> CreateSentinelMasterPool(
    std::shared_ptr<Sentinel> sentinel, std::string service,
    ConnectionOptions connection, PoolOptions pool,
    absl::Duration recheck_interval) {
  if (absl::Status s = CheckPoolArgs(sentinel, service); !s.ok()) return s;
  connection.unix_path.clear();
  absl::StatusOr<std::shared_ptr<const Connector>> connector =
      Connector::Create(std::move(connection));
  if (!connector.ok()) return connector.status();
  auto router = std::make_shared<MasterRouter>(
      std::move(sentinel), std::move(service), *connector, recheck_interval);
  absl::StatusOr<std::unique_ptr<ConnectionPool>> made =
      ConnectionPool::CreateWithConnectFunction(
          *connector, std::move(pool),
          [router]() { return router->Connect(); },
          [router](Connection& conn) { return router->Recheck(conn); });
  if (!made.ok()) return made.status();
  std::shared_ptr<ConnectionPool> shared(*std::move(made));
  router->set_pool(shared);
  return shared;
}

absl::StatusOr<std::shared_ptr<ConnectionPool>> CreateSentinelReplicaPool(
    std::shared_ptr<Sentinel> sentinel, std::string service,
    ConnectionOptions connection, PoolOptions pool) {
  if (absl::Status s = CheckPoolArgs(sentinel, service); !s.ok()) return s;
  connection.unix_path.clear();
  absl::StatusOr<std::shared_ptr<const Connector>> connector =
      Connector::Create(std::move(connection));
  if (!connector.ok()) return connector.status();
  auto router = std::make_shared<ReplicaRouter>(std::move(sentinel),
                                                std::move(service), *connector);
  absl::StatusOr<std::unique_ptr<ConnectionPool>> made =
      ConnectionPool::CreateWithConnectFunction(
          *connector, std::move(pool),
          [router]() { return router->Connect(); });
  if (!made.ok()) return made.status();
  return std::shared_ptr<ConnectionPool>(*std::move(made));
}


namespace sentinel_rules {

absl::StatusOr<NodeAddress> MasterFromReply(ReplyView reply,
                                            int min_other_sentinels) {
  absl::StatusOr<SentinelNodeState> state = ParseSentinelNodeState(reply);
  if (!state.ok()) return state.status();
  if (!state->is_master() || state->is_sdown() || state->is_odown() ||
      state->num_other_sentinels() < min_other_sentinels) {
    return MasterNotFoundError(absl::StrCat(
        "master in unusable state (flags ", state->Get("flags"),
        ", num-other-sentinels ", state->num_other_sentinels(), " < ",
        min_other_sentinels, "?)"));
  }
  NodeAddress address = state->address();
  if (address.host.empty() || !ValidPort(address.port)) {
    return MasterNotFoundError(
        absl::StrCat("bad master address ", address.ToString()));
  }
  return address;
}

absl::StatusOr<std::vector<NodeAddress>> ReplicasFromReply(ReplyView reply) {
  absl::StatusOr<std::vector<SentinelNodeState>> states =
      ParseSentinelNodeStates(reply);
  if (!states.ok()) return states.status();
  std::vector<NodeAddress> replicas;
  for (const SentinelNodeState& state : *states) {
    if (state.is_sdown() || state.is_odown() || state.is_disconnected()) {
      continue;
    }
    NodeAddress address = state.address();
    if (address.host.empty() || !ValidPort(address.port)) continue;
    replicas.push_back(std::move(address));
  }
  return replicas;
}

absl::Status NoMasterFound(absl::string_view service,
                           absl::Span<const std::string> errors) {
  std::string message = absl::StrCat("No master found for '", service, "'");
  if (!errors.empty()) {
    absl::StrAppend(&message, " : ", absl::StrJoin(errors, ", "));
  }
  return MasterNotFoundError(message);
}

ConnectionOptions ConnectionFor(const SentinelOptions& options,
                                const SentinelAddress& address) {
  ConnectionOptions connection = options.connection;
  connection.host = address.host;
  connection.port = address.port;
  connection.unix_path.clear();
  connection.db = 0;
  if (connection.socket_timeout == absl::InfiniteDuration()) {
    connection.socket_timeout = kDefaultSentinelSocketTimeout;
  }
  return connection;
}

}  // namespace sentinel_rules

}  // namespace valkey

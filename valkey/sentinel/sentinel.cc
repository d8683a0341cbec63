#include "valkey/sentinel/sentinel.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "valkey/common/errors.h"

namespace valkey {

absl::StatusOr<std::shared_ptr<Sentinel>> Sentinel::Create(
    SentinelOptions options) {
  if (absl::Status s = sentinel_rules::ValidateOptions(options); !s.ok()) {
    return s;
  }
  PoolOptions pool_options;
  pool_options.max_connections = options.max_connections_per_sentinel;
  pool_options.blocking = true;
  pool_options.wait_timeout = options.connection.connect_timeout;
  std::vector<Node> nodes;
  for (size_t i = 0; i < options.sentinels.size(); ++i) {
    const SentinelAddress& address = options.sentinels[i];
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
    absl::StatusOr<NodeAddress> address = sentinel_rules::MasterFromReply(
        reply->view(), options_.min_other_sentinels);
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

absl::StatusOr<Reply> Sentinel::ExecuteArgs(absl::Span<const CommandArg> args) {
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
        first_error =
            Annotate(reply.status(), SentinelAddressString(node.address));
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

}  // namespace valkey

#include "valkey/cluster/cluster_pipeline.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "valkey/cluster/routing.h"
#include "valkey/cluster/split_by_slot.h"
#include "valkey/common/command_secrets.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace cluster {
namespace {

// Replies that mean "not here, not now": the command is sent again alone
// through the client's redirect path.
bool NeedsResend(const absl::Status& s) {
  switch (GetErrorKind(s)) {
    case ErrorKind::kMoved:
    case ErrorKind::kAsk:
    case ErrorKind::kTryAgain:
    case ErrorKind::kClusterDown:
      return true;
    default:
      return IsConnectionError(s);
  }
}

std::vector<CommandArg> Views(const std::vector<std::string>& command) {
  return std::vector<CommandArg>(command.begin(), command.end());
}

absl::Status ErrorReplyStatus(const std::vector<std::string>& command,
                              const Reply& reply, absl::string_view node) {
  CommandSecrets secrets;
  if (CommandSecrets::MayCarrySecrets(command[0])) {
    std::vector<absl::string_view> argv(command.begin(), command.end());
    secrets = CommandSecrets::Find(argv);
  }
  return CommandErrorStatus(
      reply.view(), secrets,
      absl::StrCat(absl::AsciiStrToUpper(command[0]), " on ", node));
}

}  // namespace

ClusterPipeline& ClusterPipeline::AddArgs(absl::Span<const CommandArg> args) {
  std::vector<std::string>& command = commands_.emplace_back();
  command.reserve(args.size());
  for (const CommandArg& a : args) command.emplace_back(a.view());
  return *this;
}

std::vector<absl::StatusOr<Reply>> ClusterPipeline::Exec() {
  std::vector<std::vector<std::string>> commands = std::move(commands_);
  commands_.clear();
  std::vector<absl::StatusOr<Reply>> results;
  results.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    results.emplace_back(absl::UnknownError("cluster pipeline: not run"));
  }
  std::vector<size_t> alone;  // Sent one by one through RoundTrip.
  if (client_->closed_.load(std::memory_order_relaxed)) {
    for (auto& r : results) r = ConnectionError("cluster client is closed");
    return results;
  }
  (void)client_->MaybeRefresh();

  // Group by node, in first-seen order; each group keeps its commands'
  // order.
  struct Group {
    NodeAddress node;
    std::vector<size_t> commands;
  };
  std::vector<Group> groups;
  absl::flat_hash_map<std::string, size_t> group_of;
  for (size_t i = 0; i < commands.size(); ++i) {
    if (commands[i].empty()) {
      results[i] = InvalidArgumentError("cluster pipeline: empty command");
      continue;
    }
    const std::vector<CommandArg> args = Views(commands[i]);
    Route route = RouteCommand(args);
    switch (route.kind) {
      case Route::kRefused:
        if (client_->options_.split_multi_key &&
            GetErrorKind(route.refusal) == ErrorKind::kCrossSlot &&
            IsSplittable(absl::AsciiStrToUpper(commands[i][0]))) {
          alone.push_back(i);
        } else {
          results[i] = std::move(route.refusal);
        }
        continue;
      case Route::kAllPrimaries:
      case Route::kAllNodes:
        alone.push_back(i);
        continue;
      case Route::kSlot:
      case Route::kAnyNode:
        break;
    }
    absl::StatusOr<NodeAddress> node =
        client_->ChooseFor(route.slot, route.read_only);
    if (!node.ok()) {
      alone.push_back(i);  // The normal path waits for a map, retries.
      continue;
    }
    auto [it, added] = group_of.try_emplace(node->HostPort(), groups.size());
    if (added) groups.push_back({*node, {}});
    groups[it->second].commands.push_back(i);
  }

  std::string packed;
  for (const Group& group : groups) {
    const std::string where = group.node.HostPort();
    absl::StatusOr<std::shared_ptr<ConnectionPool>> pool =
        client_->PoolFor(group.node);
    absl::StatusOr<PooledConnection> conn =
        pool.ok() ? (*pool)->Acquire()
                  : absl::StatusOr<PooledConnection>(pool.status());
    if (!conn.ok()) {
      client_->topology_.MarkStale(&group.node);
      alone.insert(alone.end(), group.commands.begin(), group.commands.end());
      continue;
    }
    packed.clear();
    for (size_t i : group.commands) {
      AppendCommandArgs(packed, Views(commands[i]));
    }
    absl::Status sent = (*conn)->Send(packed);
    size_t read = 0;
    if (sent.ok()) {
      for (; read < group.commands.size(); ++read) {
        const size_t i = group.commands[read];
        absl::StatusOr<Reply> reply = (*conn)->ReadReply();
        if (!reply.ok()) {
          sent = reply.status();
          break;
        }
        if (!reply->is_error()) {
          results[i] = *std::move(reply);
          continue;
        }
        absl::Status error = ErrorReplyStatus(commands[i], *reply, where);
        if (NeedsResend(error)) {
          if (GetErrorKind(error) == ErrorKind::kMoved) {
            client_->topology_.MarkStale();
          }
          alone.push_back(i);
        } else {
          results[i] = std::move(error);
        }
      }
    }
    if (!sent.ok()) {
      // The connection is broken (the pool closes it); what was not read
      // goes the normal way, where the retry policy decides.
      client_->topology_.MarkStale(&group.node);
      for (; read < group.commands.size(); ++read) {
        alone.push_back(group.commands[read]);
      }
    }
  }

  // In the caller's order, so that re-sent commands on one slot keep
  // theirs.
  std::sort(alone.begin(), alone.end());
  for (size_t i : alone) {
    results[i] = client_->RoundTrip(Views(commands[i]), std::nullopt);
  }
  return results;
}

}  // namespace cluster
}  // namespace valkey

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

absl::Status ErrorReplyStatus(absl::Span<const CommandArg> command,
                              const Reply& reply, absl::string_view node) {
  CommandSecrets secrets;
  if (CommandSecrets::MayCarrySecrets(command[0].view())) {
    std::vector<absl::string_view> argv;
    argv.reserve(command.size());
    for (const CommandArg& a : command) argv.push_back(a.view());
    secrets = CommandSecrets::Find(argv);
  }
  return CommandErrorStatus(
      reply.view(), secrets,
      absl::StrCat(absl::AsciiStrToUpper(command[0].view()), " on ", node));
}

}  // namespace

absl::Status ClusterPipelineResults::FirstError() const {
  for (const Outcome& o : outcomes_) {
    if (!o.ok()) return o.status();
  }
  return absl::OkStatus();
}

absl::Status ClusterPipelineResults::ForeignRef(uint32_t index,
                                                uint32_t batch) const {
  return absl::FailedPreconditionError(
      absl::StrCat("cluster pipeline: command reference ", index, " of batch ",
                   batch, " read from the results of batch ", batch_, " (",
                   outcomes_.size(), " commands)"));
}

uint32_t ClusterPipeline::Enqueue(
    absl::Span<const CommandArg> args,
    std::optional<absl::Duration> server_timeout) {
  if (args.empty()) {
    return EnqueueFailure(
        InvalidArgumentError("cluster pipeline: empty command"));
  }
  const auto index = static_cast<uint32_t>(args_.Add(args));
  queued_.emplace_back().server_timeout = server_timeout;
  return index;
}

uint32_t ClusterPipeline::EnqueueFailure(absl::Status status) {
  const auto index = static_cast<uint32_t>(args_.Add({}));
  queued_.emplace_back().failure = std::move(status);
  return index;
}

void ClusterPipeline::StartBatch() {
  args_.Clear();
  queued_.clear();
  ++batch_;
  if (batch_ == 0) batch_ = 1;  // 0 marks "no batch".
}

void ClusterPipeline::Reset() { StartBatch(); }

ClusterPipelineResults ClusterPipeline::Execute() {
  ClusterPipelineResults results;
  results.batch_ = batch_;
  const size_t count = queued_.size();
  results.outcomes_.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    results.outcomes_.emplace_back(
        absl::UnknownError("cluster pipeline: not run"));
  }
  std::vector<absl::StatusOr<Reply>>& outcomes = results.outcomes_;
  if (count == 0) {
    StartBatch();
    return results;
  }
  if (client_->closed_.load(std::memory_order_relaxed)) {
    for (auto& r : outcomes) r = ConnectionError("cluster client is closed");
    StartBatch();
    return results;
  }
  (void)client_->MaybeRefresh();

  std::vector<size_t> alone;  // Sent one by one through RoundTrip.
  std::vector<CommandArg> args;
  // Group by node, in first-seen order; each group keeps its commands'
  // order.
  struct Group {
    NodeAddress node;
    std::vector<size_t> commands;
  };
  std::vector<Group> groups;
  absl::flat_hash_map<std::string, size_t> group_of;
  for (size_t i = 0; i < count; ++i) {
    if (!queued_[i].failure.ok()) {
      outcomes[i] = queued_[i].failure;
      continue;
    }
    args_.Get(i, args);
    Route route = RouteCommand(args);
    switch (route.kind) {
      case Route::kRefused:
        if (client_->options_.split_multi_key &&
            GetErrorKind(route.refusal) == ErrorKind::kCrossSlot &&
            IsSplittable(absl::AsciiStrToUpper(args[0].view()))) {
          alone.push_back(i);
        } else {
          outcomes[i] = std::move(route.refusal);
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
    if (queued_[i].server_timeout.has_value()) {
      alone.push_back(i);  // Needs its own, longer, reply wait.
      continue;
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
      args_.Get(i, args);
      AppendCommandArgs(packed, args);
    }
    absl::Status sent =
        (*conn)->Send(packed, static_cast<int>(group.commands.size()));
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
          outcomes[i] = *std::move(reply);
          continue;
        }
        args_.Get(i, args);
        absl::Status error = ErrorReplyStatus(args, *reply, where);
        if (NeedsResend(error)) {
          if (GetErrorKind(error) == ErrorKind::kMoved) {
            client_->topology_.MarkStale();
          }
          alone.push_back(i);
        } else {
          outcomes[i] = std::move(error);
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
    args_.Get(i, args);
    outcomes[i] = client_->RoundTrip(args, queued_[i].server_timeout);
  }
  StartBatch();
  return results;
}

}  // namespace cluster
}  // namespace valkey

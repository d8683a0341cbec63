// ClusterPipeline: a batch of commands for a ClusterClient, sent as one
// pipeline per node and answered in the caller's order.
//
// It is an executor of the command table (valkey/commands/command_table.h):
// every typed command queues unchanged and hands back a CommandRef<T>, the
// command's place in the batch; Command() queues any command (its result is
// the reply itself). Nothing is sent until Execute():
//
//   valkey::cluster::ClusterPipeline pipe(client);
//   CommandRef<bool> set = pipe.Set("user:1", "a");
//   CommandRef<int64_t> n = pipe.Incr("visits:{user:1}");
//   CommandRef<Reply> raw = pipe.Command("GET", "user:2");
//   ClusterPipelineResults results = pipe.Execute();
//   absl::StatusOr<int64_t> visits = results.Get(n);
//   // results[i]: the i-th command's reply (or its failure), unconverted.
//
// Execute() routes each command as ClusterClient would (routing.h), groups
// the commands by the node that serves them, and sends each group in one
// write on a connection from that node's pool, then reads its replies.
// Groups go to their nodes one after another: a blocking client has one
// thread to wait with, and a group costs one round trip however many
// commands it holds, so a batch over three primaries costs three round
// trips.
//
// Afterwards, every command whose reply was MOVED, ASK, TRYAGAIN or
// CLUSTERDOWN, or whose connection failed, is sent again alone through the
// client's normal path (redirects, retry policy); so are broadcasts
// (DBSIZE, FLUSHALL, ...), blocking commands (BLPOP, XREAD BLOCK, ...: a
// group's replies are each awaited only up to the socket time-out) and,
// with split_multi_key, cross-slot multi-key commands. A command refused
// before sending (a bad argument, cross-slot keys, SELECT, MULTI, ...) or
// answered with an error fails only its own entry: the others still run
// and keep their places.
//
// NOT ATOMIC: commands on different nodes run independently; a command
// re-sent after a redirect runs after the rest of its group. Commands on
// one slot keep their order except across such a re-send. (For atomic
// work on one slot, run a valkey::Transaction on ClientFor(key).)
//
// Allocation: arguments are copied into one buffer the pipeline reuses;
// queueing allocates nothing per command once it has grown. Execute()
// allocates the results (one vector plus each reply's storage) and the
// per-node grouping.
//
// Thread-safety: one thread at a time; the ClusterClient must outlive it.
// ClusterPipelineResults is immutable: concurrent const calls are safe.

#ifndef VALKEY_CLUSTER_CLUSTER_PIPELINE_H_
#define VALKEY_CLUSTER_CLUSTER_PIPELINE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "valkey/cluster/cluster_client.h"
#include "valkey/commands/command_arena.h"
#include "valkey/commands/command_table.h"
#include "valkey/commands/reply_convert.h"
#include "valkey/common/reply.h"
#include "valkey/common/resp_writer.h"

namespace valkey {
namespace cluster {

class ClusterPipeline;
class ClusterPipelineResults;

// One queued command's place in its batch and how to convert its reply to
// T. Cheap to copy. Read it with ClusterPipelineResults::Get().
template <typename T>
class CommandRef {
 public:
  // A reference to no batch: Get() returns FAILED_PRECONDITION.
  CommandRef() = default;

  // The command's 0-based position in its batch.
  size_t index() const { return index_; }

 private:
  friend class ClusterPipeline;
  friend class ClusterPipelineResults;
  CommandRef(uint32_t index, uint32_t batch, Converter<T> convert)
      : index_(index), batch_(batch), convert_(convert) {}

  uint32_t index_ = 0;
  uint32_t batch_ = 0;  // 0: no batch.
  Converter<T> convert_ = nullptr;
};

// The outcome of every command of one executed batch, in queueing order.
class ClusterPipelineResults {
 public:
  using Outcome = absl::StatusOr<Reply>;

  ClusterPipelineResults() = default;
  ClusterPipelineResults(ClusterPipelineResults&&) noexcept = default;
  ClusterPipelineResults& operator=(ClusterPipelineResults&&) noexcept =
      default;

  size_t size() const { return outcomes_.size(); }
  bool empty() const { return outcomes_.empty(); }

  // Command `index`'s reply, or its failure: a server error reply
  // (annotated "GET on 127.0.0.1:7001: ..." with the server's code and kind
  // kept, errors.h), a client-side refusal (INVALID_ARGUMENT, CROSSSLOT), or
  // a connection error (UNAVAILABLE, DEADLINE_EXCEEDED). `index` < size().
  const Outcome& operator[](size_t index) const { return outcomes_[index]; }
  std::vector<Outcome>::const_iterator begin() const {
    return outcomes_.begin();
  }
  std::vector<Outcome>::const_iterator end() const { return outcomes_.end(); }

  // The command's result: its reply converted to T (on each call), or its
  // failure as operator[] gives it; DATA_LOSS for a reply of an unexpected
  // shape; FAILED_PRECONDITION for a reference into another batch.
  template <typename T>
  absl::StatusOr<T> Get(const CommandRef<T>& ref) const {
    if (ref.batch_ == 0 || ref.batch_ != batch_ ||
        ref.index_ >= outcomes_.size()) {
      return ForeignRef(ref.index_, ref.batch_);
    }
    const Outcome& outcome = outcomes_[ref.index_];
    if (!outcome.ok()) return outcome.status();
    // Only a client-side refusal has no converter, and it is not ok.
    if (ref.convert_ == nullptr) return ForeignRef(ref.index_, ref.batch_);
    return ref.convert_(outcome->view());
  }

  // The first failure in queueing order, or OK.
  absl::Status FirstError() const;

 private:
  friend class ClusterPipeline;
  absl::Status ForeignRef(uint32_t index, uint32_t batch) const;

  uint32_t batch_ = 0;
  std::vector<Outcome> outcomes_;
};

class ClusterPipeline : public Commands<ClusterPipeline, CommandRef> {
 public:
  explicit ClusterPipeline(ClusterClient& client) : client_(&client) {}

  ClusterPipeline(ClusterPipeline&&) noexcept = default;
  ClusterPipeline& operator=(ClusterPipeline&&) noexcept = default;
  ClusterPipeline(const ClusterPipeline&) = delete;
  ClusterPipeline& operator=(const ClusterPipeline&) = delete;

  // Queues any command (name and arguments: strings, bytes, integers,
  // doubles); its result is the reply. An empty command fails its own
  // entry with INVALID_ARGUMENT.
  template <typename... Args>
  CommandRef<Reply> Command(const Args&... args) {
    const CommandArg argv[] = {CommandArg(args)...};
    return CommandArgs(absl::Span<const CommandArg>(argv, sizeof...(args)));
  }
  CommandRef<Reply> CommandArgs(absl::Span<const CommandArg> args) {
    return RunArgs<Reply>(&convert::Raw, args);
  }

  // Commands queued (including refused ones).
  size_t size() const { return queued_.size(); }
  bool empty() const { return queued_.empty(); }

  // Sends every queued command and returns one outcome per command, in the
  // order they were queued; the pipeline is then empty (references handed
  // out so far belong to the executed batch). Never fails as a whole: each
  // entry carries its own outcome (see ClusterPipelineResults). Blocks for
  // one round trip per node, plus one per re-sent command. An empty
  // pipeline returns empty results without I/O.
  ClusterPipelineResults Execute();

  // Drops the queued commands without sending them.
  void Reset();

  // Command-table hooks (command_table.h): queue, hand back a reference.
  template <typename T, typename... Args>
  CommandRef<T> Run(Converter<T> convert, const Args&... args) {
    const CommandArg argv[] = {CommandArg(args)...};
    return RunArgs<T>(convert,
                      absl::Span<const CommandArg>(argv, sizeof...(args)));
  }
  template <typename T>
  CommandRef<T> RunArgs(Converter<T> convert,
                        absl::Span<const CommandArg> args) {
    return CommandRef<T>(Enqueue(args, std::nullopt), batch_, convert);
  }
  template <typename T>
  CommandRef<T> RunBlockingArgs(Converter<T> convert,
                                absl::Duration server_timeout,
                                absl::Span<const CommandArg> args) {
    return CommandRef<T>(Enqueue(args, server_timeout), batch_, convert);
  }
  template <typename T>
  CommandRef<T> Fail(absl::Status status) {
    return CommandRef<T>(EnqueueFailure(std::move(status)), batch_, nullptr);
  }

 private:
  // One queued command; its arguments are command `i` of args_ (none for
  // a refusal).
  struct Queued {
    std::optional<absl::Duration> server_timeout;  // Blocking commands.
    absl::Status failure;  // A client-side refusal, or OK.
  };

  uint32_t Enqueue(absl::Span<const CommandArg> args,
                   std::optional<absl::Duration> server_timeout);
  uint32_t EnqueueFailure(absl::Status status);
  void StartBatch();

  ClusterClient* client_;
  uint32_t batch_ = 1;
  CommandArena args_;
  std::vector<Queued> queued_;
};

}  // namespace cluster
}  // namespace valkey

#endif  // VALKEY_CLUSTER_CLUSTER_PIPELINE_H_

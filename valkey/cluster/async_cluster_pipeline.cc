#include "valkey/cluster/async_cluster_pipeline.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace cluster {

AsyncClusterPipeline::~AsyncClusterPipeline() {
  const absl::Status cancelled =
      absl::CancelledError("cluster pipeline destroyed before Send()");
  for (const Queued& q : queued_) q.sink.fn(q.sink.ctx, q.sink.aux, cancelled);
}

void AsyncClusterPipeline::Dispatch(
    absl::Span<const CommandArg> args, valkey::async::ReplySink sink,
    std::optional<absl::Duration> server_timeout) {
  if (args.empty()) {
    sink.fn(sink.ctx, sink.aux,
            InvalidArgumentError("cluster pipeline: empty command"));
    return;
  }
  Queued& q = queued_.emplace_back();
  q.first_arg = static_cast<uint32_t>(args_.size());
  q.arg_count = static_cast<uint32_t>(args.size());
  q.server_timeout = server_timeout;
  q.sink = sink;
  for (const CommandArg& a : args) {
    const absl::string_view v = a.view();
    args_.push_back({static_cast<uint32_t>(arena_.size()),
                     static_cast<uint32_t>(v.size())});
    arena_.append(v.data(), v.size());
  }
}

void AsyncClusterPipeline::Send() {
  // Taken first: a sink may run inside Dispatch and queue more commands on
  // this pipeline (they wait for the next Send()).
  std::string arena = std::move(arena_);
  std::vector<ArgRange> ranges = std::move(args_);
  std::vector<Queued> queued = std::move(queued_);
  Clear();
  std::vector<CommandArg> argv;
  for (const Queued& q : queued) {
    argv.clear();
    for (uint32_t a = q.first_arg; a < q.first_arg + q.arg_count; ++a) {
      argv.emplace_back(
          absl::string_view(arena).substr(ranges[a].offset, ranges[a].size));
    }
    client_->Dispatch(argv, q.sink, q.server_timeout);
  }
  // Keep the grown buffers for the next batch when none were queued since.
  if (arena_.empty() && queued_.empty()) {
    arena.clear();
    ranges.clear();
    queued.clear();
    arena_ = std::move(arena);
    args_ = std::move(ranges);
    queued_ = std::move(queued);
  }
}

void AsyncClusterPipeline::Clear() {
  arena_.clear();
  args_.clear();
  queued_.clear();
}

}  // namespace cluster
}  // namespace valkey

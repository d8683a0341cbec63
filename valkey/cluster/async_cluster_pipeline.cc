#include "valkey/cluster/async_cluster_pipeline.h"

#include <utility>

#include "absl/status/status.h"
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
  args_.Add(args);
  queued_.push_back({server_timeout, sink});
}

void AsyncClusterPipeline::Send() {
  // Taken first: a sink may run inside Dispatch and queue more commands on
  // this pipeline (they wait for the next Send()).
  CommandArena args = std::move(args_);
  std::vector<Queued> queued = std::move(queued_);
  args_.Clear();
  queued_.clear();
  std::vector<CommandArg> argv;
  for (size_t i = 0; i < queued.size(); ++i) {
    args.Get(i, argv);
    client_->Dispatch(argv, queued[i].sink, queued[i].server_timeout);
  }
  // Keep the grown buffers for the next batch when none were queued since.
  if (args_.empty() && queued_.empty()) {
    args.Clear();
    queued.clear();
    args_ = std::move(args);
    queued_ = std::move(queued);
  }
}

}  // namespace cluster
}  // namespace valkey

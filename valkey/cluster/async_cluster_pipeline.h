// AsyncClusterPipeline: commands for an AsyncClusterClient queued with the
// typed command table (or Command()) and handed to the client together by
// Send(); each has its own Future, resolved with its own reply.
//
//   AsyncClusterPipeline pipe(client);
//   Future<bool> set = pipe.Set("user:1", "a");
//   Future<std::optional<std::string>> get = pipe.Get("user:2");
//   Future<Reply> raw = pipe.Command("PING");
//   pipe.Send();
//   co_await set; ...
//
// The async counterpart of ClusterPipeline (cluster_pipeline.h), with the
// async client's behaviour for each command: routed by slot, redirects and
// retries followed, split_multi_key honoured, each under its own deadline.
// Send() hands the commands to the client in queueing order; the client's
// per-node connections already write whatever they are given in one loop
// turn as one pipeline, so the batch needs no grouping of its own.
//
// NOT ATOMIC, as ClusterPipeline: commands on different nodes run
// independently. For atomic work on one slot use a valkey::async
// Transaction on a connection to the slot's primary.
//
// Errors: a command refused while queuing (empty, SUBSCRIBE-like, a bad
// typed argument) resolves its future at once; the others fail only on
// their own account. Futures of a pipeline destroyed before Send() fail
// with CANCELLED.
//
// Thread-safety: one thread at a time per pipeline; Send() from any
// thread; futures resolve on the loop's thread. The client must outlive
// Send().

#ifndef VALKEY_CLUSTER_ASYNC_CLUSTER_PIPELINE_H_
#define VALKEY_CLUSTER_ASYNC_CLUSTER_PIPELINE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "valkey/async/async_executor.h"
#include "valkey/async/connection.h"
#include "valkey/async/event_loop.h"
#include "valkey/async/future.h"
#include "valkey/cluster/async_cluster_client.h"
#include "valkey/commands/command_arena.h"
#include "valkey/common/reply.h"
#include "valkey/common/resp_writer.h"

namespace valkey {
namespace cluster {

class AsyncClusterPipeline
    : public valkey::async::AsyncExecutor<AsyncClusterPipeline> {
 public:
  explicit AsyncClusterPipeline(AsyncClusterClient& client)
      : client_(&client) {}
  AsyncClusterPipeline(AsyncClusterPipeline&&) noexcept = default;
  AsyncClusterPipeline& operator=(AsyncClusterPipeline&&) noexcept = default;
  // Fails the futures of commands not sent with CANCELLED.
  ~AsyncClusterPipeline();

  // Queues any command; its future resolves with the reply.
  template <typename... Args>
  valkey::async::Future<Reply> Command(const Args&... args) {
    return this->Execute(args...);
  }

  // Commands queued and not yet sent.
  size_t size() const { return queued_.size(); }

  // Hands every queued command to the client, in queueing order; the
  // pipeline is empty again (and can be reused).
  void Send();

  // AsyncExecutor hooks.
  valkey::async::EventLoop& loop() { return client_->loop(); }
  void Dispatch(absl::Span<const CommandArg> args,
                valkey::async::ReplySink sink,
                std::optional<absl::Duration> server_timeout);

 private:
  // One queued command; its arguments are command `i` of args_.
  struct Queued {
    std::optional<absl::Duration> server_timeout;
    valkey::async::ReplySink sink;
  };

  AsyncClusterClient* client_;
  CommandArena args_;
  std::vector<Queued> queued_;
};

}  // namespace cluster
}  // namespace valkey

#endif  // VALKEY_CLUSTER_ASYNC_CLUSTER_PIPELINE_H_

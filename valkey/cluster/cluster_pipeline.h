// ClusterPipeline: a batch of commands for a ClusterClient, sent as one
// pipeline per node and answered in the caller's order.
//
//   valkey::cluster::ClusterPipeline pipe(client);
//   pipe.Add("SET", "user:1", "a");
//   pipe.Add("GET", "user:2");
//   pipe.Add("PING");
//   std::vector<absl::StatusOr<valkey::Reply>> replies = pipe.Exec();
//   // replies[i] answers the i-th command added.
//
// Exec() routes each command as ClusterClient would (routing.h), groups the
// commands by the node that serves them, and sends each group in one write
// on a connection from that node's pool, then reads its replies. Groups go
// to their nodes one after another: a blocking client has one thread to
// wait with, and a group costs one round trip however many commands it
// holds, so a batch over three primaries costs three round trips.
//
// Afterwards, every command whose reply was MOVED, ASK, TRYAGAIN or
// CLUSTERDOWN, or whose connection failed, is sent again alone through the
// client's normal path (redirects, retry policy); so are broadcasts
// (DBSIZE, FLUSHALL, ...) and, with split_multi_key, cross-slot multi-key
// commands. A command refused before sending (cross-slot keys, SELECT,
// MULTI, ...) or answered with an error fails only its own entry: the
// others still run and keep their places.
//
// NOT ATOMIC: commands on different nodes run independently; a command
// re-sent after a redirect runs after the rest of its group. Commands on
// one slot keep their order except across such a re-send.
//
// Thread-safety: one thread at a time; the ClusterClient must outlive it.

#ifndef VALKEY_CLUSTER_CLUSTER_PIPELINE_H_
#define VALKEY_CLUSTER_CLUSTER_PIPELINE_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "valkey/cluster/cluster_client.h"
#include "valkey/common/reply.h"
#include "valkey/common/resp_writer.h"

namespace valkey {
namespace cluster {

class ClusterPipeline {
 public:
  explicit ClusterPipeline(ClusterClient& client) : client_(&client) {}

  // Queues one command (name and arguments: strings, bytes or integers).
  template <typename... Args>
  ClusterPipeline& Add(const Args&... args) {
    const CommandArg argv[] = {CommandArg(args)...};
    return AddArgs(argv);
  }
  // Queues one command from its arguments (copied; an empty command fails
  // its own entry with INVALID_ARGUMENT).
  ClusterPipeline& AddArgs(absl::Span<const CommandArg> args);

  size_t size() const { return commands_.size(); }

  // Sends every queued command and returns one outcome per command, in
  // the order they were added; the pipeline is then empty. An entry is
  // the reply, or its failure: a server error reply as ExecuteArgs reports
  // it, a refusal (INVALID_ARGUMENT), or a connection error (UNAVAILABLE,
  // DEADLINE_EXCEEDED). Blocks for one round trip per node, plus one per
  // re-sent command.
  std::vector<absl::StatusOr<Reply>> Exec();

 private:
  ClusterClient* client_;
  // Each command's arguments, owned.
  std::vector<std::vector<std::string>> commands_;
};

}  // namespace cluster
}  // namespace valkey

#endif  // VALKEY_CLUSTER_CLUSTER_PIPELINE_H_

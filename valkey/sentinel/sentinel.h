// Sentinel: finds the current master and replicas of a monitored service
// through a list of Valkey Sentinels, and builds connection pools whose
// connections follow the master (or spread over the replicas) across
// failovers.
//
//   valkey::SentinelOptions options;
//   options.sentinels = {{"10.0.0.1", 26379}, {"10.0.0.2", 26379}};
//   options.service_name = "mymaster";
//   absl::StatusOr<std::shared_ptr<valkey::Sentinel>> sentinel =
//       valkey::Sentinel::Create(options);
//   absl::StatusOr<valkey::NodeAddress> master =
//       (*sentinel)->DiscoverMaster("mymaster");
//
// Pools that follow the service: sentinel_pools.h. Clients: see
// sentinel_client.h (MasterFor / ReplicaFor) or CreateClient
// (valkey/client_factory.h) with ClientOptions::sentinel set. The rules
// shared with the async Sentinel (reply judgement, replica order, option
// checks) are in sentinel_rules.h.
//
// Discovery (DiscoverMaster) asks each sentinel in the current order for
// SENTINEL MASTER <service> and accepts the first answer that describes a
// usable master: flags include "master" and neither "s_down" nor "o_down",
// and num-other-sentinels >= SentinelOptions::min_other_sentinels. The
// sentinel that gave it moves to the front of the order, so later lookups
// ask it first. Replies are parsed in both protocols (a RESP3 map or a
// RESP2 flat key/value array), so the sentinel connections may use either.
//
// Errors: NOT_FOUND with ErrorKind kMasterNotFound / kReplicaNotFound
// (MasterNotFoundError, ReplicaNotFoundError) when no sentinel gives a
// usable answer; the message lists what each sentinel said
// ("No master found for 'svc' : 127.0.0.1:26379 - <error>, ..."). Commands
// return the error of the sentinel that answered, or the connection errors
// of all of them.
//
// Thread-safety: a Sentinel is thread-safe. Each sentinel address has a
// small blocking pool of connections (up to
// SentinelOptions::max_connections_per_sentinel, default 4), opened lazily;
// concurrent lookups beyond that wait for a free one, up to the sentinel
// connect_timeout.

#ifndef VALKEY_SENTINEL_SENTINEL_H_
#define VALKEY_SENTINEL_SENTINEL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "valkey/common/config.h"
#include "valkey/common/reply.h"
#include "valkey/common/resp_writer.h"
#include "valkey/connection/connection_pool.h"
#include "valkey/sentinel/sentinel_rules.h"

namespace valkey {
class Sentinel {
 public:
  // Validates the options (at least one sentinel, each with a host and a
  // port in 1..65535, max_connections_per_sentinel >= 1, a valid connection
  // template) and prepares one connection pool per sentinel. No connection is
  // opened here. `options.connection` is the template for connections to the
  // sentinels (credentials, TLS, time-outs, protocol); its host, port,
  // unix_path and db are ignored, and an infinite socket_timeout is replaced by
  // kDefaultSentinelSocketTimeout (sentinel_rules::ConnectionFor), so a
  // sentinel that never answers is skipped, never waited on forever.
  // `options.service_name` is the default service of the calls that take none.
  // Errors: INVALID_ARGUMENT.
  static absl::StatusOr<std::shared_ptr<Sentinel>> Create(
      SentinelOptions options);

  Sentinel(const Sentinel&) = delete;
  Sentinel& operator=(const Sentinel&) = delete;
  ~Sentinel();

  // The master of `service` (see the file comment). A sentinel that cannot
  // be reached, does not answer within the sentinel time-outs, answers with
  // an error, or reports an unusable master is skipped, and what it said
  // goes into the error message. Blocks for at most about the sentinel
  // connect + socket time-outs per sentinel asked.
  // Errors: NOT_FOUND (kMasterNotFound) when no sentinel gives a usable
  // master; INVALID_ARGUMENT for an empty service name.
  absl::StatusOr<NodeAddress> DiscoverMaster(absl::string_view service);
  absl::StatusOr<NodeAddress> DiscoverMaster() {
    return DiscoverMaster(options_.service_name);
  }

  // The replicas of `service` that are neither s_down, o_down nor
  // disconnected, from the first sentinel (in the current order) that
  // reports at least one. Empty when none does; the order of sentinels is
  // not changed. Errors: INVALID_ARGUMENT for an empty service name only.
  absl::StatusOr<std::vector<NodeAddress>> DiscoverReplicas(
      absl::string_view service);
  absl::StatusOr<std::vector<NodeAddress>> DiscoverReplicas() {
    return DiscoverReplicas(options_.service_name);
  }

  // Whether `state` (from SENTINEL MASTER) describes a master usable for
  // writes under this Sentinel's min_other_sentinels.
  bool CheckMasterState(const SentinelNodeState& state) const;

  // Sentinel commands. Queries go to the first sentinel (in the current
  // order) that can be reached; a server error reply from it is returned
  // as is (e.g. "ERR No such master with that name"). Errors: that reply's
  // status, or UNAVAILABLE listing every sentinel's connection error.
  absl::StatusOr<std::vector<SentinelNodeState>> Masters();
  absl::StatusOr<SentinelNodeState> Master(absl::string_view service);
  absl::StatusOr<std::vector<SentinelNodeState>> Replicas(
      absl::string_view service);
  // The other sentinels monitoring `service`, as seen by the one asked.
  absl::StatusOr<std::vector<SentinelNodeState>> Sentinels(
      absl::string_view service);
  // SENTINEL GET-MASTER-ADDR-BY-NAME: the address the sentinel holds for
  // the service, without checking its state. NOT_FOUND (kMasterNotFound)
  // when the sentinel replies with a null.
  absl::StatusOr<NodeAddress> GetMasterAddrByName(absl::string_view service);
  // SENTINEL CKQUORUM: OK when the quorum and a failover majority are
  // reachable; the sentinel's error otherwise.
  absl::Status CkQuorum(absl::string_view service);
  // SENTINEL FAILOVER: starts a forced failover on one sentinel (the first
  // reachable) and returns once it is accepted, not when it completes.
  absl::Status Failover(absl::string_view service);

  // Configuration commands, sent to every sentinel (each keeps its own
  // configuration). All are tried; the first failure is returned.
  absl::Status Monitor(absl::string_view service, absl::string_view ip,
                       int port, int quorum);
  absl::Status Remove(absl::string_view service);
  absl::Status Set(absl::string_view service, absl::string_view option,
                   absl::string_view value);
  absl::Status FlushConfig();
  // SENTINEL RESET <pattern>: the number of masters reset, summed over the
  // sentinels.
  absl::StatusOr<int64_t> Reset(absl::string_view pattern);

  // Any command on the first reachable sentinel (as the queries above), or
  // on every sentinel (replies in the current order; the first failure
  // after trying all).
  template <typename... Args>
  absl::StatusOr<Reply> Execute(const Args&... args) {
    const CommandArg argv[] = {CommandArg(args)...};
    return ExecuteArgs(absl::Span<const CommandArg>(argv, sizeof...(args)));
  }
  absl::StatusOr<Reply> ExecuteArgs(absl::Span<const CommandArg> args);
  absl::StatusOr<std::vector<Reply>> ExecuteOnAllArgs(
      absl::Span<const CommandArg> args);

  // The sentinels in the order they are asked now.
  std::vector<SentinelAddress> sentinels() const;
  const SentinelOptions& options() const { return options_; }

 private:
  struct Node {
    SentinelAddress address;
    std::shared_ptr<ConnectionPool> pool;
  };

  explicit Sentinel(SentinelOptions options, std::vector<Node> nodes)
      : options_(std::move(options)), nodes_(std::move(nodes)) {}

  std::vector<Node> Snapshot() const ABSL_LOCKS_EXCLUDED(mu_);
  void MoveToFront(const SentinelAddress& address) ABSL_LOCKS_EXCLUDED(mu_);
  // Runs one command on one sentinel; an error reply becomes its status.
  static absl::StatusOr<Reply> RunOn(const Node& node,
                                     absl::Span<const CommandArg> args);

  const SentinelOptions options_;
  mutable absl::Mutex mu_;
  std::vector<Node> nodes_ ABSL_GUARDED_BY(mu_);  // Front: asked first.
};

}  // namespace valkey

#endif  // VALKEY_SENTINEL_SENTINEL_H_

// Cluster clients from configuration: ClientConfig.cluster (config.proto)
// or a valkey+cluster:// URL (url.h) into ClusterOptions, and the two
// cluster clients built from either. It lives here, not in valkey/common,
// so that common never depends on the cluster package.
//
//   absl::StatusOr<valkey::ClientConfig> config =
//       valkey::LoadConfigFile("/etc/myapp/cluster.textproto");
//   if (!config.ok()) return config.status();
//   auto client = valkey::cluster::ClusterClientFromConfig(*config);
//
//   auto same = valkey::cluster::ClusterClientFromUrl(
//       "valkey+cluster://app:s3cret@10.0.0.1:7000,10.0.0.2:7000"
//       "?read_from=prefer_replica");
//
// ClientConfig.connection and .pool become ClusterOptions.connection and
// .pool (every node); the `cluster` block fills the rest. `async`'s limits
// are not used by the cluster clients.
//
// Errors: INVALID_ARGUMENT naming the field (ValidateConfig, config.h)
// for an invalid config, or the part for a bad URL (url.h), never with a
// secret in it; a config without `cluster` is INVALID_ARGUMENT "cluster:
// required". The factories add the errors of the clients' Create().
//
// Thread-safety: pure functions; the factories block as the clients'
// Create() does (ClusterClient fetches the topology, AsyncClusterClient
// does not wait).

#ifndef VALKEY_CLUSTER_CLUSTER_CONFIG_H_
#define VALKEY_CLUSTER_CLUSTER_CONFIG_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "valkey/async/event_loop.h"
#include "valkey/cluster/async_cluster_client.h"
#include "valkey/cluster/cluster_client.h"
#include "valkey/cluster/cluster_options.h"
#include "valkey/common/config.pb.h"

namespace valkey {
namespace cluster {

// Validates `config` (which must have `cluster`), resolves secrets as
// ToClientOptions does and returns the ClusterOptions.
absl::StatusOr<ClusterOptions> ToClusterOptions(const ClientConfig& config);

// ParseUrl(url) (a valkey+cluster:// or valkeys+cluster:// URL) and then
// ToClusterOptions.
absl::StatusOr<ClusterOptions> ClusterOptionsFromUrl(absl::string_view url);

// ClusterClient::Create(ToClusterOptions(config)).
absl::StatusOr<std::unique_ptr<ClusterClient>> ClusterClientFromConfig(
    const ClientConfig& config);
absl::StatusOr<std::unique_ptr<ClusterClient>> ClusterClientFromUrl(
    absl::string_view url);

// AsyncClusterClient::Create(loop, ToClusterOptions(config)). `loop` must
// outlive the client.
absl::StatusOr<std::unique_ptr<AsyncClusterClient>>
AsyncClusterClientFromConfig(valkey::async::EventLoop& loop,
                             const ClientConfig& config);
absl::StatusOr<std::unique_ptr<AsyncClusterClient>> AsyncClusterClientFromUrl(
    valkey::async::EventLoop& loop, absl::string_view url);

}  // namespace cluster
}  // namespace valkey

#endif  // VALKEY_CLUSTER_CLUSTER_CONFIG_H_

#include "valkey/cluster/cluster_config.h"

#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "valkey/common/config.h"
#include "valkey/common/errors.h"
#include "valkey/common/url.h"

namespace valkey {
namespace cluster {
namespace {

// ValidateConfig has checked the range already.
absl::Duration FromProto(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

ReadPolicy ToReadPolicy(ClusterReadFrom read_from) {
  switch (read_from) {
    case READ_FROM_PREFER_REPLICA:
      return ReadPolicy::kPreferReplica;
    case READ_FROM_ROUND_ROBIN:
      return ReadPolicy::kRoundRobin;
    case READ_FROM_AZ_AFFINITY:
      return ReadPolicy::kAzAffinity;
    default:
      return ReadPolicy::kPrimary;
  }
}

}  // namespace

absl::StatusOr<ClusterOptions> ToClusterOptions(const ClientConfig& config) {
  if (!config.has_cluster()) {
    return InvalidArgumentError(
        "cluster: required (a cluster client needs ClientConfig.cluster "
        "with its seeds)");
  }
  // Validates everything (ValidateConfig's cluster rules included) and
  // resolves the node connections' secrets.
  absl::StatusOr<ClientOptions> client = ToClientOptions(config);
  if (!client.ok()) return client.status();

  const ClusterConfig& c = config.cluster();
  ClusterOptions options;
  options.seeds.assign(c.seeds().begin(), c.seeds().end());
  options.connection = std::move(client->connection);
  options.pool = client->pool;
  options.read_from = ToReadPolicy(c.read_from());
  options.client_az = c.client_az();
  if (c.has_max_redirects()) options.max_redirects = c.max_redirects();
  if (c.has_min_refresh_interval()) {
    options.min_refresh_interval = FromProto(c.min_refresh_interval());
  }
  if (c.has_refresh_interval()) {
    options.refresh_interval = FromProto(c.refresh_interval());
  }
  options.split_multi_key = c.split_multi_key();
  return options;
}

absl::StatusOr<ClusterOptions> ClusterOptionsFromUrl(absl::string_view url) {
  absl::StatusOr<ClientConfig> config = ParseUrl(url);
  if (!config.ok()) return config.status();
  return ToClusterOptions(*config);
}

absl::StatusOr<std::unique_ptr<ClusterClient>> ClusterClientFromConfig(
    const ClientConfig& config) {
  absl::StatusOr<ClusterOptions> options = ToClusterOptions(config);
  if (!options.ok()) return options.status();
  return ClusterClient::Create(*std::move(options));
}

absl::StatusOr<std::unique_ptr<ClusterClient>> ClusterClientFromUrl(
    absl::string_view url) {
  absl::StatusOr<ClusterOptions> options = ClusterOptionsFromUrl(url);
  if (!options.ok()) return options.status();
  return ClusterClient::Create(*std::move(options));
}

absl::StatusOr<std::unique_ptr<AsyncClusterClient>>
AsyncClusterClientFromConfig(valkey::async::EventLoop& loop,
                             const ClientConfig& config) {
  absl::StatusOr<ClusterOptions> options = ToClusterOptions(config);
  if (!options.ok()) return options.status();
  return AsyncClusterClient::Create(loop, *std::move(options));
}

absl::StatusOr<std::unique_ptr<AsyncClusterClient>> AsyncClusterClientFromUrl(
    valkey::async::EventLoop& loop, absl::string_view url) {
  absl::StatusOr<ClusterOptions> options = ClusterOptionsFromUrl(url);
  if (!options.ok()) return options.status();
  return AsyncClusterClient::Create(loop, *std::move(options));
}

}  // namespace cluster
}  // namespace valkey

#include "valkey/cluster/cluster_options.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace cluster {
namespace {

absl::StatusOr<NodeAddress> ParseSeed(absl::string_view seed, size_t index) {
  const std::string field = absl::StrCat("cluster.seeds[", index, "]");
  absl::string_view host;
  absl::string_view port_text;
  if (!seed.empty() && seed.front() == '[') {  // "[::1]:7000"
    const size_t close = seed.find(']');
    if (close == absl::string_view::npos || close + 1 >= seed.size() ||
        seed[close + 1] != ':') {
      return InvalidArgumentError(absl::StrCat(
          field, ": '", seed, "' is not [IPv6]:port"));
    }
    host = seed.substr(1, close - 1);
    port_text = seed.substr(close + 2);
  } else {
    const size_t colon = seed.rfind(':');
    if (colon == absl::string_view::npos) {
      return InvalidArgumentError(
          absl::StrCat(field, ": '", seed, "' is not host:port"));
    }
    host = seed.substr(0, colon);
    port_text = seed.substr(colon + 1);
    if (host.find(':') != absl::string_view::npos) {
      return InvalidArgumentError(absl::StrCat(
          field, ": '", seed, "': write IPv6 addresses as [addr]:port"));
    }
  }
  int port = 0;
  if (host.empty() || !absl::SimpleAtoi(port_text, &port) || port < 1 ||
      port > 65535) {
    return InvalidArgumentError(absl::StrCat(
        field, ": '", seed, "' needs a host and a port in 1..65535"));
  }
  NodeAddress node;
  node.host = std::string(host);
  node.port = port;
  return node;
}

}  // namespace

absl::StatusOr<std::vector<NodeAddress>> CheckClusterOptions(
    const ClusterOptions& options) {
  if (options.seeds.empty()) {
    return InvalidArgumentError(
        "cluster.seeds: give at least one node as host:port");
  }
  if (options.max_redirects < 0) {
    return InvalidArgumentError(absl::StrCat(
        "cluster.max_redirects: must be >= 0, got ", options.max_redirects));
  }
  if (options.min_refresh_interval < absl::ZeroDuration()) {
    return InvalidArgumentError(
        "cluster.min_refresh_interval: must not be negative");
  }
  if (options.refresh_interval <= absl::ZeroDuration()) {
    return InvalidArgumentError(
        "cluster.refresh_interval: must be > 0 (InfiniteDuration: never)");
  }
  if (options.connection.is_unix()) {
    return InvalidArgumentError(
        "cluster.connection.unix_path: cluster nodes are reached over TCP "
        "at the addresses the cluster announces");
  }
  std::vector<NodeAddress> seeds;
  for (size_t i = 0; i < options.seeds.size(); ++i) {
    absl::StatusOr<NodeAddress> seed = ParseSeed(options.seeds[i], i);
    if (!seed.ok()) return seed.status();
    seeds.push_back(*std::move(seed));
  }
  return seeds;
}

}  // namespace cluster
}  // namespace valkey

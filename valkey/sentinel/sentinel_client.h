// MasterFor / ReplicaFor: Clients whose connections follow a Sentinel
// service (see sentinel.h for how the master and replicas are found).
//
//   valkey::ClientOptions options;            // data-node connection, pool
//   options.connection.retry.retries = 3;     // retried across a failover
//   options.sentinel = valkey::SentinelOptions{
//       .sentinels = {{"127.0.0.1", 26379}}};
//   absl::StatusOr<std::unique_ptr<valkey::Client>> master =
//       valkey::MasterFor("mymaster", options);
//   absl::StatusOr<std::unique_ptr<valkey::Client>> replica =
//       valkey::ReplicaFor("mymaster", options);
//
// Both are lazy: no network I/O until the first command. The master client
// re-discovers the master for every new connection, drops its connections
// when the master moved or answered READONLY (demoted), and retries per
// options.connection.retry (errors "no master found" are retried too). The
// replica client spreads new connections round-robin over the healthy
// replicas and falls back to the master; READONLY is returned as is.
//
// `options.connection` is the template for data-node connections (its
// host/port are ignored); `options.sentinel` lists the sentinels and holds
// the template for connections to them; its service_name is replaced by
// `service`. The client-side cache is not available with sentinel yet.
//
// Errors (at creation): INVALID_ARGUMENT when options.sentinel is absent or
// invalid, options.cache.enabled, an empty `service`, or bad connection or
// pool options.
//
// Thread-safety: the returned Clients are thread-safe (see client.h).

#ifndef VALKEY_SENTINEL_SENTINEL_CLIENT_H_
#define VALKEY_SENTINEL_SENTINEL_CLIENT_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "valkey/client/client.h"
#include "valkey/common/config.h"
#include "valkey/sentinel/sentinel.h"

namespace valkey {

absl::StatusOr<std::unique_ptr<Client>> MasterFor(absl::string_view service,
                                                  ClientOptions options);
absl::StatusOr<std::unique_ptr<Client>> ReplicaFor(absl::string_view service,
                                                   ClientOptions options);

// Same, sharing an existing Sentinel (its sentinels, order and connections);
// `options.sentinel` is not used.
absl::StatusOr<std::unique_ptr<Client>> MasterFor(
    std::shared_ptr<Sentinel> sentinel, absl::string_view service,
    ClientOptions options);
absl::StatusOr<std::unique_ptr<Client>> ReplicaFor(
    std::shared_ptr<Sentinel> sentinel, absl::string_view service,
    ClientOptions options);

}  // namespace valkey

#endif  // VALKEY_SENTINEL_SENTINEL_CLIENT_H_

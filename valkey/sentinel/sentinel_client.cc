#include "valkey/sentinel/sentinel_client.h"

#include <memory>
#include <string>
#include <utility>

#include "valkey/common/errors.h"
#include "valkey/sentinel/follow_options.h"
#include "valkey/sentinel/sentinel_pools.h"

namespace valkey {
namespace {

absl::StatusOr<std::shared_ptr<Sentinel>> MakeSentinel(
    absl::string_view service, const ClientOptions& options) {
  if (absl::Status s = CheckFollowOptions(service, options); !s.ok()) return s;
  SentinelOptions sentinel = *options.sentinel;
  sentinel.service_name = std::string(service);
  return Sentinel::Create(std::move(sentinel));
}

absl::StatusOr<std::unique_ptr<Client>> Build(
    std::shared_ptr<Sentinel> sentinel, absl::string_view service,
    ClientOptions options, bool master) {
  if (absl::Status s = CheckFollowOptions(service, options); !s.ok()) return s;
  const RetryOptions retry = options.connection.retry;
  const bool single = options.single_connection;
  if (single) {
    options.pool.max_connections = 1;
    options.pool.blocking = true;
  }
  absl::StatusOr<std::shared_ptr<ConnectionPool>> pool =
      master ? CreateSentinelMasterPool(std::move(sentinel),
                                        std::string(service),
                                        std::move(options.connection),
                                        std::move(options.pool))
             : CreateSentinelReplicaPool(std::move(sentinel),
                                         std::string(service),
                                         std::move(options.connection),
                                         std::move(options.pool));
  if (!pool.ok()) return pool.status();
  return client_internal::FollowingClient(*std::move(pool), retry, master,
                                         single);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Client>> MasterFor(absl::string_view service,
                                                  ClientOptions options) {
  absl::StatusOr<std::shared_ptr<Sentinel>> sentinel =
      MakeSentinel(service, options);
  if (!sentinel.ok()) return sentinel.status();
  return Build(*std::move(sentinel), service, std::move(options), true);
}

absl::StatusOr<std::unique_ptr<Client>> ReplicaFor(absl::string_view service,
                                                   ClientOptions options) {
  absl::StatusOr<std::shared_ptr<Sentinel>> sentinel =
      MakeSentinel(service, options);
  if (!sentinel.ok()) return sentinel.status();
  return Build(*std::move(sentinel), service, std::move(options), false);
}

absl::StatusOr<std::unique_ptr<Client>> MasterFor(
    std::shared_ptr<Sentinel> sentinel, absl::string_view service,
    ClientOptions options) {
  return Build(std::move(sentinel), service, std::move(options), true);
}

absl::StatusOr<std::unique_ptr<Client>> ReplicaFor(
    std::shared_ptr<Sentinel> sentinel, absl::string_view service,
    ClientOptions options) {
  return Build(std::move(sentinel), service, std::move(options), false);
}

}  // namespace valkey

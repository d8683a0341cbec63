#include "valkey/sentinel/follow_options.h"

#include "valkey/common/errors.h"

namespace valkey {

absl::Status CheckFollowOptions(absl::string_view service,
                                const ClientOptions& options) {
  if (!options.sentinel.has_value()) {
    return InvalidArgumentError(
        "sentinel: required to follow a Sentinel service (MasterFor / "
        "ReplicaFor)");
  }
  if (service.empty()) {
    return InvalidArgumentError("sentinel.service_name: empty");
  }
  if (options.cache.enabled) {
    return InvalidArgumentError(
        "cache.enabled: the client-side cache does not follow Sentinel "
        "failovers yet");
  }
  return absl::OkStatus();
}

}  // namespace valkey

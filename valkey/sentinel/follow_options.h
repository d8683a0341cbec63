// What a client following a Sentinel service (MasterFor / ReplicaFor,
// blocking and async alike) requires of its options, checked in one place
// so both refuse the same things with the same status.
//
// Thread-safety: a pure function.

#ifndef VALKEY_SENTINEL_FOLLOW_OPTIONS_H_
#define VALKEY_SENTINEL_FOLLOW_OPTIONS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "valkey/common/config.h"

namespace valkey {

// OK, or INVALID_ARGUMENT naming the field: options.sentinel absent, an
// empty `service`, or options.cache.enabled (the client-side cache does
// not follow failovers yet).
absl::Status CheckFollowOptions(absl::string_view service,
                                const ClientOptions& options);

}  // namespace valkey

#endif  // VALKEY_SENTINEL_FOLLOW_OPTIONS_H_

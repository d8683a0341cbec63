// The retry rule of optimistic transactions (WATCH ... MULTI ... EXEC run
// again while a watched key keeps changing), shared by the blocking
// valkey::Transaction() and the async RunWatchTransaction so that both
// accept the same limits and give up with the same status. Pure logic.
//
// Thread-safety: pure functions.

#ifndef VALKEY_COMMANDS_WATCH_RETRY_H_
#define VALKEY_COMMANDS_WATCH_RETRY_H_

#include "absl/status/status.h"

namespace valkey {

// OK, or INVALID_ARGUMENT for a negative `max_tries` (0 means no limit).
absl::Status CheckWatchMaxTries(int max_tries);

// Whether a run may follow `attempts` runs that all ended in a watch
// conflict.
bool WatchRetryAllowed(int max_tries, int attempts);

// ABORTED (kind kWatch, IsWatchError) after `attempts` conflicting runs;
// `last` is the last conflict's status, quoted.
absl::Status WatchRetriesExhausted(int attempts, const absl::Status& last);

}  // namespace valkey

#endif  // VALKEY_COMMANDS_WATCH_RETRY_H_

#include "valkey/commands/watch_retry.h"

#include "absl/strings/str_cat.h"
#include "valkey/common/errors.h"

namespace valkey {

absl::Status CheckWatchMaxTries(int max_tries) {
  if (max_tries >= 0) return absl::OkStatus();
  return InvalidArgumentError(absl::StrCat(
      "transaction: max_tries must be >= 0 (0 = no limit), got ", max_tries));
}

bool WatchRetryAllowed(int max_tries, int attempts) {
  return max_tries == 0 || attempts < max_tries;
}

absl::Status WatchRetriesExhausted(int attempts, const absl::Status& last) {
  return WatchError(absl::StrCat(
      "transaction gave up after ", attempts,
      attempts == 1 ? " try" : " tries",
      ": a watched key changed each time (last: ", last.message(), ")"));
}

}  // namespace valkey

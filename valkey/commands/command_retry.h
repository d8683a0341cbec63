// CommandRetry: the retry policy a client applies to its commands, built
// from RetryOptions — shared by the blocking and the async client so both
// retry exactly the same errors.
//
// Retried: connection errors (kConnection, kTls); time-outs (kTimeout) when
// retry_on_timeout is set; with `sentinel`, "no master/replica found"
// (kMasterNotFound, kReplicaNotFound), which a failover in progress causes.

#ifndef VALKEY_COMMANDS_COMMAND_RETRY_H_
#define VALKEY_COMMANDS_COMMAND_RETRY_H_

#include <vector>

#include "valkey/common/config.h"
#include "valkey/common/errors.h"
#include "valkey/common/retry.h"

namespace valkey {

inline Retry CommandRetry(const RetryOptions& options, bool sentinel) {
  std::vector<ErrorKind> kinds = {ErrorKind::kConnection, ErrorKind::kTls};
  if (options.retry_on_timeout) kinds.push_back(ErrorKind::kTimeout);
  if (sentinel) {
    kinds.push_back(ErrorKind::kMasterNotFound);
    kinds.push_back(ErrorKind::kReplicaNotFound);
  }
  return Retry(options.backoff, options.retries, kinds);
}

}  // namespace valkey

#endif  // VALKEY_COMMANDS_COMMAND_RETRY_H_

// Pending: one command of an async connection awaiting its reply — its
// reply sink, its deadline and the little the connection needs to report on
// it (name, secrets to scrub). Internal to //valkey/async:connection; kept
// in the submit and in-flight RingQueues by value, so it must stay cheap to
// move and must not allocate for an ordinary command.
//
// Thread-safety: none; the owning queue's lock (or the loop thread) guards
// it.

#ifndef VALKEY_ASYNC_PENDING_COMMAND_H_
#define VALKEY_ASYNC_PENDING_COMMAND_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "valkey/async/connection.h"
#include "valkey/common/command_secrets.h"
#include "valkey/common/reply.h"

namespace valkey::async::internal {

// One command awaiting its reply.
struct Pending {
  ReplySink sink;
  // How long the reply may take once the command is written, and the
  // resulting deadline (set when it is written: a command waiting for the
  // connection is bounded by the connect attempt instead).
  absl::Duration timeout = absl::InfiniteDuration();
  absl::Time deadline = absl::InfiniteFuture();
  // Already answered with DEADLINE_EXCEEDED: its reply is dropped (or, if
  // not written yet, the command is never sent).
  bool expired = false;
  // Bytes sent without a reply to match (pub/sub SUBSCRIBE and friends).
  bool no_reply = false;
  uint32_t bytes = 0;  // Length of the packed command in the out buffer.
  uint8_t name_len = 0;
  char name[14] = {};  // The command name, for messages (truncated).
  // Set only for commands that carry a secret (AUTH, CONFIG SET
  // requirepass, ...): what to scrub from the server's error text. Null,
  // and never touched, for everything else.
  std::shared_ptr<const CommandSecrets> secrets;

  void SetName(absl::string_view n) {
    name_len = static_cast<uint8_t>(std::min(n.size(), sizeof(name)));
    std::memcpy(name, n.data(), name_len);
  }
  absl::string_view Name() const { return absl::string_view(name, name_len); }
  const CommandSecrets& Secrets() const {
    static const CommandSecrets* const kNone = new CommandSecrets();
    return secrets != nullptr ? *secrets : *kNone;
  }
  void Complete(absl::StatusOr<Reply> outcome) {
    sink.fn(sink.ctx, sink.aux, std::move(outcome));
  }
};

}  // namespace valkey::async::internal

#endif  // VALKEY_ASYNC_PENDING_COMMAND_H_

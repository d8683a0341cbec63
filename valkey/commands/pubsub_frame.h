// Pub/sub frames: what one reply read on a subscribed connection is — a
// published message, a (un)subscription confirmation, a PING answer, an
// error or something else — classified once for every subscriber (the
// blocking PubSub, the async PubSub, the sharded subscribers). RESP2 arrays
// and RESP3 pushes alike. Pure logic: no I/O.
//
// Thread-safety: plain values and a pure function.

#ifndef VALKEY_COMMANDS_PUBSUB_FRAME_H_
#define VALKEY_COMMANDS_PUBSUB_FRAME_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "valkey/common/reply.h"

namespace valkey {

// What a PubSubMessage is: a published message (one per subscription
// kind), or the server's confirmation of a (un)subscription.
enum class PubSubKind : uint8_t {
  kMessage,    // Published to a subscribed channel.
  kPMessage,   // Published to a channel matching a subscribed pattern.
  kSMessage,   // Published (SPUBLISH) to a subscribed shard channel.
  kSubscribe,  // Confirmations, one per name.
  kUnsubscribe,
  kPSubscribe,
  kPUnsubscribe,
  kSSubscribe,
  kSUnsubscribe,
};

// The server's name for a kind: "message", "pmessage", "psubscribe", ...
absl::string_view PubSubKindName(PubSubKind kind);

struct PubSubMessage {
  PubSubKind kind = PubSubKind::kMessage;
  // kMessage / kSMessage: the channel. kPMessage: the channel the message
  // was published to. Confirmations: the channel, pattern or shard channel
  // named (empty for an unsubscribe-all when nothing was subscribed).
  std::string channel;
  // kPMessage: the pattern that matched. kPSubscribe / kPUnsubscribe: the
  // pattern (also in `channel`). Empty otherwise.
  std::string pattern;
  // The published bytes; empty for confirmations.
  std::string payload;
  // Confirmations: how many subscriptions the server counts for this
  // connection afterwards (channels + patterns, or shard channels for the
  // S kinds). 0 for published messages.
  int64_t count = 0;

  // True for the six confirmation kinds.
  bool is_confirmation() const {
    return kind != PubSubKind::kMessage && kind != PubSubKind::kPMessage &&
           kind != PubSubKind::kSMessage;
  }
};

namespace pubsub_internal {

// What one frame on a subscribed connection is.
struct Frame {
  enum class Type : uint8_t {
    kMessage,  // A message or confirmation: see `message`.
    kPong,     // The answer to a PING, in any protocol / mode.
    kError,    // A server error reply: see `error`.
    kOther,    // Anything else (an invalidation push, ...): skipped.
  };
  Type type = Type::kOther;
  PubSubMessage message;
  absl::Status error;
};

// Classifies `reply`: a RESP2 array or RESP3 push of a known kind becomes a
// Message (a kind with the wrong arity is kOther); ["pong", x], +PONG and a
// bulk PING echo are kPong.
Frame ParseFrame(ReplyView reply);

}  // namespace pubsub_internal

}  // namespace valkey

#endif  // VALKEY_COMMANDS_PUBSUB_FRAME_H_

#include "valkey/commands/pubsub_frame.h"

#include <string>

#include "absl/strings/match.h"

namespace valkey {
namespace {

struct KindInfo {
  PubSubKind kind;
  absl::string_view name;
  int arity;  // Elements of the frame, the kind's name included.
};

constexpr KindInfo kKinds[] = {
    {PubSubKind::kMessage, "message", 3},
    {PubSubKind::kPMessage, "pmessage", 4},
    {PubSubKind::kSMessage, "smessage", 3},
    {PubSubKind::kSubscribe, "subscribe", 3},
    {PubSubKind::kUnsubscribe, "unsubscribe", 3},
    {PubSubKind::kPSubscribe, "psubscribe", 3},
    {PubSubKind::kPUnsubscribe, "punsubscribe", 3},
    {PubSubKind::kSSubscribe, "ssubscribe", 3},
    {PubSubKind::kSUnsubscribe, "sunsubscribe", 3},
};

}  // namespace

namespace pubsub_internal {

Frame ParseFrame(ReplyView reply) {
  Frame frame;
  if (reply.is_error()) {
    frame.type = Frame::Type::kError;
    frame.error = reply.ToStatus();
    return frame;
  }
  if (reply.type() == ReplyType::kSimpleString) {
    if (absl::EqualsIgnoreCase(reply.str(), "PONG")) {
      frame.type = Frame::Type::kPong;
    }
    return frame;
  }
  if (reply.type() != ReplyType::kArray && !reply.is_push()) return frame;
  if (reply.size() == 0 || !reply[0].is_string()) return frame;
  const absl::string_view name = reply[0].str();
  if (reply.size() == 2 && absl::EqualsIgnoreCase(name, "pong")) {
    frame.type = Frame::Type::kPong;
    return frame;
  }
  const KindInfo* info = nullptr;
  for (const KindInfo& k : kKinds) {
    if (absl::EqualsIgnoreCase(name, k.name)) info = &k;
  }
  if (info == nullptr || reply.size() != static_cast<size_t>(info->arity)) {
    return frame;
  }
  PubSubMessage& m = frame.message;
  m.kind = info->kind;
  switch (info->kind) {
    case PubSubKind::kMessage:
    case PubSubKind::kSMessage:
      m.channel = std::string(reply[1].str());
      m.payload = std::string(reply[2].str());
      break;
    case PubSubKind::kPMessage:
      m.pattern = std::string(reply[1].str());
      m.channel = std::string(reply[2].str());
      m.payload = std::string(reply[3].str());
      break;
    case PubSubKind::kPSubscribe:
    case PubSubKind::kPUnsubscribe:
      m.pattern = std::string(reply[1].str());
      m.channel = m.pattern;
      m.count = reply[2].integer();
      break;
    default:  // The other confirmations; the name is null for an
              // unsubscribe-all with nothing subscribed.
      m.channel = std::string(reply[1].str());
      m.count = reply[2].integer();
      break;
  }
  frame.type = Frame::Type::kMessage;
  return frame;
}

}  // namespace pubsub_internal

absl::string_view PubSubKindName(PubSubKind kind) {
  for (const KindInfo& k : kKinds) {
    if (k.kind == kind) return k.name;
  }
  return "unknown";
}

}  // namespace valkey

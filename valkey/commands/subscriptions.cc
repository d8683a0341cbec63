#include "valkey/commands/subscriptions.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "valkey/commands/pubsub_frame.h"
#include "valkey/common/resp_writer.h"

namespace valkey {
namespace {

constexpr absl::string_view kSubscribe[] = {"SUBSCRIBE", "PSUBSCRIBE",
                                            "SSUBSCRIBE"};
constexpr absl::string_view kUnsubscribe[] = {"UNSUBSCRIBE", "PUNSUBSCRIBE",
                                              "SUNSUBSCRIBE"};
constexpr PubSubKind kSubscribeKind[] = {
    PubSubKind::kSubscribe, PubSubKind::kPSubscribe, PubSubKind::kSSubscribe};
constexpr PubSubKind kUnsubscribeKind[] = {PubSubKind::kUnsubscribe,
                                           PubSubKind::kPUnsubscribe,
                                           PubSubKind::kSUnsubscribe};

}  // namespace

absl::string_view SubscriptionCommand(SubscriptionFamily family,
                                      bool subscribe) {
  const int f = static_cast<int>(family);
  return subscribe ? kSubscribe[f] : kUnsubscribe[f];
}

PubSubKind ConfirmationKind(SubscriptionFamily family, bool subscribe) {
  const int f = static_cast<int>(family);
  return subscribe ? kSubscribeKind[f] : kUnsubscribeKind[f];
}

std::optional<SubscriptionFamily> MessageFamily(PubSubKind kind) {
  switch (kind) {
    case PubSubKind::kMessage:
      return SubscriptionFamily::kChannel;
    case PubSubKind::kPMessage:
      return SubscriptionFamily::kPattern;
    case PubSubKind::kSMessage:
      return SubscriptionFamily::kShard;
    default:
      return std::nullopt;
  }
}

std::optional<std::pair<SubscriptionFamily, bool>> ConfirmationOf(
    PubSubKind kind) {
  for (int f = 0; f < kSubscriptionFamilies; ++f) {
    const auto family = static_cast<SubscriptionFamily>(f);
    if (kind == kSubscribeKind[f]) return std::make_pair(family, true);
    if (kind == kUnsubscribeKind[f]) return std::make_pair(family, false);
  }
  return std::nullopt;
}

void AppendSubscriptionCommand(std::string& out, absl::string_view command,
                               absl::Span<const std::string> names) {
  std::vector<absl::string_view> argv;
  argv.reserve(names.size() + 1);
  argv.push_back(command);
  for (const std::string& name : names) argv.push_back(name);
  AppendCommandArgv(out, argv);
}

}  // namespace valkey

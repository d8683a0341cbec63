// Subscriptions: what a pub/sub subscriber has asked the server to
// subscribe to, per family (channels, patterns, shard channels), kept by the
// blocking PubSub and the async PubSub alike. Pure bookkeeping, no I/O:
//
//  - a (un)subscribe is recorded before it is sent (Apply), so a connection
//    lost before the server answered is repaired by resubscribing what is
//    recorded; a command the server refuses is undone (Revert), so a
//    refused name is never resubscribed;
//  - a reconnect sends everything recorded again (AppendResubscribe, or
//    Names per family), in sorted order;
//  - an unsubscribe confirmation for a name still recorded is the server's
//    own doing (a shard channel whose slot moved away): the name is
//    forgotten (ForgetDroppedByServer), never resubscribed where it no
//    longer lives.
//
// Each name carries a Value: the blocking PubSub's per-name handler, or
// std::monostate for the async subscriber, whose handlers are global.
//
// Thread-safety: thread-compatible; the owner serializes access.

#ifndef VALKEY_COMMANDS_SUBSCRIPTIONS_H_
#define VALKEY_COMMANDS_SUBSCRIPTIONS_H_

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "valkey/commands/pubsub_frame.h"

namespace valkey {

// The three subscription namespaces; each has its own commands and
// confirmation kinds. The values index arrays.
enum class SubscriptionFamily : uint8_t { kChannel = 0, kPattern, kShard };
inline constexpr int kSubscriptionFamilies = 3;

// "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE" or the UNSUBSCRIBE forms.
absl::string_view SubscriptionCommand(SubscriptionFamily family,
                                      bool subscribe);
// The kind of the server's per-name confirmation of that command.
PubSubKind ConfirmationKind(SubscriptionFamily family, bool subscribe);
// The family whose names decide who gets a published message (kMessage:
// channels, kPMessage: patterns, kSMessage: shard channels); nullopt for a
// confirmation.
std::optional<SubscriptionFamily> MessageFamily(PubSubKind kind);
// The family and direction a confirmation confirms; nullopt for a message.
std::optional<std::pair<SubscriptionFamily, bool>> ConfirmationOf(
    PubSubKind kind);

// Appends `command` followed by `names` as one RESP command to `out`.
void AppendSubscriptionCommand(std::string& out, absl::string_view command,
                               absl::Span<const std::string> names);

template <typename Value>
class Subscriptions {
 public:
  // What one Apply changed, to undo it if the server refuses the command.
  struct Change {
    SubscriptionFamily family = SubscriptionFamily::kChannel;
    bool subscribe = true;
    // Confirmations the server sends for the command: one per name given,
    // or, for an unsubscribe-all, one per name it held (one with a null
    // name when it held none).
    int expected_confirmations = 0;
    // Entries as they were before the change: a name that was absent has
    // no value (Revert removes it), a replaced or removed name its old one.
    std::vector<std::pair<std::string, std::optional<Value>>> before;
  };

  // Records subscribing `names` (each with `value`; an existing name's
  // value is replaced) or unsubscribing them (empty `names`: every name of
  // the family, as UNSUBSCRIBE with no arguments does).
  Change Apply(SubscriptionFamily family, bool subscribe,
               absl::Span<const absl::string_view> names, const Value& value) {
    Map& map = map_[Index(family)];
    Change change;
    change.family = family;
    change.subscribe = subscribe;
    if (!subscribe && names.empty()) {
      change.expected_confirmations =
          std::max(1, static_cast<int>(map.size()));
      for (auto& [name, old] : map) {
        change.before.emplace_back(name, std::move(old));
      }
      map.clear();
      return change;
    }
    change.expected_confirmations = static_cast<int>(names.size());
    for (absl::string_view name : names) {
      auto it = map.find(name);
      const bool present = it != map.end();
      change.before.emplace_back(
          std::string(name),
          present ? std::optional<Value>(it->second) : std::nullopt);
      if (subscribe) {
        if (present) {
          it->second = value;
        } else {
          map.emplace(std::string(name), value);
        }
      } else if (present) {
        map.erase(it);
      }
    }
    return change;
  }

  // The server refused the command `change` recorded: restores every name
  // it touched as it was (a new name is forgotten, a removed one is back).
  void Revert(Change change) {
    Map& map = map_[Index(change.family)];
    // Newest first: a name given twice ends as it was before the first.
    for (auto it = change.before.rbegin(); it != change.before.rend(); ++it) {
      auto& [name, old] = *it;
      if (old.has_value()) {
        map.insert_or_assign(std::move(name), *std::move(old));
      } else {
        map.erase(name);
      }
    }
  }

  // A resubscription of everything recorded in `family` as one command, as
  // a Change: reverting it (the server refused it, e.g. after an ACL
  // change) forgets those names. Nothing is recorded anew.
  Change Resubscription(SubscriptionFamily family) {
    Map& map = map_[Index(family)];
    Change change;
    change.family = family;
    change.subscribe = true;
    change.expected_confirmations = static_cast<int>(map.size());
    for (const std::string& name : SortedNames(map)) {
      change.before.emplace_back(name, std::nullopt);
    }
    return change;
  }

  // An unsubscribe confirmation the subscriber did not ask for: Apply took
  // its own unsubscriptions out before sending, so a name still recorded
  // was dropped by the server. Forgets it and returns true; false for
  // anything else (the confirmation answers a command of ours).
  bool ForgetDroppedByServer(const PubSubMessage& confirmation) {
    const auto of = ConfirmationOf(confirmation.kind);
    if (!of.has_value() || of->second) return false;
    return map_[Index(of->first)].erase(confirmation.channel) > 0;
  }

  // Appends one subscribe command per non-empty family (channels,
  // patterns, shard channels; names sorted) to `out`, and returns the
  // confirmations each will bring.
  std::array<int, kSubscriptionFamilies> AppendResubscribe(
      std::string& out) const {
    std::array<int, kSubscriptionFamilies> counts{};
    for (int f = 0; f < kSubscriptionFamilies; ++f) {
      if (map_[f].empty()) continue;
      const auto family = static_cast<SubscriptionFamily>(f);
      AppendSubscriptionCommand(out, SubscriptionCommand(family, true),
                                SortedNames(map_[f]));
      counts[f] = static_cast<int>(map_[f].size());
    }
    return counts;
  }

  // The names recorded in `family`, sorted.
  std::vector<std::string> Names(SubscriptionFamily family) const {
    return SortedNames(map_[Index(family)]);
  }
  // The value of `name` in `family`, or null when it is not recorded.
  const Value* Find(SubscriptionFamily family, absl::string_view name) const {
    const Map& map = map_[Index(family)];
    auto it = map.find(name);
    return it == map.end() ? nullptr : &it->second;
  }
  size_t size(SubscriptionFamily family) const {
    return map_[Index(family)].size();
  }
  bool empty() const {
    return map_[0].empty() && map_[1].empty() && map_[2].empty();
  }
  void Clear() {
    for (Map& map : map_) map.clear();
  }

 private:
  using Map = absl::flat_hash_map<std::string, Value>;

  static int Index(SubscriptionFamily family) {
    return static_cast<int>(family);
  }
  static std::vector<std::string> SortedNames(const Map& map) {
    std::vector<std::string> names;
    names.reserve(map.size());
    for (const auto& [name, value] : map) names.push_back(name);
    std::sort(names.begin(), names.end());
    return names;
  }

  Map map_[kSubscriptionFamilies];
};

}  // namespace valkey

#endif  // VALKEY_COMMANDS_SUBSCRIPTIONS_H_

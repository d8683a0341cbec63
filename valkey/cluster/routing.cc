#include "valkey/cluster/routing.h"

#include <cstddef>
#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "valkey/cluster/key_slot.h"
#include "valkey/common/command_keys.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace cluster {
namespace {

// How a keyless command is routed (rules 2-4 of RouteCommand).
enum class Keyless : uint8_t {
  kAnyNode,
  kAllPrimaries,
  kAllNodes,
  kConnectionState,  // refused
  kSlotArgument,     // CLUSTER ...INSLOT <slot>
};

struct KeylessRule {
  absl::string_view name;
  // Empty: any subcommand (or none). Else args[1] must equal it.
  absl::string_view subcommand;
  Keyless routing;
};

// Scanned in order; a command not found here is kAnyNode. Kept short on
// purpose: only commands whose right target is not "any node".
constexpr KeylessRule kKeylessRules[] = {
    // Per-connection state.
    {"AUTH", "", Keyless::kConnectionState},
    {"HELLO", "", Keyless::kConnectionState},
    {"SELECT", "", Keyless::kConnectionState},
    {"MULTI", "", Keyless::kConnectionState},
    {"EXEC", "", Keyless::kConnectionState},
    {"DISCARD", "", Keyless::kConnectionState},
    {"UNWATCH", "", Keyless::kConnectionState},
    {"QUIT", "", Keyless::kConnectionState},
    {"RESET", "", Keyless::kConnectionState},
    {"READONLY", "", Keyless::kConnectionState},
    {"READWRITE", "", Keyless::kConnectionState},
    {"ASKING", "", Keyless::kConnectionState},
    {"MONITOR", "", Keyless::kConnectionState},
    {"SUBSCRIBE", "", Keyless::kConnectionState},
    {"PSUBSCRIBE", "", Keyless::kConnectionState},
    {"UNSUBSCRIBE", "", Keyless::kConnectionState},
    {"PUNSUBSCRIBE", "", Keyless::kConnectionState},
    {"SSUBSCRIBE", "", Keyless::kConnectionState},    // without channels
    {"SUNSUBSCRIBE", "", Keyless::kConnectionState},  // without channels
    {"CLIENT", "SETNAME", Keyless::kConnectionState},
    {"CLIENT", "SETINFO", Keyless::kConnectionState},
    {"CLIENT", "REPLY", Keyless::kConnectionState},
    {"CLIENT", "TRACKING", Keyless::kConnectionState},
    {"CLIENT", "CACHING", Keyless::kConnectionState},
    {"CLIENT", "NO-EVICT", Keyless::kConnectionState},
    {"CLIENT", "NO-TOUCH", Keyless::kConnectionState},
    // Data held by primaries.
    {"FLUSHALL", "", Keyless::kAllPrimaries},
    {"FLUSHDB", "", Keyless::kAllPrimaries},
    {"SWAPDB", "", Keyless::kAllPrimaries},
    {"DBSIZE", "", Keyless::kAllPrimaries},
    {"KEYS", "", Keyless::kAllPrimaries},
    {"SCAN", "", Keyless::kAllPrimaries},
    {"RANDOMKEY", "", Keyless::kAllPrimaries},
    {"WAIT", "", Keyless::kAllPrimaries},
    {"WAITAOF", "", Keyless::kAllPrimaries},
    {"SCRIPT", "EXISTS", Keyless::kAllPrimaries},
    {"SCRIPT", "KILL", Keyless::kAllPrimaries},
    {"FUNCTION", "LOAD", Keyless::kAllPrimaries},
    {"FUNCTION", "DELETE", Keyless::kAllPrimaries},
    {"FUNCTION", "FLUSH", Keyless::kAllPrimaries},
    {"FUNCTION", "RESTORE", Keyless::kAllPrimaries},
    {"FUNCTION", "KILL", Keyless::kAllPrimaries},
    {"PUBSUB", "SHARDCHANNELS", Keyless::kAllPrimaries},
    {"PUBSUB", "SHARDNUMSUB", Keyless::kAllPrimaries},
    // Per-node state that replication does not copy.
    {"CONFIG", "SET", Keyless::kAllNodes},
    {"CONFIG", "RESETSTAT", Keyless::kAllNodes},
    {"CONFIG", "REWRITE", Keyless::kAllNodes},
    {"SCRIPT", "LOAD", Keyless::kAllNodes},
    {"SCRIPT", "FLUSH", Keyless::kAllNodes},
    {"ACL", "SETUSER", Keyless::kAllNodes},
    {"ACL", "DELUSER", Keyless::kAllNodes},
    {"ACL", "LOAD", Keyless::kAllNodes},
    {"ACL", "SAVE", Keyless::kAllNodes},
    {"SLOWLOG", "RESET", Keyless::kAllNodes},
    {"LATENCY", "RESET", Keyless::kAllNodes},
    {"MEMORY", "PURGE", Keyless::kAllNodes},
    {"PUBSUB", "CHANNELS", Keyless::kAllNodes},
    {"PUBSUB", "NUMSUB", Keyless::kAllNodes},
    {"PUBSUB", "NUMPAT", Keyless::kAllNodes},
    // A slot given as an argument.
    {"CLUSTER", "COUNTKEYSINSLOT", Keyless::kSlotArgument},
    {"CLUSTER", "GETKEYSINSLOT", Keyless::kSlotArgument},
};

Keyless FindKeyless(absl::Span<const CommandArg> args) {
  const absl::string_view name = args[0].view();
  const absl::string_view sub =
      args.size() >= 2 ? args[1].view() : absl::string_view();
  for (const KeylessRule& rule : kKeylessRules) {
    if (!absl::EqualsIgnoreCase(name, rule.name)) continue;
    if (rule.subcommand.empty() ||
        absl::EqualsIgnoreCase(sub, rule.subcommand)) {
      return rule.routing;
    }
  }
  return Keyless::kAnyNode;
}

bool IsShardedPubSub(absl::string_view name) {
  return absl::EqualsIgnoreCase(name, "SPUBLISH") ||
         absl::EqualsIgnoreCase(name, "SSUBSCRIBE") ||
         absl::EqualsIgnoreCase(name, "SUNSUBSCRIBE");
}

// A command name fit for a message: bounded, as a hostile or mistaken
// argument may be long.
absl::string_view NameForMessage(absl::string_view name) {
  return name.substr(0, 64);
}

Route Refuse(absl::Status status) {
  Route route;
  route.kind = Route::kRefused;
  route.refusal = std::move(status);
  return route;
}

// kSlot for `keys` (non-empty) or a CROSSSLOT refusal.
template <typename Keys>
Route RouteKeys(absl::string_view name, const Keys& keys, bool read_only) {
  const uint16_t slot = KeySlot(keys[0]);
  for (size_t i = 1; i < keys.size(); ++i) {
    const uint16_t other = KeySlot(keys[i]);
    if (other != slot) {
      return Refuse(MakeError(
          absl::StatusCode::kInvalidArgument, ErrorKind::kCrossSlot,
          absl::StrCat("CROSSSLOT ", NameForMessage(name),
                       ": keys hash to different slots (", slot, " and ", other,
                       "); give them a common hash tag, e.g. {user1}.a and "
                       "{user1}.b, or send one command per slot")));
    }
  }
  Route route;
  route.kind = Route::kSlot;
  route.slot = slot;
  route.read_only = read_only;
  return route;
}

}  // namespace

Route RouteCommand(absl::Span<const CommandArg> args) {
  if (args.empty()) return Refuse(InvalidArgumentError("empty command"));
  const absl::string_view name = args[0].view();
  const CommandKeys keys = FindCommandKeys(args);
  if (keys.known && !keys.keys.empty()) {
    // The table counts SPUBLISH as a read of its channel, but a publish
    // belongs on the shard's primary, where subscribers are sure to be.
    const bool read_only = !keys.writes && !IsShardedPubSub(name);
    return RouteKeys(name, keys.keys, read_only);
  }
  // Sharded subscriptions: every channel hashes like a key, and the server
  // requires them to share a slot. (Not in the command table, which lists
  // keys a command reads or writes.)
  if (args.size() >= 2 && IsShardedPubSub(name) &&
      !absl::EqualsIgnoreCase(name, "SPUBLISH")) {
    struct Channels {
      absl::Span<const CommandArg> args;
      size_t size() const { return args.size(); }
      absl::string_view operator[](size_t i) const { return args[i].view(); }
    };
    return RouteKeys(name, Channels{args.subspan(1)}, /*read_only=*/false);
  }
  Route route;
  route.read_only = keys.known && !keys.writes;
  switch (FindKeyless(args)) {
    case Keyless::kAnyNode:
      route.kind = Route::kAnyNode;
      return route;
    case Keyless::kAllPrimaries:
      route.kind = Route::kAllPrimaries;
      return route;
    case Keyless::kAllNodes:
      route.kind = Route::kAllNodes;
      return route;
    case Keyless::kConnectionState:
      return Refuse(InvalidArgumentError(absl::StrCat(
          NameForMessage(name),
          " holds or changes the state of one connection, so it cannot be "
          "routed to an arbitrary cluster node; use the cluster client's "
          "own API (handshake options, transactions, pub/sub)")));
    case Keyless::kSlotArgument: {
      int slot = -1;
      route.kind = Route::kAnyNode;  // a bad slot: let the server say so
      if (args.size() >= 3 && absl::SimpleAtoi(args[2].view(), &slot) &&
          slot >= 0 && slot < kNumSlots) {
        route.kind = Route::kSlot;
        route.slot = slot;
      }
      return route;
    }
  }
  route.kind = Route::kAnyNode;
  return route;
}

const NodeAddress& ChooseNode(const Shard& shard, ReadPolicy policy,
                              bool read_only, uint64_t counter,
                              absl::string_view client_az) {
  const size_t replicas = shard.replicas.size();
  if (!read_only || policy == ReadPolicy::kPrimary || replicas == 0) {
    return shard.primary;
  }
  switch (policy) {
    case ReadPolicy::kPrimary:
      return shard.primary;
    case ReadPolicy::kRoundRobin: {
      const uint64_t i = counter % (replicas + 1);
      return i == 0 ? shard.primary : shard.replicas[i - 1];
    }
    case ReadPolicy::kAzAffinity: {
      if (!client_az.empty()) {
        size_t local = 0;
        for (const NodeAddress& r : shard.replicas) {
          if (r.availability_zone == client_az) ++local;
        }
        if (local > 0) {
          // The (counter % local)-th replica in the zone; no allocation.
          uint64_t pick = counter % local;
          for (const NodeAddress& r : shard.replicas) {
            if (r.availability_zone != client_az) continue;
            if (pick == 0) return r;
            --pick;
          }
        }
      }
      return shard.replicas[counter % replicas];
    }
    case ReadPolicy::kPreferReplica:
      break;
  }
  return shard.replicas[counter % replicas];
}

}  // namespace cluster
}  // namespace valkey

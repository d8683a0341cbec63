// Command routing for a cluster client: which node(s) a command goes to, and
// which node of a shard serves it under a read policy.
//
//   const CommandArg args[] = {"MGET", "{u1}.a", "{u1}.b"};
//   Route route = RouteCommand(args);
//   switch (route.kind) {
//     case Route::kSlot: {
//       const Shard* shard = map.ShardForSlot(route.slot);
//       const NodeAddress& node = ChooseNode(*shard, policy, route.read_only,
//                                            counter++, my_az);
//       ...  // send there; on MOVED/ASK see redirect.h
//     }
//     case Route::kAnyNode: ...        // e.g. a random primary
//     case Route::kAllPrimaries: ...   // map.Primaries(); caller aggregates
//     case Route::kAllNodes: ...       // map.AllNodes()
//     case Route::kRefused: return route.refusal;
//   }
//
// Keys come from the one command table (FindCommandKeys in
// valkey/common/command_keys.h); this file adds only the routing of
// commands without keys.
//
// Thread-safety: pure functions over constant tables.

#ifndef VALKEY_CLUSTER_ROUTING_H_
#define VALKEY_CLUSTER_ROUTING_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "valkey/cluster/slot_map.h"
#include "valkey/common/resp_writer.h"

namespace valkey {
namespace cluster {

struct Route {
  enum Kind {
    // The shard serving `slot`: every key (or sharded channel) of the
    // command hashes there.
    kSlot,
    // Any one node; the command touches no key (PING, INFO, PUBLISH, EVAL
    // with numkeys 0) or its keys cannot be known (unknown/module commands:
    // the server answers MOVED if the guess was wrong, and the client
    // follows it). Pick a primary unless `read_only` lets the read policy
    // pick a replica.
    kAnyNode,
    // Every primary, once each; the caller combines the replies (DBSIZE
    // sums, KEYS concatenates, FLUSHALL needs all OK, SCAN iterates node by
    // node, RANDOMKEY takes any non-nil).
    kAllPrimaries,
    // Every node, replicas included: per-node state that replication does
    // not copy (CONFIG SET, SCRIPT LOAD, ACL SETUSER).
    kAllNodes,
    // Not sendable as is; `refusal` says why.
    kRefused,
  };
  Kind kind = kAnyNode;
  // For kSlot: the slot, in [0, kNumSlots). -1 otherwise.
  int slot = -1;
  // The command is known not to write, so a read policy may send it to a
  // replica (FindCommandKeys' `known && !writes`). False for unknown
  // commands: they must go to a primary.
  bool read_only = false;
  // For kRefused: INVALID_ARGUMENT, with ErrorKind kCrossSlot when the keys
  // span slots ("CROSSSLOT MSET: keys hash to different slots (15495 and
  // 5061) ...") or kInvalidArgument for commands that cannot be routed
  // (below). OK otherwise.
  absl::Status refusal;
};

// Routes one command (args[0] is its name, any case). Rules, in order:
//
//  1. Commands with keys (per FindCommandKeys, plus the channels of
//     SSUBSCRIBE / SUNSUBSCRIBE): kSlot when all hash to one slot, else
//     kRefused (kCrossSlot) naming the command and two differing slots.
//     read_only = the command does not write (SPUBLISH, SSUBSCRIBE and
//     SUNSUBSCRIBE are never read_only: they belong on the primary).
//     Splitting MGET/DEL/MSET across slots is the client's business, not
//     this function's. EVAL/EVALSHA/FCALL (and _RO) route by their numkeys
//     keys; with numkeys 0 they are keyless (rule 4).
//  2. Commands that hold or change per-connection state, which a router
//     must not send over a shared connection to an arbitrary node: kRefused
//     (kInvalidArgument). AUTH, HELLO, SELECT, MULTI, EXEC, DISCARD, UNWATCH,
//     QUIT, RESET, READONLY, READWRITE, ASKING, MONITOR, SUBSCRIBE,
//     PSUBSCRIBE, UNSUBSCRIBE, PUNSUBSCRIBE, SUNSUBSCRIBE without channels,
//     CLIENT SETNAME|SETINFO|REPLY|TRACKING|CACHING|NO-EVICT|NO-TOUCH.
//     The cluster client implements these itself (handshake, transactions
//     pinned to a node, pub/sub connections).
//  3. Keyless broadcasts:
//     kAllPrimaries: FLUSHALL, FLUSHDB, SWAPDB, DBSIZE, KEYS, SCAN,
//       RANDOMKEY, WAIT, WAITAOF, SCRIPT EXISTS|KILL,
//       FUNCTION LOAD|DELETE|FLUSH|RESTORE|KILL (functions replicate to
//       replicas), PUBSUB SHARDCHANNELS|SHARDNUMSUB.
//     kAllNodes: CONFIG SET|RESETSTAT|REWRITE, SCRIPT LOAD|FLUSH (the script
//       cache is per node and not replicated: EVALSHA_RO on a replica needs
//       it there), ACL SETUSER|DELUSER|LOAD|SAVE, SLOWLOG RESET,
//       LATENCY RESET, MEMORY PURGE, PUBSUB CHANNELS|NUMSUB|NUMPAT
//       (subscriptions are per node).
//     CLUSTER COUNTKEYSINSLOT|GETKEYSINSLOT <slot>: kSlot for that slot.
//  4. Every other command without keys — PING, ECHO, INFO, TIME, COMMAND,
//     CLUSTER ..., PUBLISH, FUNCTION LIST, CONFIG GET, ..., unknown and
//     module commands, and known commands whose arguments do not parse (the
//     server will answer with the error): kAnyNode.
//
// Allocates nothing beyond FindCommandKeys (none for up to 4 keys), except
// the refusal message. An empty `args` is kRefused (INVALID_ARGUMENT).
[[nodiscard]] Route RouteCommand(absl::Span<const CommandArg> args);

// Which node of a shard serves a read-only command. Writes (and commands not
// known to be read-only) always go to the primary, whatever the policy.
enum class ReadPolicy {
  // Always the primary. Reads see the latest writes. Default of every client.
  kPrimary,
  // Round robin over the replicas; the primary when there is none.
  kPreferReplica,
  // Round robin over the primary and the replicas.
  kRoundRobin,
  // Round robin over the replicas in the client's availability zone; then
  // over all replicas; then the primary (glide's AZAffinity). Without a
  // client zone, kPreferReplica.
  kAzAffinity,
};

// The node of `shard` to send a command to. `counter` is the caller's
// round-robin position (e.g. an atomic incremented per command, so
// concurrent callers spread); `client_az` the client's zone for
// kAzAffinity (matched exactly against NodeAddress::availability_zone).
// Returns a reference into `shard`, valid while it is.
[[nodiscard]] const NodeAddress& ChooseNode(const Shard& shard,
                                            ReadPolicy policy, bool read_only,
                                            uint64_t counter,
                                            absl::string_view client_az);

}  // namespace cluster
}  // namespace valkey

#endif  // VALKEY_CLUSTER_ROUTING_H_

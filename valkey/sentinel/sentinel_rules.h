// The Sentinel rules both clients share, free of I/O: the addresses and
// node states sentinels report, how a reply is judged (a usable master,
// usable replicas), the order replicas are tried in, option checks, and
// the options of a connection to a sentinel.
//
//   absl::StatusOr<valkey::NodeAddress> master =
//       valkey::sentinel_rules::MasterFromReply(reply.view(), 0);
//
// Thread-safety: plain functions and values.

#ifndef VALKEY_SENTINEL_SENTINEL_RULES_H_
#define VALKEY_SENTINEL_SENTINEL_RULES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "valkey/common/config.h"
#include "valkey/common/reply.h"

namespace valkey {

// A data node's TCP address as a sentinel reports it.
struct NodeAddress {
  std::string host;
  int port = 0;

  // "host:port" ("[v6::addr]:port" for IPv6 literals).
  std::string ToString() const;
  friend bool operator==(const NodeAddress& a, const NodeAddress& b) {
    return a.host == b.host && a.port == b.port;
  }
  friend bool operator!=(const NodeAddress& a, const NodeAddress& b) {
    return !(a == b);
  }
};

// One entry of SENTINEL MASTER(S) / REPLICAS / SENTINELS, whatever the
// protocol. Every field is kept as text in `fields` ("ip", "port",
// "flags", "num-other-sentinels", ...); the accessors parse the common ones.
struct SentinelNodeState {
  absl::flat_hash_map<std::string, std::string> fields;

  // The field's text, or "" when absent.
  std::string Get(absl::string_view name) const;
  // The field as an integer, or `fallback` when absent or not a number.
  int64_t GetInt(absl::string_view name, int64_t fallback = 0) const;

  std::string name() const { return Get("name"); }
  NodeAddress address() const;  // "ip" and "port".
  // True when the comma-separated "flags" field holds `flag`
  // ("master", "slave", "s_down", "o_down", "disconnected", ...).
  bool HasFlag(absl::string_view flag) const;
  bool is_master() const { return HasFlag("master"); }
  bool is_replica() const { return HasFlag("slave"); }
  bool is_sdown() const { return HasFlag("s_down"); }
  bool is_odown() const { return HasFlag("o_down"); }
  bool is_disconnected() const { return HasFlag("disconnected"); }
  int64_t num_other_sentinels() const { return GetInt("num-other-sentinels"); }
};

// Parses one entry: a RESP3 map or a RESP2 flat array of key/value pairs.
// Errors: kProtocol DATA_LOSS for any other shape.
absl::StatusOr<SentinelNodeState> ParseSentinelNodeState(ReplyView reply);
// Parses an array of entries.
absl::StatusOr<std::vector<SentinelNodeState>> ParseSentinelNodeStates(
    ReplyView reply);
// The discovery rules, I/O-free: the blocking Sentinel (sentinel.h), its
// pools (sentinel_pools.h) and the async Sentinel (async_sentinel.h) judge
// options and sentinel replies with these, so the two clients cannot drift.
namespace sentinel_rules {

// Checks the options both Sentinels take: at least one sentinel, each with
// a host and a port in 1..65535, min_other_sentinels >= 0,
// max_connections_per_sentinel >= 1. The connection template is checked by
// whoever opens connections with it. Errors: INVALID_ARGUMENT naming the
// field ("sentinel.sentinels[1].port: 0 is not a valid port (1-65535)").
absl::Status ValidateOptions(const SentinelOptions& options);

// The order in which a replica connection tries the usable replicas: all
// of them, starting at `start` (mod their number) and wrapping around.
// The master comes after them (the caller asks for it separately, since
// it is a second discovery). Empty when `replicas` is.
std::vector<NodeAddress> ReplicaOrder(absl::Span<const NodeAddress> replicas,
                                      uint64_t start);

// One sentinel's reply to SENTINEL MASTER <service>: the master's address
// if it describes a usable master (flags "master", not s_down/o_down,
// num-other-sentinels >= min_other_sentinels, a valid address); otherwise
// NOT_FOUND (kMasterNotFound) or DATA_LOSS saying why, without naming the
// sentinel.
absl::StatusOr<NodeAddress> MasterFromReply(ReplyView reply,
                                            int min_other_sentinels);

// The replicas in a SENTINEL REPLICAS reply that are usable (not s_down,
// o_down or disconnected; valid address), in the sentinel's order.
absl::StatusOr<std::vector<NodeAddress>> ReplicasFromReply(ReplyView reply);

// NOT_FOUND (kMasterNotFound): "No master found for 'svc' : <errors>".
absl::Status NoMasterFound(absl::string_view service,
                           absl::Span<const std::string> errors);

// NOT_FOUND (kReplicaNotFound): "No replica found for 'svc' : <errors>",
// where errors are "<host:port> - <error>" for each replica tried in
// ReplicaOrder, then "<host:port> (master) - <error>" (or why the master
// could not be discovered). Both replica clients connect this way: every
// replica in order, then the master, each with its own connect time-out.
absl::Status NoReplicaFound(absl::string_view service,
                            absl::Span<const std::string> errors);

// The options of a connection to the sentinel at `address`:
// options.connection with that address, no Unix path, db 0 (sentinels
// have no SELECT), and kDefaultSentinelSocketTimeout in place of an
// infinite socket time-out, so that a silent sentinel is given up on and
// the next one asked (config.h). Every sentinel connection, blocking or
// async, discovery or +switch-master subscription, is opened with these.
ConnectionOptions ConnectionFor(const SentinelOptions& options,
                                const SentinelAddress& address);

}  // namespace sentinel_rules

// "host:port" of a sentinel, for messages.
std::string SentinelAddressString(const SentinelAddress& address);

}  // namespace valkey

#endif  // VALKEY_SENTINEL_SENTINEL_RULES_H_

#include "valkey/sentinel/sentinel_rules.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace {

std::string HostPort(absl::string_view host, int port) {
  if (absl::StrContains(host, ':')) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

// A scalar reply field as text.
std::string FieldText(ReplyView value) {
  switch (value.type()) {
    case ReplyType::kInteger:
      return absl::StrCat(value.integer());
    case ReplyType::kDouble:
      return absl::StrCat(value.dbl());
    case ReplyType::kBoolean:
      return value.boolean() ? "1" : "0";
    case ReplyType::kArray:
    case ReplyType::kSet: {
      // RESP3 may send "flags" as a set of strings.
      std::vector<std::string> parts;
      for (ReplyView e : value) parts.push_back(FieldText(e));
      return absl::StrJoin(parts, ",");
    }
    default:
      return std::string(value.str());
  }
}

bool ValidPort(int port) { return port >= 1 && port <= 65535; }

}  // namespace

// ---------------------------------------------------------------- NodeAddress

std::string NodeAddress::ToString() const { return HostPort(host, port); }

std::string SentinelAddressString(const SentinelAddress& address) {
  return HostPort(address.host, address.port);
}

// ---------------------------------------------------------- SentinelNodeState

std::string SentinelNodeState::Get(absl::string_view name) const {
  auto it = fields.find(name);
  return it == fields.end() ? std::string() : it->second;
}

int64_t SentinelNodeState::GetInt(absl::string_view name,
                                  int64_t fallback) const {
  auto it = fields.find(name);
  int64_t value = 0;
  if (it == fields.end() || !absl::SimpleAtoi(it->second, &value)) {
    return fallback;
  }
  return value;
}

NodeAddress SentinelNodeState::address() const {
  return NodeAddress{Get("ip"), static_cast<int>(GetInt("port"))};
}

bool SentinelNodeState::HasFlag(absl::string_view flag) const {
  auto it = fields.find("flags");
  if (it == fields.end()) return false;
  for (absl::string_view f : absl::StrSplit(it->second, ',')) {
    if (absl::StripAsciiWhitespace(f) == flag) return true;
  }
  return false;
}

absl::StatusOr<SentinelNodeState> ParseSentinelNodeState(ReplyView reply) {
  const bool is_map = reply.type() == ReplyType::kMap;
  const bool is_flat = reply.type() == ReplyType::kArray;
  if (!is_map && !is_flat) {
    return ProtocolError(absl::StrCat("sentinel state: expected a map, got ",
                                      ReplyTypeName(reply.type())));
  }
  if (is_flat && reply.size() % 2 != 0) {
    return ProtocolError(absl::StrCat(
        "sentinel state: odd number of elements (", reply.size(), ")"));
  }
  SentinelNodeState state;
  for (auto [key, value] : reply.pairs()) {
    if (!key.is_string()) {
      return ProtocolError("sentinel state: a field name is not a string");
    }
    state.fields.insert_or_assign(std::string(key.str()), FieldText(value));
  }
  return state;
}

absl::StatusOr<std::vector<SentinelNodeState>> ParseSentinelNodeStates(
    ReplyView reply) {
  if (reply.type() != ReplyType::kArray && reply.type() != ReplyType::kSet) {
    return ProtocolError(
        absl::StrCat("sentinel state list: expected an array, got ",
                     ReplyTypeName(reply.type())));
  }
  std::vector<SentinelNodeState> states;
  states.reserve(reply.size());
  for (ReplyView entry : reply) {
    absl::StatusOr<SentinelNodeState> state = ParseSentinelNodeState(entry);
    if (!state.ok()) return state.status();
    states.push_back(*std::move(state));
  }
  return states;
}

namespace sentinel_rules {

absl::Status ValidateOptions(const SentinelOptions& options) {
  if (options.sentinels.empty()) {
    return InvalidArgumentError("sentinel.sentinels: at least one is required");
  }
  if (options.min_other_sentinels < 0) {
    return InvalidArgumentError(
        "sentinel.min_other_sentinels: must not be negative");
  }
  if (options.max_connections_per_sentinel < 1) {
    return InvalidArgumentError(absl::StrCat(
        "sentinel.max_connections_per_sentinel: ",
        options.max_connections_per_sentinel, " is not valid (must be >= 1)"));
  }
  for (size_t i = 0; i < options.sentinels.size(); ++i) {
    const SentinelAddress& address = options.sentinels[i];
    if (address.host.empty()) {
      return InvalidArgumentError(
          absl::StrCat("sentinel.sentinels[", i, "].host: required"));
    }
    if (!ValidPort(address.port)) {
      return InvalidArgumentError(
          absl::StrCat("sentinel.sentinels[", i, "].port: ", address.port,
                       " is not a valid port (1-65535)"));
    }
  }
  return absl::OkStatus();
}

std::vector<NodeAddress> ReplicaOrder(absl::Span<const NodeAddress> replicas,
                                      uint64_t start) {
  std::vector<NodeAddress> order;
  const size_t n = replicas.size();
  order.reserve(n);
  for (size_t i = 0; i < n; ++i) order.push_back(replicas[(start + i) % n]);
  return order;
}

absl::StatusOr<NodeAddress> MasterFromReply(ReplyView reply,
                                            int min_other_sentinels) {
  absl::StatusOr<SentinelNodeState> state = ParseSentinelNodeState(reply);
  if (!state.ok()) return state.status();
  if (!state->is_master() || state->is_sdown() || state->is_odown() ||
      state->num_other_sentinels() < min_other_sentinels) {
    return MasterNotFoundError(
        absl::StrCat("master in unusable state (flags ", state->Get("flags"),
                     ", num-other-sentinels ", state->num_other_sentinels(),
                     " < ", min_other_sentinels, "?)"));
  }
  NodeAddress address = state->address();
  if (address.host.empty() || !ValidPort(address.port)) {
    return MasterNotFoundError(
        absl::StrCat("bad master address ", address.ToString()));
  }
  return address;
}

absl::StatusOr<std::vector<NodeAddress>> ReplicasFromReply(ReplyView reply) {
  absl::StatusOr<std::vector<SentinelNodeState>> states =
      ParseSentinelNodeStates(reply);
  if (!states.ok()) return states.status();
  std::vector<NodeAddress> replicas;
  for (const SentinelNodeState& state : *states) {
    if (state.is_sdown() || state.is_odown() || state.is_disconnected()) {
      continue;
    }
    NodeAddress address = state.address();
    if (address.host.empty() || !ValidPort(address.port)) continue;
    replicas.push_back(std::move(address));
  }
  return replicas;
}

absl::Status NoMasterFound(absl::string_view service,
                           absl::Span<const std::string> errors) {
  std::string message = absl::StrCat("No master found for '", service, "'");
  if (!errors.empty()) {
    absl::StrAppend(&message, " : ", absl::StrJoin(errors, ", "));
  }
  return MasterNotFoundError(message);
}

absl::Status NoReplicaFound(absl::string_view service,
                            absl::Span<const std::string> errors) {
  std::string message = absl::StrCat("No replica found for '", service, "'");
  if (!errors.empty()) {
    absl::StrAppend(&message, " : ", absl::StrJoin(errors, ", "));
  }
  return ReplicaNotFoundError(message);
}

ConnectionOptions ConnectionFor(const SentinelOptions& options,
                                const SentinelAddress& address) {
  ConnectionOptions connection = options.connection;
  connection.host = address.host;
  connection.port = address.port;
  connection.unix_path.clear();
  connection.db = 0;
  if (connection.socket_timeout == absl::InfiniteDuration()) {
    connection.socket_timeout = kDefaultSentinelSocketTimeout;
  }
  return connection;
}

}  // namespace sentinel_rules

}  // namespace valkey

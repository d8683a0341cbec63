// Server and connection commands: PING, ECHO, INFO, DBSIZE, FLUSHDB /
// FLUSHALL, CLIENT ID / SETNAME / GETNAME / LIST, CONFIG GET / SET /
// RESETSTAT, TIME, PUBLISH / SPUBLISH. Part of the command table (see
// command_table.h): each method is the command's arguments plus its reply
// conversion, run by the executor `E` (Client, Pipeline, async client).
//
//   absl::StatusOr<InfoFields> info = client.Info("server");
//   if (info.ok()) std::cout << (*info)["valkey_version"];
//   absl::StatusOr<absl::Time> now = client.Time();
//
// Connection state: on a pooled Client each command may run on a different
// connection, so CLIENT SETNAME names just one of them and CLIENT ID / CLIENT
// GETNAME describe whichever connection ran them. Use a single-connection
// client (ClientOptions::single_connection) when that matters.
//
// INFO and CLIENT LIST come as text (a RESP3 verbatim string or a RESP2
// bulk); they are parsed as described at InfoFields and ClientInfo, and
// InfoText returns the text unparsed.
//
// Errors: server error replies as their status; DATA_LOSS for a reply of
// an unexpected shape; INVALID_ARGUMENT for bad arguments, before anything
// is sent.
//
// Thread-safety: as the executor's.

#ifndef VALKEY_COMMANDS_SERVER_COMMANDS_H_
#define VALKEY_COMMANDS_SERVER_COMMANDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "valkey/commands/command_args.h"
#include "valkey/commands/reply_convert.h"
#include "valkey/common/errors.h"
#include "valkey/common/reply.h"

namespace valkey {

// FLUSHDB / FLUSHALL / SCRIPT FLUSH mode.
enum class FlushMode {
  kDefault,  // no argument: the server's lazyfree-lazy-user-flush setting
  kSync,     // SYNC: free memory before replying
  kAsync,    // ASYNC: free memory in the background
};

// INFO as field → value: every "field:value" line of every section
// ("# Server" headers and blank lines skipped), values as the server wrote
// them. Field names are unique across sections. Nested values are left as
// text, e.g. info["db0"] == "keys=1,expires=0,avg_ttl=0" and
// info["cmdstat_get"] == "calls=3,usec=12,...".
using InfoFields = absl::flat_hash_map<std::string, std::string>;

// One CLIENT LIST line as field → value ("id" → "7", "name" → "", "addr" →
// "127.0.0.1:50412", ...), split on spaces and the first '=' of each field.
using ClientInfo = absl::flat_hash_map<std::string, std::string>;

namespace convert {

// Parses INFO text (see InfoFields).
inline InfoFields ParseInfo(absl::string_view text) {
  InfoFields out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    out.insert_or_assign(std::string(line.substr(0, colon)),
                         std::string(line.substr(colon + 1)));
  }
  return out;
}

// Parses CLIENT LIST (or CLIENT INFO) text: one ClientInfo per line.
inline std::vector<ClientInfo> ParseClientList(absl::string_view text) {
  std::vector<ClientInfo> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    ClientInfo& client = out.emplace_back();
    for (absl::string_view field :
         absl::StrSplit(line, ' ', absl::SkipEmpty())) {
      const size_t eq = field.find('=');
      if (eq == absl::string_view::npos) {
        client.insert_or_assign(std::string(field), std::string());
      } else {
        client.insert_or_assign(std::string(field.substr(0, eq)),
                                std::string(field.substr(eq + 1)));
      }
    }
  }
  return out;
}

inline absl::StatusOr<InfoFields> Info(const ReplyView& reply) {
  if (!reply.is_string() || reply.is_error()) {
    return WrongShape("INFO text", reply);
  }
  return ParseInfo(reply.str());
}

inline absl::StatusOr<std::vector<ClientInfo>> ClientList(
    const ReplyView& reply) {
  if (!reply.is_string() || reply.is_error()) {
    return WrongShape("CLIENT LIST text", reply);
  }
  return ParseClientList(reply.str());
}

// TIME: [seconds, microseconds] as two bulk strings (integers accepted).
inline absl::StatusOr<absl::Time> ServerTime(const ReplyView& reply) {
  if (reply.type() != ReplyType::kArray || reply.size() != 2) {
    return WrongShape("[seconds, microseconds]", reply);
  }
  int64_t parts[2];
  for (size_t i = 0; i < 2; ++i) {
    const ReplyView part = reply[i];
    if (part.type() == ReplyType::kInteger) {
      parts[i] = part.integer();
    } else if (!part.is_string() || part.is_error() ||
               !absl::SimpleAtoi(part.str(), &parts[i])) {
      return WrongShape("[seconds, microseconds]", reply);
    }
  }
  return absl::FromUnixSeconds(parts[0]) + absl::Microseconds(parts[1]);
}

}  // namespace convert

namespace internal {

inline void AppendFlushMode(FlushMode mode, CommandArgs& args) {
  switch (mode) {
    case FlushMode::kDefault:
      break;
    case FlushMode::kSync:
      args.push_back("SYNC");
      break;
    case FlushMode::kAsync:
      args.push_back("ASYNC");
      break;
  }
}

}  // namespace internal

template <typename E, template <typename> class Result>
class ServerCommands {
 public:
  // PING → "PONG".
  Result<std::string> Ping() {
    return self().template Run<std::string>(&convert::String, "PING");
  }
  // PING message → `message`.
  Result<std::string> Ping(absl::string_view message) {
    return self().template Run<std::string>(&convert::String, "PING", message);
  }
  // ECHO message → `message`.
  Result<std::string> Echo(absl::string_view message) {
    return self().template Run<std::string>(&convert::String, "ECHO", message);
  }

  // INFO → the default sections, parsed (see InfoFields).
  Result<InfoFields> Info() {
    return self().template Run<InfoFields>(&convert::Info, "INFO");
  }
  // INFO section → one section ("server", "memory", "commandstats", ...) or
  // a group ("all", "everything"), parsed. An unknown section gives an empty
  // map, as the server sends no lines.
  Result<InfoFields> Info(absl::string_view section) {
    return self().template Run<InfoFields>(&convert::Info, "INFO", section);
  }
  // INFO [section] → the text as the server sent it ("# Server\r\n...").
  Result<std::string> InfoText(absl::string_view section = "") {
    if (section.empty()) {
      return self().template Run<std::string>(&convert::String, "INFO");
    }
    return self().template Run<std::string>(&convert::String, "INFO", section);
  }

  // DBSIZE → the number of keys in the connection's database.
  Result<int64_t> DbSize() {
    return self().template Run<int64_t>(&convert::Integer, "DBSIZE");
  }
  // FLUSHDB [ASYNC|SYNC]: deletes every key of the connection's database.
  Result<bool> FlushDb(FlushMode mode = FlushMode::kDefault) {
    CommandArgs args{"FLUSHDB"};
    internal::AppendFlushMode(mode, args);
    return self().template RunArgs<bool>(&convert::Ok, args.span());
  }
  // FLUSHALL [ASYNC|SYNC]: deletes every key of every database.
  Result<bool> FlushAll(FlushMode mode = FlushMode::kDefault) {
    CommandArgs args{"FLUSHALL"};
    internal::AppendFlushMode(mode, args);
    return self().template RunArgs<bool>(&convert::Ok, args.span());
  }

  // CLIENT ID → the id of the connection that ran it.
  Result<int64_t> ClientId() {
    return self().template Run<int64_t>(&convert::Integer, "CLIENT", "ID");
  }
  // CLIENT SETNAME name: names the connection that runs it ("" clears the
  // name). INVALID_ARGUMENT: a name with a space or a newline (the server
  // would refuse it too).
  Result<bool> ClientSetName(absl::string_view name) {
    if (name.find_first_of(" \r\n") != absl::string_view::npos) {
      return self().template Fail<bool>(InvalidArgumentError(
          "CLIENT SETNAME: name must not contain spaces or newlines"));
    }
    return self().template Run<bool>(&convert::Ok, "CLIENT", "SETNAME", name);
  }
  // CLIENT GETNAME → the connection's name, or nullopt if it has none.
  Result<std::optional<std::string>> ClientGetName() {
    return self().template Run<std::optional<std::string>>(
        &convert::OptionalString, "CLIENT", "GETNAME");
  }
  // CLIENT LIST → one ClientInfo per connected client.
  Result<std::vector<ClientInfo>> ClientList() {
    return self().template Run<std::vector<ClientInfo>>(&convert::ClientList,
                                                        "CLIENT", "LIST");
  }

  // CONFIG GET pattern → matching parameters and their values (a glob:
  // "maxmemory*"; RESP3 map and RESP2 flat array convert alike).
  Result<absl::flat_hash_map<std::string, std::string>> ConfigGet(
      absl::string_view pattern) {
    return self().template Run<absl::flat_hash_map<std::string, std::string>>(
        &convert::StringMap, "CONFIG", "GET", pattern);
  }
  // CONFIG SET param value [param value ...]: all or none are applied.
  // INVALID_ARGUMENT: no pairs.
  Result<bool> ConfigSet(
      absl::Span<const std::pair<std::string, std::string>> pairs) {
    if (pairs.empty()) {
      return self().template Fail<bool>(InvalidArgumentError(
          "CONFIG SET: needs at least one parameter/value pair"));
    }
    CommandArgs args{"CONFIG", "SET"};
    args.reserve(2 + 2 * pairs.size());
    for (const auto& [param, value] : pairs) {
      args.push_back(param);
      args.push_back(value);
    }
    return self().template RunArgs<bool>(&convert::Ok, args.span());
  }
  Result<bool> ConfigSet(absl::string_view param, absl::string_view value) {
    return self().template Run<bool>(&convert::Ok, "CONFIG", "SET", param,
                                     value);
  }
  // CONFIG RESETSTAT: zeroes INFO's statistics (commandstats, ...).
  Result<bool> ConfigResetStat() {
    return self().template Run<bool>(&convert::Ok, "CONFIG", "RESETSTAT");
  }

  // TIME → the server's clock (microsecond precision).
  Result<absl::Time> Time() {
    return self().template Run<absl::Time>(&convert::ServerTime, "TIME");
  }

  // PUBLISH channel message → how many subscribers received it (on this
  // node; in a cluster, a lower bound).
  Result<int64_t> Publish(absl::string_view channel,
                          absl::string_view message) {
    return self().template Run<int64_t>(&convert::Integer, "PUBLISH", channel,
                                        message);
  }
  // SPUBLISH shardchannel message → how many shard-channel subscribers
  // received it.
  Result<int64_t> SPublish(absl::string_view channel,
                           absl::string_view message) {
    return self().template Run<int64_t>(&convert::Integer, "SPUBLISH", channel,
                                        message);
  }

 private:
  E& self() { return static_cast<E&>(*this); }
};

}  // namespace valkey

#endif  // VALKEY_COMMANDS_SERVER_COMMANDS_H_

#include "valkey/client/monitor.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace {

absl::Status BadLine(absl::string_view why, absl::string_view line) {
  return ProtocolError(absl::StrCat("MONITOR line ", why, ": \"",
                                    absl::CEscape(line.substr(0, 200)), "\""));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "<seconds>.<fraction>" → time, exact to the microsecond.
bool ParseTimestamp(absl::string_view text, absl::Time* time) {
  const size_t dot = text.find('.');
  absl::string_view whole = text.substr(0, dot);
  absl::string_view fraction = dot == absl::string_view::npos
                                   ? absl::string_view()
                                   : text.substr(dot + 1);
  int64_t seconds = 0;
  if (whole.empty() || !absl::SimpleAtoi(whole, &seconds) || seconds < 0) {
    return false;
  }
  if (fraction.size() > 9 ||
      !std::all_of(fraction.begin(), fraction.end(), absl::ascii_isdigit)) {
    return false;
  }
  int64_t nanos = 0;
  for (size_t i = 0; i < 9; ++i) {
    nanos = nanos * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
  }
  *time = absl::FromUnixSeconds(seconds) + absl::Nanoseconds(nanos);
  return true;
}

// Parses `"..." "..."` (the server's quoted, escaped arguments).
absl::Status ParseArgs(absl::string_view rest, absl::string_view line,
                       std::vector<std::string>* args) {
  size_t i = 0;
  while (i < rest.size()) {
    if (rest[i] != '"') return BadLine("has an unquoted argument", line);
    ++i;
    std::string arg;
    bool closed = false;
    while (i < rest.size()) {
      const char c = rest[i++];
      if (c == '"') {
        closed = true;
        break;
      }
      if (c != '\\') {
        arg.push_back(c);
        continue;
      }
      if (i >= rest.size()) break;
      const char e = rest[i++];
      switch (e) {
        case 'n':
          arg.push_back('\n');
          break;
        case 'r':
          arg.push_back('\r');
          break;
        case 't':
          arg.push_back('\t');
          break;
        case 'a':
          arg.push_back('\a');
          break;
        case 'b':
          arg.push_back('\b');
          break;
        case '\\':
          arg.push_back('\\');
          break;
        case '"':
          arg.push_back('"');
          break;
        case 'x': {
          const int hi = i + 1 < rest.size() ? HexValue(rest[i]) : -1;
          const int lo = hi >= 0 ? HexValue(rest[i + 1]) : -1;
          if (lo < 0) return BadLine("has a bad \\x escape", line);
          arg.push_back(static_cast<char>(hi * 16 + lo));
          i += 2;
          break;
        }
        default:
          return BadLine("has an unknown escape", line);
      }
    }
    if (!closed) return BadLine("has an unterminated argument", line);
    args->push_back(std::move(arg));
    if (i < rest.size()) {
      if (rest[i] != ' ')
        return BadLine("has no space between arguments", line);
      ++i;
    }
  }
  return absl::OkStatus();
}

absl::Status Unavailable() {
  return ConnectionError("MONITOR connection is closed after a failure");
}

}  // namespace

absl::StatusOr<MonitorEvent> ParseMonitorLine(absl::string_view line) {
  MonitorEvent event;
  const size_t space = line.find(' ');
  if (space == absl::string_view::npos ||
      !ParseTimestamp(line.substr(0, space), &event.time)) {
    return BadLine("has no valid time stamp", line);
  }
  absl::string_view rest = line.substr(space + 1);
  if (!absl::ConsumePrefix(&rest, "[")) {
    return BadLine("has no [db client] part", line);
  }
  const size_t db_end = rest.find(' ');
  if (db_end == absl::string_view::npos ||
      !absl::SimpleAtoi(rest.substr(0, db_end), &event.db)) {
    return BadLine("has no valid db", line);
  }
  rest.remove_prefix(db_end + 1);
  // The address may hold ']' itself ("[::1]:6379"); the arguments start
  // with a quote.
  size_t close = rest.find("] \"");
  if (close == absl::string_view::npos) {
    if (!absl::EndsWith(rest, "]")) {
      return BadLine("has no [db client] part", line);
    }
    close = rest.size() - 1;
  }
  event.client_address = std::string(rest.substr(0, close));
  rest.remove_prefix(std::min(rest.size(), close + 2));
  if (event.client_address == "lua") {
    event.client_type = MonitorEvent::ClientType::kLua;
  } else if (absl::StartsWith(event.client_address, "unix:")) {
    event.client_type = MonitorEvent::ClientType::kUnix;
  } else if (absl::StrContains(event.client_address, ':')) {
    event.client_type = MonitorEvent::ClientType::kTcp;
  }
  if (absl::Status s = ParseArgs(rest, line, &event.args); !s.ok()) return s;
  return event;
}

absl::StatusOr<std::unique_ptr<Monitor>> Monitor::Create(Client& client) {
  absl::StatusOr<PooledConnection> conn = client.AcquireConnection();
  if (!conn.ok()) return conn.status();
  absl::StatusOr<Reply> ok = (*conn)->Execute("MONITOR");
  if (!ok.ok() || ok->str() != "OK") {
    absl::Status status =
        ok.ok() ? ProtocolError(absl::StrCat("MONITOR on ", (*conn)->address(),
                                             " answered ", ok->DebugString()))
                : ok.status();
    conn->Discard();
    return status;
  }
  return std::unique_ptr<Monitor>(new Monitor(client, *std::move(conn)));
}

Monitor::~Monitor() { Close(); }

void Monitor::Close() {
  closed_ = true;
  if (conn_) conn_.Discard();
}

absl::StatusOr<std::optional<MonitorEvent>> Monitor::Next(
    absl::Duration timeout) {
  if (closed_) return PubSubError("Monitor is closed");
  if (!conn_) return Unavailable();
  const absl::Time deadline =
      timeout == absl::InfiniteDuration()
          ? absl::InfiniteFuture()
          : absl::Now() + std::max(timeout, absl::ZeroDuration());
  const absl::Duration socket_timeout =
      client_->pool().connector().options().socket_timeout;
  absl::StatusOr<Reply> reply;
  do {
    if (!conn_->WaitReadable(deadline)) return std::nullopt;
    reply = conn_->ReadAny(socket_timeout == absl::InfiniteDuration()
                               ? absl::InfiniteFuture()
                               : absl::Now() + socket_timeout);
    if (!reply.ok()) {
      conn_.Discard();
      return reply.status();
    }
  } while (reply->is_push());  // RESP3 out-of-band data (invalidations).
  if (reply->is_error()) {
    return Annotate(reply->ToStatus(),
                    absl::StrCat("MONITOR on ", conn_->address()));
  }
  if (!reply->is_string()) {
    return ProtocolError(absl::StrCat("MONITOR on ", conn_->address(), " sent ",
                                      reply->DebugString()));
  }
  absl::StatusOr<MonitorEvent> event = ParseMonitorLine(reply->str());
  if (!event.ok()) return event.status();
  return std::optional<MonitorEvent>(*std::move(event));
}

}  // namespace valkey

// Monitor: the server's MONITOR feed — every command it runs, as it runs
// it — read event by event on one exclusive connection taken from a
// Client's pool.
//
//   absl::StatusOr<std::unique_ptr<valkey::Monitor>> monitor =
//       valkey::Monitor::Create(*client);
//   if (!monitor.ok()) return monitor.status();
//   for (;;) {
//     absl::StatusOr<std::optional<valkey::MonitorEvent>> e =
//         (*monitor)->Next(absl::Seconds(1));
//     if (!e.ok()) return e.status();   // the connection failed
//     if (!e->has_value()) continue;    // nothing within 1 s
//     std::cout << (*e)->client_address << " " << (*e)->args[0] << "\n";
//   }
//
// The server writes one line per command,
//   1700000000.123456 [0 127.0.0.1:52314] "SET" "k" "v"
// (a simple string in RESP2 and RESP3 alike), quoting every argument and
// escaping \" \\ \n \r \t \a \b and other bytes as \xHH. ParseMonitorLine
// turns one into a MonitorEvent with the arguments unescaped.
//
// MONITOR is expensive for the server: every command is copied to every
// monitor. There is no automatic reconnect: after a connection failure
// Next returns the error and the Monitor is done (create a new one).
//
// Connection ownership. A monitoring connection can run nothing else, so
// it is never returned to the pool: Close() (and the destructor) discard
// it. The Client must outlive the Monitor.
//
// Thread-safety: not thread-safe; use one Monitor from one thread at a time.

#ifndef VALKEY_CLIENT_MONITOR_H_
#define VALKEY_CLIENT_MONITOR_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "valkey/client/client.h"
#include "valkey/connection/connection_pool.h"

namespace valkey {

struct MonitorEvent {
  // Where the command came from.
  enum class ClientType {
    kTcp,    // client_address is "ip:port" ("[v6::addr]:port" for IPv6).
    kUnix,   // client_address is "unix:<server socket path>".
    kLua,    // client_address is "lua": run by a script or function.
    kOther,  // Anything else the server may print.
  };

  // When the server ran the command (microsecond precision).
  absl::Time time;
  // The database selected by the issuing client.
  int db = 0;
  // As the server printed it, e.g. "127.0.0.1:52314", "lua",
  // "unix:/tmp/valkey.sock".
  std::string client_address;
  ClientType client_type = ClientType::kOther;
  // The command name and its arguments, unescaped ("SET", "k", "v").
  std::vector<std::string> args;
};

// Parses one MONITOR line (without "+" or CRLF). I/O-free.
// Errors: DATA_LOSS (kProtocol) for a line not in the format above: a bad
// time stamp, a missing "[db client]" part, an unterminated quote or a bad
// escape.
absl::StatusOr<MonitorEvent> ParseMonitorLine(absl::string_view line);

class Monitor {
 public:
  // Takes a connection from `client`'s pool and sends MONITOR, waiting for
  // its +OK (up to the socket time-out).
  // Errors: those of Client::AcquireConnection; the server's error reply
  // (e.g. NOPERM); connection errors; DATA_LOSS for an answer other than
  // OK. On error the connection is discarded.
  // `client` must outlive the Monitor.
  static absl::StatusOr<std::unique_ptr<Monitor>> Create(Client& client);

  // Close()s.
  ~Monitor();
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  // The next command the server ran, waiting up to `timeout` (zero: only
  // what has already arrived; absl::InfiniteDuration(): no limit).
  // std::nullopt when the time-out expired first.
  // Errors: FAILED_PRECONDITION (kPubSub) after Close(); UNAVAILABLE /
  // DEADLINE_EXCEEDED / DATA_LOSS when the connection failed (it is then
  // discarded and every later call returns UNAVAILABLE); DATA_LOSS for an
  // unparsable line (the connection stays usable); a server error reply.
  absl::StatusOr<std::optional<MonitorEvent>> Next(absl::Duration timeout);

  // Discards the connection (never returned to the pool). Later calls fail
  // with FAILED_PRECONDITION. Idempotent; never blocks on the network.
  void Close();

  bool closed() const { return closed_; }

 private:
  Monitor(Client& client, PooledConnection conn)
      : client_(&client), conn_(std::move(conn)) {}

  Client* client_;
  PooledConnection conn_;  // Empty after Close() or a failure.
  bool closed_ = false;
};

}  // namespace valkey

#endif  // VALKEY_CLIENT_MONITOR_H_

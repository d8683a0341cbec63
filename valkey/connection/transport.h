// Transport: a connected, blocking byte stream to one server (TCP, Unix
// socket or TLS), with every wait bounded by a deadline.
//
// Transports are the only place the sync layer touches the operating system,
// so tests can substitute a fault-injecting one. They know nothing of RESP.
//
//   absl::StatusOr<std::unique_ptr<Transport>> t =
//       ConnectTcp(endpoint, absl::Now() + absl::Seconds(2));
//   absl::Status s = (*t)->Write("PING\r\n", absl::Now() + absl::Seconds(1));
//
// Thread-safety: a transport is used by one thread at a time.

#ifndef VALKEY_CONNECTION_TRANSPORT_H_
#define VALKEY_CONNECTION_TRANSPORT_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace valkey {

class Transport {
 public:
  virtual ~Transport() = default;

  // Writes all of `data`, waiting for the socket to drain until `deadline`
  // (absl::InfiniteFuture() waits forever). Errors: DEADLINE_EXCEEDED
  // (kTimeout), UNAVAILABLE (kConnection / kTls) naming the peer.
  virtual absl::Status Write(absl::string_view data, absl::Time deadline) = 0;

  // Reads at least one and at most `size` bytes into `buffer`, waiting until
  // `deadline`. Returns the count. Errors: DEADLINE_EXCEEDED when nothing
  // arrived in time; UNAVAILABLE when the peer closed the connection (EOF) or
  // the socket failed.
  virtual absl::StatusOr<size_t> Read(char* buffer, size_t size,
                                      absl::Time deadline) = 0;

  // True if a Read would return at once: bytes (or EOF, or an error) are
  // waiting. Never blocks.
  virtual bool Readable() = 0;

  // Closes the connection; later calls fail with UNAVAILABLE. Idempotent.
  virtual void Close() = 0;

  // The file descriptor, or -1 once closed. For poll-style integration and
  // fork detection only; never read or write it directly.
  virtual int fd() const = 0;

  // Where this transport goes: "host:port", "[::1]:port" or the socket path;
  // used in every error message.
  virtual const std::string& peer() const = 0;
};

}  // namespace valkey

#endif  // VALKEY_CONNECTION_TRANSPORT_H_

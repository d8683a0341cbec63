// RawConnection: a minimal blocking RESP client over a TCP or Unix socket,
// for the test fixtures' own use (readiness probes, fixture self-tests). It is
// deliberately independent of the library under test.
//
//   ASSERT_OK_AND_ASSIGN(auto conn, RawConnection::Tcp("127.0.0.1", port));
//   absl::StatusOr<std::string> line = conn.Command({"PING"});  // "+PONG"
//
// Only the first line of a reply is read, which is all the fixtures need
// (simple strings, errors, integers, and the header of bulk/aggregate replies).
//
// Thread-compatible: one thread at a time per connection.

#ifndef VALKEY_TESTING_RAW_CLIENT_H_
#define VALKEY_TESTING_RAW_CLIENT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace valkey::testing {

// Encodes `args` as a RESP array of bulk strings.
std::string EncodeRespCommand(const std::vector<std::string>& args);

class RawConnection {
 public:
  // Connects to host:port (numeric IPv4/IPv6 or a resolvable name). Reads and
  // writes time out after `io_timeout`. UNAVAILABLE when the connection fails.
  static absl::StatusOr<RawConnection> Tcp(
      const std::string& host, int port,
      absl::Duration io_timeout = absl::Seconds(5));
  // Connects to a Unix socket. UNAVAILABLE when the connection fails.
  static absl::StatusOr<RawConnection> Unix(
      const std::string& path, absl::Duration io_timeout = absl::Seconds(5));

  RawConnection(RawConnection&& other) noexcept;
  RawConnection& operator=(RawConnection&& other) noexcept;
  ~RawConnection();

  // Writes all of `bytes`. UNAVAILABLE / DEADLINE_EXCEEDED on failure.
  absl::Status Send(absl::string_view bytes);
  // Reads up to and excluding the next "\r\n". UNAVAILABLE on EOF,
  // DEADLINE_EXCEEDED on time-out.
  absl::StatusOr<std::string> ReadLine();
  // Sends `args` as a RESP command and returns the reply's first line,
  // e.g. "+PONG", "-NOAUTH Authentication required.", ":1", "$5".
  absl::StatusOr<std::string> Command(const std::vector<std::string>& args);

  int fd() const { return fd_; }

 private:
  explicit RawConnection(int fd) : fd_(fd) {}
  static absl::StatusOr<RawConnection> Finish(int fd, absl::Duration timeout);

  int fd_ = -1;
  std::string buffer_;  // Bytes read past the last returned line.
};

}  // namespace valkey::testing

#endif  // VALKEY_TESTING_RAW_CLIENT_H_

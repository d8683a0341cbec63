// EchoServer: a scripted fake server on a loopback port that answers every
// command with a reply computed from its arguments. By default the reply is
// the error old servers give for a command they do not know, which echoes
// the arguments back:
//
//   -ERR unknown command 'HELLO', with args beginning with: '3' 'AUTH' 'u' 'sekret' 
//
// It exists to test that no secret a client sends (AUTH, HELLO ... AUTH,
// CONFIG SET requirepass, ACL SETUSER >pw, ...) comes back to the caller in a
// status message. A real valkey-server knows those commands and never
// echoes them this way; only a fake can play an old or hostile peer.
//
//   absl::StatusOr<std::unique_ptr<EchoServer>> server = EchoServer::Start();
//   ASSERT_TRUE(server.ok()) << server.status();
//   options.port = (*server)->port();   // host: (*server)->host()
//
// A responder may be given instead of the default: it receives each
// command's arguments and returns the raw RESP bytes to answer with (one
// complete reply), so a test can, say, accept the handshake and echo only
// the command under test. Commands are read as RESP arrays of bulk strings
// (what clients send); anything else closes that connection.
//
// The server is deliberately independent of the library under test.
//
// Thread-safety: Start() and the destructor on one thread; host(), port()
// and commands_seen() from any thread. The responder runs on the server's
// own thread, one command at a time. Destroying the server closes every
// connection and joins the thread before returning.

#ifndef VALKEY_TESTING_ECHO_SERVER_H_
#define VALKEY_TESTING_ECHO_SERVER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"

namespace valkey::testing {

class EchoServer {
 public:
  // Returns the RESP bytes of the reply to one command (`argv` non-empty).
  using Responder = std::function<std::string(const std::vector<std::string>&)>;

  // The default answer: "-ERR unknown command '<argv[0]>', with args
  // beginning with: '<argv[1]>' '<argv[2]>' ... \r\n", in the format of
  // servers before Redis 7 (every argument quoted, a trailing space).
  static std::string UnknownCommandEcho(const std::vector<std::string>& argv);

  // Listens on 127.0.0.1 on a free port and serves on a background thread.
  // Errors: UNAVAILABLE when the socket or the thread cannot be set up.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<EchoServer>> Start(
      Responder responder = UnknownCommandEcho);

  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;
  ~EchoServer();

  std::string host() const { return "127.0.0.1"; }
  int port() const { return port_; }
  // Commands answered so far, over all connections.
  int64_t commands_seen() const { return commands_seen_.load(); }

 private:
  EchoServer(int listen_fd, int wake_fd, int port, Responder responder);
  void Serve();

  const int listen_fd_;
  const int wake_fd_;  // An eventfd: written to stop Serve().
  const int port_;
  const Responder responder_;
  std::atomic<int64_t> commands_seen_{0};
  std::thread thread_;
};

}  // namespace valkey::testing

#endif  // VALKEY_TESTING_ECHO_SERVER_H_

// ValkeyServer: a real valkey-server process owned by one test, on a free
// loopback TCP port and a Unix socket in its own short temporary directory,
// optionally with TLS (certificates minted at start), a password, ACL users
// or a replicaof line.
//
//   absl::StatusOr<std::unique_ptr<ValkeyServer>> server =
//       ValkeyServer::Start({.requirepass = "s3cret"});
//   ASSERT_TRUE(server.ok()) << server.status();
//   Connect((*server)->host(), (*server)->port());
//
// The binary is $VALKEY_SERVER_BIN, else /usr/bin/valkey-server (else
// valkey-server on PATH). When it is missing Start() fails with
// FAILED_PRECONDITION naming the binary and tools/setup.sh: tests must then
// fail, never skip.
//
// The server runs with no persistence (save "", appendonly no), protected
// mode off, immediate replica sync (repl-diskless-sync-delay 0), its
// working directory and log file in temp_dir(), and is bound
// to 127.0.0.1 (and ::1 when asked). The destructor stops it (SIGTERM, then
// SIGKILL after Options::stop_timeout) and removes temp_dir(). Processes are
// signalled by PID only. If the spawning thread dies first, the kernel kills
// the server (PR_SET_PDEATHSIG), so create servers from the test's thread.
//
// Thread-compatible: the accessors are safe to call concurrently; Stop(),
// Kill(), Restart() and destruction need external synchronization.

#ifndef VALKEY_TESTING_VALKEY_SERVER_H_
#define VALKEY_TESTING_VALKEY_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "testing/tls_certs.h"

namespace valkey::testing {

class ValkeyServer {
 public:
  enum class TlsAuthClients { kNo, kYes, kOptional };

  struct Options {
    // `requirepass`: the default user's password. Empty: none.
    std::string requirepass;
    // ACL rules written as config lines, e.g.
    // "user alice on >pw ~* &* +@all". Each must start with "user ".
    std::vector<std::string> acl_users;

    // Serve TLS on a second free port (tls_port()) with freshly minted
    // certificates (certs()). The plain port stays open.
    bool tls = false;
    // tls-auth-clients: kYes requires a client certificate signed by
    // certs().ca_cert; kOptional verifies one if presented.
    TlsAuthClients tls_auth_clients = TlsAuthClients::kNo;

    // "replicaof <host> <port>" when replicaof_port > 0. For a master with a
    // password add "masterauth ..." to extra_config.
    std::string replicaof_host = "127.0.0.1";
    int replicaof_port = 0;

    // Also listen on ::1 (best effort: "-::1", skipped if IPv6 is absent).
    bool ipv6 = false;
    // "enable-debug-command yes" (DEBUG SLEEP, DEBUG RESTART, ... for
    // fault tests). Default: on.
    bool enable_debug_command = true;
    // Raw lines appended last to the config file, e.g. "maxclients 10" or
    // "io-threads 2". Later lines override earlier ones.
    std::vector<std::string> extra_config;

    // How long Start()/Restart() wait for PING to be answered. Default 10 s.
    absl::Duration start_timeout = absl::Seconds(10);
    // How long Stop() waits after SIGTERM before SIGKILL. Default 5 s.
    absl::Duration stop_timeout = absl::Seconds(5);
    // Overrides the binary (else $VALKEY_SERVER_BIN, /usr/bin/valkey-server).
    std::string binary;
  };

  // Starts a server and waits until it answers PING (+PONG, or -NOAUTH when
  // a password is set). Returns FAILED_PRECONDITION when the binary (or
  // openssl, for TLS) is missing; INVALID_ARGUMENT for a malformed option;
  // UNAVAILABLE / DEADLINE_EXCEEDED when the server exits or does not answer
  // in time — the message holds the tail of its log. Port clashes with other
  // processes are retried with new ports a few times.
  static absl::StatusOr<std::unique_ptr<ValkeyServer>> Start(Options options);
  static absl::StatusOr<std::unique_ptr<ValkeyServer>> Start() {
    return Start(Options());
  }

  ValkeyServer(const ValkeyServer&) = delete;
  ValkeyServer& operator=(const ValkeyServer&) = delete;
  ~ValkeyServer();

  // Stops the server gracefully (SIGTERM; SIGKILL after stop_timeout) and
  // reaps it. OK if it was not running; the exit status is not checked.
  // INTERNAL only if the process cannot be reaped even after SIGKILL.
  absl::Status Stop();
  // SIGKILL and reap: simulates a crash. OK if it was not running.
  absl::Status Kill();
  // Stops the server if running, then starts it again with the same
  // configuration, ports, socket path and data directory, and waits for
  // PING. Errors as Start(); a clash on the old port is not retried.
  absl::Status Restart();

  // True while the process exists and has not been reaped.
  bool running();

  // "127.0.0.1".
  const std::string& host() const { return host_; }
  int port() const { return port_; }
  // 0 unless Options::tls.
  int tls_port() const { return tls_port_; }
  // Absolute path, short enough for sockaddr_un.
  const std::string& unix_path() const { return unix_path_; }
  // 0 after Stop()/Kill(), or once running() has seen the process exit.
  pid_t pid() const { return pid_; }
  // "127.0.0.1:<port>".
  std::string address() const;

  // Present when Options::tls.
  const std::optional<TlsCerts>& certs() const { return certs_; }
  // Shortcuts into certs(); empty strings without TLS.
  std::string ca_cert_path() const;
  std::string server_cert_path() const;
  std::string client_cert_path() const;
  std::string client_key_path() const;

  const std::string& temp_dir() const { return dir_; }
  const std::string& config_path() const { return config_path_; }
  const std::string& log_path() const { return log_path_; }
  // The last `max_lines` lines of the server's log (and its stdout/stderr).
  std::string LogTail(int max_lines = 30) const;

  const Options& options() const { return options_; }

 private:
  ValkeyServer(Options options, std::string binary, std::string dir);

  absl::Status WriteConfig();
  // Spawns the process and waits for it to answer.
  absl::Status Launch();
  absl::Status WaitUntilReady();
  bool LogShowsAddressInUse() const;

  Options options_;
  std::string binary_;
  std::string dir_;
  std::string host_ = "127.0.0.1";
  int port_ = 0;
  int tls_port_ = 0;
  std::string unix_path_;
  std::string config_path_;
  std::string log_path_;
  std::string stdout_path_;
  std::optional<TlsCerts> certs_;
  pid_t pid_ = 0;
};

}  // namespace valkey::testing

#endif  // VALKEY_TESTING_VALKEY_SERVER_H_

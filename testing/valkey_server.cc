#include "testing/valkey_server.h"

#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "testing/raw_client.h"
#include "testing/subprocess.h"

namespace valkey::testing {
namespace {

constexpr char kDefaultBinary[] = "/usr/bin/valkey-server";
constexpr int kPortAttempts = 5;

// Picks `count` distinct free loopback ports: binds them all to port 0 at
// once, reads the ports back and closes the sockets. Another process may
// grab one before the server binds it; Start() retries when that happens.
absl::StatusOr<std::vector<int>> PickFreePorts(int count) {
  std::vector<int> fds;
  std::vector<int> ports;
  absl::Status error;
  for (int i = 0; i < count && error.ok(); ++i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      error = absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
      break;
    }
    fds.push_back(fd);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      error = absl::InternalError(
          absl::StrCat("bind 127.0.0.1:0: ", strerror(errno)));
      break;
    }
    ports.push_back(ntohs(addr.sin_port));
  }
  for (int fd : fds) close(fd);
  if (!error.ok()) return error;
  return ports;
}

// Double-quotes a config value the way valkey's argument splitter reads it.
std::string Quote(const std::string& value) {
  std::string out = "\"";
  for (char c : value) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
  out += "\"";
  return out;
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string LastLines(const std::string& text, int max_lines) {
  std::vector<absl::string_view> lines =
      absl::StrSplit(text, '\n', absl::SkipEmpty());
  const size_t keep = std::min(lines.size(), static_cast<size_t>(max_lines));
  std::vector<absl::string_view> tail(lines.end() - keep, lines.end());
  return absl::StrJoin(tail, "\n");
}

std::string ResolveBinary(const std::string& requested) {
  if (!requested.empty()) return requested;
  const char* env = getenv("VALKEY_SERVER_BIN");
  if (env != nullptr && *env != '\0') return env;
  if (access(kDefaultBinary, X_OK) == 0) return kDefaultBinary;
  std::string found = FindExecutable("valkey-server");
  return found.empty() ? kDefaultBinary : found;
}

const char* TlsAuthClientsValue(ValkeyServer::TlsAuthClients v) {
  switch (v) {
    case ValkeyServer::TlsAuthClients::kYes:
      return "yes";
    case ValkeyServer::TlsAuthClients::kOptional:
      return "optional";
    case ValkeyServer::TlsAuthClients::kNo:
      break;
  }
  return "no";
}

absl::Status Validate(const ValkeyServer::Options& o) {
  for (const std::string& line : o.acl_users) {
    if (!absl::StartsWith(line, "user ") ||
        line.find('\n') != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Options.acl_users: each entry must be one \"user ...\" line, got: ",
          line));
    }
  }
  for (const std::string& line : o.extra_config) {
    if (line.find('\n') != std::string::npos) {
      return absl::InvalidArgumentError(
          "Options.extra_config: an entry spans several lines");
    }
  }
  if (o.replicaof_port < 0 || o.replicaof_port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Options.replicaof_port out of range: ", o.replicaof_port));
  }
  return absl::OkStatus();
}

}  // namespace

ValkeyServer::ValkeyServer(Options options, std::string binary, std::string dir)
    : options_(std::move(options)),
      binary_(std::move(binary)),
      dir_(std::move(dir)),
      unix_path_(dir_ + "/valkey.sock"),
      config_path_(dir_ + "/valkey.conf"),
      log_path_(dir_ + "/valkey.log"),
      stdout_path_(dir_ + "/stdout.log") {}

absl::StatusOr<std::unique_ptr<ValkeyServer>> ValkeyServer::Start(
    Options options) {
  if (absl::Status s = Validate(options); !s.ok()) return s;
  const std::string binary = ResolveBinary(options.binary);
  if (access(binary.c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("valkey-server binary not found or not executable at ",
                     binary, " (", strerror(errno),
                     "). Install it with tools/setup.sh (Debian "
                     "bookworm-backports package `valkey-server`) or point "
                     "VALKEY_SERVER_BIN at a valkey-server binary."));
  }

  // Short on purpose: Unix socket paths are limited to 107 bytes, and
  // TEST_TMPDIR under Bazel is far longer.
  char dir_template[] = "/tmp/vk.XXXXXX";
  if (mkdtemp(dir_template) == nullptr) {
    return absl::InternalError(
        absl::StrCat("mkdtemp(/tmp/vk.XXXXXX): ", strerror(errno)));
  }
  // From here on the destructor removes the directory.
  std::unique_ptr<ValkeyServer> server(
      new ValkeyServer(std::move(options), binary, dir_template));

  if (server->options_.tls) {
    const std::string tls_dir = server->dir_ + "/tls";
    if (mkdir(tls_dir.c_str(), 0700) != 0) {
      return absl::InternalError(
          absl::StrCat("mkdir ", tls_dir, ": ", strerror(errno)));
    }
    absl::StatusOr<TlsCerts> certs = TlsCerts::Mint(tls_dir);
    if (!certs.ok()) return certs.status();
    server->certs_ = *std::move(certs);
  }

  absl::Status last;
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    absl::StatusOr<std::vector<int>> ports =
        PickFreePorts(server->options_.tls ? 2 : 1);
    if (!ports.ok()) return ports.status();
    server->port_ = (*ports)[0];
    server->tls_port_ = server->options_.tls ? (*ports)[1] : 0;
    // Fresh logs, so that LogShowsAddressInUse() sees only this attempt.
    unlink(server->log_path_.c_str());
    unlink(server->stdout_path_.c_str());
    if (absl::Status s = server->WriteConfig(); !s.ok()) return s;
    last = server->Launch();
    if (last.ok()) return server;
    if (!server->LogShowsAddressInUse()) return last;
  }
  return last;
}

ValkeyServer::~ValkeyServer() {
  Stop().IgnoreError();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

absl::Status ValkeyServer::WriteConfig() {
  std::vector<std::string> lines = {
      absl::StrCat("port ", port_),
      options_.ipv6 ? "bind 127.0.0.1 -::1" : "bind 127.0.0.1",
      absl::StrCat("unixsocket ", unix_path_),
      "unixsocketperm 700",
      absl::StrCat("dir ", dir_),
      absl::StrCat("logfile ", log_path_),
      "loglevel notice",
      "daemonize no",
      "save \"\"",
      "appendonly no",
      "protected-mode no",
      // Replicas sync at once instead of after the default 5 s wait.
      "repl-diskless-sync-delay 0",
      absl::StrCat("enable-debug-command ",
                   options_.enable_debug_command ? "yes" : "no"),
  };
  if (!options_.requirepass.empty()) {
    lines.push_back(absl::StrCat("requirepass ", Quote(options_.requirepass)));
  }
  for (const std::string& user : options_.acl_users) lines.push_back(user);
  if (certs_.has_value()) {
    lines.push_back(absl::StrCat("tls-port ", tls_port_));
    lines.push_back(absl::StrCat("tls-cert-file ", certs_->server_cert));
    lines.push_back(absl::StrCat("tls-key-file ", certs_->server_key));
    lines.push_back(absl::StrCat("tls-ca-cert-file ", certs_->ca_cert));
    lines.push_back(absl::StrCat(
        "tls-auth-clients ", TlsAuthClientsValue(options_.tls_auth_clients)));
  }
  if (options_.replicaof_port > 0) {
    lines.push_back(absl::StrCat("replicaof ", options_.replicaof_host, " ",
                                 options_.replicaof_port));
  }
  for (const std::string& line : options_.extra_config) lines.push_back(line);

  std::ofstream out(config_path_, std::ios::trunc);
  out << absl::StrJoin(lines, "\n") << "\n";
  out.close();
  if (!out) {
    return absl::InternalError(absl::StrCat("cannot write ", config_path_));
  }
  return absl::OkStatus();
}

absl::Status ValkeyServer::Launch() {
  absl::StatusOr<pid_t> pid =
      SpawnProcess({binary_, config_path_}, stdout_path_);
  if (!pid.ok()) return pid.status();
  pid_ = *pid;
  absl::Status ready = WaitUntilReady();
  if (!ready.ok()) Kill().IgnoreError();
  return ready;
}

absl::Status ValkeyServer::WaitUntilReady() {
  const absl::Time deadline = absl::Now() + options_.start_timeout;
  std::string last_reply = "no connection yet";
  while (true) {
    if (std::optional<int> ws = TryReap(pid_)) {
      pid_ = 0;
      return absl::UnavailableError(
          absl::StrCat(binary_, " ", config_path_, " exited (",
                       DescribeWaitStatus(*ws), ") before answering PING on ",
                       address(), ". Log tail:\n", LogTail()));
    }
    absl::StatusOr<RawConnection> conn =
        RawConnection::Tcp(host_, port_, absl::Seconds(1));
    if (conn.ok()) {
      absl::StatusOr<std::string> reply = conn->Command({"PING"});
      if (reply.ok() &&
          (*reply == "+PONG" || absl::StartsWith(*reply, "-NOAUTH"))) {
        return absl::OkStatus();
      }
      last_reply = reply.ok() ? *reply : reply.status().ToString();
    } else {
      last_reply = conn.status().ToString();
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "valkey-server (pid ", pid_, ") did not answer PING on ", address(),
          " within ", absl::FormatDuration(options_.start_timeout),
          " (last: ", last_reply, "). Log tail:\n", LogTail()));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
}

bool ValkeyServer::LogShowsAddressInUse() const {
  constexpr absl::string_view kInUse = "Address already in use";
  return absl::StrContains(ReadFileOrEmpty(log_path_), kInUse) ||
         absl::StrContains(ReadFileOrEmpty(stdout_path_), kInUse);
}

absl::Status ValkeyServer::Stop() {
  if (pid_ == 0) return absl::OkStatus();
  if (kill(pid_, SIGTERM) != 0 && errno != ESRCH) {
    return absl::InternalError(
        absl::StrCat("kill(", pid_, ", SIGTERM): ", strerror(errno)));
  }
  if (WaitForExit(pid_, options_.stop_timeout).ok()) {
    pid_ = 0;
    return absl::OkStatus();
  }
  return Kill();
}

absl::Status ValkeyServer::Kill() {
  if (pid_ == 0) return absl::OkStatus();
  if (kill(pid_, SIGKILL) != 0 && errno != ESRCH) {
    return absl::InternalError(
        absl::StrCat("kill(", pid_, ", SIGKILL): ", strerror(errno)));
  }
  absl::StatusOr<int> ws = WaitForExit(pid_, absl::Seconds(10));
  if (!ws.ok()) {
    return absl::InternalError(
        absl::StrCat("valkey-server pid ", pid_,
                     " not reaped after SIGKILL: ", ws.status().message()));
  }
  pid_ = 0;
  return absl::OkStatus();
}

absl::Status ValkeyServer::Restart() {
  if (absl::Status s = Stop(); !s.ok()) return s;
  return Launch();
}

bool ValkeyServer::running() {
  if (pid_ == 0) return false;
  if (TryReap(pid_).has_value()) {
    pid_ = 0;
    return false;
  }
  return true;
}

std::string ValkeyServer::address() const {
  return absl::StrCat(host_, ":", port_);
}

std::string ValkeyServer::ca_cert_path() const {
  return certs_.has_value() ? certs_->ca_cert : "";
}
std::string ValkeyServer::server_cert_path() const {
  return certs_.has_value() ? certs_->server_cert : "";
}
std::string ValkeyServer::client_cert_path() const {
  return certs_.has_value() ? certs_->client_cert : "";
}
std::string ValkeyServer::client_key_path() const {
  return certs_.has_value() ? certs_->client_key : "";
}

std::string ValkeyServer::LogTail(int max_lines) const {
  std::string out = LastLines(ReadFileOrEmpty(log_path_), max_lines);
  const std::string console =
      LastLines(ReadFileOrEmpty(stdout_path_), max_lines);
  if (!console.empty()) absl::StrAppend(&out, "\n[stdout/stderr]\n", console);
  if (out.empty()) out = "(log is empty)";
  return out;
}

}  // namespace valkey::testing

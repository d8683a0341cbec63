#include "testing/sentinel_topology.h"

#include <stdlib.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "testing/raw_client.h"
#include "testing/subprocess.h"

namespace valkey::testing {
namespace {

bool IsExecutable(const std::string& path) {
  return !path.empty() && access(path.c_str(), X_OK) == 0;
}

std::string FindSentinelBinary() {
  if (const char* env = getenv("VALKEY_SENTINEL_BIN"); env != nullptr) {
    return env;
  }
  if (const char* server = getenv("VALKEY_SERVER_BIN"); server != nullptr) {
    std::string dir(server);
    const size_t slash = dir.rfind('/');
    if (slash != std::string::npos) {
      std::string candidate = dir.substr(0, slash + 1) + "valkey-sentinel";
      if (IsExecutable(candidate)) return candidate;
    }
  }
  std::string found = FindExecutable("valkey-sentinel");
  if (!found.empty()) return found;
  return "/usr/bin/valkey-sentinel";
}

// The first line of `args`' reply from 127.0.0.1:port, on a fresh
// connection (the rest of a multi-line reply is left unread), after AUTH
// `password` unless it is empty.
std::string Probe(int port, const std::vector<std::string>& args,
                  const std::string& password = "") {
  absl::StatusOr<RawConnection> conn =
      RawConnection::Tcp("127.0.0.1", port, absl::Seconds(1));
  if (!conn.ok()) return conn.status().ToString();
  if (!password.empty()) {
    absl::StatusOr<std::string> auth = conn->Command({"AUTH", password});
    if (!auth.ok()) return auth.status().ToString();
    if (*auth != "+OK") return absl::StrCat("AUTH: ", *auth);
  }
  absl::StatusOr<std::string> line = conn->Command(args);
  return line.ok() ? *line : line.status().ToString();
}

absl::Status CheckPassword(const std::string& password,
                           absl::string_view field) {
  for (char c : password) {
    if (c <= ' ' || c > '~' || c == '"' || c == '\\' || c == '\'') {
      return absl::InvalidArgumentError(absl::StrCat(
          "SentinelTopology::Options.", field,
          ": only printable ASCII without spaces, quotes or backslashes"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<SentinelTopology>> SentinelTopology::Start(
    Options options) {
  const std::string sentinel_binary = FindSentinelBinary();
  if (!IsExecutable(sentinel_binary)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "valkey-sentinel not found (", sentinel_binary,
        "); run tools/setup.sh or set VALKEY_SENTINEL_BIN"));
  }
  for (const auto& [password, field] :
       {std::pair(&options.sentinel_password, "sentinel_password"),
        std::pair(&options.data_password, "data_password")}) {
    if (absl::Status s = CheckPassword(*password, field); !s.ok()) return s;
  }
  std::unique_ptr<SentinelTopology> topo(
      new SentinelTopology(std::move(options)));
  const Options& opts = topo->options_;

  // Data nodes: every one may become the master, so all carry both.
  auto data_node = [&opts]() {
    ValkeyServer::Options node;
    if (!opts.data_password.empty()) {
      node.requirepass = opts.data_password;
      node.extra_config.push_back(
          absl::StrCat("masterauth ", opts.data_password));
    }
    return node;
  };
  absl::StatusOr<std::unique_ptr<ValkeyServer>> master =
      ValkeyServer::Start(data_node());
  if (!master.ok()) return master.status();
  topo->master_ = *std::move(master);

  for (int i = 0; i < opts.num_replicas; ++i) {
    ValkeyServer::Options replica = data_node();
    replica.replicaof_port = topo->master_->port();
    absl::StatusOr<std::unique_ptr<ValkeyServer>> server =
        ValkeyServer::Start(std::move(replica));
    if (!server.ok()) return server.status();
    topo->replicas_.push_back(*std::move(server));
  }

  const std::string& name = opts.service_name;
  for (int i = 0; i < opts.num_sentinels; ++i) {
    ValkeyServer::Options sentinel;
    sentinel.binary = sentinel_binary;
    sentinel.enable_debug_command = false;
    sentinel.extra_config = {
        absl::StrCat("sentinel monitor ", name, " 127.0.0.1 ",
                     topo->master_->port(), " ", opts.quorum),
        absl::StrCat("sentinel down-after-milliseconds ", name, " ",
                     absl::ToInt64Milliseconds(opts.down_after)),
        absl::StrCat("sentinel failover-timeout ", name, " ",
                     absl::ToInt64Milliseconds(opts.failover_timeout)),
        absl::StrCat("sentinel parallel-syncs ", name, " 1"),
    };
    if (!opts.data_password.empty()) {
      sentinel.extra_config.push_back(
          absl::StrCat("sentinel auth-pass ", name, " ", opts.data_password));
    }
    sentinel.requirepass = opts.sentinel_password;
    sentinel.acl_users = opts.sentinel_acl_users;
    if (opts.sentinel_tls) {
      sentinel.tls = true;
      // One certificate for all (sentinel 0's), so one CA verifies them.
      if (i > 0) {
        const TlsCerts& certs = *topo->sentinels_[0]->certs();
        sentinel.extra_config.push_back(
            absl::StrCat("tls-cert-file ", certs.server_cert));
        sentinel.extra_config.push_back(
            absl::StrCat("tls-key-file ", certs.server_key));
        sentinel.extra_config.push_back(
            absl::StrCat("tls-ca-cert-file ", certs.ca_cert));
      }
    }
    absl::StatusOr<std::unique_ptr<ValkeyServer>> server =
        ValkeyServer::Start(std::move(sentinel));
    if (!server.ok()) return server.status();
    topo->sentinels_.push_back(*std::move(server));
  }
  if (absl::Status ready = topo->WaitUntilReady(); !ready.ok()) return ready;
  return topo;
}

SentinelTopology::~SentinelTopology() {
  // Sentinels first, so that none starts a failover while the data nodes
  // go down. Each ValkeyServer stops its process by PID.
  sentinels_.clear();
  replicas_.clear();
  master_.reset();
}

absl::Status SentinelTopology::WaitUntilReady() {
  const absl::Time deadline = absl::Now() + options_.ready_timeout;
  const std::string replicas = absl::StrCat("*", replicas_.size());
  const std::string others = absl::StrCat("*", sentinels_.size() - 1);
  const std::string synced = absl::StrCat(":", replicas_.size());
  std::string last;
  for (;;) {
    bool ready = true;
    const std::string acked =
        Probe(master_->port(), {"WAIT", absl::StrCat(replicas_.size()), "100"},
              options_.data_password);
    if (acked != synced) {
      ready = false;
      last = absl::StrCat("master WAIT: ", acked);
    }
    for (size_t i = 0; ready && i < sentinels_.size(); ++i) {
      const int port = sentinels_[i]->port();
      const std::string& pw = options_.sentinel_password;
      const std::string r =
          Probe(port, {"SENTINEL", "REPLICAS", options_.service_name}, pw);
      const std::string s =
          Probe(port, {"SENTINEL", "SENTINELS", options_.service_name}, pw);
      if (r != replicas || s != others) {
        ready = false;
        last = absl::StrCat("sentinel ", i, " (port ", port, "): REPLICAS ",
                            r, ", SENTINELS ", s);
      }
    }
    if (ready) return absl::OkStatus();
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "sentinel topology not ready within ",
          absl::FormatDuration(options_.ready_timeout), "; last: ", last,
          "\n", LogTails()));
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
}

std::vector<int> SentinelTopology::sentinel_ports() const {
  std::vector<int> ports;
  for (const auto& s : sentinels_) ports.push_back(s->port());
  return ports;
}

std::vector<std::pair<std::string, int>>
SentinelTopology::sentinel_addresses() const {
  std::vector<std::pair<std::string, int>> out;
  for (const auto& s : sentinels_) out.emplace_back(s->host(), s->port());
  return out;
}

std::vector<std::pair<std::string, int>>
SentinelTopology::sentinel_tls_addresses() const {
  std::vector<std::pair<std::string, int>> out;
  if (!options_.sentinel_tls) return out;
  for (const auto& s : sentinels_) out.emplace_back(s->host(), s->tls_port());
  return out;
}

std::string SentinelTopology::sentinel_ca_cert_path() const {
  if (!options_.sentinel_tls || sentinels_.empty()) return "";
  return sentinels_[0]->ca_cert_path();
}

std::string SentinelTopology::LogTails(int max_lines) const {
  std::string out;
  auto add = [&](const std::string& what, const ValkeyServer& server) {
    absl::StrAppend(&out, "--- ", what, " ", server.address(), " log tail:\n",
                    server.LogTail(max_lines), "\n");
  };
  if (master_ != nullptr) add("master", *master_);
  for (size_t i = 0; i < replicas_.size(); ++i) {
    add(absl::StrCat("replica ", i), *replicas_[i]);
  }
  for (size_t i = 0; i < sentinels_.size(); ++i) {
    add(absl::StrCat("sentinel ", i), *sentinels_[i]);
  }
  return out;
}

}  // namespace valkey::testing

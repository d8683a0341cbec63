// SentinelTopology: a real Sentinel deployment for one test — a master, its
// replicas and valkey-sentinel processes monitoring it, all on free
// loopback ports (built on ValkeyServer).
//
//   absl::StatusOr<std::unique_ptr<SentinelTopology>> topo =
//       SentinelTopology::Start({});
//   ASSERT_TRUE(topo.ok()) << topo.status();
//   options.sentinels = (*topo)->sentinel_addresses();  // host:port list
//
// Start() returns once every sentinel reports the master with all replicas
// (SENTINEL REPLICAS) and all other sentinels (SENTINEL SENTINELS), and the
// master sees every replica in sync (WAIT <n> answers n). Sentinels run with
// down-after-milliseconds and failover-timeout from the options (1 s / 3 s by
// default), so failovers in tests take seconds. The sentinel binary is
// $VALKEY_SENTINEL_BIN, else valkey-sentinel next to the server binary, on
// PATH or in /usr/bin; a missing one is FAILED_PRECONDITION (tests fail,
// never skip).
//
// Roles change after a failover: master()/replica(i) are the processes
// started in those roles, not the current ones (ask a sentinel for those).
//
// Security (all off by default): `sentinel_password` (+ `sentinel_acl_users`)
// protects the sentinels, `data_password` the master and replicas (the
// sentinels get `sentinel auth-pass`), and `sentinel_tls` makes the sentinels
// also serve TLS, all with one certificate (sentinel_ca_cert_path() verifies
// every one; SAN 127.0.0.1 and localhost). The fixture's own probes
// authenticate as needed and always use the plain ports.
//
// Processes are stopped by PID in the destructor (each ValkeyServer's own).
// Create and destroy from the test's main thread (PR_SET_PDEATHSIG, see
// valkey_server.h). Thread-compatible.

#ifndef VALKEY_TESTING_SENTINEL_TOPOLOGY_H_
#define VALKEY_TESTING_SENTINEL_TOPOLOGY_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "testing/valkey_server.h"

namespace valkey::testing {

class SentinelTopology {
 public:
  struct Options {
    std::string service_name = "mymaster";
    int num_replicas = 2;
    int num_sentinels = 3;
    int quorum = 2;
    absl::Duration down_after = absl::Seconds(1);
    absl::Duration failover_timeout = absl::Seconds(3);
    // How long Start() waits for the sentinels to agree on the topology.
    absl::Duration ready_timeout = absl::Seconds(30);

    // The sentinels' `requirepass` (their default user's password; they
    // also use it with each other). Empty: none.
    std::string sentinel_password;
    // ACL users on every sentinel, as ValkeyServer::Options::acl_users
    // ("user alice on >pw +@all").
    std::vector<std::string> sentinel_acl_users;
    // The data nodes' password: `requirepass` and `masterauth` on the master
    // and every replica, `sentinel auth-pass` on the sentinels. Empty: none.
    std::string data_password;
    // The sentinels also serve TLS on sentinel_tls_addresses() (plain ports
    // stay open; no client certificate required).
    bool sentinel_tls = false;
    // A password, when set, must be printable ASCII without spaces, quotes
    // or backslashes (sentinels rewrite auth-pass unquoted), else Start()
    // fails with INVALID_ARGUMENT.
  };

  // Errors: those of ValkeyServer::Start; FAILED_PRECONDITION without a
  // sentinel binary; INVALID_ARGUMENT for a password the config files
  // cannot hold (see Options); DEADLINE_EXCEEDED when the sentinels do not
  // see the whole topology in time (the message holds what was seen last
  // and the sentinels' log tails).
  static absl::StatusOr<std::unique_ptr<SentinelTopology>> Start(
      Options options);

  SentinelTopology(const SentinelTopology&) = delete;
  SentinelTopology& operator=(const SentinelTopology&) = delete;
  ~SentinelTopology();

  const Options& options() const { return options_; }
  const std::string& service_name() const { return options_.service_name; }
  const std::string& host() const { return master_->host(); }

  ValkeyServer& master() { return *master_; }
  ValkeyServer& replica(int i) { return *replicas_.at(i); }
  ValkeyServer& sentinel(int i) { return *sentinels_.at(i); }
  int master_port() const { return master_->port(); }
  int replica_port(int i) const { return replicas_.at(i)->port(); }
  int sentinel_port(int i) const { return sentinels_.at(i)->port(); }
  std::vector<int> sentinel_ports() const;
  // ("127.0.0.1", port) of each sentinel, in start order.
  std::vector<std::pair<std::string, int>> sentinel_addresses() const;
  // ("127.0.0.1", tls_port) of each sentinel; empty without sentinel_tls.
  std::vector<std::pair<std::string, int>> sentinel_tls_addresses() const;
  // The CA that signed every sentinel's certificate; "" without sentinel_tls.
  std::string sentinel_ca_cert_path() const;
  int num_replicas() const { return static_cast<int>(replicas_.size()); }
  int num_sentinels() const { return static_cast<int>(sentinels_.size()); }

  // SIGKILL (crash) one process; see ValkeyServer::Kill.
  absl::Status KillSentinel(int i) { return sentinels_.at(i)->Kill(); }
  absl::Status KillReplica(int i) { return replicas_.at(i)->Kill(); }
  absl::Status KillMaster() { return master_->Kill(); }

  // Log tails of every process, for failure messages.
  std::string LogTails(int max_lines = 15) const;

 private:
  explicit SentinelTopology(Options options) : options_(std::move(options)) {}
  absl::Status WaitUntilReady();

  Options options_;
  std::unique_ptr<ValkeyServer> master_;
  std::vector<std::unique_ptr<ValkeyServer>> replicas_;
  std::vector<std::unique_ptr<ValkeyServer>> sentinels_;
};

}  // namespace valkey::testing

#endif  // VALKEY_TESTING_SENTINEL_TOPOLOGY_H_

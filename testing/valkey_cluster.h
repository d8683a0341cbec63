// ValkeyCluster: a real Valkey Cluster for one test — `num_primaries`
// primaries splitting the 16384 slots evenly, each with
// `replicas_per_primary` replicas, every node a ValkeyServer (cluster mode)
// on free loopback ports, built with plain cluster commands (no valkey-cli).
//
//   absl::StatusOr<std::unique_ptr<ValkeyCluster>> cluster =
//       ValkeyCluster::Start({});
//   ASSERT_TRUE(cluster.ok()) << cluster.status();
//   options.seeds = (*cluster)->seed_addresses();  // "127.0.0.1:port" list
//   const int slot = ValkeyCluster::KeySlot("{user1000}.following");
//   absl::StatusOr<int> owner = (*cluster)->PrimaryForSlot(slot);
//
// Layout: nodes 0 .. num_primaries-1 start as primaries (primary p owns
// slots [p*16384/n, (p+1)*16384/n - 1]); the replicas of primary p follow
// at num_primaries + p*replicas_per_primary + j. Indexes never change, roles
// do (after Failover(), a kill, or RestartNode()): node(i) is the process,
// PrimaryForSlot()/ReplicasOf() ask the cluster who plays which role now.
//
// Start() returns once every node reports cluster_state:ok (CLUSTER INFO),
// every node's CLUSTER SLOTS reply is identical (same ranges, primaries and
// replicas), and every replica reports master_link_status:up (INFO
// replication). Nodes run with cluster-node-timeout from the options (1 s by
// default, so a killed primary is replaced within a few seconds),
// cluster-replica-validity-factor 0 (a replica may always be elected) and
// cluster-allow-replica-migration no (replicas stay where they were put, and
// a primary that loses its last slot stays a primary), so the topology
// changes only when a test changes it.
//
// Each node's cluster bus listens on a port of its own picking
// (`cluster-port`), not port+10000, which would overflow for high ephemeral
// ports; the fixture passes it to CLUSTER MEET.
//
// Errors: those of ValkeyServer::Start (FAILED_PRECONDITION for a missing
// binary: tests fail, never skip); INVALID_ARGUMENT for bad options or
// indexes; DEADLINE_EXCEEDED when the cluster does not converge in time —
// the message names the node and what it answered last; UNAVAILABLE /
// the server's error text (as FAILED_PRECONDITION) when a command fails.
//
// The fixture's own probes use the plain TCP ports, on a fresh connection
// each, and authenticate with Options::password when set.
//
// Processes are stopped by PID in the destructor (each ValkeyServer's own).
// Create and destroy from the test's main thread (PR_SET_PDEATHSIG, see
// valkey_server.h). Thread-compatible: no method may run concurrently with
// another on the same object.

#ifndef VALKEY_TESTING_VALKEY_CLUSTER_H_
#define VALKEY_TESTING_VALKEY_CLUSTER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "testing/valkey_server.h"

namespace valkey::testing {

class ValkeyCluster {
 public:
  static constexpr int kNumSlots = 16384;

  struct Options {
    // Primaries sharing the slots. At least 1; failovers need a majority
    // of primaries alive, so kill tests want 3. Default 3.
    int num_primaries = 3;
    // Replicas of each primary. Default 1.
    int replicas_per_primary = 1;
    // cluster-node-timeout: how long a node may be unreachable before it is
    // flagged as failing. Default 1 s (a kill failover then takes ~2-4 s).
    absl::Duration node_timeout = absl::Milliseconds(1000);
    // cluster-require-full-coverage. Default false: nodes keep serving
    // their slots while some other slot has no live primary.
    bool require_full_coverage = false;
    // `requirepass` and `masterauth` on every node; MIGRATE passes it on.
    // Empty: none.
    std::string password;
    // ACL users on every node, as ValkeyServer::Options::acl_users.
    std::vector<std::string> acl_users;
    // Every node also serves TLS on its tls_port(), all with node 0's
    // certificates (so node(0).ca_cert_path(), i.e. ca_cert_path(),
    // verifies every node; SAN 127.0.0.1 and localhost; node(i).certs()
    // for i > 0 are unused), and the cluster bus and replication run over
    // TLS too (tls-cluster yes, tls-replication yes), so that CLUSTER SLOTS
    // and MOVED/ASK give TLS clients the TLS ports and plain clients the
    // plain ones. The bus always demands a client certificate: nodes
    // present node 0's minted client certificate. Plain ports stay open for
    // plain clients and the fixture's probes.
    bool tls = false;
    // How long Start(), RestartNode(), AddNode() and Failover() wait for
    // the cluster to converge. Default 60 s.
    absl::Duration ready_timeout = absl::Seconds(60);
    // Raw config lines appended to every node's configuration.
    std::vector<std::string> extra_config;
  };

  // Starts the nodes, assigns slots, joins them into one cluster and waits
  // until it is ready (see the top of this file). Errors as listed there.
  static absl::StatusOr<std::unique_ptr<ValkeyCluster>> Start(Options options);

  ValkeyCluster(const ValkeyCluster&) = delete;
  ValkeyCluster& operator=(const ValkeyCluster&) = delete;
  ~ValkeyCluster();

  // The hash slot of `key`: CRC16 (XMODEM) of the key, or of its hash tag
  // (the bytes between the first '{' and the first '}' after it, when not
  // empty), mod 16384. The fixture's own copy, independent of the library.
  static int KeySlot(absl::string_view key);

  const Options& options() const { return options_; }

  // Nodes, in the layout order above (plus nodes added by AddNode()).
  int size() const { return static_cast<int>(nodes_.size()); }
  ValkeyServer& node(int i) { return *nodes_.at(i).server; }
  // The node's cluster ID (CLUSTER MYID; kept across RestartNode()).
  const std::string& node_id(int i) const { return nodes_.at(i).id; }
  // The node's cluster bus port.
  int bus_port(int i) const { return nodes_.at(i).bus_port; }
  // The node's Unix socket path.
  const std::string& unix_path(int i) const {
    return nodes_.at(i).server->unix_path();
  }
  // The CA that signed every node's certificate; "" without Options::tls.
  std::string ca_cert_path() const {
    return options_.tls ? nodes_.at(0).server->ca_cert_path() : "";
  }
  // "127.0.0.1:<port>" of every node, in index order (dead ones included).
  std::vector<std::string> seed_addresses() const;
  // The index of the node whose TCP port is `port`; -1 if none.
  int IndexOfPort(int port) const;

  // The index of the node serving `slot` as primary, per CLUSTER SLOTS of
  // the first live node. NOT_FOUND when the slot is unassigned (or its
  // owner is not one of this fixture's nodes), INVALID_ARGUMENT for a slot
  // out of range, UNAVAILABLE when no node answers.
  absl::StatusOr<int> PrimaryForSlot(int slot);
  // The indexes of the nodes replicating `primary_index`, per CLUSTER NODES
  // of the first live node (nodes flagged fail are left out), ascending.
  absl::StatusOr<std::vector<int>> ReplicasOf(int primary_index);

  // Slot migration in steps, so tests can send traffic in between.
  //
  // CLUSTER SETSLOT <slot> IMPORTING on `to`, then MIGRATING on `from`.
  // From now on `from` answers -ASK for keys of the slot it no longer has.
  absl::Status BeginMigration(int slot, int from, int to);
  // Moves every key of `slot` from `from` to `to`: CLUSTER GETKEYSINSLOT
  // `batch` keys at a time, then MIGRATE ... KEYS (with AUTH when the
  // cluster has a password), until none is left. Returns the number moved.
  absl::StatusOr<int> MigrateKeys(int slot, int from, int to, int batch = 100);
  // CLUSTER SETSLOT <slot> NODE <to-id> on `to`, `from` and every other live
  // primary, then waits until every live node's CLUSTER SLOTS names `to`.
  absl::Status FinishMigration(int slot, int from, int to);
  // All three steps, from the slot's current primary to `to`.
  absl::Status MoveSlot(int slot, int to);

  // CLUSTER FAILOVER on replica `replica_index`, then waits until every
  // live node's CLUSTER NODES flags it as master and its old primary (if
  // alive) as its replica. FAILED_PRECONDITION (the server's "-ERR ...")
  // when the node is not a replica.
  absl::Status Failover(int replica_index);
  // SIGKILL (crash) node `i`; see ValkeyServer::Kill. The cluster notices
  // after node_timeout and, for a primary, elects one of its replicas.
  absl::Status KillNode(int i);
  // Waits until every live node's CLUSTER SLOTS names the same node as
  // `slot`'s primary and that node is alive (per this fixture's PIDs).
  // DEADLINE_EXCEEDED naming what each node said last.
  absl::Status WaitForPrimaryOf(int slot, absl::Duration timeout);
  // Restarts node `i` (same ports, data directory and nodes.conf, so the
  // same ID), then waits until WaitUntilStable() holds. A former primary
  // whose slots were taken over rejoins as a replica of the new owner.
  absl::Status RestartNode(int i);
  // Starts a new empty node (no slots, a primary), MEETs it, and waits
  // until every live node knows it, it knows every live node, and
  // WaitUntilStable() holds (a fresh primary says CLUSTERDOWN for about
  // 2 s). Returns its index.
  absl::StatusOr<int> AddNode();

  // Waits until every live node says cluster_state:ok and all their CLUSTER
  // SLOTS replies agree on ranges and primaries.
  absl::Status WaitUntilStable(absl::Duration timeout);

  // Log tails of every node, for failure messages.
  std::string LogTails(int max_lines = 15) const;

 private:
  struct Node {
    std::unique_ptr<ValkeyServer> server;
    std::string id;
    int bus_port = 0;
  };

  explicit ValkeyCluster(Options options);

  // Starts a node process (retrying with a new bus port on a clash) and
  // reads its ID.
  absl::StatusOr<Node> StartNode();
  absl::Status CheckIndex(int i, absl::string_view what) const;
  // The live nodes' indexes.
  std::vector<int> LiveNodes();
  // Empty when every node of `among` reports cluster_state:ok and the same
  // CLUSTER SLOTS (`with_replicas`: replicas included, and every replica by
  // layout has its replication link up; *signature is then the shared
  // map); otherwise what the first node that disagrees answered.
  std::string Disagreement(const std::vector<int>& among, bool with_replicas,
                           std::string* signature);
  absl::Status WaitUntilReady();
  absl::Status WaitUntilKnown(const std::vector<int>& among,
                              absl::Duration timeout);

  Options options_;
  std::vector<Node> nodes_;
};

}  // namespace valkey::testing

#endif  // VALKEY_TESTING_VALKEY_CLUSTER_H_

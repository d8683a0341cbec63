// Connection pools that follow a Valkey service through a Sentinel
// (sentinel.h): the master pool and the replica pool the blocking
// Sentinel-managed clients (sentinel_client.h) are built on.
//
//   absl::StatusOr<std::shared_ptr<valkey::ConnectionPool>> pool =
//       valkey::CreateSentinelMasterPool(sentinel, "mymaster",
//                                        connection_options, pool_options);
//
// Thread-safety: the pools are ordinary thread-safe ConnectionPools.

#ifndef VALKEY_SENTINEL_SENTINEL_POOLS_H_
#define VALKEY_SENTINEL_SENTINEL_POOLS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "valkey/common/config.h"
#include "valkey/connection/connection_pool.h"
#include "valkey/sentinel/sentinel.h"

namespace valkey {

// Connection pools that follow a service through a Sentinel. Connections
// are routed when they are opened (not per command); each pool keeps the
// Sentinel alive.
//
// Master pool: every new connection asks DiscoverMaster, connects there
// with `connection` (its host/port/unix_path are ignored) and checks that
// ROLE says "master"; otherwise the connection is closed and the open fails
// with a kConnection error (UNAVAILABLE), so a retry re-discovers. When the
// discovered address differs from the previous one, the pool's other
// connections are dropped (idle ones now, busy ones when returned) so they
// reconnect to the new master. Connections stay open between commands, so
// a master that moves while they work would go unnoticed until the old
// one is demoted (READONLY, or killed connections); hence at most once per
// `recheck_interval` (zero: never) a checkout asks the sentinels again
// (one SENTINEL MASTER round trip), and drops the pool's connections when
// the master moved. Acquire errors: NOT_FOUND (kMasterNotFound),
// connection errors, and the pool's own.
//
// Replica pool: every new connection goes to the next replica reported by
// DiscoverReplicas, round-robin (starting at a random one); replicas that
// refuse are skipped, then the master is tried. Acquire errors: NOT_FOUND
// (kReplicaNotFound, "No replica found for 'svc'") when none of them can be
// reached, and the pool's own.
//
// The pools are otherwise ordinary ConnectionPools (limits, health checks,
// Disconnect). Call Disconnect(true) when a command learns that the master
// was demoted (a READONLY reply); Client does this for sentinel clients.
inline constexpr absl::Duration kDefaultSentinelRecheckInterval =
    absl::Seconds(1);
absl::StatusOr<std::shared_ptr<ConnectionPool>> CreateSentinelMasterPool(
    std::shared_ptr<Sentinel> sentinel, std::string service,
    ConnectionOptions connection, PoolOptions pool,
    absl::Duration recheck_interval = kDefaultSentinelRecheckInterval);
absl::StatusOr<std::shared_ptr<ConnectionPool>> CreateSentinelReplicaPool(
    std::shared_ptr<Sentinel> sentinel, std::string service,
    ConnectionOptions connection, PoolOptions pool);
}  // namespace valkey

#endif  // VALKEY_SENTINEL_SENTINEL_POOLS_H_

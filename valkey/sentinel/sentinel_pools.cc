#include "valkey/sentinel/sentinel_pools.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "valkey/common/errors.h"
#include "valkey/sentinel/sentinel_rules.h"

namespace valkey {

namespace {

// What a master pool's connections share: finds the master at connect
// time and drops the pool's connections when it moved.
class MasterRouter {
 public:
  MasterRouter(std::shared_ptr<Sentinel> sentinel, std::string service,
               std::shared_ptr<const Connector> connector,
               absl::Duration recheck_interval)
      : sentinel_(std::move(sentinel)),
        service_(std::move(service)),
        connector_(std::move(connector)),
        recheck_interval_(recheck_interval) {}

  // Checkout: at most once per interval (one thread; the others go on),
  // asks the sentinels again; when the master moved, the pool's
  // connections are dropped, this one included.
  absl::Status Recheck(Connection&) {
    if (recheck_interval_ <= absl::ZeroDuration()) return absl::OkStatus();
    const absl::Time now = absl::Now();
    {
      absl::MutexLock lock(&mu_);
      if (now < next_check_) return absl::OkStatus();
      next_check_ = now + recheck_interval_;
    }
    absl::StatusOr<NodeAddress> master = sentinel_->DiscoverMaster(service_);
    // No answer: keep what works.
    if (!master.ok()) return absl::OkStatus();
    if (!Moved(*master)) return absl::OkStatus();
    return ConnectionError(absl::StrCat("sentinel: the master of '", service_,
                                        "' moved to ", master->ToString()));
  }

  void set_pool(std::weak_ptr<ConnectionPool> pool) {
    absl::MutexLock lock(&mu_);
    pool_ = std::move(pool);
  }

  absl::StatusOr<std::unique_ptr<Connection>> Connect() {
    absl::StatusOr<NodeAddress> master = sentinel_->DiscoverMaster(service_);
    if (!master.ok()) return master.status();
    Moved(*master);
    absl::StatusOr<std::unique_ptr<Connection>> conn =
        connector_->ConnectTo(master->host, master->port);
    if (!conn.ok()) return conn.status();
    absl::StatusOr<Reply> role = (*conn)->Execute("ROLE");
    if (!role.ok()) return role.status();
    const absl::string_view kind =
        role->is_aggregate() ? role->child(0).str() : absl::string_view();
    if (kind != "master") {
      (*conn)->Disconnect();
      return ConnectionError(absl::StrCat(
          "sentinel: ", master->ToString(), " reported for '", service_,
          "' is not a master (ROLE ", kind.empty() ? "?" : kind, ")"));
    }
    return conn;
  }

 private:
  // Records `master`; when it differs from the previous one, drops the
  // pool's connections (idle now, busy when returned) and returns true.
  bool Moved(const NodeAddress& master) {
    std::shared_ptr<ConnectionPool> pool;
    {
      absl::MutexLock lock(&mu_);
      const bool moved = last_.has_value() && *last_ != master;
      last_ = master;
      if (!moved) return false;
      pool = pool_.lock();
    }
    if (pool != nullptr) pool->Disconnect(/*include_in_use=*/true);
    return true;
  }

  const std::shared_ptr<Sentinel> sentinel_;
  const std::string service_;
  const std::shared_ptr<const Connector> connector_;
  const absl::Duration recheck_interval_;
  absl::Mutex mu_;
  absl::Time next_check_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::optional<NodeAddress> last_ ABSL_GUARDED_BY(mu_);
  std::weak_ptr<ConnectionPool> pool_ ABSL_GUARDED_BY(mu_);
};

// What a replica pool's connections share: the round-robin position.
class ReplicaRouter {
 public:
  ReplicaRouter(std::shared_ptr<Sentinel> sentinel, std::string service,
                std::shared_ptr<const Connector> connector)
      : sentinel_(std::move(sentinel)),
        service_(std::move(service)),
        connector_(std::move(connector)) {}

  absl::StatusOr<std::unique_ptr<Connection>> Connect() {
    std::vector<std::string> errors;
    absl::StatusOr<std::vector<NodeAddress>> replicas =
        sentinel_->DiscoverReplicas(service_);
    if (!replicas.ok()) return replicas.status();
    uint64_t start = 0;
    if (!replicas->empty()) {
      absl::MutexLock lock(&mu_);
      if (!counter_.has_value()) {
        std::random_device seed;
        counter_ = std::uniform_int_distribution<uint64_t>(
            0, replicas->size() - 1)(seed);
      }
      start = ++*counter_;
    }
    for (const NodeAddress& replica :
         sentinel_rules::ReplicaOrder(*replicas, start)) {
      absl::StatusOr<std::unique_ptr<Connection>> conn =
          connector_->ConnectTo(replica.host, replica.port);
      if (conn.ok()) return conn;
      errors.push_back(
          absl::StrCat(replica.ToString(), " - ", conn.status().message()));
    }
    // Fall back to the master.
    absl::StatusOr<NodeAddress> master = sentinel_->DiscoverMaster(service_);
    if (master.ok()) {
      absl::StatusOr<std::unique_ptr<Connection>> conn =
          connector_->ConnectTo(master->host, master->port);
      if (conn.ok()) return conn;
      errors.push_back(absl::StrCat(master->ToString(), " (master) - ",
                                    conn.status().message()));
    } else {
      errors.push_back(std::string(master.status().message()));
    }
    return sentinel_rules::NoReplicaFound(service_, errors);
  }

 private:
  const std::shared_ptr<Sentinel> sentinel_;
  const std::string service_;
  const std::shared_ptr<const Connector> connector_;
  absl::Mutex mu_;
  std::optional<uint64_t> counter_ ABSL_GUARDED_BY(mu_);
};

absl::Status CheckPoolArgs(const std::shared_ptr<Sentinel>& sentinel,
                           const std::string& service) {
  if (sentinel == nullptr) return InvalidArgumentError("sentinel: null");
  if (service.empty()) {
    return InvalidArgumentError("sentinel.service_name: required");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<ConnectionPool>> CreateSentinelMasterPool(
    std::shared_ptr<Sentinel> sentinel, std::string service,
    ConnectionOptions connection, PoolOptions pool,
    absl::Duration recheck_interval) {
  if (absl::Status s = CheckPoolArgs(sentinel, service); !s.ok()) return s;
  connection.unix_path.clear();
  absl::StatusOr<std::shared_ptr<const Connector>> connector =
      Connector::Create(std::move(connection));
  if (!connector.ok()) return connector.status();
  auto router = std::make_shared<MasterRouter>(
      std::move(sentinel), std::move(service), *connector, recheck_interval);
  absl::StatusOr<std::unique_ptr<ConnectionPool>> made =
      ConnectionPool::CreateWithConnectFunction(
          *connector, std::move(pool), [router]() { return router->Connect(); },
          [router](Connection& conn) { return router->Recheck(conn); });
  if (!made.ok()) return made.status();
  std::shared_ptr<ConnectionPool> shared(*std::move(made));
  router->set_pool(shared);
  return shared;
}

absl::StatusOr<std::shared_ptr<ConnectionPool>> CreateSentinelReplicaPool(
    std::shared_ptr<Sentinel> sentinel, std::string service,
    ConnectionOptions connection, PoolOptions pool) {
  if (absl::Status s = CheckPoolArgs(sentinel, service); !s.ok()) return s;
  connection.unix_path.clear();
  absl::StatusOr<std::shared_ptr<const Connector>> connector =
      Connector::Create(std::move(connection));
  if (!connector.ok()) return connector.status();
  auto router = std::make_shared<ReplicaRouter>(std::move(sentinel),
                                                std::move(service), *connector);
  absl::StatusOr<std::unique_ptr<ConnectionPool>> made =
      ConnectionPool::CreateWithConnectFunction(
          *connector, std::move(pool),
          [router]() { return router->Connect(); });
  if (!made.ok()) return made.status();
  return std::shared_ptr<ConnectionPool>(*std::move(made));
}

}  // namespace valkey

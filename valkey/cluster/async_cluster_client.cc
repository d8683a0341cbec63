#include "valkey/cluster/async_cluster_client.h"

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "valkey/async/connection_pool.h"
#include "valkey/async/credential_refresh_timer.h"
#include "valkey/async/future.h"
#include "valkey/async/reauth.h"
#include "valkey/commands/command_retry.h"
#include "valkey/cluster/combine_replies.h"
#include "valkey/cluster/redirects.h"
#include "valkey/cluster/routing.h"
#include "valkey/cluster/split_by_slot.h"
#include "valkey/cluster/topology.h"
#include "valkey/common/credentials.h"
#include "valkey/common/errors.h"
#include "valkey/common/handshake.h"
#include "valkey/common/one_reply_rule.h"
#include "valkey/common/retry.h"

namespace valkey {
namespace cluster {
namespace async_cluster_internal {

using ::valkey::async::AsyncOptions;
using ::valkey::async::Connection;
using ::valkey::async::ConnectionPool;
using ::valkey::async::EventLoop;
using ::valkey::async::ReplySink;

struct Shared;

absl::Status ClosedError() { return ConnectionError("cluster client closed"); }

// One command on its way: packed once (it may be resent), routed, and
// driven through CommandRedirects until it is answered. Reference-counted
// by hand: a sink in a connection's queue, a timer and the client's lists
// of waiting commands each hold a reference.
struct Op {
  std::atomic<int> refs{1};
  std::shared_ptr<Shared> shared;
  ReplySink sink;
  std::string packed;
  Route route;
  // Only for broadcasts: CombineReplies looks at the command's arguments.
  std::vector<std::string> args;
  bool blocking = false;
  absl::Duration extra_wait = absl::ZeroDuration();
  CommandRedirects redirects;
  std::unique_ptr<RetryState> retry;  // Created on the first retryable error.
  // Backing off after a retryable (connection) error: a changed map ends
  // the wait early (RefreshDone). Guarded by Shared::mu while in `delayed`.
  bool awaiting_map = false;
  // Which back-off timer may resend it (an earlier one, for a wait that a
  // changed map ended, must not). Guarded by Shared::mu.
  uint64_t delay_seq = 0;
  // The map the last routing used (identity only, never dereferenced): a
  // connection error under an older map is resent at once by the newer one.
  const SlotMap* routed_by = nullptr;
  absl::Time deadline = absl::InfiniteFuture();
  std::atomic<bool> finished{false};
  // The node of the attempt under way, and its lease (blocking commands).
  NodeAddress node;
  std::shared_ptr<struct LeaseBox> lease;

  explicit Op(int max_redirects) : redirects(max_redirects) {}
};

// An exclusive connection lent to a blocking command. Shared so that
// Close() can close the connection while the command waits on it.
struct LeaseBox {
  explicit LeaseBox(ConnectionPool::Lease l) : lease(std::move(l)) {}
  ConnectionPool::Lease lease;
};

// An owning pointer to an Op (one reference).
class OpRef {
 public:
  OpRef() = default;
  // Adopts a reference the caller already holds.
  static OpRef Adopt(Op* op) {
    OpRef r;
    r.op_ = op;
    return r;
  }
  OpRef(const OpRef& o) : op_(o.op_) {
    if (op_ != nullptr) op_->refs.fetch_add(1, std::memory_order_relaxed);
  }
  OpRef(OpRef&& o) noexcept : op_(std::exchange(o.op_, nullptr)) {}
  OpRef& operator=(OpRef o) noexcept {
    std::swap(op_, o.op_);
    return *this;
  }
  ~OpRef() {
    if (op_ != nullptr &&
        op_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      delete op_;
    }
  }
  // Gives up the reference (to a sink's ctx).
  Op* Release() { return std::exchange(op_, nullptr); }
  Op* get() const { return op_; }
  Op* operator->() const { return op_; }
  Op& operator*() const { return *op_; }

 private:
  Op* op_ = nullptr;
};

// A node's connections: the shared multiplexed one, and (created on the
// first blocking command) a pool of exclusive ones.
struct NodeConnections {
  std::shared_ptr<Connection> connection;
  std::shared_ptr<ConnectionPool> pool;
};

// One topology refresh: CLUSTER SLOTS on each candidate in turn until one
// answers with a usable map.
struct RefreshRun {
  std::shared_ptr<Shared> shared;
  std::vector<NodeAddress> candidates;
  size_t next = 0;
  std::vector<std::string> errors;  // "host:port: message" per candidate.
  absl::Status server_error;        // The first non-connection error.
};

struct Shared : std::enable_shared_from_this<Shared> {
  Shared(EventLoop& l, ClusterOptions o, std::vector<NodeAddress> seeds)
      : loop(l),
        options(std::move(o)),
        topology(std::move(seeds),
                 Topology::Options{
                     .min_refresh_interval = options.min_refresh_interval,
                     .refresh_interval = options.refresh_interval}),
        retry(CommandRetry(options.connection.retry, /*sentinel=*/false)) {}

  EventLoop& loop;
  const ClusterOptions options;
  Topology topology;
  const Retry retry;
  AsyncOptions node_async;  // Shared node connections.
  AsyncOptions pool_async;  // Exclusive (blocking-command) connections.
  std::atomic<uint64_t> counter{0};
  std::atomic<int64_t> redirect_count{0};
  std::atomic<bool> closed{false};

  absl::Mutex mu;
  absl::flat_hash_map<std::string, NodeConnections> nodes ABSL_GUARDED_BY(mu);
  // Commands waiting for the first map.
  std::vector<OpRef> pending ABSL_GUARDED_BY(mu);
  // Commands waiting (on a loop timer) to be resent.
  absl::flat_hash_map<Op*, OpRef> delayed ABSL_GUARDED_BY(mu);
  // Blocking commands sent on a leased connection (which Close() closes:
  // the pool does not close connections it has lent out).
  absl::flat_hash_map<Op*, std::pair<OpRef, std::shared_ptr<LeaseBox>>> leased
      ABSL_GUARDED_BY(mu);
  bool refreshing ABSL_GUARDED_BY(mu) = false;
  // A PollTopology timer is pending.
  bool map_poll_scheduled ABSL_GUARDED_BY(mu) = false;
  absl::Status last_refresh_error ABSL_GUARDED_BY(mu);
  // RefreshTopology() callers waiting for the refresh under way.
  std::vector<valkey::async::Promise<void>> refresh_waiters
      ABSL_GUARDED_BY(mu);

  // The connections of `node`, created on first use (with a pool when
  // `with_pool`). UNAVAILABLE once closed; a connection's own creation
  // error (e.g. unreadable TLS files) otherwise.
  absl::Status ConnectionsFor(const NodeAddress& node, bool with_pool,
                              NodeConnections* out) {
    const std::string name = node.HostPort();
    {
      // Fast path, shared with other senders: the connections exist.
      absl::ReaderMutexLock lock(&mu);
      if (closed.load()) return ClosedError();
      auto it = nodes.find(name);
      if (it != nodes.end() && (!with_pool || it->second.pool != nullptr)) {
        *out = it->second;
        return absl::OkStatus();
      }
    }
    absl::MutexLock lock(&mu);
    if (closed.load()) return ClosedError();
    NodeConnections& c = nodes[name];
    ConnectionOptions o = options.connection;
    o.host = node.host;
    o.port = node.port;
    if (c.connection == nullptr) {
      absl::StatusOr<Connection> conn = Connection::Create(loop, o, node_async);
      if (!conn.ok()) {
        nodes.erase(name);
        return Annotate(conn.status(), name);
      }
      c.connection = std::make_shared<Connection>(*std::move(conn));
    }
    if (with_pool && c.pool == nullptr) {
      absl::StatusOr<std::shared_ptr<ConnectionPool>> pool =
          ConnectionPool::Create(loop, o, options.pool, pool_async);
      if (!pool.ok()) return Annotate(pool.status(), name);
      c.pool = *std::move(pool);
    }
    *out = c;
    return absl::OkStatus();
  }

  // Starts a refresh if Topology allows one now. The caller runs the
  // returned run (RefreshNext) after releasing `mu`.
  RefreshRun* BeginRefreshLocked(bool force = false)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (closed.load() || refreshing) return nullptr;
    if (!topology.BeginRefresh(absl::Now(), force)) return nullptr;
    refreshing = true;
    auto* run = new RefreshRun;
    run->shared = shared_from_this();
    run->candidates = topology.RefreshCandidates();
    return run;
  }
};

void RefreshNext(RefreshRun* run);
void RouteOp(OpRef op);
void HandleOutcome(OpRef op, absl::StatusOr<Reply> outcome);

void MaybeRefresh(Shared& shared) {
  RefreshRun* run;
  {
    absl::MutexLock lock(&shared.mu);
    run = shared.BeginRefreshLocked();
  }
  if (run != nullptr) RefreshNext(run);
}

// Delivers the command's outcome, once.
void Finish(Op& op, absl::StatusOr<Reply> outcome) {
  if (op.finished.exchange(true, std::memory_order_acq_rel)) return;
  op.sink.fn(op.sink.ctx, op.sink.aux, std::move(outcome));
}

// Runs `fn` on the loop's thread after `delay` (timers belong to the loop).
void RunAfterOnLoop(EventLoop& loop, absl::Duration delay,
                    EventLoop::Callback fn) {
  if (loop.InLoopThread()) {
    loop.RunAfter(delay, std::move(fn));
  } else {
    loop.Post([&loop, delay, fn = std::move(fn)]() mutable {
      loop.RunAfter(delay, std::move(fn));
    });
  }
}

void RefreshDone(RefreshRun* run, absl::StatusOr<SlotMap> map) {
  std::unique_ptr<RefreshRun> done(run);
  Shared& shared = *run->shared;
  const bool ok = map.ok();
  absl::Status error = ok ? absl::OkStatus() : map.status();
  std::vector<OpRef> ready;
  std::vector<OpRef> failed;
  std::vector<OpRef> woken;  // Backing off, and the map changed.
  std::vector<valkey::async::Promise<void>> waiters;
  absl::flat_hash_set<std::string> endpoints;
  if (ok) {
    for (const NodeAddress& node : map->AllNodes()) {
      endpoints.insert(node.HostPort());
    }
  }
  {
    absl::MutexLock lock(&shared.mu);
    const bool changed = ok && *map != *shared.topology.map();
    shared.topology.EndRefresh(absl::Now(), std::move(map));
    shared.refreshing = false;
    shared.last_refresh_error = error;
    waiters.swap(shared.refresh_waiters);
    if (ok) {
      ready.swap(shared.pending);
    } else if (!shared.topology.has_map()) {
      failed.swap(shared.pending);
    }
    if (changed) {
      // Commands backing off after a connection error were waiting for
      // exactly this (a failover, a move): their timers find them gone.
      for (auto it = shared.delayed.begin(); it != shared.delayed.end();) {
        if (it->first->awaiting_map) {
          it->first->awaiting_map = false;
          woken.push_back(std::move(it->second));
          shared.delayed.erase(it++);
        } else {
          ++it;
        }
      }
    }
  }
  for (OpRef& op : failed) Finish(*op, error);
  for (OpRef& op : ready) RouteOp(std::move(op));
  for (OpRef& op : woken) RouteOp(std::move(op));
  for (valkey::async::Promise<void>& p : waiters) p.Set(error);
  if (!ok) return;
  // Connections to nodes that left the cluster (or seeds known by another
  // name) would reconnect forever: close the idle ones. Deferred to the end
  // of the turn: this may run inside one of their sinks.
  auto prune = [weak = std::weak_ptr<Shared>(run->shared),
                endpoints = std::move(endpoints)] {
    std::shared_ptr<Shared> shared = weak.lock();
    if (shared == nullptr) return;
    std::vector<NodeConnections> gone;
    {
      absl::MutexLock lock(&shared->mu);
      for (auto it = shared->nodes.begin(); it != shared->nodes.end();) {
        const NodeConnections& c = it->second;
        const bool idle = c.connection->stats().in_flight == 0 &&
                          (c.pool == nullptr || c.pool->stats().in_use == 0);
        // Not connected: whatever it holds was never written (a dead
        // node's connection keeps commands for its next reconnect attempt);
        // closing fails them, and they route again by the new map at once.
        const bool down = !c.connection->connected() &&
                          (c.pool == nullptr || c.pool->stats().in_use == 0);
        if (!endpoints.contains(it->first) && (idle || down)) {
          gone.push_back(std::move(it->second));
          shared->nodes.erase(it++);
        } else {
          ++it;
        }
      }
    }
    for (NodeConnections& c : gone) {
      c.connection->Close();
      if (c.pool != nullptr) c.pool->Close();
    }
  };
  if (shared.loop.InLoopThread()) {
    shared.loop.Defer(std::move(prune));
  } else {
    shared.loop.Post(std::move(prune));
  }
}

void OnClusterSlots(void* ctx, void*, absl::StatusOr<Reply> outcome) {
  auto* run = static_cast<RefreshRun*>(ctx);
  const NodeAddress& node = run->candidates[run->next];
  absl::Status error;
  if (outcome.ok()) {
    absl::StatusOr<SlotMap> map = ParseClusterSlots(outcome->view(), node.host);
    if (map.ok() && !map->shards().empty()) {
      RefreshDone(run, *std::move(map));
      return;
    }
    error = map.ok() ? ProtocolError("CLUSTER SLOTS: the node serves no slot")
                     : map.status();
  } else {
    error = outcome.status();
  }
  run->errors.push_back(absl::StrCat(node.HostPort(), ": ", error.message()));
  if (run->server_error.ok() && !IsConnectionError(error) &&
      !run->shared->closed.load()) {
    run->server_error = error;
  }
  ++run->next;
  RefreshNext(run);
}

void RefreshNext(RefreshRun* run) {
  Shared& shared = *run->shared;
  if (run->next == run->candidates.size()) {
    std::vector<std::string> asked;
    for (const NodeAddress& n : run->candidates) asked.push_back(n.HostPort());
    const std::string context = absl::StrCat(
        "cluster: no topology from any of ", absl::StrJoin(asked, ", "), " (",
        absl::StrJoin(run->errors, "; "), ")");
    absl::Status error = shared.closed.load() ? ClosedError()
                         : run->server_error.ok()
                             ? ConnectionError(context)
                             : Annotate(run->server_error, context);
    RefreshDone(run, std::move(error));
    return;
  }
  const NodeAddress& node = run->candidates[run->next];
  NodeConnections c;
  if (absl::Status s = shared.ConnectionsFor(node, false, &c); !s.ok()) {
    OnClusterSlots(run, nullptr, std::move(s));
    return;
  }
  const CommandArg args[] = {"CLUSTER", "SLOTS"};
  c.connection->Submit(args, ReplySink{&OnClusterSlots, run, nullptr});
}

// The reply of the ASKING that precedes a command after an ASK redirect:
// the command's own reply tells whether it worked.
void DiscardReply(void*, void*, absl::StatusOr<Reply>) {}

void OnReply(void* ctx, void*, absl::StatusOr<Reply> outcome) {
  OpRef op = OpRef::Adopt(static_cast<Op*>(ctx));
  if (op->lease != nullptr) {
    {
      absl::MutexLock lock(&op->shared->mu);
      op->shared->leased.erase(op.get());
    }
    // A blocking command that timed out may still run on the server: its
    // connection must not carry the late reply to the next user.
    if (!outcome.ok() && IsTimeout(outcome.status())) {
      op->lease->lease.Discard();
    }
    op->lease.reset();
  }
  HandleOutcome(std::move(op), std::move(outcome));
}

// Sends the command to `node` (after ASKING when `asking`).
void Send(OpRef op, const NodeAddress& node, bool asking) {
  Shared& shared = *op->shared;
  op->node = node;
  NodeConnections c;
  if (absl::Status s = shared.ConnectionsFor(node, op->blocking, &c); !s.ok()) {
    Finish(*op, std::move(s));
    return;
  }
  auto submit = [asking](OpRef op, Connection& connection) {
    const absl::Duration extra = op->extra_wait;
    const ReplySink sinks[2] = {ReplySink{&DiscardReply, nullptr, nullptr},
                                ReplySink{&OnReply, op.get(), nullptr}};
    // The sink's reference; `hold` keeps the command's bytes alive should
    // the sink run (and drop its reference) inside SubmitPacked.
    const OpRef hold = op;
    Op* raw = op.Release();
    if (asking) {
      // One unit, so nothing of another caller's comes between ASKING and
      // the command (ASKING applies to the next command only).
      std::string unit;
      AppendCommand(unit, "ASKING");
      unit += raw->packed;
      connection.SubmitPacked(unit, sinks, std::nullopt, extra);
    } else {
      connection.SubmitPacked(raw->packed, absl::MakeConstSpan(&sinks[1], 1),
                              std::nullopt, extra);
    }
  };
  if (!op->blocking) {
    submit(std::move(op), *c.connection);
    return;
  }
  c.pool->Acquire().Then(
      [op = std::move(op),
       submit](absl::StatusOr<ConnectionPool::Lease> lease) mutable {
        if (!lease.ok()) {
          HandleOutcome(std::move(op), lease.status());
          return;
        }
        op->lease = std::make_shared<LeaseBox>(*std::move(lease));
        bool closed;
        {
          Shared& shared = *op->shared;
          absl::MutexLock lock(&shared.mu);
          closed = shared.closed.load();
          if (!closed) {
            shared.leased.emplace(op.get(), std::make_pair(op, op->lease));
          }
        }
        if (closed) {  // Never call a sink under `mu`: it may send more.
          op->lease.reset();
          Finish(*op, ClosedError());
          return;
        }
        Connection& connection = op->lease->lease.connection();
        submit(std::move(op), connection);
      });
}

// Carries out a resend CommandRedirects asked for, after its delay and
// within the command's deadline.
// While commands back off after connection errors, re-fetches the map every
// min_refresh_interval (RefreshDone resends them once it changes); stops
// when none is left waiting.
void PollTopology(const std::weak_ptr<Shared>& weak) {
  std::shared_ptr<Shared> shared = weak.lock();
  if (shared == nullptr) return;
  RefreshRun* run = nullptr;
  {
    absl::MutexLock lock(&shared->mu);
    bool waiting = false;
    for (const auto& [op, ref] : shared->delayed) {
      if (op->awaiting_map) {
        waiting = true;
        break;
      }
    }
    if (!waiting || shared->closed.load()) {
      shared->map_poll_scheduled = false;
      return;
    }
    run = shared->BeginRefreshLocked(/*force=*/true);
  }
  if (run != nullptr) RefreshNext(run);
  RunAfterOnLoop(shared->loop, shared->options.min_refresh_interval,
                 [weak] { PollTopology(weak); });
}

void Resend(OpRef op, NextStep step, const absl::Status& last) {
  Shared& shared = *op->shared;
  if (absl::Now() + step.delay > op->deadline) {
    Finish(*op, TimeoutError(absl::StrCat(
                    "cluster: command deadline passed after ",
                    op->redirects.redirects(), " redirects (socket_timeout x ",
                    shared.options.max_redirects + 1,
                    "); last error: ", last.message())));
    return;
  }
  auto go = [](OpRef op, const NextStep& step) {
    if (step.kind == NextStep::kSendTo) {
      Send(std::move(op), step.node, step.asking);
    } else {
      RouteOp(std::move(op));
    }
  };
  if (step.delay <= absl::ZeroDuration()) {
    go(std::move(op), step);
    return;
  }
  bool closed;
  bool start_poll = false;
  uint64_t seq = 0;
  {
    absl::MutexLock lock(&shared.mu);
    closed = shared.closed.load();
    if (!closed) {
      seq = ++op->delay_seq;
      shared.delayed.emplace(op.get(), op);
      if (op->awaiting_map && !shared.map_poll_scheduled) {
        shared.map_poll_scheduled = true;
        start_poll = true;
      }
    }
  }
  if (closed) {  // Never call a sink under `mu`: it may send more.
    Finish(*op, ClosedError());
    return;
  }
  if (start_poll) {
    RunAfterOnLoop(shared.loop, shared.options.min_refresh_interval,
                   [weak = std::weak_ptr<Shared>(op->shared)] {
                     PollTopology(weak);
                   });
  }
  const absl::Duration delay = step.delay;
  RunAfterOnLoop(shared.loop, delay,
                 [op = std::move(op), step = std::move(step), go,
                  seq]() mutable {
                   {
                     absl::MutexLock lock(&op->shared->mu);
                     // Close() or a changed map (RefreshDone) took it.
                     if (op->delay_seq != seq) return;
                     if (op->shared->delayed.erase(op.get()) == 0) return;
                     op->awaiting_map = false;
                   }
                   go(std::move(op), step);
                 });
}

void HandleOutcome(OpRef op, absl::StatusOr<Reply> outcome) {
  Shared& shared = *op->shared;
  if (!outcome.ok() && shared.closed.load()) {
    Finish(*op, ClosedError());
    return;
  }
  const absl::Status status =
      outcome.ok() ? absl::OkStatus() : outcome.status();
  if (absl::IsCancelled(status)) {
    // On an open client only RefreshDone's pruning cancels commands: those
    // queued on a down connection to a node the new map no longer has,
    // never written. Route them again by that map, now.
    NextStep reroute;
    reroute.kind = NextStep::kReroute;
    Resend(std::move(op), std::move(reroute), status);
    return;
  }
  NextStep step = op->redirects.Next(status, op->node, shared.topology);
  // After Next(): MOVED, CLUSTERDOWN or a connection error have made the
  // topology want a refresh.
  if (!status.ok()) MaybeRefresh(shared);
  switch (step.kind) {
    case NextStep::kDone:
      if (step.status.ok()) {
        Finish(*op, std::move(outcome));
        return;
      }
      // The retry policy decides about connection errors (the command may
      // have run): route again, by the refreshed map once it arrives.
      if (shared.retry.IsRetryable(step.status)) {
        if (op->retry == nullptr) {
          op->retry = std::make_unique<RetryState>(shared.retry);
        }
        if (std::optional<absl::Duration> wait = op->retry->OnFailure();
            wait.has_value()) {
          NextStep reroute;
          reroute.kind = NextStep::kReroute;
          reroute.delay = *wait;
          // The map changed since this command was routed (e.g. its node
          // left it and was closed): no need to wait for the next change.
          if (shared.topology.map().get() == op->routed_by) {
            op->awaiting_map = true;
          } else {
            reroute.delay = absl::ZeroDuration();
          }
          Resend(std::move(op), std::move(reroute), step.status);
          return;
        }
      }
      Finish(*op, std::move(step.status));
      return;
    case NextStep::kSendTo:
    case NextStep::kReroute:
      shared.redirect_count.fetch_add(1, std::memory_order_relaxed);
      Resend(std::move(op), std::move(step), status);
      return;
  }
}

void Broadcast(OpRef op, std::vector<NodeAddress> targets) {
  struct Gather {
    OpRef op;
    std::vector<NodeReply> replies;
    std::atomic<size_t> remaining;

    void Done() {
      if (remaining.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
      std::unique_ptr<Gather> self(this);
      std::vector<CommandArg> args(op->args.begin(), op->args.end());
      Finish(*op, CombineReplies(args, replies));
    }
    static void OnNodeReply(void* ctx, void* aux,
                            absl::StatusOr<Reply> outcome) {
      auto* g = static_cast<Gather*>(ctx);
      g->replies[reinterpret_cast<uintptr_t>(aux)].reply = std::move(outcome);
      g->Done();
    }
  };
  // One count per node plus one for this loop, so that a node failing at
  // once cannot finish the gather while the loop still uses it.
  auto* g = new Gather{op, std::vector<NodeReply>(targets.size()),
                       targets.size() + 1};
  Shared& shared = *op->shared;
  for (size_t i = 0; i < targets.size(); ++i) {
    g->replies[i].node = targets[i].HostPort();
    g->replies[i].reply = ClosedError();
    NodeConnections c;
    if (absl::Status s = shared.ConnectionsFor(targets[i], false, &c);
        !s.ok()) {
      g->replies[i].reply = std::move(s);
      g->Done();
      continue;
    }
    const ReplySink sink{&Gather::OnNodeReply, g,
                         reinterpret_cast<void*>(static_cast<uintptr_t>(i))};
    c.connection->SubmitPacked(op->packed, absl::MakeConstSpan(&sink, 1));
  }
  g->Done();
}

// Routes by the current map (which exists).
void RouteOp(OpRef op) {
  Shared& shared = *op->shared;
  std::shared_ptr<const SlotMap> map = shared.topology.map();
  op->routed_by = map.get();
  const NodeAddress* target = nullptr;
  switch (op->route.kind) {
    case Route::kSlot:
      if (const Shard* shard = map->ShardForSlot(op->route.slot);
          shard != nullptr) {
        target =
            &ChooseNode(*shard, shared.options.read_from, op->route.read_only,
                        shared.counter.fetch_add(1, std::memory_order_relaxed),
                        shared.options.client_az);
      }
      break;
    case Route::kAnyNode:
      if (!map->shards().empty()) {
        const uint64_t n =
            shared.counter.fetch_add(1, std::memory_order_relaxed);
        target = &map->shards()[n % map->shards().size()].primary;
      }
      break;
    case Route::kAllPrimaries:
    case Route::kAllNodes:
      if (!map->shards().empty()) {
        std::vector<NodeAddress> targets =
            op->route.kind == Route::kAllPrimaries ? map->Primaries()
                                                   : map->AllNodes();
        Broadcast(std::move(op), std::move(targets));
        return;
      }
      break;
    case Route::kRefused:  // Dispatch refused it already.
      Finish(*op, op->route.refusal);
      return;
  }
  if (target == nullptr) {
    // As the server would say: CommandRedirects then marks the map stale
    // and routes again after a delay, within the redirect budget.
    absl::Status unserved = ServerError(
        absl::StrCat("CLUSTERDOWN Hash slot not served (slot ", op->route.slot,
                     " has no node in the client's map)"));
    HandleOutcome(std::move(op), std::move(unserved));
    return;
  }
  Send(std::move(op), *target, /*asking=*/false);
}

// Before the first map: waits for the refresh under way (starting one if
// none is), for at most connect_timeout.
void WaitForMap(OpRef op) {
  Shared& shared = *op->shared;
  RefreshRun* run = nullptr;
  absl::Status failed;
  bool wait = false;
  {
    absl::MutexLock lock(&shared.mu);
    if (shared.closed.load()) {
      failed = ClosedError();
    } else if (!shared.topology.has_map()) {
      run = shared.BeginRefreshLocked();
      if (shared.refreshing) {
        shared.pending.push_back(op);
        wait = true;
      } else {
        failed = !shared.last_refresh_error.ok()
                     ? shared.last_refresh_error
                     : ConnectionError("cluster: no topology yet");
      }
    }
  }
  if (!failed.ok()) {
    Finish(*op, std::move(failed));
    return;
  }
  if (!wait) {  // The map arrived meanwhile.
    RouteOp(std::move(op));
    return;
  }
  const absl::Duration timeout = shared.options.connection.connect_timeout;
  RunAfterOnLoop(shared.loop, timeout, [op, timeout]() mutable {
    Shared& shared = *op->shared;
    bool found = false;
    {
      absl::MutexLock lock(&shared.mu);
      for (auto it = shared.pending.begin(); it != shared.pending.end(); ++it) {
        if (it->get() == op.get()) {
          shared.pending.erase(it);
          found = true;
          break;
        }
      }
    }
    if (found) {
      Finish(*op, TimeoutError(absl::StrCat(
                      "cluster: no topology within connect_timeout (",
                      absl::FormatDuration(timeout), ")")));
    }
  });
  if (run != nullptr) RefreshNext(run);
}

// RefreshTopology() callers wait while refreshes are rate-limited: starts
// one as soon as min_refresh_interval allows.
void RefreshForWaiters(const std::weak_ptr<Shared>& weak) {
  std::shared_ptr<Shared> shared = weak.lock();
  if (shared == nullptr) return;
  RefreshRun* run = nullptr;
  bool again = false;
  {
    absl::MutexLock lock(&shared->mu);
    if (shared->closed.load() || shared->refresh_waiters.empty()) return;
    run = shared->BeginRefreshLocked(/*force=*/true);
    again = run == nullptr && !shared->refreshing;
  }
  if (run != nullptr) RefreshNext(run);
  if (again) {
    RunAfterOnLoop(shared->loop, shared->options.min_refresh_interval,
                   [weak] { RefreshForWaiters(weak); });
  }
}

// Every refresh_interval, a refresh if Topology wants one (it does once
// the map is that old): notices added replicas and nodes nobody was
// redirected to.
void ArmPeriodicRefresh(std::weak_ptr<Shared> weak, absl::Duration interval) {
  std::shared_ptr<Shared> shared = weak.lock();
  if (shared == nullptr || shared->closed.load()) return;
  shared->loop.RunAfter(interval, [weak, interval] {
    std::shared_ptr<Shared> shared = weak.lock();
    if (shared == nullptr || shared->closed.load()) return;
    MaybeRefresh(*shared);
    ArmPeriodicRefresh(weak, interval);
  });
}

// AsyncClusterClient::ReauthenticateAll, on the shared state so that the
// credential refresh (which may outlive the client object) can run it.
valkey::async::Future<ReauthResult> ReauthenticateNodes(
    std::shared_ptr<Shared> shared) {
  using valkey::async::Future;
  ReauthResult result;
  if (shared->closed.load()) {
    result.first_error = ClosedError();
    return Future<ReauthResult>::Resolved(std::move(result));
  }
  const std::shared_ptr<CredentialProvider>& provider =
      shared->options.connection.credentials;
  if (provider == nullptr) {
    result.first_error =
        MakeError(absl::StatusCode::kFailedPrecondition, ErrorKind::kNone,
                  "cluster: re-authenticate connections: no credential "
                  "provider configured");
    return Future<ReauthResult>::Resolved(std::move(result));
  }
  absl::StatusOr<Credentials> credentials = provider->GetCredentials();
  if (!credentials.ok()) {
    result.first_error =
        Annotate(credentials.status(),
                 "cluster: get credentials to re-authenticate connections");
    return Future<ReauthResult>::Resolved(std::move(result));
  }
  result.expires_at = credentials->expires_at;
  const HandshakePlan plan = HandshakePlan::CreateReauth(*credentials);
  std::vector<NodeConnections> nodes;
  {
    absl::ReaderMutexLock lock(&shared->mu);
    nodes.reserve(shared->nodes.size());
    for (const auto& [name, c] : shared->nodes) nodes.push_back(c);
  }
  int expected = 0;
  for (const auto& c : nodes) expected += c.pool != nullptr ? 2 : 1;
  auto tally = std::make_shared<valkey::async::ReauthTally>(
      shared->loop, expected, std::move(result));
  Future<ReauthResult> done = tally->TakeFuture();
  // The connection names its node in a refusal ("AUTH on host:port: ...").
  for (const NodeConnections& c : nodes) {
    valkey::async::SubmitReauth(
        *c.connection, plan,
        // Weak: the connection's own queue holds this callback.
        [tally, weak_connection = std::weak_ptr<Connection>(c.connection),
         weak = std::weak_ptr<Shared>(shared)](absl::Status status) {
          // Refused: it still has the old identity, which the caller just
          // tried to leave; reconnecting takes the provider's current one.
          std::shared_ptr<Shared> alive = weak.lock();
          std::shared_ptr<Connection> connection = weak_connection.lock();
          if (!status.ok() && alive != nullptr && !alive->closed.load() &&
              connection != nullptr) {
            connection->Reconnect("re-authentication failed");
          }
          tally->Add(status);
        });
    if (c.pool != nullptr) {
      c.pool->ReauthenticateAll(*credentials)
          .Then([tally](absl::StatusOr<ReauthResult> pool_result) {
            if (pool_result.ok()) {
              tally->AddAll(*pool_result);
              return;
            }
            ReauthResult failed;
            failed.first_error = pool_result.status();
            tally->AddAll(failed);
          });
    }
  }
  return done;
}

}  // namespace async_cluster_internal

using async_cluster_internal::Op;
using async_cluster_internal::OpRef;
using async_cluster_internal::Shared;
using ::valkey::async::Connection;
using ::valkey::async::CredentialRefreshTimer;

absl::StatusOr<std::unique_ptr<AsyncClusterClient>> AsyncClusterClient::Create(
    valkey::async::EventLoop& loop, ClusterOptions options) {
  absl::StatusOr<std::vector<NodeAddress>> seeds = CheckClusterOptions(options);
  if (!seeds.ok()) return seeds.status();
  const bool readonly = options.read_from != ReadPolicy::kPrimary;
  auto shared =
      std::make_shared<Shared>(loop, std::move(options), *std::move(seeds));
  if (readonly) shared->node_async.setup_commands = {{"READONLY"}};
  shared->pool_async.setup_commands = shared->node_async.setup_commands;
  // A lost exclusive connection loses what its command waited for.
  shared->pool_async.keep_unwritten_on_loss = false;

  async_cluster_internal::MaybeRefresh(*shared);
  const absl::Duration interval = shared->options.refresh_interval;
  if (interval != absl::InfiniteDuration()) {
    std::weak_ptr<Shared> weak = shared;
    auto arm = [weak, interval] {
      async_cluster_internal::ArmPeriodicRefresh(weak, interval);
    };
    if (loop.InLoopThread()) {
      arm();
    } else {
      loop.Post(arm);
    }
  }
  return std::unique_ptr<AsyncClusterClient>(
      new AsyncClusterClient(loop, std::move(shared)));
}

AsyncClusterClient::AsyncClusterClient(valkey::async::EventLoop& loop,
                                       std::shared_ptr<Shared> shared)
    : loop_(loop), shared_(std::move(shared)) {}

AsyncClusterClient::~AsyncClusterClient() { Close(); }

std::shared_ptr<const SlotMap> AsyncClusterClient::slot_map() const {
  return shared_->topology.map();
}

const ClusterOptions& AsyncClusterClient::options() const {
  return shared_->options;
}

valkey::async::Future<void> AsyncClusterClient::RefreshTopology() {
  using valkey::async::Future;
  if (shared_->closed.load()) {
    return Future<void>::Resolved(async_cluster_internal::ClosedError());
  }
  valkey::async::Promise<void> promise(&loop_);
  Future<void> future = promise.GetFuture();
  async_cluster_internal::RefreshRun* run = nullptr;
  bool rate_limited = false;
  {
    absl::MutexLock lock(&shared_->mu);
    if (shared_->closed.load()) {
      promise.Set(async_cluster_internal::ClosedError());
      return future;
    }
    shared_->refresh_waiters.push_back(std::move(promise));
    run = shared_->BeginRefreshLocked(/*force=*/true);
    rate_limited = run == nullptr && !shared_->refreshing;
  }
  if (run != nullptr) async_cluster_internal::RefreshNext(run);
  if (rate_limited) {
    async_cluster_internal::RunAfterOnLoop(
        loop_, shared_->options.min_refresh_interval,
        [weak = std::weak_ptr<Shared>(shared_)] {
          async_cluster_internal::RefreshForWaiters(weak);
        });
  }
  return future;
}

int64_t AsyncClusterClient::redirects() const {
  return shared_->redirect_count.load(std::memory_order_relaxed);
}

int64_t AsyncClusterClient::topology_refreshes() const {
  return shared_->topology.refreshes();
}

valkey::async::Future<ReauthResult> AsyncClusterClient::ReauthenticateAll() {
  return async_cluster_internal::ReauthenticateNodes(shared_);
}

absl::Status AsyncClusterClient::EnableCredentialRefresh(
    CredentialRefreshOptions options) {
  absl::MutexLock lock(&refresh_mu_);
  if (shared_->closed.load()) return async_cluster_internal::ClosedError();
  if (refresh_ != nullptr) {
    return MakeError(absl::StatusCode::kFailedPrecondition, ErrorKind::kNone,
                     "credential refresh is already enabled on this cluster "
                     "client");
  }
  // The timer keeps the shared state (not the client) alive, so a round
  // under way when the client goes finishes safely.
  absl::StatusOr<std::shared_ptr<CredentialRefreshTimer>> timer =
      CredentialRefreshTimer::Start(
          loop_, shared_->options.connection.credentials,
          [shared = shared_] {
            return async_cluster_internal::ReauthenticateNodes(shared);
          },
          std::move(options));
  if (!timer.ok()) return timer.status();
  refresh_ = *std::move(timer);
  return absl::OkStatus();
}

CredentialRefreshStats AsyncClusterClient::credential_refresh_stats() const {
  absl::MutexLock lock(&refresh_mu_);
  return refresh_ != nullptr ? refresh_->stats() : CredentialRefreshStats();
}

void AsyncClusterClient::Close() {
  const bool was_closed = shared_->closed.exchange(true);
  // After `closed` is set: EnableCredentialRefresh checks it under
  // refresh_mu_, so no timer can start once this has taken it.
  std::shared_ptr<CredentialRefreshTimer> timer;
  {
    absl::MutexLock lock(&refresh_mu_);
    timer = std::move(refresh_);
  }
  if (timer != nullptr) timer->Stop();
  if (was_closed) return;
  std::vector<OpRef> ops;
  std::vector<async_cluster_internal::NodeConnections> nodes;
  std::vector<std::shared_ptr<async_cluster_internal::LeaseBox>> leases;
  std::vector<valkey::async::Promise<void>> waiters;
  {
    absl::MutexLock lock(&shared_->mu);
    waiters.swap(shared_->refresh_waiters);
    ops.swap(shared_->pending);
    for (auto& [op, ref] : shared_->delayed) ops.push_back(std::move(ref));
    shared_->delayed.clear();
    for (auto& [name, c] : shared_->nodes) nodes.push_back(std::move(c));
    shared_->nodes.clear();
    for (auto& [op, entry] : shared_->leased) {
      ops.push_back(std::move(entry.first));
      leases.push_back(std::move(entry.second));
    }
    shared_->leased.clear();
  }
  for (OpRef& op : ops) {
    async_cluster_internal::Finish(*op, async_cluster_internal::ClosedError());
  }
  for (auto& p : waiters) p.Set(async_cluster_internal::ClosedError());
  for (auto& box : leases) box->lease.connection().Close();
  // Commands in flight fail with CANCELLED here, which their sinks turn
  // into UNAVAILABLE (closed).
  for (auto& c : nodes) {
    c.connection->Close();
    if (c.pool != nullptr) c.pool->Close();
  }
}

void AsyncClusterClient::Dispatch(
    absl::Span<const CommandArg> args, valkey::async::ReplySink sink,
    std::optional<absl::Duration> server_timeout) {
  if (!loop_.InOwnerProcess()) {
    sink.fn(sink.ctx, sink.aux, loop_.CheckOwnerProcess());
    return;
  }
  if (absl::Status refused = CheckOneReplyPerCommand(args); !refused.ok()) {
    sink.fn(sink.ctx, sink.aux, std::move(refused));
    return;
  }
  Route route = RouteCommand(args);
  if (route.kind == Route::kRefused) {
    if (shared_->options.split_multi_key &&
        GetErrorKind(route.refusal) == ErrorKind::kCrossSlot &&
        IsSplittable(absl::AsciiStrToUpper(args[0].view()))) {
      DispatchSplit(args, sink);
      return;
    }
    sink.fn(sink.ctx, sink.aux, std::move(route.refusal));
    return;
  }
  if (shared_->closed.load()) {
    sink.fn(sink.ctx, sink.aux, async_cluster_internal::ClosedError());
    return;
  }
  OpRef op = OpRef::Adopt(new Op(shared_->options.max_redirects));
  op->shared = shared_;
  op->sink = sink;
  op->route = std::move(route);
  AppendCommandArgs(op->packed, args);
  if (op->route.kind == Route::kAllPrimaries ||
      op->route.kind == Route::kAllNodes) {
    op->args.reserve(args.size());
    for (const CommandArg& a : args) op->args.emplace_back(a.view());
  }
  if (server_timeout.has_value()) {
    op->blocking = true;
    op->extra_wait = valkey::async::BlockingExtraWait(server_timeout);
  }
  // Each attempt is bounded by the connection (socket_timeout plus a
  // blocking command's own time-out); the whole command by this many.
  const absl::Duration per_attempt =
      shared_->options.connection.socket_timeout + op->extra_wait;
  if (per_attempt != absl::InfiniteDuration()) {
    op->deadline =
        absl::Now() + per_attempt * (shared_->options.max_redirects + 1);
  }
  if (shared_->topology.has_map()) {
    async_cluster_internal::RouteOp(std::move(op));
  } else {
    async_cluster_internal::WaitForMap(std::move(op));
  }
}

// A cross-slot multi-key command: every slot's part is dispatched at once,
// each as its own command (own redirects, own retries, and the deadline
// Dispatch gives it, so the whole split is bounded by one command's). The
// last part to answer merges the replies and answers the caller.
void AsyncClusterClient::DispatchSplit(absl::Span<const CommandArg> args,
                                       valkey::async::ReplySink sink) {
  struct Gather {
    // The plan views `owned`, which must not move: Gather is heap-only.
    std::vector<std::string> owned;
    SplitPlan plan;
    std::vector<NodeReply> replies;
    std::shared_ptr<async_cluster_internal::Shared> shared;
    valkey::async::ReplySink sink;
    std::atomic<size_t> remaining{0};

    void Done() {
      if (remaining.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
      std::unique_ptr<Gather> self(this);
      std::shared_ptr<const SlotMap> map = shared->topology.map();
      for (size_t i = 0; i < replies.size(); ++i) {
        const Shard* shard =
            map == nullptr ? nullptr : map->ShardForSlot(plan.parts[i].slot);
        replies[i].node =
            shard == nullptr ? "no node" : shard->primary.HostPort();
      }
      sink.fn(sink.ctx, sink.aux, MergeSplit(plan, replies));
    }
    static void OnPart(void* ctx, void* aux, absl::StatusOr<Reply> outcome) {
      auto* g = static_cast<Gather*>(ctx);
      g->replies[reinterpret_cast<uintptr_t>(aux)].reply = std::move(outcome);
      g->Done();
    }
  };
  auto g = std::make_unique<Gather>();
  g->owned.reserve(args.size());
  for (const CommandArg& a : args) g->owned.emplace_back(a.view());
  std::vector<CommandArg> views(g->owned.begin(), g->owned.end());
  absl::StatusOr<SplitPlan> plan = PlanSplit(views);
  if (!plan.ok()) {
    sink.fn(sink.ctx, sink.aux, plan.status());
    return;
  }
  g->plan = *std::move(plan);
  g->shared = shared_;
  g->sink = sink;
  const size_t n = g->plan.parts.size();
  for (size_t i = 0; i < n; ++i) {
    g->replies.push_back({"", async_cluster_internal::ClosedError()});
  }
  // One count per part plus one for this loop, so that a part answered at
  // once cannot free the gather while the loop still reads its plan.
  g->remaining.store(n + 1, std::memory_order_relaxed);
  Gather* gather = g.release();
  for (size_t i = 0; i < n; ++i) {
    Dispatch(gather->plan.parts[i].args,
             valkey::async::ReplySink{
                 &Gather::OnPart, gather,
                 reinterpret_cast<void*>(static_cast<uintptr_t>(i))},
             std::nullopt);
  }
  gather->Done();
}

}  // namespace cluster
}  // namespace valkey

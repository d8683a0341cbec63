#include "valkey/cluster/async_sharded_subscriber.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "valkey/async/event_loop.h"
#include "valkey/async/pubsub.h"
#include "valkey/cluster/shard_channel_groups.h"
#include "valkey/common/config.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace cluster {
namespace async_sharded_internal {

using ::valkey::async::EventLoop;
using ::valkey::async::Future;
using ::valkey::async::Promise;

absl::Status ClosedError() {
  return absl::FailedPreconditionError("async sharded subscriber is closed");
}

template <typename Set>
std::vector<std::string> Sorted(const Set& set) {
  std::vector<std::string> out(set.begin(), set.end());
  std::sort(out.begin(), out.end());
  return out;
}

struct Node {
  std::shared_ptr<valkey::async::PubSub> pubsub;
  absl::flat_hash_set<std::string> channels;  // Confirmed here.
  int inflight = 0;  // SSUBSCRIBE groups not answered (or timed out) yet.
};

// One pass over a set of channels: one SSUBSCRIBE per slot group.
struct Attempt {
  struct Group {
    std::string node;
    bool counted = false;  // Its node's `inflight` was given back.
  };
  std::vector<std::shared_ptr<Group>> groups;
  int outstanding = 0;
  bool finished = false;
  absl::Status hard;  // The first non-retryable error.
  absl::Status soft;  // The last retryable one.
  EventLoop::TimerId timer = 0;
  std::function<void(absl::Status hard, absl::Status soft)> done;

  void Record(const absl::Status& s) {
    if (IsResubscribeRetryable(s)) {
      soft = s;
    } else if (hard.ok()) {
      hard = s;
    }
  }
};

// One SSubscribe call, retried until confirmed or its deadline.
struct Call {
  Call(absl::Duration initial, absl::Duration max) : backoff(initial, max) {}
  std::vector<std::string> channels;
  std::vector<std::string> added;  // Not subscribed before this call.
  absl::Time deadline;
  ResubscribeBackoff backoff;
  Promise<void> promise;
  bool finished = false;
};

// Everything below runs on the loop's thread, except the accessors and
// Close(). State is written there under `mu` (so accessors on other threads
// may read it) and read there freely.
struct Impl : std::enable_shared_from_this<Impl> {
  using Options = AsyncShardedSubscriber::Options;

  Impl(AsyncClusterClient& c, Options o)
      : cluster(c),
        loop(c.loop()),
        options(std::move(o)),
        backoff(options.resubscribe_initial_backoff,
                options.resubscribe_max_backoff) {}

  AsyncClusterClient& cluster;
  EventLoop& loop;
  const Options options;
  std::atomic<bool> closed{false};

  mutable absl::Mutex mu;
  std::map<std::string, Node> nodes;                       // "host:port".
  absl::flat_hash_map<std::string, std::string> placed;   // Channel → node.
  absl::flat_hash_set<std::string> wanted;   // Every subscribed channel.
  absl::flat_hash_set<std::string> pending;  // Waiting to move.
  int64_t resubscriptions = 0;

  // Loop-only.
  ResubscribeBackoff backoff;
  bool resubscribing = false;
  bool again = false;  // Something moved while a resubscription ran.
  bool timer_armed = false;
  EventLoop::TimerId timer = 0;
  int64_t resubscriptions_at_start = 0;
  absl::flat_hash_set<std::shared_ptr<Call>> calls;

  // Runs `fn` on the loop's thread unless closed (futures of the cluster
  // client may resolve elsewhere, e.g. on a thread calling its Close()).
  template <typename Fn>
  static void OnLoop(const std::weak_ptr<Impl>& weak, Fn fn) {
    std::shared_ptr<Impl> self = weak.lock();
    if (self == nullptr || self->closed.load()) return;
    if (self->loop.InLoopThread()) {
      fn(*self);
      return;
    }
    self->loop.Post([weak, fn = std::move(fn)]() mutable {
      std::shared_ptr<Impl> self = weak.lock();
      if (self == nullptr || self->closed.load()) return;
      fn(*self);
    });
  }

  // ---- Nodes ----

  absl::StatusOr<Node*> NodeFor(const NodeAddress& address) {
    const std::string key = address.HostPort();
    auto it = nodes.find(key);
    if (it != nodes.end()) return &it->second;
    ConnectionOptions o = cluster.options().connection;
    o.host = address.host;
    o.port = address.port;
    valkey::async::PubSubHandlers h;
    std::weak_ptr<Impl> weak = weak_from_this();
    h.on_message = [weak, key](absl::string_view channel,
                               absl::string_view payload) {
      std::shared_ptr<Impl> self = weak.lock();
      if (self != nullptr) self->OnMessage(key, channel, payload);
    };
    h.on_sunsubscribed = [weak, key](absl::string_view channel) {
      OnLoop(weak, [key, channel = std::string(channel)](Impl& self) {
        self.OnServerDropped(key, channel);
      });
    };
    h.on_disconnected = [weak](const absl::Status&) {
      OnLoop(weak, [](Impl& self) { self.OnNodeDisconnected(); });
    };
    absl::StatusOr<std::unique_ptr<valkey::async::PubSub>> pubsub =
        valkey::async::PubSub::Create(loop, o, std::move(h));
    if (!pubsub.ok()) return Annotate(pubsub.status(), key);
    absl::MutexLock lock(&mu);
    Node& node = nodes[key];
    node.pubsub = std::shared_ptr<valkey::async::PubSub>(pubsub->release());
    return &node;
  }

  // Closes the node's connection when nothing is left on it. Destruction
  // waits for the end of the turn: this may run inside its own hooks.
  void MaybeDropNode(const std::string& key) {
    auto it = nodes.find(key);
    if (it == nodes.end()) return;
    if (!it->second.channels.empty() || it->second.inflight > 0) return;
    std::shared_ptr<valkey::async::PubSub> doomed = std::move(it->second.pubsub);
    {
      absl::MutexLock lock(&mu);
      nodes.erase(it);
    }
    loop.Defer([doomed = std::move(doomed)]() mutable { doomed.reset(); });
  }

  void Place(const std::string& channel, const std::string& key) {
    absl::MutexLock lock(&mu);
    placed[channel] = key;
    nodes[key].channels.insert(channel);
    if (pending.erase(channel) > 0) ++resubscriptions;
  }

  // ---- Events from the nodes ----

  void OnMessage(const std::string& key, absl::string_view channel,
                 absl::string_view payload) {
    if (closed.load()) return;
    if (!wanted.contains(channel)) return;  // Unsubscribed meanwhile.
    auto it = placed.find(channel);
    // A demoted primary may still relay the shard's messages: one node per
    // channel speaks.
    if (it != placed.end() && it->second != key) return;
    options.handler(channel, payload);
  }

  void OnServerDropped(const std::string& key, const std::string& channel) {
    auto it = placed.find(channel);
    if (it == placed.end() || it->second != key) return;
    {
      absl::MutexLock lock(&mu);
      placed.erase(it);
      nodes[key].channels.erase(channel);
      if (wanted.contains(channel)) pending.insert(channel);
    }
    MaybeDropNode(key);
    ScheduleResubscribe(absl::ZeroDuration(), /*urgent=*/true);
  }

  void OnNodeDisconnected() {
    ScheduleResubscribe(options.resubscribe_initial_backoff, /*urgent=*/false);
  }

  // ---- Attempts ----

  // Subscribes those of `channels` still wanted and not confirmed, by the
  // current map; `done` gets the errors once every group answered or
  // attempt_timeout passed.
  void RunAttempt(const std::vector<std::string>& channels,
                  std::function<void(absl::Status, absl::Status)> done) {
    auto at = std::make_shared<Attempt>();
    at->done = std::move(done);
    std::vector<std::string> todo;
    for (const std::string& c : channels) {
      if (wanted.contains(c) && !placed.contains(c)) todo.push_back(c);
    }
    if (todo.empty()) {
      at->done(absl::OkStatus(), absl::OkStatus());
      return;
    }
    std::shared_ptr<const SlotMap> map = cluster.slot_map();
    absl::StatusOr<std::vector<NodeChannels>> plan =
        GroupShardChannels(*map, todo);
    if (!plan.ok()) {
      at->done(absl::OkStatus(), plan.status());  // UNAVAILABLE: retryable.
      return;
    }
    at->outstanding = 1;  // Held until every group is sent.
    std::weak_ptr<Impl> weak = weak_from_this();
    for (const NodeChannels& target : *plan) {
      absl::StatusOr<Node*> node = NodeFor(target.node);
      if (!node.ok()) {
        at->Record(node.status());
        continue;
      }
      const std::string key = target.node.HostPort();
      for (const std::vector<std::string>& group : target.slot_groups) {
        auto g = std::make_shared<Attempt::Group>();
        g->node = key;
        at->groups.push_back(g);
        ++at->outstanding;
        {
          absl::MutexLock lock(&mu);
          ++(*node)->inflight;
        }
        (*node)->pubsub->SSubscribe(group).Then(
            [weak, at, g, group](absl::Status s) {
              OnLoop(weak, [at, g, group, s](Impl& self) {
                self.OnGroup(*at, *g, group, s);
              });
            });
      }
    }
    at->timer = loop.RunAfter(options.attempt_timeout, [weak, at] {
      OnLoop(weak, [at](Impl& self) { self.OnAttemptTimeout(*at); });
    });
    if (--at->outstanding == 0) FinishAttempt(*at);
  }

  void GiveBack(Attempt::Group& g) {
    if (g.counted) return;
    g.counted = true;
    auto it = nodes.find(g.node);
    if (it == nodes.end()) return;
    {
      absl::MutexLock lock(&mu);
      --it->second.inflight;
    }
  }

  void OnGroup(Attempt& at, Attempt::Group& g,
               const std::vector<std::string>& group, const absl::Status& s) {
    GiveBack(g);
    auto node = nodes.find(g.node);
    if (s.ok() && node != nodes.end()) {
      // Also after the attempt timed out: a late confirmation still counts.
      std::vector<std::string> unwanted;
      for (const std::string& channel : group) {
        auto p = placed.find(channel);
        if (!wanted.contains(channel) ||
            (p != placed.end() && p->second != g.node)) {
          unwanted.push_back(channel);  // Unsubscribed, or placed elsewhere.
        } else if (p == placed.end()) {
          Place(channel, g.node);
        }
      }
      // Fire and forget: a failed SUNSUBSCRIBE leaves a channel nobody
      // handles, whose messages are dropped; the node is closed when idle.
      if (!unwanted.empty()) (void)node->second.pubsub->SUnsubscribe(unwanted);
    } else if (!s.ok() && !at.finished) {
      at.Record(s);
    }
    MaybeDropNode(g.node);
    if (!at.finished && --at.outstanding == 0) FinishAttempt(at);
  }

  void OnAttemptTimeout(Attempt& at) {
    if (at.finished) return;
    at.Record(TimeoutError(absl::StrCat(
        "sharded pub/sub: SSUBSCRIBE not confirmed within attempt_timeout (",
        absl::FormatDuration(options.attempt_timeout), ")")));
    // A node that never answers (dead, reconnecting) must not stay pinned.
    for (const std::shared_ptr<Attempt::Group>& g : at.groups) {
      if (g->counted) continue;
      GiveBack(*g);
      MaybeDropNode(g->node);
    }
    at.timer = 0;
    FinishAttempt(at);
  }

  void FinishAttempt(Attempt& at) {
    at.finished = true;
    if (at.timer != 0) loop.Cancel(at.timer);
    auto done = std::move(at.done);
    done(at.hard, at.soft);
  }

  // ---- SSubscribe calls ----

  void StartCall(std::shared_ptr<Call> call) {
    if (closed.load()) {
      call->promise.Set(ClosedError());
      return;
    }
    {
      absl::MutexLock lock(&mu);
      for (const std::string& c : call->channels) {
        if (wanted.insert(c).second) call->added.push_back(c);
      }
    }
    calls.insert(call);
    CallAttempt(std::move(call));
  }

  void CallAttempt(std::shared_ptr<Call> call) {
    std::weak_ptr<Impl> weak = weak_from_this();
    RunAttempt(call->channels, [weak, call](absl::Status hard,
                                            absl::Status soft) {
      OnLoop(weak, [call, hard, soft](Impl& self) {
        self.AfterCallAttempt(call, hard, soft);
      });
    });
  }

  void AfterCallAttempt(const std::shared_ptr<Call>& call,
                        const absl::Status& hard, absl::Status soft) {
    if (call->finished) return;
    bool all = true;
    for (const std::string& c : call->channels) {
      if (wanted.contains(c) && !placed.contains(c)) all = false;
    }
    if (all) return FinishCall(call, absl::OkStatus());
    if (!hard.ok()) return FinishCall(call, hard);
    if (soft.ok()) {
      // Confirmed, then dropped by the server at once (a slot moving).
      soft = absl::UnavailableError("sharded pub/sub: channel moved");
    }
    const absl::Duration delay = call->backoff.Next();
    if (absl::Now() + delay >= call->deadline) {
      return FinishCall(
          call, absl::DeadlineExceededError(absl::StrCat(
                    "SSUBSCRIBE: not confirmed within subscribe_timeout (",
                    absl::FormatDuration(options.subscribe_timeout),
                    "); last error: ", soft.ToString())));
    }
    std::weak_ptr<Impl> weak = weak_from_this();
    cluster.RefreshTopology().Then([weak, call, delay](absl::Status) {
      OnLoop(weak, [weak, call, delay](Impl& self) {
        self.loop.RunAfter(delay, [weak, call] {
          OnLoop(weak, [call](Impl& self) {
            if (!call->finished) self.CallAttempt(call);
          });
        });
      });
    });
  }

  void FinishCall(const std::shared_ptr<Call>& call, const absl::Status& s) {
    call->finished = true;
    calls.erase(call);
    if (!s.ok()) {
      absl::MutexLock lock(&mu);
      for (const std::string& c : call->added) {
        if (placed.contains(c)) continue;
        wanted.erase(c);
        pending.erase(c);
      }
    }
    call->promise.Set(s);
  }

  // ---- Following the cluster ----

  // `urgent`: something certainly moved (a server sunsubscribe): run now
  // even if a backed-off check is armed.
  void ScheduleResubscribe(absl::Duration delay, bool urgent) {
    if (closed.load()) return;
    if (resubscribing) {
      again = again || urgent;
      return;
    }
    if (timer_armed) {
      if (!urgent) return;
      loop.Cancel(timer);
    }
    timer_armed = true;
    std::weak_ptr<Impl> weak = weak_from_this();
    timer = loop.RunAfter(delay, [weak] {
      OnLoop(weak, [](Impl& self) { self.Resubscribe(); });
    });
  }

  void Resubscribe() {
    timer_armed = false;
    resubscribing = true;
    again = false;
    resubscriptions_at_start = resubscriptions;
    std::weak_ptr<Impl> weak = weak_from_this();
    cluster.RefreshTopology().Then([weak](absl::Status) {
      OnLoop(weak, [](Impl& self) { self.AfterRefresh(); });
    });
  }

  void AfterRefresh() {
    std::shared_ptr<const SlotMap> map = cluster.slot_map();
    if (!map->shards().empty()) {
      // Subscriptions whose slot another primary serves now move; their old
      // node must forget them, or its PubSub would resubscribe them there.
      std::map<std::string, std::vector<std::string>> by_node;
      {
        absl::MutexLock lock(&mu);
        for (const std::string& c : ChannelsToMove(*map, placed)) {
          const std::string key = placed[c];
          placed.erase(c);
          nodes[key].channels.erase(c);
          pending.insert(c);
          by_node[key].push_back(c);
        }
      }
      for (auto& [key, names] : by_node) {
        auto it = nodes.find(key);
        if (it != nodes.end() && it->second.pubsub->connection().connected()) {
          (void)it->second.pubsub->SUnsubscribe(names);  // Fire and forget.
        }
        MaybeDropNode(key);
      }
    }
    bool down = false;  // A node keeps channels but has no connection.
    for (const auto& [key, node] : nodes) {
      if (!node.channels.empty() && !node.pubsub->connection().connected()) {
        down = true;
      }
    }
    if (pending.empty()) return FinishResubscribe(absl::OkStatus(), down);
    std::weak_ptr<Impl> weak = weak_from_this();
    RunAttempt(Sorted(pending), [weak, down](absl::Status hard,
                                             absl::Status soft) {
      OnLoop(weak, [hard, soft, down](Impl& self) {
        self.FinishResubscribe(hard.ok() ? soft : hard, down);
      });
    });
  }

  void FinishResubscribe(const absl::Status& status, bool down) {
    resubscribing = false;
    if (!pending.empty()) {
      if (options.on_status) {
        options.on_status(
            status.ok() ? absl::UnavailableError(
                              "sharded pub/sub: channels still pending")
                        : status,
            Sorted(pending));
      }
      ScheduleResubscribe(backoff.Next(), /*urgent=*/false);
      return;
    }
    if (down) {
      ScheduleResubscribe(backoff.Next(), /*urgent=*/false);
      return;
    }
    backoff.Reset();
    if (resubscriptions > resubscriptions_at_start && !again) {
      // Something moved: check once more, later, that the map it was placed
      // by was not stale (a demoted primary accepts SSUBSCRIBE as a
      // replica of the shard, so a stale map goes unnoticed otherwise).
      ScheduleResubscribe(options.resubscribe_max_backoff, /*urgent=*/false);
      return;
    }
    if (again) ScheduleResubscribe(absl::ZeroDuration(), /*urgent=*/true);
  }

  // ---- SUnsubscribe and Close ----

  void Unsubscribe(std::vector<std::string> names, Promise<void> promise) {
    if (closed.load()) {
      promise.Set(ClosedError());
      return;
    }
    if (names.empty()) names.assign(wanted.begin(), wanted.end());
    std::map<std::string, std::vector<std::string>> by_node;
    {
      absl::MutexLock lock(&mu);
      for (const std::string& c : names) {
        wanted.erase(c);
        pending.erase(c);
        auto p = placed.find(c);
        if (p == placed.end()) continue;
        by_node[p->second].push_back(c);
        nodes[p->second].channels.erase(c);
        placed.erase(p);
      }
    }
    struct Gather {
      int outstanding = 1;
      absl::Status first;
      Promise<void> promise;
    };
    auto gather = std::make_shared<Gather>();
    gather->promise = std::move(promise);
    auto finish_one = [](Gather& g) {
      if (--g.outstanding == 0) g.promise.Set(g.first);
    };
    std::weak_ptr<Impl> weak = weak_from_this();
    for (auto& [key, list] : by_node) {
      auto it = nodes.find(key);
      if (it == nodes.end()) continue;
      if (!it->second.pubsub->connection().connected()) {
        // Nothing to tell a node we cannot reach; dropping it is enough.
        MaybeDropNode(key);
        continue;
      }
      ++gather->outstanding;
      it->second.pubsub->SUnsubscribe(list).Then(
          [weak, gather, key = key, finish_one](absl::Status s) {
            if (!s.ok() && gather->first.ok()) gather->first = s;
            std::shared_ptr<Impl> self = weak.lock();
            if (self == nullptr || self->closed.load()) {
              if (gather->first.ok()) gather->first = ClosedError();
              finish_one(*gather);
              return;
            }
            OnLoop(weak, [key](Impl& self) { self.MaybeDropNode(key); });
            finish_one(*gather);
          });
    }
    finish_one(*gather);
  }

  void CloseOnLoop() {
    if (timer_armed) loop.Cancel(timer);
    timer_armed = false;
    std::vector<std::shared_ptr<Call>> failed(calls.begin(), calls.end());
    calls.clear();
    std::vector<std::shared_ptr<valkey::async::PubSub>> doomed;
    {
      absl::MutexLock lock(&mu);
      for (auto& [key, node] : nodes) doomed.push_back(std::move(node.pubsub));
      nodes.clear();
      placed.clear();
      wanted.clear();
      pending.clear();
    }
    for (const std::shared_ptr<Call>& call : failed) {
      call->finished = true;
      call->promise.Set(ClosedError());
    }
    if (!doomed.empty()) {
      loop.Defer([doomed = std::move(doomed)]() mutable { doomed.clear(); });
    }
  }
};

}  // namespace async_sharded_internal

using async_sharded_internal::Impl;

absl::StatusOr<std::unique_ptr<AsyncShardedSubscriber>>
AsyncShardedSubscriber::Create(AsyncClusterClient& cluster, Options options) {
  if (!options.handler) {
    return absl::InvalidArgumentError(
        "AsyncShardedSubscriber: handler is required");
  }
  if (options.subscribe_timeout <= absl::ZeroDuration() ||
      options.attempt_timeout <= absl::ZeroDuration() ||
      options.resubscribe_initial_backoff <= absl::ZeroDuration() ||
      options.resubscribe_max_backoff <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "AsyncShardedSubscriber: subscribe_timeout, attempt_timeout and the "
        "resubscribe backoffs must be positive");
  }
  return std::unique_ptr<AsyncShardedSubscriber>(new AsyncShardedSubscriber(
      std::make_shared<Impl>(cluster, std::move(options))));
}

AsyncShardedSubscriber::AsyncShardedSubscriber(std::shared_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

AsyncShardedSubscriber::~AsyncShardedSubscriber() { Close(); }

valkey::async::Future<void> AsyncShardedSubscriber::SSubscribe(
    absl::Span<const std::string> channels) {
  using valkey::async::Future;
  if (channels.empty()) {
    return Future<void>::Resolved(
        absl::InvalidArgumentError("SSUBSCRIBE needs at least one channel"));
  }
  for (const std::string& c : channels) {
    if (c.empty()) {
      return Future<void>::Resolved(
          absl::InvalidArgumentError("SSUBSCRIBE: empty channel name"));
    }
  }
  if (impl_->closed.load()) {
    return Future<void>::Resolved(async_sharded_internal::ClosedError());
  }
  const Impl::Options& o = impl_->options;
  auto call = std::make_shared<async_sharded_internal::Call>(
      o.resubscribe_initial_backoff, o.resubscribe_max_backoff);
  absl::flat_hash_set<absl::string_view> seen;
  for (const std::string& c : channels) {
    if (seen.insert(c).second) call->channels.push_back(c);
  }
  call->deadline = absl::Now() + o.subscribe_timeout;
  call->promise = valkey::async::Promise<void>(&impl_->loop);
  Future<void> future = call->promise.GetFuture();
  std::weak_ptr<Impl> weak = impl_;
  impl_->loop.Post([weak, call]() mutable {
    std::shared_ptr<Impl> self = weak.lock();
    if (self == nullptr) {
      call->promise.Set(async_sharded_internal::ClosedError());
      return;
    }
    self->StartCall(std::move(call));
  });
  return future;
}

valkey::async::Future<void> AsyncShardedSubscriber::SUnsubscribe(
    absl::Span<const std::string> channels) {
  using valkey::async::Future;
  if (impl_->closed.load()) {
    return Future<void>::Resolved(async_sharded_internal::ClosedError());
  }
  valkey::async::Promise<void> promise(&impl_->loop);
  Future<void> future = promise.GetFuture();
  std::weak_ptr<Impl> weak = impl_;
  impl_->loop.Post([weak, names = std::vector<std::string>(
                              channels.begin(), channels.end()),
                    promise = std::move(promise)]() mutable {
    std::shared_ptr<Impl> self = weak.lock();
    if (self == nullptr) {
      promise.Set(async_sharded_internal::ClosedError());
      return;
    }
    self->Unsubscribe(std::move(names), std::move(promise));
  });
  return future;
}

void AsyncShardedSubscriber::Close() {
  if (impl_->closed.exchange(true)) return;
  if (impl_->loop.InLoopThread()) {
    impl_->CloseOnLoop();
    return;
  }
  // Waits, so that no handler runs once Close() has returned.
  absl::Notification done;
  impl_->loop.Post([impl = impl_, &done] {
    impl->CloseOnLoop();
    done.Notify();
  });
  done.WaitForNotification();
}

std::vector<std::string> AsyncShardedSubscriber::channels() const {
  absl::MutexLock lock(&impl_->mu);
  return async_sharded_internal::Sorted(impl_->wanted);
}

std::vector<std::string> AsyncShardedSubscriber::pending() const {
  absl::MutexLock lock(&impl_->mu);
  return async_sharded_internal::Sorted(impl_->pending);
}

absl::flat_hash_map<std::string, std::string>
AsyncShardedSubscriber::placement() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->placed;
}

int AsyncShardedSubscriber::nodes() const {
  absl::MutexLock lock(&impl_->mu);
  return static_cast<int>(impl_->nodes.size());
}

int64_t AsyncShardedSubscriber::resubscriptions() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->resubscriptions;
}

bool AsyncShardedSubscriber::closed() const { return impl_->closed.load(); }

}  // namespace cluster
}  // namespace valkey

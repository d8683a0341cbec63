#include "valkey/cluster/sharded_subscriber.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "valkey/cluster/key_slot.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace cluster {
namespace {

absl::Status ClosedError() {
  return absl::FailedPreconditionError("sharded subscriber is closed");
}

std::vector<std::string> Sorted(const absl::flat_hash_set<std::string>& set) {
  std::vector<std::string> out(set.begin(), set.end());
  std::sort(out.begin(), out.end());
  return out;
}

// While several nodes are read in turn by one thread, each read waits at
// most this long, so a message on one node waits at most about
// nodes × kSlice behind the others.
constexpr absl::Duration kSlice = absl::Milliseconds(5);

}  // namespace

absl::StatusOr<std::unique_ptr<ShardedSubscriber>> ShardedSubscriber::Create(
    ClusterClient& cluster, Options options) {
  if (options.handler == nullptr) {
    return absl::InvalidArgumentError("ShardedSubscriber: handler is required");
  }
  if (options.subscribe_timeout <= absl::ZeroDuration() ||
      options.resubscribe_initial_backoff <= absl::ZeroDuration() ||
      options.resubscribe_max_backoff <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "ShardedSubscriber: subscribe_timeout and resubscribe backoffs must "
        "be positive");
  }
  return std::unique_ptr<ShardedSubscriber>(
      new ShardedSubscriber(cluster, std::move(options)));
}

ShardedSubscriber::ShardedSubscriber(ClusterClient& cluster, Options options)
    : cluster_(&cluster),
      options_(std::move(options)),
      backoff_(options_.resubscribe_initial_backoff,
               options_.resubscribe_max_backoff) {}

ShardedSubscriber::~ShardedSubscriber() { Close(); }

void ShardedSubscriber::Close() {
  for (auto& [key, node] : nodes_) {
    node.pubsub.reset();
    node.client.reset();
  }
  nodes_.clear();
  placed_.clear();
  pending_.clear();
  closed_ = true;
}

std::vector<std::string> ShardedSubscriber::channels() const {
  absl::flat_hash_set<std::string> all = pending_;
  for (const auto& [channel, node] : placed_) all.insert(channel);
  return Sorted(all);
}

std::vector<std::string> ShardedSubscriber::pending() const {
  return Sorted(pending_);
}

absl::StatusOr<ShardedSubscriber::Node*> ShardedSubscriber::NodeFor(
    const NodeAddress& address, absl::string_view any_channel) {
  const std::string key = address.HostPort();
  auto it = nodes_.find(key);
  if (it != nodes_.end()) return &it->second;
  // ClientFor routes by the cluster client's map, which is the one the
  // plan came from unless a refresh ran in between; a mismatch shows up as
  // MOVED (retried) or as a placement ChannelsToMove corrects later.
  absl::StatusOr<std::unique_ptr<Client>> client =
      cluster_->ClientFor(any_channel);
  if (!client.ok()) return client.status();
  PubSub::Options ps_options;
  ps_options.ignore_subscribe_messages = false;  // Server sunsubscribe pushes.
  absl::StatusOr<std::unique_ptr<PubSub>> pubsub =
      PubSub::Create(**client, ps_options);
  if (!pubsub.ok()) return pubsub.status();
  Node& node = nodes_[key];
  node.client = *std::move(client);
  node.pubsub = *std::move(pubsub);
  return &node;
}

void ShardedSubscriber::DropNode(const std::string& key) {
  auto it = nodes_.find(key);
  if (it == nodes_.end()) return;
  for (const std::string& channel : it->second.channels) {
    placed_.erase(channel);
    pending_.insert(channel);
  }
  it->second.pubsub.reset();
  it->second.client.reset();
  nodes_.erase(it);
}

void ShardedSubscriber::Unplace(const std::string& key,
                                const std::vector<std::string>& moved) {
  auto it = nodes_.find(key);
  std::vector<absl::string_view> names;
  for (const std::string& channel : moved) {
    placed_.erase(channel);
    pending_.insert(channel);
    if (it != nodes_.end() && it->second.channels.erase(channel) > 0) {
      names.push_back(channel);
    }
  }
  if (it == nodes_.end()) return;
  if (it->second.channels.empty()) {
    DropNode(key);  // Nothing left there: free the connection.
    return;
  }
  // The node must forget them, or its PubSub would resubscribe them there
  // after a reconnect. If it cannot, start that node over.
  if (!names.empty() && !it->second.pubsub->SUnsubscribe(names).ok()) {
    DropNode(key);
  }
}

absl::Status ShardedSubscriber::SubscribeOnce(
    const std::vector<std::string>& channels) {
  std::shared_ptr<const SlotMap> map = cluster_->slot_map();
  absl::StatusOr<std::vector<NodeChannels>> plan =
      GroupShardChannels(*map, channels);
  if (!plan.ok()) return plan.status();
  absl::Status fatal;  // The first error retrying cannot fix.
  absl::Status retryable;
  for (const NodeChannels& target : *plan) {
    const std::string key = target.node.HostPort();
    for (const std::vector<std::string>& group : target.slot_groups) {
      absl::StatusOr<Node*> node = NodeFor(target.node, group.front());
      absl::Status status = node.status();
      if (status.ok()) {
        std::vector<absl::string_view> names(group.begin(), group.end());
        status = (*node)->pubsub->SSubscribe(names);
      }
      if (status.ok()) {
        for (const std::string& channel : group) {
          pending_.erase(channel);
          placed_[channel] = key;
          (*node)->channels.insert(channel);
        }
        continue;
      }
      status = Annotate(status, absl::StrCat("SSUBSCRIBE ", group.front(),
                                             " on ", key));
      if (node.ok() &&
          (!IsServerError(status) || nodes_.at(key).channels.empty())) {
        // The connection failed and PubSub could not bring it back (it may
        // remember the group: start the node over), or a refused node holds
        // nothing of ours: free its connection.
        DropNode(key);
      }
      // Carry on with the other groups: one refused channel must not hold
      // the rest back.
      if (!IsResubscribeRetryable(status)) {
        fatal.Update(status);
      } else {
        retryable = status;
      }
    }
  }
  return fatal.ok() ? retryable : fatal;
}

absl::Status ShardedSubscriber::SSubscribe(
    absl::Span<const absl::string_view> channels) {
  if (closed_) return ClosedError();
  if (channels.empty()) {
    return absl::InvalidArgumentError("SSUBSCRIBE needs at least one channel");
  }
  std::vector<std::string> wanted;
  for (absl::string_view channel : channels) {
    if (placed_.contains(channel)) continue;  // Already confirmed.
    wanted.emplace_back(channel);
    pending_.insert(std::string(channel));
  }
  const absl::Time deadline = absl::Now() + options_.subscribe_timeout;
  ResubscribeBackoff backoff(options_.resubscribe_initial_backoff,
                             options_.resubscribe_max_backoff);
  absl::Status status;
  for (;;) {
    std::vector<std::string> left;
    for (const std::string& channel : wanted) {
      if (pending_.contains(channel)) left.push_back(channel);
    }
    if (left.empty()) return absl::OkStatus();
    status = SubscribeOnce(left);
    if (status.ok()) {
      // Every group confirmed; one may have been lost again meanwhile (a
      // node connection failed), which the next round retries.
      if (std::none_of(wanted.begin(), wanted.end(),
                       [&](const std::string& c) {
                         return pending_.contains(c);
                       })) {
        return absl::OkStatus();
      }
      status = absl::DeadlineExceededError(absl::StrCat(
          "SSUBSCRIBE: not confirmed within ",
          absl::FormatDuration(options_.subscribe_timeout)));
    } else if (!IsResubscribeRetryable(status)) {
      break;
    }
    if (absl::Now() >= deadline) break;
    absl::SleepFor(std::min(backoff.Next(), deadline - absl::Now()));
    (void)cluster_->RefreshTopology();  // Its failure shows up next round.
  }
  for (const std::string& channel : wanted) pending_.erase(channel);
  return status;
}

absl::Status ShardedSubscriber::SUnsubscribe(
    absl::Span<const absl::string_view> channels) {
  if (closed_) return ClosedError();
  std::vector<std::string> names;
  if (channels.empty()) {
    names = this->channels();
  } else {
    names.assign(channels.begin(), channels.end());
  }
  // Per node, the names to send.
  absl::btree_map<std::string, std::vector<absl::string_view>> by_node;
  for (const std::string& channel : names) {
    pending_.erase(channel);
    auto it = placed_.find(channel);
    if (it == placed_.end()) continue;
    auto node = nodes_.find(it->second);
    if (node != nodes_.end() && node->second.channels.erase(channel) > 0) {
      // Views into `names`, which outlives the loop below.
      by_node[it->second].push_back(channel);
    }
    placed_.erase(it);
  }
  absl::Status first;
  for (auto& [key, group] : by_node) {
    auto node = nodes_.find(key);
    if (node == nodes_.end()) continue;
    if (node->second.channels.empty()) {
      DropNode(key);  // Closing the connection unsubscribes everything.
      continue;
    }
    absl::Status status = node->second.pubsub->SUnsubscribe(group);
    if (!status.ok()) {
      first.Update(Annotate(status, absl::StrCat("SUNSUBSCRIBE on ", key)));
      DropNode(key);
    }
  }
  return first;
}

void ShardedSubscriber::Handle(const std::string& key,
                               const PubSub::Message& message) {
  if (message.kind == PubSub::Kind::kSMessage) {
    auto it = placed_.find(message.channel);
    // Messages of a channel unsubscribed meanwhile are dropped.
    if (it != placed_.end() && it->second == key) options_.handler(message);
    return;
  }
  if (message.kind != PubSub::Kind::kSUnsubscribe) return;
  auto it = placed_.find(message.channel);
  if (it == placed_.end() || it->second != key) return;  // Our own request.
  // Placed here, yet the node's PubSub no longer remembers the channel: it
  // forgets what the server drops on its own (the slot left this node). If
  // it still remembers it, this is a late confirmation of an earlier
  // unsubscribe of ours, from before the channel came back here.
  auto node = nodes_.find(key);
  if (node == nodes_.end()) return;
  const std::vector<std::string> remembered =
      node->second.pubsub->shard_channels();
  if (std::binary_search(remembered.begin(), remembered.end(),
                         message.channel)) {
    return;
  }
  Unplace(key, {message.channel});
  next_attempt_ = absl::Now();  // Move it now, not after a backoff.
}

void ShardedSubscriber::Resubscribe() {
  (void)cluster_->RefreshTopology();  // A failure shows up as an error below.
  // Subscriptions the refreshed map places elsewhere move too (a failover
  // whose sunsubscribe push we missed, a channel placed by a stale map).
  std::shared_ptr<const SlotMap> map = cluster_->slot_map();
  absl::btree_map<std::string, std::vector<std::string>> moved;
  for (const std::string& channel : ChannelsToMove(*map, placed_)) {
    moved[placed_[channel]].push_back(channel);
  }
  for (const auto& [key, channels] : moved) Unplace(key, channels);
  if (pending_.empty()) return;
  const std::vector<std::string> channels = Sorted(pending_);
  absl::Status status = SubscribeOnce(channels);
  int64_t done = 0;
  for (const std::string& channel : channels) {
    if (!pending_.contains(channel)) ++done;
  }
  resubscriptions_ += done;
  if (status.ok() && pending_.empty()) {
    backoff_.Reset();
    return;
  }
  if (status.ok()) {
    status = absl::UnavailableError("sharded pub/sub: channels still pending");
  }
  next_attempt_ = absl::Now() + backoff_.Next();
  if (options_.on_status != nullptr) {
    const std::vector<std::string> left = Sorted(pending_);
    options_.on_status(status, left);
  }
}

absl::Status ShardedSubscriber::Poll(absl::Duration timeout) {
  if (closed_) return ClosedError();
  const absl::Time deadline = absl::Now() + std::max(timeout, absl::ZeroDuration());
  bool first = true;
  while (first || absl::Now() < deadline) {
    first = false;
    if (!pending_.empty() && absl::Now() >= next_attempt_) Resubscribe();
    absl::Time until = deadline;
    if (!pending_.empty()) until = std::min(until, next_attempt_);
    if (nodes_.empty()) {
      const absl::Duration idle = until - absl::Now();
      if (idle > absl::ZeroDuration()) absl::SleepFor(idle);
      continue;
    }
    // Node keys first: handling a message may drop nodes.
    std::vector<std::string> keys;
    keys.reserve(nodes_.size());
    for (const auto& [key, node] : nodes_) keys.push_back(key);
    absl::Duration wait = until - absl::Now();
    if (keys.size() > 1) wait = std::min(wait, kSlice);
    wait = std::max(wait, absl::ZeroDuration());
    for (const std::string& key : keys) {
      for (absl::Duration w = wait;; w = absl::ZeroDuration()) {
        auto node = nodes_.find(key);
        if (node == nodes_.end()) break;
        absl::StatusOr<std::optional<PubSub::Message>> message =
            node->second.pubsub->GetMessage(w);
        if (!message.ok()) {
          // PubSub could not reconnect and resubscribe there (node gone, or
          // it refused the channels): place them again elsewhere.
          DropNode(key);
          next_attempt_ = absl::Now();
          break;
        }
        if (!message->has_value()) break;
        Handle(key, **message);
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ShardedSubscriber::Run(absl::Time until,
                                    const std::atomic<bool>* stop) {
  while (absl::Now() < until) {
    if (stop != nullptr && stop->load(std::memory_order_acquire)) break;
    absl::Status status =
        Poll(std::min(absl::Milliseconds(100), until - absl::Now()));
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace cluster
}  // namespace valkey

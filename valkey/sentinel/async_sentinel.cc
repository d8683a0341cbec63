#include "valkey/sentinel/async_sentinel.h"

#include <algorithm>
#include <atomic>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "valkey/common/errors.h"
#include "valkey/sentinel/follow_options.h"

namespace valkey::async {
namespace {

// The current master, as the one endpoint to connect to.
Task<Route> ResolveMaster(std::shared_ptr<Sentinel> sentinel,
                          std::string service) {
  absl::StatusOr<NodeAddress> master =
      co_await sentinel->DiscoverMaster(service);
  if (!master.ok()) co_return master.status();
  Route route;
  route.endpoints.push_back(Endpoint{master->host, master->port, ""});
  co_return route;
}

// Every healthy replica in round-robin order (from the next start), then
// the master; when none can be reached, NOT_FOUND (kReplicaNotFound)
// naming each (sentinel_rules::NoReplicaFound), as the blocking replica
// pool does. The master is discovered up front (one more sentinel round
// trip per connect) since a route is fixed before the attempt starts.
Task<Route> ResolveReplica(std::shared_ptr<Sentinel> sentinel,
                           std::string service,
                           std::shared_ptr<std::atomic<uint64_t>> cursor) {
  absl::StatusOr<std::vector<NodeAddress>> replicas =
      co_await sentinel->DiscoverReplicas(service);
  if (!replicas.ok()) co_return replicas.status();
  Route route;
  for (const NodeAddress& a : sentinel_rules::ReplicaOrder(
           *replicas, replicas->empty() ? 0 : cursor->fetch_add(1))) {
    route.endpoints.push_back(Endpoint{a.host, a.port, ""});
  }
  absl::StatusOr<NodeAddress> master =
      co_await sentinel->DiscoverMaster(service);
  std::string master_error;
  if (master.ok()) {
    route.endpoints.push_back(
        Endpoint{master->host, master->port, " (master)"});
  } else {
    master_error = std::string(master.status().message());
  }
  route.none_reachable =
      [service, master_error](const std::vector<std::string>& errors) {
        std::vector<std::string> all = errors;
        if (!master_error.empty()) all.push_back(master_error);
        return sentinel_rules::NoReplicaFound(service, all);
      };
  co_return route;
}

// A connection's resolver (AsyncOptions::resolve): `resolve(sentinel)`
// while the client's Sentinel lives.
template <typename Resolve>
std::function<Future<Route>()> Resolver(std::weak_ptr<Sentinel> weak,
                                        Resolve resolve) {
  return [weak = std::move(weak), resolve]() -> Future<Route> {
    std::shared_ptr<Sentinel> sentinel = weak.lock();
    if (sentinel == nullptr) {
      return Future<Route>::Resolved(
          ConnectionError("sentinel: the client was closed"));
    }
    return resolve(std::move(sentinel)).future();
  };
}

}  // namespace

absl::StatusOr<std::shared_ptr<Sentinel>> Sentinel::Create(
    EventLoop& loop, SentinelOptions options) {
  if (absl::Status s = sentinel_rules::ValidateOptions(options); !s.ok()) {
    return s;
  }
  std::vector<Node> nodes;
  for (const SentinelAddress& address : options.sentinels) {
    absl::StatusOr<Connection> c = Connection::Create(
        loop, sentinel_rules::ConnectionFor(options, address));
    if (!c.ok()) return c.status();
    nodes.push_back(Node{address, std::make_shared<Connection>(*std::move(c))});
  }
  return std::shared_ptr<Sentinel>(
      new Sentinel(loop, std::move(options), std::move(nodes)));
}

Sentinel::Sentinel(EventLoop& loop, SentinelOptions options,
                   std::vector<Node> nodes)
    : loop_(loop), options_(std::move(options)), nodes_(std::move(nodes)) {}

Sentinel::~Sentinel() {
  absl::MutexLock lock(&mu_);
  watchers_.clear();
  for (Node& n : nodes_) n.connection->Close();
}

std::vector<Sentinel::Node> Sentinel::Snapshot() const {
  absl::MutexLock lock(&mu_);
  return nodes_;
}

void Sentinel::MoveToFront(const SentinelAddress& address) {
  absl::MutexLock lock(&mu_);
  auto it = std::find_if(nodes_.begin(), nodes_.end(), [&](const Node& n) {
    return n.address.host == address.host && n.address.port == address.port;
  });
  if (it != nodes_.end() && it != nodes_.begin()) {
    std::rotate(nodes_.begin(), it, it + 1);
  }
}

std::vector<SentinelAddress> Sentinel::sentinels() const {
  absl::MutexLock lock(&mu_);
  std::vector<SentinelAddress> out;
  for (const Node& n : nodes_) out.push_back(n.address);
  return out;
}

Future<NodeAddress> Sentinel::DiscoverMaster(std::string service) {
  if (service.empty()) service = options_.service_name;
  if (service.empty()) {
    return Future<NodeAddress>::Resolved(
        InvalidArgumentError("sentinel: empty service name"));
  }
  return DiscoverMasterTask(shared_from_this(), std::move(service)).future();
}

Future<std::vector<NodeAddress>> Sentinel::DiscoverReplicas(
    std::string service) {
  if (service.empty()) service = options_.service_name;
  if (service.empty()) {
    return Future<std::vector<NodeAddress>>::Resolved(
        InvalidArgumentError("sentinel: empty service name"));
  }
  return DiscoverReplicasTask(shared_from_this(), std::move(service)).future();
}

Future<Reply> Sentinel::ExecuteArgs(std::vector<std::string> args) {
  return ExecuteTask(shared_from_this(), std::move(args)).future();
}

Task<NodeAddress> Sentinel::DiscoverMasterTask(std::shared_ptr<Sentinel> self,
                                               std::string service) {
  std::vector<std::string> errors;
  for (const Node& node : self->Snapshot()) {
    const std::string who = SentinelAddressString(node.address);
    absl::StatusOr<Reply> reply =
        co_await node.connection->Execute("SENTINEL", "MASTER", service);
    if (!reply.ok()) {
      errors.push_back(absl::StrCat(who, " - ", reply.status().message()));
      continue;
    }
    absl::StatusOr<NodeAddress> address = sentinel_rules::MasterFromReply(
        reply->view(), self->options_.min_other_sentinels);
    if (!address.ok()) {
      errors.push_back(absl::StrCat(who, " - ", address.status().message()));
      continue;
    }
    self->MoveToFront(node.address);
    co_return *std::move(address);
  }
  co_return sentinel_rules::NoMasterFound(service, errors);
}

Task<std::vector<NodeAddress>> Sentinel::DiscoverReplicasTask(
    std::shared_ptr<Sentinel> self, std::string service) {
  for (const Node& node : self->Snapshot()) {
    absl::StatusOr<Reply> reply =
        co_await node.connection->Execute("SENTINEL", "REPLICAS", service);
    if (!reply.ok()) continue;
    absl::StatusOr<std::vector<NodeAddress>> replicas =
        sentinel_rules::ReplicasFromReply(reply->view());
    if (!replicas.ok()) continue;
    if (!replicas->empty()) co_return *std::move(replicas);
  }
  co_return std::vector<NodeAddress>();
}

Task<Reply> Sentinel::ExecuteTask(std::shared_ptr<Sentinel> self,
                                  std::vector<std::string> args) {
  if (args.empty()) co_return InvalidArgumentError("empty command");
  std::vector<CommandArg> argv(args.begin(), args.end());
  std::vector<std::string> errors;
  for (const Node& node : self->Snapshot()) {
    absl::StatusOr<Reply> reply = co_await node.connection->ExecuteArgs(argv);
    if (reply.ok() || IsServerError(reply.status())) co_return reply;
    errors.push_back(absl::StrCat(SentinelAddressString(node.address), " - ",
                                  reply.status().message()));
  }
  co_return ConnectionError(absl::StrCat("no sentinel could be reached: ",
                                         absl::StrJoin(errors, ", ")));
}

void Sentinel::OnSwitchMaster(
    std::function<void(const std::string&, const NodeAddress&)> fn) {
  absl::MutexLock lock(&mu_);
  switch_handlers_.push_back(std::move(fn));
  if (!watchers_.empty()) return;
  std::weak_ptr<Sentinel> weak = weak_from_this();
  for (const Node& node : nodes_) {
    PubSubHandlers handlers;
    // "+switch-master <service> <old-ip> <old-port> <new-ip> <new-port>".
    handlers.on_message = [weak, from = node.address](absl::string_view,
                                                      absl::string_view text) {
      std::shared_ptr<Sentinel> self = weak.lock();
      if (self == nullptr) return;
      std::vector<std::string> parts = absl::StrSplit(text, ' ');
      NodeAddress to;
      if (parts.size() != 5 || !absl::SimpleAtoi(parts[4], &to.port)) return;
      to.host = parts[3];
      // The announcing sentinel knows the new master first (the others may
      // lag by a second): ask it first from now on.
      self->MoveToFront(from);
      std::vector<std::function<void(const std::string&, const NodeAddress&)>>
          handlers;
      {
        absl::MutexLock lock(&self->mu_);
        handlers = self->switch_handlers_;
      }
      for (auto& h : handlers) h(parts[0], to);
    };
    absl::StatusOr<std::unique_ptr<PubSub>> sub = PubSub::Create(
        loop_, sentinel_rules::ConnectionFor(options_, node.address),
        std::move(handlers));
    if (!sub.ok()) continue;  // Validated at Create; cannot fail here.
    const std::string channel = "+switch-master";
    (void)(*sub)->Subscribe(absl::MakeConstSpan(&channel, 1));
    watchers_.push_back(*std::move(sub));
  }
}

namespace {

// The Sentinel a MasterFor/ReplicaFor client follows; takes the sentinel
// block out of `options` (what is left is the data-node template).
absl::StatusOr<std::shared_ptr<Sentinel>> SentinelToFollow(
    EventLoop& loop, absl::string_view service, ClientOptions& options) {
  if (absl::Status s = CheckFollowOptions(service, options); !s.ok()) return s;
  SentinelOptions sentinel_options = *options.sentinel;
  sentinel_options.service_name = std::string(service);
  options.sentinel.reset();
  return Sentinel::Create(loop, std::move(sentinel_options));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Client>> MasterFor(EventLoop& loop,
                                                  absl::string_view service,
                                                  ClientOptions options,
                                                  AsyncOptions async) {
  absl::StatusOr<std::shared_ptr<Sentinel>> sentinel =
      SentinelToFollow(loop, service, options);
  if (!sentinel.ok()) return sentinel.status();

  std::shared_ptr<Sentinel> s = *sentinel;
  const std::string name(service);
  async.resolve = Resolver(s, [name](std::shared_ptr<Sentinel> sentinel) {
    return ResolveMaster(std::move(sentinel), name);
  });
  async.address_label = absl::StrCat("master of '", name, "'");
  // ROLE after the handshake: sentinels can lag behind a failover.
  const size_t role_index = async.setup_commands.size();
  async.setup_commands.push_back({"ROLE"});
  auto user_check = async.check_setup_reply;
  async.check_setup_reply = [role_index, user_check](
                                size_t i, const Reply& reply) -> absl::Status {
    if (i != role_index) {
      return user_check ? user_check(i, reply) : reply.ToStatus();
    }
    if (reply.is_error()) return reply.ToStatus();
    const ReplyView v = reply.view();
    if (v.size() < 1 || v.child(0).str() != "master") {
      return ConnectionError(
          absl::StrCat("ROLE says '", v.size() > 0 ? v.child(0).str() : "?",
                       "', not master (a failover is in progress?)"));
    }
    return absl::OkStatus();
  };
  async.drop_on_readonly = true;
  async.shared_connections = 1;

  Client::Following following;
  following.sentinel = true;
  following.keep_alive = s;
  absl::StatusOr<std::unique_ptr<Client>> client = Client::CreateWith(
      loop, std::move(options), std::move(async), std::move(following));
  if (!client.ok()) return client.status();
  // A failover announced by any sentinel: reconnect now (to the new
  // master) rather than at the next READONLY or dead socket.
  std::weak_ptr<internal::ClientShared> alive = (*client)->shared_;
  // Every sentinel announces the same switch: reconnect once per new
  // master, not once per sentinel.
  auto last = std::make_shared<NodeAddress>();  // Loop thread only.
  s->OnSwitchMaster(
      [alive, name, last](const std::string& svc, const NodeAddress& to) {
        std::shared_ptr<internal::ClientShared> shared = alive.lock();
        if (svc != name || shared == nullptr || *last == to) return;
        *last = to;
        internal::ReconnectAll(
            *shared, absl::StrCat("+switch-master: the master of '", svc,
                                  "' is now ", to.ToString()));
      });
  return client;
}

absl::StatusOr<std::unique_ptr<Client>> ReplicaFor(EventLoop& loop,
                                                   absl::string_view service,
                                                   ClientOptions options,
                                                   AsyncOptions async) {
  absl::StatusOr<std::shared_ptr<Sentinel>> sentinel =
      SentinelToFollow(loop, service, options);
  if (!sentinel.ok()) return sentinel.status();
  std::shared_ptr<Sentinel> s = *sentinel;
  const std::string name(service);

  // Round-robin over the healthy replicas, starting at a random one.
  auto cursor = std::make_shared<std::atomic<uint64_t>>(
      absl::Uniform<uint32_t>(absl::BitGen(), 0, 1u << 16));
  async.resolve =
      Resolver(s, [name, cursor](std::shared_ptr<Sentinel> sentinel) {
        return ResolveReplica(std::move(sentinel), name, cursor);
      });
  async.address_label = absl::StrCat("replica of '", name, "'");
  // Several connections, each on the next replica, so that reads rotate.
  if (async.shared_connections == 1) {
    async.shared_connections = kDefaultReplicaConnections;
  }

  Client::Following following;
  following.sentinel = true;
  following.keep_alive = s;
  return Client::CreateWith(loop, std::move(options), std::move(async),
                            std::move(following));
}

}  // namespace valkey::async

#include "testing/valkey_cluster.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "testing/raw_client.h"
#include "testing/tls_certs.h"

namespace valkey::testing {
namespace {

constexpr int kBusPortAttempts = 5;
constexpr absl::Duration kPollInterval = absl::Milliseconds(50);

// A whole RESP2 reply (RawConnection only hands out lines).
struct Reply {
  char type = 0;  // '+', '-', ':', '$', '*'; '_' for a null.
  std::string str;
  int64_t integer = 0;
  std::vector<Reply> elements;

  bool IsError() const { return type == '-'; }
  std::string ToString() const {
    switch (type) {
      case '+':
      case '$':
        return str;
      case '-':
        return absl::StrCat("-", str);
      case ':':
        return absl::StrCat(":", integer);
      case '_':
        return "(nil)";
      case '*': {
        std::vector<std::string> parts;
        for (const Reply& e : elements) parts.push_back(e.ToString());
        return absl::StrCat("[", absl::StrJoin(parts, ", "), "]");
      }
    }
    return "?";
  }
};

absl::StatusOr<Reply> ReadReply(RawConnection& conn, int depth = 0) {
  if (depth > 8) return absl::DataLossError("reply nested too deeply");
  absl::StatusOr<std::string> line = conn.ReadLine();
  if (!line.ok()) return line.status();
  if (line->empty()) return absl::DataLossError("empty reply line");
  Reply reply;
  reply.type = (*line)[0];
  const absl::string_view rest = absl::string_view(*line).substr(1);
  int64_t n = 0;
  switch (reply.type) {
    case '+':
    case '-':
      reply.str = std::string(rest);
      return reply;
    case ':':
      if (!absl::SimpleAtoi(rest, &reply.integer)) break;
      return reply;
    case '$': {
      if (!absl::SimpleAtoi(rest, &n)) break;
      if (n < 0) {
        reply.type = '_';
        return reply;
      }
      // The payload may hold "\r\n" itself (CLUSTER INFO, INFO, CLUSTER
      // NODES): rejoin lines until the announced length is reached.
      bool first = true;
      while (static_cast<int64_t>(reply.str.size()) < n) {
        absl::StatusOr<std::string> part = conn.ReadLine();
        if (!part.ok()) return part.status();
        if (!first) reply.str += "\r\n";
        reply.str += *part;
        first = false;
      }
      if (n == 0) {
        absl::StatusOr<std::string> empty = conn.ReadLine();
        if (!empty.ok()) return empty.status();
      }
      if (static_cast<int64_t>(reply.str.size()) != n) {
        return absl::DataLossError(
            absl::StrCat("bulk of ", n, " bytes read as ", reply.str.size()));
      }
      return reply;
    }
    case '*':
      if (!absl::SimpleAtoi(rest, &n)) break;
      if (n < 0) {
        reply.type = '_';
        return reply;
      }
      for (int64_t i = 0; i < n; ++i) {
        absl::StatusOr<Reply> e = ReadReply(conn, depth + 1);
        if (!e.ok()) return e.status();
        reply.elements.push_back(*std::move(e));
      }
      return reply;
  }
  return absl::DataLossError(absl::StrCat("unexpected reply line: ", *line));
}

// `args`' whole reply from 127.0.0.1:port on a fresh connection, after AUTH
// `password` unless it is empty. An error reply is a Reply, not a Status.
absl::StatusOr<Reply> Call(int port, const std::string& password,
                           const std::vector<std::string>& args,
                           absl::Duration io_timeout = absl::Seconds(5)) {
  absl::StatusOr<RawConnection> conn =
      RawConnection::Tcp("127.0.0.1", port, io_timeout);
  if (!conn.ok()) return conn.status();
  if (!password.empty()) {
    if (absl::Status s = conn->Send(EncodeRespCommand({"AUTH", password}));
        !s.ok()) {
      return s;
    }
    absl::StatusOr<Reply> auth = ReadReply(*conn);
    if (!auth.ok()) return auth.status();
    if (auth->IsError()) return *auth;
  }
  if (absl::Status s = conn->Send(EncodeRespCommand(args)); !s.ok()) return s;
  return ReadReply(*conn);
}

// The value of `field` in an INFO-style "field:value\r\n" text; "" if absent.
std::string InfoField(absl::string_view text, absl::string_view field) {
  for (absl::string_view line : absl::StrSplit(text, "\r\n")) {
    if (absl::StartsWith(line, field) && line.size() > field.size() &&
        line[field.size()] == ':') {
      return std::string(line.substr(field.size() + 1));
    }
  }
  return "";
}

// One range of a CLUSTER SLOTS reply, nodes by TCP port.
struct SlotRange {
  int start = 0;
  int end = 0;
  int primary_port = 0;
  std::vector<int> replica_ports;  // Sorted.
};

absl::StatusOr<std::vector<SlotRange>> ParseClusterSlots(const Reply& reply) {
  if (reply.type != '*') {
    return absl::DataLossError(
        absl::StrCat("CLUSTER SLOTS: not an array: ", reply.ToString()));
  }
  std::vector<SlotRange> ranges;
  for (const Reply& r : reply.elements) {
    if (r.type != '*' || r.elements.size() < 3 || r.elements[0].type != ':' ||
        r.elements[1].type != ':') {
      return absl::DataLossError(
          absl::StrCat("CLUSTER SLOTS: bad range: ", r.ToString()));
    }
    SlotRange range;
    range.start = static_cast<int>(r.elements[0].integer);
    range.end = static_cast<int>(r.elements[1].integer);
    for (size_t i = 2; i < r.elements.size(); ++i) {
      const Reply& node = r.elements[i];
      if (node.type != '*' || node.elements.size() < 2 ||
          node.elements[1].type != ':') {
        return absl::DataLossError(
            absl::StrCat("CLUSTER SLOTS: bad node: ", node.ToString()));
      }
      const int port = static_cast<int>(node.elements[1].integer);
      if (i == 2) {
        range.primary_port = port;
      } else {
        range.replica_ports.push_back(port);
      }
    }
    std::sort(range.replica_ports.begin(), range.replica_ports.end());
    ranges.push_back(std::move(range));
  }
  std::sort(
      ranges.begin(), ranges.end(),
      [](const SlotRange& a, const SlotRange& b) { return a.start < b.start; });
  return ranges;
}

// A canonical text of the slot map, for comparing nodes' views:
// "0-5460:7001(7004) 5461-10922:7002(7005) ...".
std::string SlotsSignature(const std::vector<SlotRange>& ranges,
                           bool with_replicas) {
  std::vector<std::string> parts;
  for (const SlotRange& r : ranges) {
    std::string part = absl::StrCat(r.start, "-", r.end, ":", r.primary_port);
    if (with_replicas) {
      absl::StrAppend(&part, "(", absl::StrJoin(r.replica_ports, ","), ")");
    }
    parts.push_back(std::move(part));
  }
  return absl::StrJoin(parts, " ");
}

// One line of CLUSTER NODES.
struct NodeLine {
  std::string id;
  int port = 0;
  std::vector<std::string> flags;  // "myself", "master", "slave", "fail"...
  std::string primary_id;          // "-" for a primary.

  bool HasFlag(absl::string_view flag) const {
    return std::find(flags.begin(), flags.end(), flag) != flags.end();
  }
};

absl::StatusOr<std::vector<NodeLine>> ParseClusterNodes(const Reply& reply) {
  if (reply.type != '$') {
    return absl::DataLossError(
        absl::StrCat("CLUSTER NODES: not a bulk string: ", reply.ToString()));
  }
  std::vector<NodeLine> out;
  for (absl::string_view line :
       absl::StrSplit(reply.str, absl::ByAnyChar("\r\n"), absl::SkipEmpty())) {
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ');
    if (fields.size() < 8) {
      return absl::DataLossError(
          absl::StrCat("CLUSTER NODES: short line: ", line));
    }
    NodeLine node;
    node.id = std::string(fields[0]);
    // "127.0.0.1:7001@17001[,hostname]"; ":0@0" while the address is unknown.
    absl::string_view addr = fields[1];
    const size_t colon = addr.rfind(':', addr.find('@'));
    const size_t at = addr.find('@');
    if (colon != absl::string_view::npos && at != absl::string_view::npos &&
        at > colon) {
      absl::SimpleAtoi(addr.substr(colon + 1, at - colon - 1), &node.port);
    }
    node.flags = absl::StrSplit(fields[2], ',');
    node.primary_id = std::string(fields[3]);
    out.push_back(std::move(node));
  }
  return out;
}

// Picks a free loopback port for a cluster bus (bind port 0, read it back,
// close). Another process may take it first; StartNode() retries then.
absl::StatusOr<int> PickFreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  const bool ok =
      bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  const int err = errno;
  close(fd);
  if (!ok) {
    return absl::InternalError(
        absl::StrCat("bind 127.0.0.1:0: ", strerror(err)));
  }
  return ntohs(addr.sin_port);
}

// CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0), bitwise: the
// fixture hashes a few thousand keys at most.
uint16_t Crc16(absl::string_view data) {
  uint16_t crc = 0;
  for (unsigned char c : data) {
    crc ^= static_cast<uint16_t>(c) << 8;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
    }
  }
  return crc;
}

// The cluster bus always demands a client certificate (whatever
// tls-auth-clients says), and the minted server certificate is for
// serverAuth only, so each node presents the minted client certificate.
std::vector<std::string> ClientCertLines(const TlsCerts& certs) {
  return {absl::StrCat("tls-client-cert-file ", certs.client_cert),
          absl::StrCat("tls-client-key-file ", certs.client_key)};
}

absl::Status UseClientCert(const ValkeyServer& server,
                           const std::string& password) {
  const TlsCerts& certs = *server.certs();
  absl::StatusOr<Reply> reply =
      Call(server.port(), password,
           {"CONFIG", "SET", "tls-client-cert-file", certs.client_cert,
            "tls-client-key-file", certs.client_key});
  if (!reply.ok()) return reply.status();
  if (reply->IsError()) {
    return absl::FailedPreconditionError(
        absl::StrCat("CONFIG SET tls-client-cert-file on ", server.address(),
                     ": ", reply->ToString()));
  }
  std::ofstream out(server.config_path(), std::ios::app);
  for (const std::string& line : ClientCertLines(certs)) out << line << "\n";
  out.close();
  if (!out) {
    return absl::InternalError(
        absl::StrCat("cannot append to ", server.config_path()));
  }
  return absl::OkStatus();
}

}  // namespace

int ValkeyCluster::KeySlot(absl::string_view key) {
  const size_t open = key.find('{');
  if (open != absl::string_view::npos) {
    const size_t close = key.find('}', open + 1);
    if (close != absl::string_view::npos && close > open + 1) {
      key = key.substr(open + 1, close - open - 1);
    }
  }
  return Crc16(key) % kNumSlots;
}

ValkeyCluster::ValkeyCluster(Options options) : options_(std::move(options)) {}

ValkeyCluster::~ValkeyCluster() {
  // Each ValkeyServer stops its own process by PID. Replicas first (the
  // highest indexes), so none reconnects to a vanished primary for long.
  while (!nodes_.empty()) nodes_.pop_back();
}

absl::StatusOr<std::unique_ptr<ValkeyCluster>> ValkeyCluster::Start(
    Options options) {
  if (options.num_primaries < 1 || options.num_primaries > kNumSlots ||
      options.replicas_per_primary < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ValkeyCluster::Options: need num_primaries >= 1 and "
        "replicas_per_primary >= 0, got ",
        options.num_primaries, " and ", options.replicas_per_primary));
  }
  for (char c : options.password) {
    // masterauth is written quoted into the config file.
    if (c <= ' ' || c > '~' || c == '"' || c == '\\' || c == '\'') {
      return absl::InvalidArgumentError(
          "ValkeyCluster::Options.password: only printable ASCII without "
          "spaces, quotes or backslashes");
    }
  }
  if (options.node_timeout < absl::Milliseconds(1)) {
    return absl::InvalidArgumentError(
        "ValkeyCluster::Options.node_timeout must be at least 1 ms");
  }
  std::unique_ptr<ValkeyCluster> cluster(new ValkeyCluster(std::move(options)));
  const Options& opts = cluster->options_;
  const int num_nodes = opts.num_primaries * (1 + opts.replicas_per_primary);
  for (int i = 0; i < num_nodes; ++i) {
    absl::StatusOr<Node> node = cluster->StartNode();
    if (!node.ok()) return node.status();
    cluster->nodes_.push_back(*std::move(node));
  }

  auto run = [&](int i, std::vector<std::string> args) -> absl::Status {
    absl::StatusOr<Reply> reply =
        Call(cluster->nodes_[i].server->port(), opts.password, args);
    if (!reply.ok()) {
      return absl::Status(
          reply.status().code(),
          absl::StrCat("node ", i, " (", cluster->node(i).address(), ") ",
                       absl::StrJoin(args, " "), ": ",
                       reply.status().message()));
    }
    if (reply->IsError()) {
      return absl::FailedPreconditionError(
          absl::StrCat("node ", i, " (", cluster->node(i).address(), ") ",
                       absl::StrJoin(args, " "), ": ", reply->ToString()));
    }
    return absl::OkStatus();
  };

  // Distinct config epochs before the nodes meet, as valkey-cli does:
  // otherwise all primaries claim epoch 0 and the cluster spends time
  // resolving the collision before it agrees on a slot map.
  for (int i = 0; i < num_nodes; ++i) {
    if (absl::Status s =
            run(i, {"CLUSTER", "SET-CONFIG-EPOCH", absl::StrCat(i + 1)});
        !s.ok()) {
      return s;
    }
  }
  for (int p = 0; p < opts.num_primaries; ++p) {
    const int first =
        static_cast<int>(int64_t{p} * kNumSlots / opts.num_primaries);
    const int last =
        static_cast<int>(int64_t{p + 1} * kNumSlots / opts.num_primaries) - 1;
    if (absl::Status s = run(p, {"CLUSTER", "ADDSLOTSRANGE",
                                 absl::StrCat(first), absl::StrCat(last)});
        !s.ok()) {
      return s;
    }
  }
  const Node& seed = cluster->nodes_[0];
  for (int i = 1; i < num_nodes; ++i) {
    if (absl::Status s = run(i, {"CLUSTER", "MEET", "127.0.0.1",
                                 absl::StrCat(seed.server->port()),
                                 absl::StrCat(seed.bus_port)});
        !s.ok()) {
      return s;
    }
  }
  // CLUSTER REPLICATE needs the replica to know its primary (gossip from
  // the seed spreads it), so wait until the whole membership is known.
  std::vector<int> all;
  for (int i = 0; i < num_nodes; ++i) all.push_back(i);
  if (absl::Status s = cluster->WaitUntilKnown(all, opts.ready_timeout);
      !s.ok()) {
    return s;
  }
  for (int p = 0; p < opts.num_primaries; ++p) {
    for (int j = 0; j < opts.replicas_per_primary; ++j) {
      const int r = opts.num_primaries + p * opts.replicas_per_primary + j;
      if (absl::Status s =
              run(r, {"CLUSTER", "REPLICATE", cluster->nodes_[p].id});
          !s.ok()) {
        return s;
      }
    }
  }
  if (absl::Status s = cluster->WaitUntilReady(); !s.ok()) return s;
  return cluster;
}

absl::StatusOr<ValkeyCluster::Node> ValkeyCluster::StartNode() {
  absl::Status last;
  for (int attempt = 0; attempt < kBusPortAttempts; ++attempt) {
    absl::StatusOr<int> bus_port = PickFreePort();
    if (!bus_port.ok()) return bus_port.status();
    ValkeyServer::Options server;
    server.requirepass = options_.password;
    server.acl_users = options_.acl_users;
    server.tls = options_.tls;
    server.extra_config = {
        "cluster-enabled yes",
        // Relative to `dir`, i.e. the node's own temp dir; Restart() reuses
        // it, so a restarted node keeps its ID and its view of the cluster.
        "cluster-config-file nodes.conf",
        absl::StrCat("cluster-port ", *bus_port),
        absl::StrCat("cluster-node-timeout ",
                     absl::ToInt64Milliseconds(options_.node_timeout)),
        absl::StrCat("cluster-require-full-coverage ",
                     options_.require_full_coverage ? "yes" : "no"),
        // A replica may always stand for election, however long ago it
        // last heard from its primary: tests kill primaries at any time.
        "cluster-replica-validity-factor 0",
        // Keep roles where the test put them (see the header).
        "cluster-allow-replica-migration no",
        "appendonly no",
    };
    if (!options_.password.empty()) {
      server.extra_config.push_back(
          absl::StrCat("masterauth \"", options_.password, "\""));
    }
    if (options_.tls) {
      server.extra_config.push_back("tls-cluster yes");
      server.extra_config.push_back("tls-replication yes");
      // One CA for all (node 0's): the nodes verify each other on the bus,
      // and a test's client verifies every node with node(0)'s CA.
      if (!nodes_.empty()) {
        const TlsCerts& certs = *nodes_[0].server->certs();
        server.extra_config.push_back(
            absl::StrCat("tls-cert-file ", certs.server_cert));
        server.extra_config.push_back(
            absl::StrCat("tls-key-file ", certs.server_key));
        server.extra_config.push_back(
            absl::StrCat("tls-ca-cert-file ", certs.ca_cert));
        for (std::string& line : ClientCertLines(certs)) {
          server.extra_config.push_back(std::move(line));
        }
      }
    }
    for (const std::string& line : options_.extra_config) {
      server.extra_config.push_back(line);
    }
    absl::StatusOr<std::unique_ptr<ValkeyServer>> started =
        ValkeyServer::Start(std::move(server));
    if (!started.ok()) {
      last = started.status();
      // ValkeyServer retries clashes on its own ports with new ones, but
      // keeps our bus port: pick another one.
      if (absl::StrContains(last.message(), "already in use")) continue;
      return last;
    }
    Node node;
    node.server = *std::move(started);
    if (options_.tls && nodes_.empty()) {
      // Node 0's certificates exist only now: give it its client
      // certificate at run time and in its config file (for restarts).
      if (absl::Status s = UseClientCert(*node.server, options_.password);
          !s.ok()) {
        return s;
      }
    }
    node.bus_port = *bus_port;
    absl::StatusOr<Reply> id =
        Call(node.server->port(), options_.password, {"CLUSTER", "MYID"});
    if (!id.ok()) return id.status();
    if (id->type != '$' || id->str.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("CLUSTER MYID on ", node.server->address(), ": ",
                       id->ToString(), "\n", node.server->LogTail()));
    }
    node.id = id->str;
    return node;
  }
  return last;
}

absl::Status ValkeyCluster::CheckIndex(int i, absl::string_view what) const {
  if (i < 0 || i >= size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": node index ", i, " out of range [0, ", size(), ")"));
  }
  return absl::OkStatus();
}

std::vector<int> ValkeyCluster::LiveNodes() {
  std::vector<int> live;
  for (int i = 0; i < size(); ++i) {
    if (nodes_[i].server->running()) live.push_back(i);
  }
  return live;
}

std::vector<std::string> ValkeyCluster::seed_addresses() const {
  std::vector<std::string> out;
  for (const Node& n : nodes_) out.push_back(n.server->address());
  return out;
}

int ValkeyCluster::IndexOfPort(int port) const {
  for (int i = 0; i < size(); ++i) {
    if (nodes_[i].server->port() == port) return i;
  }
  return -1;
}

absl::Status ValkeyCluster::WaitUntilKnown(const std::vector<int>& among,
                                           absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string last;
  for (;;) {
    bool ready = true;
    for (int i : among) {
      absl::StatusOr<Reply> reply = Call(
          nodes_[i].server->port(), options_.password, {"CLUSTER", "NODES"});
      absl::StatusOr<std::vector<NodeLine>> lines =
          reply.ok() ? ParseClusterNodes(*reply) : reply.status();
      if (!lines.ok()) {
        ready = false;
        last = absl::StrCat("node ", i, ": ", lines.status().ToString());
        break;
      }
      for (int j : among) {
        auto it = std::find_if(
            lines->begin(), lines->end(),
            [&](const NodeLine& l) { return l.id == nodes_[j].id; });
        if (it == lines->end() || it->HasFlag("handshake") ||
            it->HasFlag("noaddr")) {
          ready = false;
          last = absl::StrCat("node ", i, " (", nodes_[i].server->address(),
                              ") does not know node ", j, " (", nodes_[j].id,
                              ") yet; its CLUSTER NODES:\n", reply->str);
          break;
        }
      }
      if (!ready) break;
    }
    if (ready) return absl::OkStatus();
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "cluster nodes did not meet within ", absl::FormatDuration(timeout),
          "; last: ", last, "\n", LogTails()));
    }
    absl::SleepFor(kPollInterval);
  }
}

std::string ValkeyCluster::Disagreement(const std::vector<int>& among,
                                        bool with_replicas,
                                        std::string* signature) {
  if (among.empty()) return "no live node";
  int signature_node = -1;
  for (int i : among) {
    const int port = nodes_[i].server->port();
    const std::string where =
        absl::StrCat("node ", i, " (", nodes_[i].server->address(), ")");
    absl::StatusOr<Reply> info =
        Call(port, options_.password, {"CLUSTER", "INFO"});
    if (!info.ok()) {
      return absl::StrCat(where, " CLUSTER INFO: ", info.status().ToString());
    }
    const std::string state = InfoField(info->str, "cluster_state");
    if (state != "ok") return absl::StrCat(where, " cluster_state:", state);
    absl::StatusOr<Reply> slots =
        Call(port, options_.password, {"CLUSTER", "SLOTS"});
    absl::StatusOr<std::vector<SlotRange>> ranges =
        slots.ok() ? ParseClusterSlots(*slots) : slots.status();
    if (!ranges.ok()) {
      return absl::StrCat(where, " CLUSTER SLOTS: ", ranges.status().ToString());
    }
    const std::string sig = SlotsSignature(*ranges, with_replicas);
    if (signature_node < 0) {
      *signature = sig;
      signature_node = i;
    } else if (sig != *signature) {
      return absl::StrCat(where, " CLUSTER SLOTS [", sig, "] differs from node ",
                          signature_node, "'s [", *signature, "]");
    }
    // Replicas (by layout) must also have their replication link up.
    if (with_replicas && i >= options_.num_primaries) {
      absl::StatusOr<Reply> repl =
          Call(port, options_.password, {"INFO", "replication"});
      if (!repl.ok()) {
        return absl::StrCat(where,
                            " INFO replication: ", repl.status().ToString());
      }
      const std::string link = InfoField(repl->str, "master_link_status");
      if (link != "up") {
        return absl::StrCat(where, " role:", InfoField(repl->str, "role"),
                            " master_link_status:", link);
      }
    }
  }
  return "";
}

absl::Status ValkeyCluster::WaitUntilReady() {
  const absl::Time deadline = absl::Now() + options_.ready_timeout;
  std::vector<int> all(size());
  for (int i = 0; i < size(); ++i) all[i] = i;
  for (;;) {
    std::string signature;
    std::string last = Disagreement(all, /*with_replicas=*/true, &signature);
    if (last.empty()) {
      // Every slot covered, as ADDSLOTSRANGE assigned them.
      int covered = 0;
      absl::StatusOr<Reply> slots = Call(
          nodes_[0].server->port(), options_.password, {"CLUSTER", "SLOTS"});
      absl::StatusOr<std::vector<SlotRange>> ranges =
          slots.ok() ? ParseClusterSlots(*slots) : slots.status();
      if (ranges.ok()) {
        for (const SlotRange& r : *ranges) covered += r.end - r.start + 1;
      }
      if (covered == kNumSlots) return absl::OkStatus();
      last =
          absl::StrCat("CLUSTER SLOTS covers ", covered, " slots: ", signature);
    }
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("cluster not ready within ",
                       absl::FormatDuration(options_.ready_timeout),
                       "; last: ", last, "\n", LogTails()));
    }
    absl::SleepFor(kPollInterval);
  }
}

absl::Status ValkeyCluster::WaitUntilStable(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    std::string signature;
    const std::string last =
        Disagreement(LiveNodes(), /*with_replicas=*/false, &signature);
    if (last.empty()) return absl::OkStatus();
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "cluster not stable within ", absl::FormatDuration(timeout),
          "; last: ", last, "\n", LogTails()));
    }
    absl::SleepFor(kPollInterval);
  }
}

absl::StatusOr<int> ValkeyCluster::PrimaryForSlot(int slot) {
  if (slot < 0 || slot >= kNumSlots) {
    return absl::InvalidArgumentError(
        absl::StrCat("slot ", slot, " out of range [0, 16384)"));
  }
  absl::Status last = absl::UnavailableError("no live node");
  for (int i : LiveNodes()) {
    absl::StatusOr<Reply> slots =
        Call(nodes_[i].server->port(), options_.password, {"CLUSTER", "SLOTS"});
    absl::StatusOr<std::vector<SlotRange>> ranges =
        slots.ok() ? ParseClusterSlots(*slots) : slots.status();
    if (!ranges.ok()) {
      last = ranges.status();
      continue;
    }
    for (const SlotRange& r : *ranges) {
      if (slot < r.start || slot > r.end) continue;
      const int index = IndexOfPort(r.primary_port);
      if (index < 0) {
        return absl::NotFoundError(
            absl::StrCat("node ", i, " says slot ", slot, " is served by port ",
                         r.primary_port, ", which is no node of this cluster"));
      }
      return index;
    }
    return absl::NotFoundError(
        absl::StrCat("node ", i, " says slot ", slot, " is unassigned"));
  }
  return last;
}

absl::StatusOr<std::vector<int>> ValkeyCluster::ReplicasOf(int primary_index) {
  if (absl::Status s = CheckIndex(primary_index, "ReplicasOf"); !s.ok()) {
    return s;
  }
  absl::Status last = absl::UnavailableError("no live node");
  for (int i : LiveNodes()) {
    absl::StatusOr<Reply> reply =
        Call(nodes_[i].server->port(), options_.password, {"CLUSTER", "NODES"});
    absl::StatusOr<std::vector<NodeLine>> lines =
        reply.ok() ? ParseClusterNodes(*reply) : reply.status();
    if (!lines.ok()) {
      last = lines.status();
      continue;
    }
    std::vector<int> out;
    for (const NodeLine& line : *lines) {
      if (line.primary_id != nodes_[primary_index].id || line.HasFlag("fail")) {
        continue;
      }
      for (int j = 0; j < size(); ++j) {
        if (nodes_[j].id == line.id) out.push_back(j);
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  return last;
}

namespace {

// Runs `args` on `port` and turns an error reply into FAILED_PRECONDITION
// naming the node; returns the reply otherwise.
absl::StatusOr<Reply> Expect(int index, const ValkeyServer& server,
                             const std::string& password,
                             const std::vector<std::string>& args) {
  absl::StatusOr<Reply> reply = Call(server.port(), password, args);
  std::string what = absl::StrJoin(args, " ");
  if (what.size() > 200) what = absl::StrCat(what.substr(0, 200), "...");
  if (!reply.ok()) {
    return absl::Status(
        reply.status().code(),
        absl::StrCat("node ", index, " (", server.address(), ") ", what, ": ",
                     reply.status().message()));
  }
  if (reply->IsError()) {
    return absl::FailedPreconditionError(
        absl::StrCat("node ", index, " (", server.address(), ") ", what, ": ",
                     reply->ToString()));
  }
  return reply;
}

}  // namespace

absl::Status ValkeyCluster::BeginMigration(int slot, int from, int to) {
  if (absl::Status s = CheckIndex(from, "BeginMigration from"); !s.ok())
    return s;
  if (absl::Status s = CheckIndex(to, "BeginMigration to"); !s.ok()) return s;
  const std::string slot_text = absl::StrCat(slot);
  // Importing first: once `from` says ASK, `to` must accept ASKING.
  absl::StatusOr<Reply> r =
      Expect(to, node(to), options_.password,
             {"CLUSTER", "SETSLOT", slot_text, "IMPORTING", nodes_[from].id});
  if (!r.ok()) return r.status();
  r = Expect(from, node(from), options_.password,
             {"CLUSTER", "SETSLOT", slot_text, "MIGRATING", nodes_[to].id});
  return r.status();
}

absl::StatusOr<int> ValkeyCluster::MigrateKeys(int slot, int from, int to,
                                               int batch) {
  if (absl::Status s = CheckIndex(from, "MigrateKeys from"); !s.ok()) return s;
  if (absl::Status s = CheckIndex(to, "MigrateKeys to"); !s.ok()) return s;
  if (batch < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("MigrateKeys: batch must be >= 1, got ", batch));
  }
  int moved = 0;
  for (;;) {
    absl::StatusOr<Reply> keys = Expect(
        from, node(from), options_.password,
        {"CLUSTER", "GETKEYSINSLOT", absl::StrCat(slot), absl::StrCat(batch)});
    if (!keys.ok()) return keys.status();
    if (keys->elements.empty()) return moved;
    std::vector<std::string> args = {
        "MIGRATE", node(to).host(), absl::StrCat(node(to).port()), "",
        "0",       "5000"};
    if (!options_.password.empty()) {
      args.push_back("AUTH");
      args.push_back(options_.password);
    }
    args.push_back("KEYS");
    for (const Reply& key : keys->elements) args.push_back(key.str);
    absl::StatusOr<Reply> r = Expect(from, node(from), options_.password, args);
    if (!r.ok()) return r.status();
    moved += static_cast<int>(keys->elements.size());
  }
}

absl::Status ValkeyCluster::FinishMigration(int slot, int from, int to) {
  if (absl::Status s = CheckIndex(from, "FinishMigration from"); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckIndex(to, "FinishMigration to"); !s.ok()) return s;
  const std::vector<std::string> args = {
      "CLUSTER", "SETSLOT", absl::StrCat(slot), "NODE", nodes_[to].id};
  // Target first (it bumps its config epoch and claims the slot), then the
  // source (which stops answering ASK), then every other primary so that
  // nobody waits for gossip to redirect clients.
  std::vector<int> order = {to};
  if (from != to) order.push_back(from);
  absl::StatusOr<Reply> cluster_nodes =
      Call(node(to).port(), options_.password, {"CLUSTER", "NODES"});
  absl::StatusOr<std::vector<NodeLine>> lines =
      cluster_nodes.ok() ? ParseClusterNodes(*cluster_nodes)
                         : cluster_nodes.status();
  if (!lines.ok()) return lines.status();
  for (int i : LiveNodes()) {
    if (i == to || i == from) continue;
    for (const NodeLine& line : *lines) {
      if (line.id == nodes_[i].id && line.HasFlag("master")) order.push_back(i);
    }
  }
  for (int i : order) {
    absl::StatusOr<Reply> r = Expect(i, node(i), options_.password, args);
    if (!r.ok()) return r.status();
  }
  // Replicas learn the change by gossip: wait for every live node.
  const absl::Time deadline = absl::Now() + options_.ready_timeout;
  for (;;) {
    std::string last;
    for (int i : LiveNodes()) {
      absl::StatusOr<Reply> slots = Call(
          nodes_[i].server->port(), options_.password, {"CLUSTER", "SLOTS"});
      absl::StatusOr<std::vector<SlotRange>> ranges =
          slots.ok() ? ParseClusterSlots(*slots) : slots.status();
      int owner = -1;
      if (ranges.ok()) {
        for (const SlotRange& r : *ranges) {
          if (slot >= r.start && slot <= r.end)
            owner = IndexOfPort(r.primary_port);
        }
      }
      if (owner != to) {
        last = absl::StrCat("node ", i, " says slot ", slot, " is on ",
                            ranges.ok() ? absl::StrCat("node ", owner)
                                        : ranges.status().ToString());
        break;
      }
    }
    if (last.empty()) return absl::OkStatus();
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "slot ", slot, " not on node ", to, " everywhere within ",
          absl::FormatDuration(options_.ready_timeout), "; last: ", last));
    }
    absl::SleepFor(kPollInterval);
  }
}

absl::Status ValkeyCluster::MoveSlot(int slot, int to) {
  absl::StatusOr<int> from = PrimaryForSlot(slot);
  if (!from.ok()) return from.status();
  if (*from == to) return absl::OkStatus();
  if (absl::Status s = BeginMigration(slot, *from, to); !s.ok()) return s;
  absl::StatusOr<int> moved = MigrateKeys(slot, *from, to);
  if (!moved.ok()) return moved.status();
  return FinishMigration(slot, *from, to);
}

absl::Status ValkeyCluster::Failover(int replica_index) {
  if (absl::Status s = CheckIndex(replica_index, "Failover"); !s.ok()) return s;
  const std::string& id = nodes_[replica_index].id;
  // The old primary, per the replica itself: once it has turned into a
  // replica of the new one everywhere, the role swap is complete.
  absl::StatusOr<Reply> before =
      Expect(replica_index, node(replica_index), options_.password,
             {"CLUSTER", "NODES"});
  if (!before.ok()) return before.status();
  absl::StatusOr<std::vector<NodeLine>> before_lines =
      ParseClusterNodes(*before);
  if (!before_lines.ok()) return before_lines.status();
  std::string old_primary_id;
  for (const NodeLine& line : *before_lines) {
    if (line.id == id) old_primary_id = line.primary_id;
  }
  int old_primary = -1;
  for (int i = 0; i < size(); ++i) {
    if (nodes_[i].id == old_primary_id && nodes_[i].server->running()) {
      old_primary = i;
    }
  }
  absl::StatusOr<Reply> r = Expect(replica_index, node(replica_index),
                                   options_.password, {"CLUSTER", "FAILOVER"});
  if (!r.ok()) return r.status();
  const absl::Time deadline = absl::Now() + options_.ready_timeout;
  for (;;) {
    std::string last;
    for (int i : LiveNodes()) {
      absl::StatusOr<Reply> reply = Call(
          nodes_[i].server->port(), options_.password, {"CLUSTER", "NODES"});
      absl::StatusOr<std::vector<NodeLine>> lines =
          reply.ok() ? ParseClusterNodes(*reply) : reply.status();
      if (!lines.ok()) {
        last = absl::StrCat("node ", i, ": ", lines.status().ToString());
        break;
      }
      auto it = std::find_if(lines->begin(), lines->end(),
                             [&](const NodeLine& l) { return l.id == id; });
      if (it == lines->end() || !it->HasFlag("master")) {
        last = absl::StrCat(
            "node ", i, " sees node ", replica_index, " as ",
            it == lines->end() ? "unknown" : absl::StrJoin(it->flags, ","));
        break;
      }
      if (old_primary >= 0) {
        auto old = std::find_if(
            lines->begin(), lines->end(),
            [&](const NodeLine& l) { return l.id == old_primary_id; });
        if (old == lines->end() || old->primary_id != id) {
          last = absl::StrCat("node ", i, " does not see old primary ",
                              old_primary, " as a replica of node ",
                              replica_index, " yet");
          break;
        }
      }
    }
    if (last.empty()) return absl::OkStatus();
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("CLUSTER FAILOVER on node ", replica_index, " (",
                       node(replica_index).address(), ") not seen within ",
                       absl::FormatDuration(options_.ready_timeout),
                       "; last: ", last, "\n", LogTails()));
    }
    absl::SleepFor(kPollInterval);
  }
}

absl::Status ValkeyCluster::KillNode(int i) {
  if (absl::Status s = CheckIndex(i, "KillNode"); !s.ok()) return s;
  return node(i).Kill();
}

absl::Status ValkeyCluster::WaitForPrimaryOf(int slot, absl::Duration timeout) {
  if (slot < 0 || slot >= kNumSlots) {
    return absl::InvalidArgumentError(
        absl::StrCat("slot ", slot, " out of range [0, 16384)"));
  }
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    std::string last;
    std::vector<std::string> views;
    int agreed = -2;
    for (int i : LiveNodes()) {
      absl::StatusOr<Reply> slots = Call(
          nodes_[i].server->port(), options_.password, {"CLUSTER", "SLOTS"});
      absl::StatusOr<std::vector<SlotRange>> ranges =
          slots.ok() ? ParseClusterSlots(*slots) : slots.status();
      if (!ranges.ok()) {
        views.push_back(
            absl::StrCat("node ", i, ": ", ranges.status().ToString()));
        agreed = -3;
        continue;
      }
      int owner = -1;
      for (const SlotRange& r : *ranges) {
        if (slot >= r.start && slot <= r.end)
          owner = IndexOfPort(r.primary_port);
      }
      views.push_back(absl::StrCat("node ", i, " -> ", owner));
      if (agreed == -2) {
        agreed = owner;
      } else if (agreed != owner) {
        agreed = -3;
      }
    }
    if (agreed >= 0 && nodes_[agreed].server->running()) {
      return absl::OkStatus();
    }
    last = absl::StrJoin(views, ", ");
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("no agreed live primary for slot ", slot, " within ",
                       absl::FormatDuration(timeout),
                       "; last views (-1: none): ", last, "\n", LogTails()));
    }
    absl::SleepFor(kPollInterval);
  }
}

absl::Status ValkeyCluster::RestartNode(int i) {
  if (absl::Status s = CheckIndex(i, "RestartNode"); !s.ok()) return s;
  if (absl::Status s = node(i).Restart(); !s.ok()) return s;
  return WaitUntilStable(options_.ready_timeout);
}

absl::StatusOr<int> ValkeyCluster::AddNode() {
  std::vector<int> live = LiveNodes();
  if (live.empty()) {
    return absl::FailedPreconditionError("AddNode: no live node to meet");
  }
  absl::StatusOr<Node> added = StartNode();
  if (!added.ok()) return added.status();
  nodes_.push_back(*std::move(added));
  const int index = size() - 1;
  const Node& seed = nodes_[live[0]];
  absl::StatusOr<Reply> r =
      Expect(index, node(index), options_.password,
             {"CLUSTER", "MEET", "127.0.0.1", absl::StrCat(seed.server->port()),
              absl::StrCat(seed.bus_port)});
  if (!r.ok()) return r.status();
  live.push_back(index);
  if (absl::Status s = WaitUntilKnown(live, options_.ready_timeout); !s.ok()) {
    return s;
  }
  // A new primary answers CLUSTERDOWN for its first ~2 s (valkey delays
  // a slot-less primary's cluster_state:ok after start), and MIGRATE to it
  // fails meanwhile: wait until it, too, says ok.
  if (absl::Status s = WaitUntilStable(options_.ready_timeout); !s.ok()) {
    return s;
  }
  return index;
}

std::string ValkeyCluster::LogTails(int max_lines) const {
  std::string out;
  for (int i = 0; i < size(); ++i) {
    absl::StrAppend(&out, "--- node ", i, " ", nodes_[i].server->address(),
                    " log tail:\n", nodes_[i].server->LogTail(max_lines), "\n");
  }
  return out;
}

}  // namespace valkey::testing

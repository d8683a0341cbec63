#include "valkey/cluster/slot_map.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace cluster {

std::string NodeAddress::HostPort() const {
  if (host.find(':') != std::string::npos) {
    return absl::StrCat("[", host, "]:", port);
  }
  return absl::StrCat(host, ":", port);
}

SlotMap::SlotMap() { slot_to_shard_.fill(kNoShard); }

const Shard* SlotMap::ShardForSlot(int slot) const {
  if (slot < 0 || slot >= kNumSlots) return nullptr;
  const uint16_t index = slot_to_shard_[slot];
  return index == kNoShard ? nullptr : &shards_[index];
}

std::vector<NodeAddress> SlotMap::Primaries() const {
  std::vector<NodeAddress> out;
  out.reserve(shards_.size());
  for (const Shard& shard : shards_) out.push_back(shard.primary);
  return out;
}

std::vector<NodeAddress> SlotMap::AllNodes() const {
  std::vector<NodeAddress> out;
  for (const Shard& shard : shards_) {
    out.push_back(shard.primary);
    out.insert(out.end(), shard.replicas.begin(), shard.replicas.end());
  }
  return out;
}

bool SlotMap::CoversAllSlots() const {
  return std::find(slot_to_shard_.begin(), slot_to_shard_.end(), kNoShard) ==
         slot_to_shard_.end();
}

std::vector<std::pair<int, int>> SlotMap::UncoveredRanges() const {
  std::vector<std::pair<int, int>> out;
  for (int slot = 0; slot < kNumSlots; ++slot) {
    if (slot_to_shard_[slot] != kNoShard) continue;
    if (!out.empty() && out.back().second == slot - 1) {
      out.back().second = slot;
    } else {
      out.emplace_back(slot, slot);
    }
  }
  return out;
}

int SlotMap::FindShard(const NodeAddress& primary) const {
  for (size_t i = 0; i < shards_.size(); ++i) {
    if (shards_[i].primary.SameEndpoint(primary)) return static_cast<int>(i);
  }
  return -1;
}

void SlotMap::Compact() {
  // New index of each old shard, in order of the shard's lowest slot.
  std::vector<uint16_t> renumber(shards_.size(), kNoShard);
  std::vector<Shard> kept;
  kept.reserve(shards_.size());
  for (uint16_t& index : slot_to_shard_) {
    if (index == kNoShard) continue;
    if (renumber[index] == kNoShard) {
      renumber[index] = static_cast<uint16_t>(kept.size());
      kept.push_back(std::move(shards_[index]));
    }
    index = renumber[index];
  }
  shards_ = std::move(kept);
}

absl::Status SlotMap::AssignSlots(int first, int last, const Shard& shard) {
  if (first < 0 || last >= kNumSlots || first > last) {
    return InvalidArgumentError(absl::StrCat(
        "slot range ", first, "-", last, " is not within 0-", kNumSlots - 1));
  }
  int index = FindShard(shard.primary);
  if (index < 0) {
    index = static_cast<int>(shards_.size());
    shards_.push_back(shard);
  } else if (!shard.replicas.empty()) {
    shards_[index].replicas = shard.replicas;
  }
  std::fill(slot_to_shard_.begin() + first, slot_to_shard_.begin() + last + 1,
            static_cast<uint16_t>(index));
  Compact();
  return absl::OkStatus();
}

absl::Status SlotMap::SetSlotPrimary(int slot, const NodeAddress& to) {
  if (slot < 0 || slot >= kNumSlots) {
    return InvalidArgumentError(
        absl::StrCat("slot ", slot, " is not within 0-", kNumSlots - 1));
  }
  if (to.host.empty() || to.port < 1 || to.port > 65535) {
    return InvalidArgumentError(
        absl::StrCat("cannot move slot ", slot, " to \"", to.HostPort(),
                     "\": a node needs a host and a port in 1..65535"));
  }
  int index = FindShard(to);
  if (index < 0) {
    index = static_cast<int>(shards_.size());
    shards_.push_back(Shard{to, {}});
  }
  const uint16_t old = slot_to_shard_[slot];
  slot_to_shard_[slot] = static_cast<uint16_t>(index);
  // Only a newly added shard or the one that lost the slot can change the
  // set of serving shards or their order.
  if (old != index) Compact();
  return absl::OkStatus();
}

bool SlotMap::operator==(const SlotMap& other) const {
  if (shards_.size() != other.shards_.size()) return false;
  // Both maps are compacted, so equal maps have a consistent one-to-one
  // correspondence of shard indices; compare each pair of shards once.
  std::vector<uint16_t> match(shards_.size(), kNoShard);
  for (int slot = 0; slot < kNumSlots; ++slot) {
    const uint16_t a = slot_to_shard_[slot];
    const uint16_t b = other.slot_to_shard_[slot];
    if ((a == kNoShard) != (b == kNoShard)) return false;
    if (a == kNoShard) continue;
    if (match[a] == kNoShard) {
      if (!(shards_[a] == other.shards_[b])) return false;
      match[a] = b;
    } else if (match[a] != b) {
      return false;
    }
  }
  return true;
}

std::string SlotMap::DebugString() const {
  std::vector<std::vector<std::pair<int, int>>> ranges(shards_.size());
  for (int slot = 0; slot < kNumSlots; ++slot) {
    const uint16_t index = slot_to_shard_[slot];
    if (index == kNoShard) continue;
    std::vector<std::pair<int, int>>& r = ranges[index];
    if (!r.empty() && r.back().second == slot - 1) {
      r.back().second = slot;
    } else {
      r.emplace_back(slot, slot);
    }
  }
  const auto range_fmt = [](std::string* out, const std::pair<int, int>& r) {
    absl::StrAppend(out, r.first, "-", r.second);
  };
  std::string out;
  for (size_t i = 0; i < shards_.size(); ++i) {
    absl::StrAppend(&out, absl::StrJoin(ranges[i], ",", range_fmt), " ",
                    shards_[i].primary.HostPort(), " replicas [",
                    absl::StrJoin(shards_[i].replicas, ", ",
                                  [](std::string* o, const NodeAddress& n) {
                                    o->append(n.HostPort());
                                  }),
                    "]\n");
  }
  const std::vector<std::pair<int, int>> uncovered = UncoveredRanges();
  if (!uncovered.empty()) {
    absl::StrAppend(&out, "uncovered ",
                    absl::StrJoin(uncovered, ",", range_fmt), "\n");
  }
  return out;
}

// Builds a SlotMap from parsed entries in O(entries + slots): shards are
// found by endpoint through a hash map, and the map is compacted once.
class SlotMapBuilder {
 public:
  // Assigns [first, last] (already range-checked) to `shard`; false if one
  // of the slots is already assigned (a malformed reply).
  bool Assign(int first, int last, Shard shard) {
    for (int slot = first; slot <= last; ++slot) {
      if (map_.slot_to_shard_[slot] != SlotMap::kNoShard) return false;
    }
    const std::string key = shard.primary.HostPort();
    auto [it, inserted] = index_.try_emplace(key, map_.shards_.size());
    if (inserted) {
      map_.shards_.push_back(std::move(shard));
    } else if (!shard.replicas.empty() &&
               map_.shards_[it->second].replicas.empty()) {
      map_.shards_[it->second].replicas = std::move(shard.replicas);
    }
    std::fill(map_.slot_to_shard_.begin() + first,
              map_.slot_to_shard_.begin() + last + 1,
              static_cast<uint16_t>(it->second));
    return true;
  }

  SlotMap Finish() && {
    map_.Compact();
    return std::move(map_);
  }

 private:
  SlotMap map_;
  absl::flat_hash_map<std::string, size_t> index_;
};

namespace {

absl::Status Malformed(absl::string_view where, absl::string_view what) {
  return ProtocolError(absl::StrCat(where, ": ", what));
}

// A slot number or a port from an integer reply, or from a string holding
// digits (some proxies and older servers send strings).
bool ToInt(const ReplyView& v, int64_t* out) {
  if (v.type() == ReplyType::kInteger) {
    *out = v.integer();
    return true;
  }
  if (v.type() == ReplyType::kBulkString ||
      v.type() == ReplyType::kSimpleString) {
    return absl::SimpleAtoi(v.str(), out);
  }
  return false;
}

// The value of field `name` of a RESP3 map or a RESP2 flat key/value array;
// nullopt when absent. Field names compare exactly (the server's spelling).
std::optional<ReplyView> Field(const ReplyView& obj, absl::string_view name) {
  for (auto [k, v] : obj.pairs()) {
    if (k.is_string() && k.str() == name) return v;
  }
  return std::nullopt;
}

bool IsObject(const ReplyView& v) {
  return v.type() == ReplyType::kMap ||
         (v.type() == ReplyType::kArray && v.size() % 2 == 0);
}

absl::Status CheckSlotRange(absl::string_view where, int64_t first,
                            int64_t last) {
  if (first < 0 || first >= kNumSlots || last < 0 || last >= kNumSlots) {
    return Malformed(where, absl::StrCat("slot range ", first, "-", last,
                                         " is not within 0-", kNumSlots - 1));
  }
  if (first > last) {
    return Malformed(where, absl::StrCat("slot range ", first, "-", last,
                                         " ends before it starts"));
  }
  return absl::OkStatus();
}

absl::Status CheckPort(absl::string_view where, int64_t port) {
  if (port < 1 || port > 65535) {
    return Malformed(where,
                     absl::StrCat("port ", port, " is not within 1..65535"));
  }
  return absl::OkStatus();
}

// A string field's text if present and a string (empty otherwise; a null
// counts as absent).
std::string StrField(const ReplyView& obj, absl::string_view name) {
  std::optional<ReplyView> v = Field(obj, name);
  if (!v.has_value() || !v->is_string()) return std::string();
  return std::string(v->str());
}

// One node of a CLUSTER SLOTS entry: [endpoint, port, id?, metadata?].
absl::StatusOr<NodeAddress> ParseSlotsNode(const ReplyView& node,
                                           absl::string_view where,
                                           absl::string_view queried_host) {
  if (node.type() != ReplyType::kArray || node.size() < 2) {
    return Malformed(
        where, absl::StrCat("expected an array [endpoint, port, ...], "
                            "got ",
                            ReplyTypeName(node.type()), " of ", node.size()));
  }
  NodeAddress out;
  const ReplyView endpoint = node[0];
  if (!endpoint.is_null() && !endpoint.is_string()) {
    return Malformed(where, "endpoint is not a string");
  }
  int64_t port = 0;
  if (!ToInt(node[1], &port)) return Malformed(where, "port is not an integer");
  if (absl::Status s = CheckPort(where, port); !s.ok()) return s;
  out.port = static_cast<int>(port);
  if (node.size() >= 3) {
    if (!node[2].is_string())
      return Malformed(where, "node id is not a string");
    out.id = std::string(node[2].str());
  }
  std::string ip;
  if (node.size() >= 4) {
    const ReplyView meta = node[3];
    if (!IsObject(meta)) {
      return Malformed(where, "metadata is not a map or key/value array");
    }
    out.hostname = StrField(meta, "hostname");
    out.availability_zone = StrField(meta, "availability-zone");
    ip = StrField(meta, "ip");
  }
  const absl::string_view host = endpoint.str();
  if (host.empty()) {
    out.host = std::string(queried_host);
  } else if (host == "?") {
    out.host = ip.empty() ? std::string(queried_host) : ip;
  } else {
    out.host = std::string(host);
  }
  if (out.host.empty()) {
    return Malformed(where, "endpoint is unknown and no queried host given");
  }
  return out;
}

absl::StatusOr<NodeAddress> ParseShardsNode(const ReplyView& node,
                                            absl::string_view where,
                                            absl::string_view queried_host,
                                            const ShardsParseOptions& options) {
  if (!IsObject(node)) {
    return Malformed(where, "node is not a map or key/value array");
  }
  NodeAddress out;
  out.id = StrField(node, "id");
  out.hostname = StrField(node, "hostname");
  out.availability_zone = StrField(node, "availability-zone");
  std::optional<ReplyView> port = Field(node, "port");
  std::optional<ReplyView> tls_port = Field(node, "tls-port");
  if (options.use_tls_port && tls_port.has_value()) port = tls_port;
  if (!port.has_value()) port = tls_port;  // a TLS-only node
  int64_t port_value = 0;
  if (!port.has_value()) return Malformed(where, "no port");
  if (!ToInt(*port, &port_value)) {
    return Malformed(where, "port is not an integer");
  }
  if (absl::Status s = CheckPort(where, port_value); !s.ok()) return s;
  out.port = static_cast<int>(port_value);
  std::string host = StrField(node, "endpoint");
  if (host.empty() || host == "?") host = StrField(node, "ip");
  if (host.empty()) host = std::string(queried_host);
  if (host.empty()) {
    return Malformed(where, "endpoint is unknown and no queried host given");
  }
  out.host = std::move(host);
  return out;
}

}  // namespace

absl::StatusOr<SlotMap> ParseClusterSlots(const ReplyView& reply,
                                          absl::string_view queried_host) {
  if (reply.is_error()) return Annotate(reply.ToStatus(), "CLUSTER SLOTS");
  if (reply.type() != ReplyType::kArray) {
    return Malformed(
        "CLUSTER SLOTS",
        absl::StrCat("expected an array, got ", ReplyTypeName(reply.type())));
  }
  SlotMapBuilder builder;
  size_t entry_index = 0;
  for (const ReplyView entry : reply) {
    const std::string where = absl::StrCat("CLUSTER SLOTS entry ", entry_index);
    ++entry_index;
    if (entry.type() != ReplyType::kArray || entry.size() < 3) {
      return Malformed(where, "expected [start, end, primary, replicas...]");
    }
    int64_t first = 0;
    int64_t last = 0;
    if (!ToInt(entry[0], &first) || !ToInt(entry[1], &last)) {
      return Malformed(where, "start/end slot is not an integer");
    }
    if (absl::Status s = CheckSlotRange(where, first, last); !s.ok()) return s;
    Shard shard;
    size_t node_index = 0;
    for (const ReplyView node : entry) {
      if (node_index++ < 2) continue;  // the slot numbers
      const std::string node_where =
          absl::StrCat(where, ": node ", node_index - 3);
      absl::StatusOr<NodeAddress> address =
          ParseSlotsNode(node, node_where, queried_host);
      if (!address.ok()) return address.status();
      if (node_index == 3) {
        shard.primary = *std::move(address);
      } else {
        shard.replicas.push_back(*std::move(address));
      }
    }
    if (!builder.Assign(static_cast<int>(first), static_cast<int>(last),
                        std::move(shard))) {
      return Malformed(where, absl::StrCat("slots ", first, "-", last,
                                           " overlap an earlier entry"));
    }
  }
  return std::move(builder).Finish();
}

absl::StatusOr<SlotMap> ParseClusterShards(const ReplyView& reply,
                                           absl::string_view queried_host,
                                           const ShardsParseOptions& options) {
  if (reply.is_error()) return Annotate(reply.ToStatus(), "CLUSTER SHARDS");
  if (reply.type() != ReplyType::kArray) {
    return Malformed(
        "CLUSTER SHARDS",
        absl::StrCat("expected an array, got ", ReplyTypeName(reply.type())));
  }
  SlotMapBuilder builder;
  size_t shard_index = 0;
  for (const ReplyView entry : reply) {
    const std::string where =
        absl::StrCat("CLUSTER SHARDS shard ", shard_index);
    ++shard_index;
    if (!IsObject(entry)) {
      return Malformed(where, "shard is not a map or key/value array");
    }
    const std::optional<ReplyView> slots = Field(entry, "slots");
    const std::optional<ReplyView> nodes = Field(entry, "nodes");
    if (!slots.has_value() || slots->type() != ReplyType::kArray ||
        slots->size() % 2 != 0) {
      return Malformed(where, "\"slots\" is not an array of start/end pairs");
    }
    if (!nodes.has_value() || nodes->type() != ReplyType::kArray) {
      return Malformed(where, "\"nodes\" is not an array");
    }
    std::vector<std::pair<int, int>> ranges;
    for (auto [start, end] : slots->pairs()) {
      int64_t first = 0;
      int64_t last = 0;
      if (!ToInt(start, &first) || !ToInt(end, &last)) {
        return Malformed(where, "a slot is not an integer");
      }
      if (absl::Status s = CheckSlotRange(where, first, last); !s.ok()) {
        return s;
      }
      ranges.emplace_back(static_cast<int>(first), static_cast<int>(last));
    }
    Shard shard;
    bool have_primary = false;
    bool primary_online = false;
    size_t node_index = 0;
    for (const ReplyView node : *nodes) {
      const std::string node_where =
          absl::StrCat(where, ": node ", node_index++);
      absl::StatusOr<NodeAddress> address =
          ParseShardsNode(node, node_where, queried_host, options);
      if (!address.ok()) return address.status();
      const std::string role = StrField(node, "role");
      const bool online = StrField(node, "health") == "online";
      if (role == "master" || role == "primary") {
        // Prefer an online primary; keep the first one otherwise.
        if (!have_primary || (online && !primary_online)) {
          shard.primary = *std::move(address);
          have_primary = true;
          primary_online = online;
        }
      } else if (online) {
        shard.replicas.push_back(*std::move(address));
      }
    }
    if (ranges.empty() || !have_primary) continue;
    for (const auto& [first, last] : ranges) {
      if (!builder.Assign(first, last, shard)) {
        return Malformed(where, absl::StrCat("slots ", first, "-", last,
                                             " overlap an earlier shard"));
      }
    }
  }
  return std::move(builder).Finish();
}

}  // namespace cluster
}  // namespace valkey

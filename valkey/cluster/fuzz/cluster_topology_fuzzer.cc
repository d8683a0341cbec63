// Fuzz target for ParseClusterSlots() and ParseClusterShards()
// (valkey/cluster/slot_map.h).
//
// Input: RESP bytes; the first complete reply is parsed by both parsers.
//
// Checked, beyond "no crash, no sanitizer report":
//   - an error reply gives its own server error status; anything else that
//     fails is DATA_LOSS with kind kProtocol;
//   - a parsed map serves every covered slot with a primary whose host is
//     non-empty and whose port is in 1..65535, and every shard serves at
//     least one slot;
//   - a copy compares equal, and SetSlotPrimary on it keeps it valid.

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "valkey/cluster/key_slot.h"
#include "valkey/cluster/slot_map.h"
#include "valkey/common/errors.h"
#include "valkey/common/fuzz/fuzz_check.h"
#include "valkey/common/reply.h"
#include "valkey/common/resp_reader.h"

namespace valkey {
namespace cluster {
namespace {

void CheckNode(const NodeAddress& n) {
  FUZZ_CHECK(!n.host.empty(), "node without host");
  FUZZ_CHECK(n.port >= 1 && n.port <= 65535, "port out of range");
}

void Check(const Reply& reply, const absl::StatusOr<SlotMap>& map) {
  if (!map.ok()) {
    if (reply.is_error()) {
      FUZZ_CHECK(IsServerError(map.status()), "error reply lost its kind");
    } else {
      FUZZ_CHECK(map.status().code() == absl::StatusCode::kDataLoss,
                 map.status().ToString().c_str());
      FUZZ_CHECK(IsProtocolError(map.status()), "not kProtocol");
    }
    return;
  }
  std::vector<bool> used(map->shards().size(), false);
  for (int slot = 0; slot < kNumSlots; ++slot) {
    const Shard* shard = map->ShardForSlot(slot);
    if (shard == nullptr) continue;
    CheckNode(shard->primary);
    for (const NodeAddress& r : shard->replicas) CheckNode(r);
    used[shard - map->shards().data()] = true;
  }
  for (bool u : used) FUZZ_CHECK(u, "a shard serves no slot");
  SlotMap copy = *map;
  FUZZ_CHECK(copy == *map, "copy differs");
  FUZZ_CHECK(copy.SetSlotPrimary(0, NodeAddress{"fuzz", 1}).ok(),
             "SetSlotPrimary failed");
  FUZZ_CHECK(copy.ShardForSlot(0)->primary.host == "fuzz", "slot not moved");
}

void FuzzOne(absl::string_view bytes) {
  RespReader reader;
  reader.Feed(bytes);
  Reply reply;
  if (reader.Read(&reply) != RespReader::Result::kReply) return;
  Check(reply, ParseClusterSlots(reply.view(), "seed"));
  Check(reply, ParseClusterShards(reply.view(), "seed"));
  Check(reply,
        ParseClusterShards(reply.view(), "seed", {.use_tls_port = true}));
}

}  // namespace
}  // namespace cluster
}  // namespace valkey

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  valkey::cluster::FuzzOne(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}

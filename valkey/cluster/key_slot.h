// KeySlot: the Valkey Cluster hash slot of a key.
//
// A cluster splits its keyspace into kNumSlots (16384) hash slots; each key
// lives in the slot CRC16(key) mod 16384, where CRC16 is the XMODEM/CCITT
// variant (polynomial 0x1021, initial value 0, no reflection, no final xor).
// A hash tag forces several keys into one slot: when a key contains a '{'
// followed later by a '}' with at least one byte between them, only the bytes
// between the first '{' and the first '}' after it are hashed:
//
//   KeySlot("{user1000}.following") == KeySlot("{user1000}.followers")
//   KeySlot("foo{}{bar}")     hashes "foo{}{bar}" (the first tag is empty)
//   KeySlot("foo{{bar}}zap")  hashes "{bar"
//   KeySlot("foo{bar}{zap}")  hashes "bar"
//
// The rule is the server's (cluster.c keyHashSlot); a client must agree with
// it bit for bit or every command it routes draws a MOVED.
//
// Cost: one table lookup per byte of the hashed part; no allocation.
//
// Thread-safety: pure functions over a constant table.

#ifndef VALKEY_CLUSTER_KEY_SLOT_H_
#define VALKEY_CLUSTER_KEY_SLOT_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace valkey {
namespace cluster {

// Number of hash slots of a Valkey cluster. Slots are 0 .. kNumSlots - 1.
inline constexpr int kNumSlots = 16384;

// CRC16-XMODEM of `data` (the server's crc16()). Crc16("123456789") ==
// 0x31C3, the standard check value.
[[nodiscard]] uint16_t Crc16(absl::string_view data);

// The part of `key` that is hashed: the hash tag if the key has a non-empty
// one, else the whole key. A view into `key`.
[[nodiscard]] absl::string_view HashTag(absl::string_view key);

// The hash slot of `key`, in [0, kNumSlots). The empty key is slot 0.
[[nodiscard]] uint16_t KeySlot(absl::string_view key);

}  // namespace cluster
}  // namespace valkey

#endif  // VALKEY_CLUSTER_KEY_SLOT_H_

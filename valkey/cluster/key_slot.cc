#include "valkey/cluster/key_slot.h"

#include <array>
#include <cstddef>
#include <cstdint>

namespace valkey {
namespace cluster {
namespace {

// The CRC16-XMODEM table for each byte value, computed at compile time from
// the polynomial rather than pasted, so it cannot carry a typo.
constexpr std::array<uint16_t, 256> MakeCrc16Table() {
  std::array<uint16_t, 256> table{};
  for (int byte = 0; byte < 256; ++byte) {
    uint16_t crc = static_cast<uint16_t>(byte << 8);
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) != 0 ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                                : static_cast<uint16_t>(crc << 1);
    }
    table[byte] = crc;
  }
  return table;
}

constexpr std::array<uint16_t, 256> kCrc16Table = MakeCrc16Table();

static_assert(kCrc16Table[1] == 0x1021, "CRC16 table is wrong");
static_assert(kCrc16Table[255] == 0x1EF0, "CRC16 table is wrong");
// kNumSlots is a power of two, so "mod 16384" is a mask (as in the server).
static_assert((kNumSlots & (kNumSlots - 1)) == 0, "slots must be 2^n");

}  // namespace

uint16_t Crc16(absl::string_view data) {
  uint16_t crc = 0;
  for (const char c : data) {
    const uint8_t index =
        static_cast<uint8_t>((crc >> 8) ^ static_cast<uint8_t>(c));
    crc = static_cast<uint16_t>((crc << 8) ^ kCrc16Table[index]);
  }
  return crc;
}

absl::string_view HashTag(absl::string_view key) {
  const size_t open = key.find('{');
  if (open == absl::string_view::npos) return key;
  const size_t close = key.find('}', open + 1);
  // No closing brace, or "{}": the whole key is hashed.
  if (close == absl::string_view::npos || close == open + 1) return key;
  return key.substr(open + 1, close - open - 1);
}

uint16_t KeySlot(absl::string_view key) {
  return static_cast<uint16_t>(Crc16(HashTag(key)) & (kNumSlots - 1));
}

}  // namespace cluster
}  // namespace valkey

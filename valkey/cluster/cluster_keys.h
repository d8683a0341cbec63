// Cluster keys: keys that land in a chosen hash slot, and one slot on each
// primary of ValkeyCluster's default three-primary layout, for cluster
// tests that must reach every node.
//
//   for (int slot : kSlotsAcrossPrimaries) {
//     client->Set(KeyInSlot(slot), "v");   // "k{t123}" hashes to `slot`
//   }
//
// Thread-safety: plain functions and constants.

#ifndef VALKEY_CLUSTER_CLUSTER_KEYS_H_
#define VALKEY_CLUSTER_CLUSTER_KEYS_H_

#include <string>

#include "absl/strings/string_view.h"

namespace valkey::testing {

// One slot in each third of the slot space: with three primaries sharing
// the slots evenly (ValkeyCluster::Options::num_primaries = 3), one slot on
// each primary.
inline constexpr int kSlotsAcrossPrimaries[] = {10, 6000, 12000};

// `prefix` + "{tag}" + `suffix`, with the first tag of "t0", "t1", ... that
// hashes to `slot`: the same arguments always give the same key. `slot`
// must be in 0..16383 (the search does not end for any other value).
std::string KeyInSlot(int slot, absl::string_view prefix = "k",
                      absl::string_view suffix = "");

}  // namespace valkey::testing

#endif  // VALKEY_CLUSTER_CLUSTER_KEYS_H_

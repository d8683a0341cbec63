#include "valkey/cluster/cluster_keys.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "valkey/cluster/key_slot.h"

namespace valkey::testing {

std::string KeyInSlot(int slot, absl::string_view prefix,
                      absl::string_view suffix) {
  for (int i = 0;; ++i) {
    const std::string tag = absl::StrCat("t", i);
    if (cluster::KeySlot(tag) == slot) {
      return absl::StrCat(prefix, "{", tag, "}", suffix);
    }
  }
}

}  // namespace valkey::testing

#include "valkey/client/script.h"

#include <openssl/sha.h>

#include <cstdint>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"

namespace valkey {

std::string ScriptSha1(absl::string_view source) {
  uint8_t digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const uint8_t*>(source.data()), source.size(),
       digest);
  return absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(digest), sizeof digest));
}

}  // namespace valkey

#include "testing/rotation_users.h"

#include <string>
#include <vector>

namespace valkey::testing {

std::vector<std::string> RotationAclUsers() {
  // "&*": every pub/sub channel too, so that tests need no second user
  // for subscriber connections.
  return {"user alice on >alice-pw ~* &* +@all",
          "user bob on >bob-pw ~* &* +@all"};
}

std::string UserIn(const absl::StatusOr<Reply>& reply) {
  if (!reply.ok()) return std::string(reply.status().message());
  if (!reply->is_string()) return "ACL WHOAMI: not a string reply";
  return std::string(reply->str());
}

}  // namespace valkey::testing

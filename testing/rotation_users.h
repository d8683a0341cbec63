// Rotation users: the two ACL users that credential-rotation tests switch
// a client between, and the ways those tests ask a connection which user
// it is (ACL WHOAMI).
//
//   ValkeyServer::Options o;
//   o.acl_users = RotationAclUsers();       // alice / bob, see below
//   ...
//   EXPECT_EQ(WhoAmI(connection), "alice");
//   provider->Set(Credentials{"bob", "bob-pw"});
//   client->ReauthenticateAll();
//   EXPECT_THAT(WhoAreAll(3, [&] { return pool->Acquire(); }),
//               Each(std::string("bob")));
//
// The users: "alice" with password "alice-pw" and "bob" with "bob-pw", each
// allowed every key, channel and command. A user name is what a test
// compares; a failed command yields its error message instead, so a
// failure reads as an unexpected user in the assertion (never a crash).
//
// Thread-safety: plain functions; each call uses only what it is given.

#ifndef VALKEY_TESTING_ROTATION_USERS_H_
#define VALKEY_TESTING_ROTATION_USERS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "valkey/common/reply.h"

namespace valkey::testing {

// ACL SETUSER rules for alice and bob, for ValkeyServer::Options::acl_users
// and ValkeyCluster::Options::acl_users.
std::vector<std::string> RotationAclUsers();

// The user an ACL WHOAMI reply names, or the failure's message.
std::string UserIn(const absl::StatusOr<Reply>& reply);

// ACL WHOAMI on `target`: anything with a blocking Execute(args...) that
// returns absl::StatusOr<Reply> (Connection, Client, a pooled connection's
// Connection). Blocks for one round trip.
template <typename Target>
std::string WhoAmI(Target& target) {
  return UserIn(target.Execute("ACL", "WHOAMI"));
}

// Takes `n` connections from `acquire` at once — so that a pool hands out
// every idle one rather than the same one `n` times — asks each who it is,
// and returns them all (to their pool) at the end. `acquire` returns an
// absl::StatusOr of a handle whose `**handle` is a Connection (the blocking
// pools' Acquire, Client::AcquireConnection); a failed acquire yields its
// message in place of a user.
template <typename Acquire>
std::vector<std::string> WhoAreAll(int n, Acquire acquire) {
  std::vector<typename decltype(acquire())::value_type> held;
  std::vector<std::string> users;
  for (int i = 0; i < n; ++i) {
    auto handle = acquire();
    if (!handle.ok()) {
      users.push_back(std::string(handle.status().message()));
      continue;
    }
    users.push_back(WhoAmI(**handle));
    held.push_back(*std::move(handle));
  }
  return users;
}

}  // namespace valkey::testing

#endif  // VALKEY_TESTING_ROTATION_USERS_H_

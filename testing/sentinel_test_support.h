// Helpers shared by the blocking and the async Sentinel tests
// (valkey/sentinel/sentinel_test.cc, valkey/sentinel/async_sentinel_test.cc): a
// topology, the option templates pointing at it, and the checks of the
// secured-topology tests (passwords, ACL users, TLS to the sentinels).
// Test-only; the Expect* helpers report through GoogleTest.

#ifndef TESTING_SENTINEL_TEST_SUPPORT_H_
#define TESTING_SENTINEL_TEST_SUPPORT_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "testing/sentinel_topology.h"
#include "valkey/common/config.h"
#include "valkey/common/credentials.h"

namespace valkey::testing {

// A default topology (EXPECTs success; null on failure).
std::unique_ptr<SentinelTopology> StartTopology(
    SentinelTopology::Options options = {});

// Sentinel options for `topo` (1 s time-outs, the given protocol).
SentinelOptions MakeSentinelOptions(const SentinelTopology& topo,
                                    int protocol = 3);
// A client template following `topo` (1 s time-outs, 3 retries).
ClientOptions MakeClientOptions(const SentinelTopology& topo, int protocol = 3);

// "127.0.0.1:<port>".
std::string Loopback(int port);
// "host:port" for each pair.
std::vector<std::string> Addresses(
    const std::vector<std::pair<std::string, int>>& host_ports);

// The secured topology: sentinel password, an ACL user "watcher" on the
// sentinels, a data-node password, TLS on the sentinels.
inline constexpr char kSentinelPassword[] = "Sentinel-Pw-7q2";
inline constexpr char kWatcherPassword[] = "Watcher-Pw-3k8";
inline constexpr char kDataPassword[] = "Data-Pw-9x4";
inline constexpr char kWrongPassword[] = "Wrong-Pw-5m1";
SentinelTopology::Options SecuredTopologyOptions();

std::shared_ptr<CredentialProvider> Creds(const std::string& user,
                                          const std::string& password);

// Creates ACL user `user` with `password` and every permission on the
// node at 127.0.0.1:`port` (no password: deletes the user). ACL users are
// not replicated, so this makes chosen data nodes refuse a client while the
// sentinels (default user) still report them healthy.
absl::Status SetAclUserOn(int port, const std::string& user,
                          const std::string& password);

// Plain sentinel connections to `topo` with `credentials`.
SentinelOptions PlainSentinel(const SentinelTopology& topo, int protocol,
                              std::shared_ptr<CredentialProvider> credentials);
// TLS sentinel connections, verified against the sentinels' CA.
SentinelOptions TlsSentinel(const SentinelTopology& topo, int protocol,
                            std::shared_ptr<CredentialProvider> credentials);
// Data connections with `data` credentials, following `sentinel`.
ClientOptions SecuredClient(const SentinelTopology& topo, int protocol,
                            SentinelOptions sentinel,
                            std::shared_ptr<CredentialProvider> data);

// No secret of the secured topology (nor the wrong one) shows in `status`.
void ExpectNoSecrets(const absl::Status& status);
// What `status` says about the sentinel at `address`: from "address - " up
// to the next sentinel's entry of `all` (or the end); "" if absent.
std::string EntryFor(const absl::Status& status, const std::string& address,
                     const std::vector<std::string>& all);
bool MentionsAuthFailure(absl::string_view text);
// A NOT_FOUND (kMasterNotFound) whose message has an entry for each of
// `addresses` that mentions an authentication failure, and no secret.
void ExpectAuthFailureFromEach(const absl::Status& status,
                               const std::vector<std::string>& addresses);

}  // namespace valkey::testing

#endif  // TESTING_SENTINEL_TEST_SUPPORT_H_

#include "testing/sentinel_test_support.h"

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/raw_client.h"
#include "valkey/common/errors.h"

namespace valkey::testing {

std::unique_ptr<SentinelTopology> StartTopology(
    SentinelTopology::Options options) {
  absl::StatusOr<std::unique_ptr<SentinelTopology>> topo =
      SentinelTopology::Start(std::move(options));
  EXPECT_TRUE(topo.ok()) << topo.status();
  return topo.ok() ? *std::move(topo) : nullptr;
}

SentinelOptions MakeSentinelOptions(const SentinelTopology& topo,
                                    int protocol) {
  SentinelOptions options;
  for (const auto& [host, port] : topo.sentinel_addresses()) {
    options.sentinels.push_back(SentinelAddress{host, port});
  }
  options.service_name = topo.service_name();
  options.connection.protocol = protocol;
  options.connection.connect_timeout = absl::Seconds(1);
  options.connection.socket_timeout = absl::Seconds(1);
  return options;
}

ClientOptions MakeClientOptions(const SentinelTopology& topo, int protocol) {
  ClientOptions options;
  options.sentinel = MakeSentinelOptions(topo, protocol);
  options.connection.protocol = protocol;
  options.connection.connect_timeout = absl::Seconds(1);
  options.connection.socket_timeout = absl::Seconds(1);
  options.connection.retry.retries = 3;
  return options;
}

std::string Loopback(int port) { return absl::StrCat("127.0.0.1:", port); }

std::vector<std::string> Addresses(
    const std::vector<std::pair<std::string, int>>& host_ports) {
  std::vector<std::string> out;
  for (const auto& [host, port] : host_ports) {
    out.push_back(absl::StrCat(host, ":", port));
  }
  return out;
}

SentinelTopology::Options SecuredTopologyOptions() {
  SentinelTopology::Options options;
  options.sentinel_password = kSentinelPassword;
  options.sentinel_acl_users = {
      absl::StrCat("user watcher on >", kWatcherPassword, " ~* &* +@all")};
  options.data_password = kDataPassword;
  options.sentinel_tls = true;
  return options;
}

std::shared_ptr<CredentialProvider> Creds(const std::string& user,
                                          const std::string& password) {
  return std::make_shared<StaticCredentialProvider>(user, password);
}

SentinelOptions PlainSentinel(const SentinelTopology& topo, int protocol,
                              std::shared_ptr<CredentialProvider> credentials) {
  SentinelOptions options = MakeSentinelOptions(topo, protocol);
  options.connection.credentials = std::move(credentials);
  return options;
}

SentinelOptions TlsSentinel(const SentinelTopology& topo, int protocol,
                            std::shared_ptr<CredentialProvider> credentials) {
  SentinelOptions options =
      PlainSentinel(topo, protocol, std::move(credentials));
  options.sentinels.clear();
  for (const auto& [host, port] : topo.sentinel_tls_addresses()) {
    options.sentinels.push_back(SentinelAddress{host, port});
  }
  options.connection.tls.enabled = true;
  options.connection.tls.ca_file = topo.sentinel_ca_cert_path();
  options.connection.tls.use_system_trust_store = false;
  return options;
}

ClientOptions SecuredClient(const SentinelTopology& topo, int protocol,
                            SentinelOptions sentinel,
                            std::shared_ptr<CredentialProvider> data) {
  ClientOptions options = MakeClientOptions(topo, protocol);
  options.sentinel = std::move(sentinel);
  options.connection.credentials = std::move(data);
  // The async master/replica connection bounds its whole attempt (asking
  // every sentinel, then the node) by connect_timeout. These tests check
  // which error names which sentinel; under TSan three refused sentinel
  // handshakes took over 1 s, and the attempt then ended with a bare
  // DEADLINE_EXCEEDED instead of the NOT_FOUND under test.
  options.connection.connect_timeout = absl::Seconds(5);
  return options;
}

void ExpectNoSecrets(const absl::Status& status) {
  for (const char* secret :
       {kSentinelPassword, kWatcherPassword, kDataPassword, kWrongPassword}) {
    EXPECT_EQ(status.ToString().find(secret), std::string::npos)
        << secret << " leaked: " << status;
  }
}

std::string EntryFor(const absl::Status& status, const std::string& address,
                     const std::vector<std::string>& all) {
  const std::string message(status.message());
  const size_t at = message.find(address + " - ");
  if (at == std::string::npos) return "";
  size_t end = message.size();
  for (const std::string& other : all) {
    if (other == address) continue;
    const size_t next = message.find(other + " - ", at + 1);
    if (next != std::string::npos && next < end) end = next;
  }
  return message.substr(at, end - at);
}

bool MentionsAuthFailure(absl::string_view text) {
  return absl::StrContains(text, "authenticate") ||
         absl::StrContains(text, "NOAUTH") ||
         absl::StrContains(text, "WRONGPASS");
}

void ExpectAuthFailureFromEach(const absl::Status& status,
                               const std::vector<std::string>& addresses) {
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << status;
  EXPECT_EQ(GetErrorKind(status), ErrorKind::kMasterNotFound) << status;
  for (const std::string& address : addresses) {
    const std::string entry = EntryFor(status, address, addresses);
    EXPECT_FALSE(entry.empty()) << address << " missing in " << status;
    EXPECT_TRUE(MentionsAuthFailure(entry)) << address << ": " << entry;
  }
  ExpectNoSecrets(status);
}

absl::Status SetAclUserOn(int port, const std::string& user,
                          const std::string& password) {
  absl::StatusOr<RawConnection> conn = RawConnection::Tcp("127.0.0.1", port);
  if (!conn.ok()) return conn.status();
  std::vector<std::string> command =
      password.empty() ? std::vector<std::string>{"ACL", "DELUSER", user}
                       : std::vector<std::string>{
                             "ACL",          "SETUSER", user, "reset", "on",
                             ">" + password, "~*",      "&*", "+@all"};
  absl::StatusOr<std::string> reply = conn->Command(command);
  if (!reply.ok()) return reply.status();
  if (absl::StartsWith(*reply, "-")) {
    return absl::InternalError(
        absl::StrCat("ACL on port ", port, " refused: ", *reply));
  }
  return absl::OkStatus();
}

}  // namespace valkey::testing

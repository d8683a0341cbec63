// The client-side cache of the sync Client across fork(): a child starts
// over (empty cache, its own tracking connection and reader thread) while
// invalidations keep streaming into the parent, and the parent goes on.
// Not tagged "tsan": the child starts a thread after forking a
// multi-threaded process, which ThreadSanitizer refuses by design.

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/fork/forked_child.h"
#include "testing/valkey_server.h"
#include "valkey/client/client.h"
#include "valkey/client/pipeline.h"

namespace valkey {
namespace {

using ::valkey::testing::RunInForkedChild;
using ::valkey::testing::ValkeyServer;

class CacheForkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = ValkeyServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    ClientOptions plain = Options();
    plain.cache.enabled = false;
    auto writer = Client::Create(plain);
    ASSERT_TRUE(writer.ok()) << writer.status();
    writer_ = *std::move(writer);
  }

  ClientOptions Options() const {
    ClientOptions options;
    options.connection.host = "127.0.0.1";
    options.connection.port = server_->port();
    options.connection.protocol = 3;
    options.connection.socket_timeout = absl::Seconds(5);
    options.pool.max_connections = 4;
    options.cache.enabled = true;
    options.cache.allow_commands = DefaultCacheAllowCommands();
    options.cache.deny_commands = DefaultCacheDenyCommands();
    return options;
  }

  std::unique_ptr<Client> MakeClient(ClientOptions options) {
    auto client = Client::Create(std::move(options));
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }

  std::string Get(Client& client, absl::string_view key) {
    auto v = client.Get(key);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? v->value_or("<nil>") : "<error>";
  }

  void Set(absl::string_view key, absl::string_view value) {
    ASSERT_TRUE(writer_->Set(key, value).ok());
  }

  std::unique_ptr<ValkeyServer> server_;
  std::unique_ptr<Client> writer_;  // No cache.
};

TEST_F(CacheForkTest, CacheStartsOverInAForkedChild) {
  // Keep the tracking connection's reader thread busy while forking (a
  // child must never inherit a lock it held): a separate process writes
  // without pause, so invalidations keep arriving. (A thread of this
  // process doing it would itself break the rule "fork while no other
  // thread is inside a library call".)
  int stop[2];
  ASSERT_EQ(::pipe(stop), 0);
  const pid_t noise = ::fork();
  ASSERT_GE(noise, 0);
  if (noise == 0) {
    ::close(stop[1]);
    ::fcntl(stop[0], F_SETFL, O_NONBLOCK);
    ClientOptions plain = Options();
    plain.cache.enabled = false;
    auto w = Client::Create(plain);
    for (int i = 0; w.ok(); ++i) {
      char c;
      if (::read(stop[0], &c, 1) == 0) break;  // The test closed the pipe.
      // Batches: a burst of invalidations per round trip keeps the reader
      // thread inside its locks as much as possible.
      Pipeline pipe(**w);
      for (int j = 0; j < 200; ++j) pipe.Set(absl::StrCat("noise", j), "x");
      (void)pipe.Execute();
    }
    ::_exit(0);
  }
  ::close(stop[0]);
  auto client = MakeClient(Options());
  Set("k", "v1");
  EXPECT_EQ(Get(*client, "k"), "v1");
  EXPECT_EQ(Get(*client, "k"), "v1");
  const int port = server_->port();
  for (int round = 0; round < 30; ++round) {
    // 0 ok; 1 a command failed; 2 a stale or wrong value; 3 no caching.
    absl::StatusOr<int> code = RunInForkedChild([&]() {
      ClientOptions plain = Options();
      plain.connection.port = port;
      plain.cache.enabled = false;
      auto own = Client::Create(plain);
      if (!own.ok()) return 1;
      // The child's first lookup starts over: empty cache, own tracking.
      auto v = client->Get("k");
      if (!v.ok()) return 1;
      if (v->value_or("") != "v1") return 2;
      if (!(*own)->Set("k", "child").ok()) return 1;
      const absl::Time deadline = absl::Now() + absl::Seconds(5);
      std::string seen;
      while (absl::Now() < deadline) {
        auto again = client->Get("k");
        if (!again.ok()) return 1;
        seen = again->value_or("");
        if (seen == "child") break;
      }
      if (seen != "child") return 2;
      auto hit = client->Get("k");
      if (!hit.ok()) return 1;
      if (hit->value_or("") != "child") return 2;
      if (client->cache_stats().hits == 0) return 3;
      if (!(*own)->Set("k", "v1").ok()) return 1;
      return 0;
    });
    ASSERT_TRUE(code.ok()) << code.status() << " in round " << round;
    ASSERT_EQ(*code, 0) << "round " << round;
  }
  ::close(stop[1]);
  ::waitpid(noise, nullptr, 0);
  // The parent's tracking still works.
  Set("k", "parent");
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (Get(*client, "k") != "parent" && absl::Now() < deadline) {
  }
  EXPECT_EQ(Get(*client, "k"), "parent");
  EXPECT_EQ(client->cache_stats().tracking_losses, 0);
}

}  // namespace
}  // namespace valkey

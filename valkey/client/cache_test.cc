// The client-side cache of the sync Client against a real valkey-server:
// hits without I/O, invalidation by other clients' writes, eviction (entries
// and bytes), TTL with a fake clock, command and key-prefix filters, RESP2
// refusal, flushes after a cut connection or a server restart, counters,
// concurrency; the tracking connection read in the background while the
// client is idle, its health check against a blackholed peer (through the
// fault proxy), no reconnect convoy during an outage. Fork: cache_fork_test.

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/fault_proxy.h"
#include "testing/valkey_server.h"
#include "valkey/client/client.h"
#include "valkey/client/client_cache.h"
#include "valkey/client/pipeline.h"
#include "valkey/client/transaction.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace {

using ::valkey::testing::FaultProxy;
using ::valkey::testing::ValkeyServer;

class FakeClock {
 public:
  absl::Time Now() {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  absl::Mutex mu_;
  absl::Time now_ = absl::FromUnixSeconds(1000);
};

using Keys = std::optional<std::vector<std::string>>;

Keys KeysOf(std::vector<std::string> argv) {
  std::vector<CommandArg> args(argv.begin(), argv.end());
  return ClientCache::KeysOf(argv[0], args);
}

TEST(ClientCacheKeysTest, KeyPositions) {
  EXPECT_EQ(KeysOf({"GET", "k"}), Keys({"k"}));
  EXPECT_EQ(KeysOf({"GET"}), std::nullopt);
  EXPECT_EQ(KeysOf({"MGET", "a", "b"}), Keys({"a", "b"}));
  EXPECT_EQ(KeysOf({"LCS", "a", "b", "LEN"}), Keys({"a", "b"}));
  EXPECT_EQ(KeysOf({"ZUNION", "2", "a", "b", "WITHSCORES"}),
            Keys({"a", "b"}));
  EXPECT_EQ(KeysOf({"SINTERCARD", "3", "a", "b"}), std::nullopt);
  EXPECT_EQ(KeysOf({"JSON.MGET", "a", "b", "$"}), Keys({"a", "b"}));
  EXPECT_EQ(KeysOf({"XREAD", "COUNT", "2", "STREAMS", "s1", "s2", "0", "0"}),
            Keys({"s1", "s2"}));
  EXPECT_EQ(KeysOf({"XREAD", "BLOCK", "0", "STREAMS", "s", "$"}),
            std::nullopt);
  EXPECT_EQ(KeysOf({"SORT_RO", "l", "BY", "w_*"}), std::nullopt);
  EXPECT_EQ(KeysOf({"SET", "k", "v"}), std::nullopt);
}

class CacheTest : public ::testing::Test {
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

  std::unique_ptr<Client> MakeClient(ClientOptions options,
                                     LocalCache::Clock clock = nullptr) {
    options.cache.clock = std::move(clock);
    auto client = Client::Create(std::move(options));
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }

  // Server-side count of executions of `command` (lower case), from INFO
  // commandstats.
  int64_t Calls(absl::string_view command) {
    auto info = writer_->Execute("INFO", "commandstats");
    EXPECT_TRUE(info.ok()) << info.status();
    if (!info.ok()) return -1;
    const std::string tag = absl::StrCat("cmdstat_", command, ":calls=");
    for (absl::string_view line : absl::StrSplit(info->str(), "\r\n")) {
      if (!absl::StartsWith(line, tag)) continue;
      line.remove_prefix(tag.size());
      int64_t n = 0;
      EXPECT_TRUE(absl::SimpleAtoi(line.substr(0, line.find(',')), &n));
      return n;
    }
    return 0;
  }

  // The CLIENT LIST fields of the connections with tracking on.
  std::vector<std::string> TrackingClientLines() {
    std::vector<std::string> lines;
    auto list = writer_->Execute("CLIENT", "LIST");
    EXPECT_TRUE(list.ok()) << list.status();
    if (!list.ok()) return lines;
    for (absl::string_view line : absl::StrSplit(list->str(), '\n')) {
      const size_t at = line.find(" flags=");
      if (at == absl::string_view::npos) continue;
      absl::string_view flags = line.substr(at + 7);
      flags = flags.substr(0, flags.find(' '));
      if (absl::StrContains(flags, "t")) lines.emplace_back(line);
    }
    return lines;
  }

  // A numeric CLIENT LIST field ("omem") of `line`; -1 if absent.
  static int64_t Field(absl::string_view line, absl::string_view name) {
    const std::string tag = absl::StrCat(" ", name, "=");
    const size_t at = line.find(tag);
    if (at == absl::string_view::npos) return -1;
    absl::string_view v = line.substr(at + tag.size());
    v = v.substr(0, v.find(' '));
    int64_t n = -1;
    return absl::SimpleAtoi(v, &n) ? n : -1;
  }

  // Connections with client tracking on ('t' in CLIENT LIST flags).
  int TrackingClients() {
    auto list = writer_->Execute("CLIENT", "LIST");
    EXPECT_TRUE(list.ok()) << list.status();
    if (!list.ok()) return -1;
    int n = 0;
    for (absl::string_view line : absl::StrSplit(list->str(), '\n')) {
      const size_t at = line.find(" flags=");
      if (at == absl::string_view::npos) continue;
      absl::string_view flags = line.substr(at + 7);
      flags = flags.substr(0, flags.find(' '));
      if (absl::StrContains(flags, "t")) ++n;
    }
    return n;
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

TEST_F(CacheTest, SecondGetIsServedWithoutTheServer) {
  auto client = MakeClient(Options());
  ASSERT_TRUE(client->cache_enabled());
  Set("k", "v1");
  const int64_t before = Calls("get");
  EXPECT_EQ(Get(*client, "k"), "v1");
  EXPECT_EQ(Get(*client, "k"), "v1");
  auto generic = client->Execute("get", "k");  // Same entry, any case.
  ASSERT_TRUE(generic.ok());
  EXPECT_EQ(generic->str(), "v1");
  EXPECT_EQ(Calls("get"), before + 1);
  const CacheStats s = client->cache_stats();
  EXPECT_EQ(s.misses, 1);
  EXPECT_EQ(s.hits, 2);
  EXPECT_EQ(s.entries, 1);
  // Uncacheable commands are neither hits nor misses.
  ASSERT_TRUE(client->Execute("PING").ok());
  EXPECT_EQ(client->cache_stats().misses, 1);
}

TEST_F(CacheTest, AnotherClientsWriteIsSeenByTheNextRead) {
  auto client = MakeClient(Options());
  Set("k", "start");
  EXPECT_EQ(Get(*client, "k"), "start");
  for (int i = 0; i < 200; ++i) {
    const std::string value = absl::StrCat("v", i);
    Set("k", value);
    ASSERT_EQ(Get(*client, "k"), value) << "iteration " << i;
    ASSERT_EQ(Get(*client, "k"), value) << "iteration " << i;  // A hit.
  }
  const CacheStats s = client->cache_stats();
  EXPECT_GE(s.invalidations, 200);
  EXPECT_EQ(s.hits, 200);
  EXPECT_EQ(s.misses, 201);
}

// The hit path reads the store without the tracking connection's mutex
// (client_cache.h, "The hit path") while the reader thread drains
// invalidations under it. Readers hammering one hot key keep the store's
// mutex busy with hits the whole time; after every write acknowledged to
// the writer, a typed Get and an Execute("GET") of this client still see it.
TEST_F(CacheTest, HotKeyHitsNeverHideAnAcknowledgedWrite) {
  auto client = MakeClient(Options());
  Set("hot", "0");
  EXPECT_EQ(Get(*client, "hot"), "0");
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0};
  std::vector<std::thread> hitters;
  for (int t = 0; t < 3; ++t) {
    hitters.emplace_back([&] {
      while (!stop.load()) {
        if (!client->Get("hot").ok()) errors.fetch_add(1);
      }
    });
  }
  for (int round = 1; round <= 300; ++round) {
    const std::string value = absl::StrCat(round);
    Set("hot", value);
    ASSERT_EQ(Get(*client, "hot"), value) << "round " << round;
    auto generic = client->Execute("GET", "hot");
    ASSERT_TRUE(generic.ok()) << generic.status();
    ASSERT_EQ(generic->str(), value) << "round " << round;
  }
  stop.store(true);
  for (std::thread& t : hitters) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_GT(client->cache_stats().hits, 300);
}

// An entry is only ever stored for a command the policy accepts, so a hit
// skips the policy check; a command it refuses finds nothing even when
// the same arguments of an accepted spelling are cached.
TEST_F(CacheTest, HitNeedsNoPolicyCheckYetRefusedCommandsStayUncached) {
  ClientOptions options = Options();
  options.cache.deny_commands = {"STRLEN"};
  auto client = MakeClient(options);
  Set("k", "abc");
  EXPECT_EQ(Get(*client, "k"), "abc");
  EXPECT_EQ(Get(*client, "k"), "abc");  // A hit.
  const int64_t before = Calls("strlen");
  auto len = client->Execute("strlen", "k");
  ASSERT_TRUE(len.ok());
  EXPECT_EQ(len->integer(), 3);
  ASSERT_TRUE(client->Execute("STRLEN", "k").ok());
  EXPECT_EQ(Calls("strlen"), before + 2);  // Never cached.
  const CacheStats s = client->cache_stats();
  EXPECT_EQ(s.hits, 1);
  EXPECT_EQ(s.misses, 1);  // STRLEN is neither.
  EXPECT_EQ(s.entries, 1);
}

TEST_F(CacheTest, OwnWritesInvalidateToo) {
  auto client = MakeClient(Options());
  ASSERT_TRUE(client->Set("k", "1").ok());
  EXPECT_EQ(Get(*client, "k"), "1");
  ASSERT_TRUE(client->Set("k", "2").ok());
  EXPECT_EQ(Get(*client, "k"), "2");
  ASSERT_TRUE(client->Execute("DEL", "k").ok());
  EXPECT_EQ(Get(*client, "k"), "<nil>");
}

// Read-your-writes. The server's invalidation for this client's own write
// travels on the tracking connection and may arrive after the write's reply
// (the tracking connection is busier or slower than the one that wrote), so
// every write the client sends (typed, Execute, pipeline, transaction) must
// invalidate its keys itself before its caller resumes. The fault proxy
// holds the tracking connection's bytes for 300 ms (it sends CLIENT
// TRACKING); the pooled connections pass through at once.
class OwnWriteCacheTest : public CacheTest {
 protected:
  void SetUp() override {
    CacheTest::SetUp();
    if (HasFatalFailure()) return;
    auto proxy = FaultProxy::Start("127.0.0.1", server_->port());
    ASSERT_TRUE(proxy.ok()) << proxy.status();
    proxy_ = *std::move(proxy);
    proxy_->DelayRepliesOnConnectionsSending("TRACKING",
                                             absl::Milliseconds(300));
  }

  ClientOptions ProxiedOptions() const {
    ClientOptions options = Options();
    options.connection.port = proxy_->port();
    options.connection.connect_timeout = absl::Seconds(5);
    return options;
  }

  // Waits until the tracking connection is up (the first lookup opens it).
  void WaitForTracking(Client& client) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (client.cache_stats().tracking_connects == 0 &&
           absl::Now() < deadline) {
      (void)client.Get("warm-up");
      absl::SleepFor(absl::Milliseconds(10));
    }
    ASSERT_GT(client.cache_stats().tracking_connects, 0);
  }

  std::unique_ptr<FaultProxy> proxy_;
};

TEST_F(OwnWriteCacheTest, ReadAfterOwnWriteIsNeverStaleUnderLoad) {
  auto client = MakeClient(ProxiedOptions());
  WaitForTracking(*client);
  constexpr int kThreads = 4;
  constexpr int kRounds = 100;
  std::atomic<int> stale{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string key = absl::StrCat("ryw", t);
      for (int i = 0; i < kRounds; ++i) {
        (void)client->Get(key);  // Caches the current value.
        const std::string value = absl::StrCat(key, "=", i);
        if (!client->Set(key, value).ok()) ++failed;
        auto got = client->Get(key);
        if (!got.ok()) {
          ++failed;
        } else if (*got != std::optional<std::string>(value)) {
          ++stale;
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(stale.load(), 0) << "of " << kThreads * kRounds << " reads";
  EXPECT_GT(client->cache_stats().hits, 0);
}

TEST_F(OwnWriteCacheTest, EveryWritePathInvalidatesBeforeItsCallerResumes) {
  auto client = MakeClient(ProxiedOptions());
  WaitForTracking(*client);
  for (int i = 0; i < 20; ++i) {
    const std::string v = absl::StrCat(i);
    // Pipeline.
    (void)client->Get("p");
    Pipeline pipeline(*client);
    pipeline.Set("p", v);
    ASSERT_TRUE(pipeline.Execute().ok());
    ASSERT_EQ(Get(*client, "p"), v) << "after a pipelined SET, round " << i;
    // Transaction (MULTI/EXEC) with a WATCH.
    (void)client->Get("t");
    const std::vector<std::string> watched = {"t"};
    auto tx = Transaction(
        *client,
        [&](TransactionContext& ctx) {
          ctx.multi().Set("t", v);
          return absl::OkStatus();
        },
        watched);
    ASSERT_TRUE(tx.ok()) << tx.status();
    ASSERT_EQ(Get(*client, "t"), v) << "after a transaction's SET, round " << i;
    // Execute with a write the typed API does not name.
    (void)client->Get("e");
    ASSERT_TRUE(client->Execute("SET", "e", v).ok());
    ASSERT_EQ(Get(*client, "e"), v) << "after Execute(SET), round " << i;
  }
}

TEST_F(CacheTest, MultiKeyEntryIsDroppedWhenOneKeyChanges) {
  auto client = MakeClient(Options());
  Set("a", "1");
  Set("b", "2");
  auto first = client->Execute("MGET", "a", "b");
  ASSERT_TRUE(first.ok());
  const int64_t before = Calls("mget");
  ASSERT_TRUE(client->Execute("MGET", "a", "b").ok());
  EXPECT_EQ(Calls("mget"), before);
  Set("b", "3");
  auto after = client->Execute("MGET", "a", "b");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ((*after)[1].str(), "3");
  EXPECT_EQ(Calls("mget"), before + 1);
}

TEST_F(CacheTest, ServerFlushEmptiesTheCache) {
  auto client = MakeClient(Options());
  Set("a", "1");
  Set("b", "2");
  EXPECT_EQ(Get(*client, "a"), "1");
  EXPECT_EQ(Get(*client, "b"), "2");
  ASSERT_TRUE(writer_->Execute("FLUSHALL").ok());
  // The server sends FLUSHALL's "invalidate everything" push to the
  // tracking connection after the writer's reply, not in the same pass as a
  // key write's invalidation, so it may still be in flight here: wait for
  // it, bounded.
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (client->cache_stats().flushes == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
    (void)Get(*client, "b");  // Each lookup drains arrived invalidations.
  }
  EXPECT_GE(client->cache_stats().flushes, 1);
  EXPECT_EQ(Get(*client, "a"), "<nil>");
}

TEST_F(CacheTest, EvictsAtMaxEntries) {
  ClientOptions options = Options();
  options.cache.max_entries = 2;
  auto client = MakeClient(options);
  Set("a", "1");
  Set("b", "2");
  Set("c", "3");
  const int64_t before = Calls("get");
  EXPECT_EQ(Get(*client, "a"), "1");
  EXPECT_EQ(Get(*client, "b"), "2");
  EXPECT_EQ(Get(*client, "c"), "3");  // Evicts a (least recently read).
  EXPECT_EQ(client->cache_stats().evictions, 1);
  EXPECT_EQ(client->cache_stats().entries, 2);
  EXPECT_EQ(Get(*client, "c"), "3");  // Hit.
  EXPECT_EQ(Calls("get"), before + 3);
  EXPECT_EQ(Get(*client, "a"), "1");  // Miss again.
  EXPECT_EQ(Calls("get"), before + 4);
}

TEST_F(CacheTest, MaxBytesBoundsWhatTheClientKeeps) {
  ClientOptions options = Options();
  options.cache.max_bytes = 16 * 1024;
  auto client = MakeClient(options);
  const std::string big(4000, 'x');
  for (int i = 0; i < 20; ++i) Set(absl::StrCat("big", i), big);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(Get(*client, absl::StrCat("big", i)), big);
    const CacheStats s = client->cache_stats();
    ASSERT_LE(s.bytes, options.cache.max_bytes) << "after " << i;
    ASSERT_GT(s.entries, 0);
  }
  const CacheStats s = client->cache_stats();
  EXPECT_GE(s.evictions, 16);
  EXPECT_LE(s.entries, 4);
  // The newest entry is still a hit.
  const int64_t before = Calls("get");
  EXPECT_EQ(Get(*client, "big19"), big);
  EXPECT_EQ(Calls("get"), before);
  // Invalid limits are refused up front.
  options.cache.max_bytes = 0;
  auto refused = Client::Create(options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "max_bytes"))
      << refused.status();
}

TEST_F(CacheTest, TtlExpiresWithInjectedClock) {
  FakeClock clock;
  ClientOptions options = Options();
  options.cache.ttl = absl::Seconds(30);
  auto client = MakeClient(options, [&clock] { return clock.Now(); });
  Set("k", "v");
  const int64_t before = Calls("get");
  EXPECT_EQ(Get(*client, "k"), "v");
  clock.Advance(absl::Seconds(29));
  EXPECT_EQ(Get(*client, "k"), "v");
  EXPECT_EQ(Calls("get"), before + 1);
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(Get(*client, "k"), "v");
  EXPECT_EQ(Calls("get"), before + 2);
  EXPECT_EQ(client->cache_stats().expirations, 1);
}

TEST_F(CacheTest, DeniedCommandIsNeverCached) {
  ClientOptions options = Options();
  options.cache.deny_commands = {"LLEN"};
  auto client = MakeClient(options);
  ASSERT_TRUE(writer_->Execute("RPUSH", "l", "x", "y").ok());
  const int64_t llen = Calls("llen");
  const int64_t lindex = Calls("lindex");
  for (int i = 0; i < 3; ++i) {
    auto n = client->Execute("LLEN", "l");
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(n->integer(), 2);
    auto e = client->Execute("LINDEX", "l", 1);
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->str(), "y");
  }
  EXPECT_EQ(Calls("llen"), llen + 3);
  EXPECT_EQ(Calls("lindex"), lindex + 1);
}

TEST_F(CacheTest, AllowListLimitsCachingForLookupAndStoreAlike) {
  ClientOptions options = Options();
  options.cache.allow_commands = {"llen"};  // Case-insensitive.
  auto client = MakeClient(options);
  ASSERT_TRUE(writer_->Execute("RPUSH", "l", "x").ok());
  Set("k", "v");
  const int64_t llen = Calls("llen");
  const int64_t get = Calls("get");
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client->Execute("LLEN", "l").ok());
    EXPECT_EQ(Get(*client, "k"), "v");
  }
  EXPECT_EQ(Calls("llen"), llen + 1);
  EXPECT_EQ(Calls("get"), get + 3);
}

TEST_F(CacheTest, KeyPrefixAllowAndDeny) {
  ClientOptions options = Options();
  options.cache.allow_key_prefixes = {"user:", "user:admin:", "cfg:"};
  options.cache.deny_key_prefixes = {"user:secret:"};
  auto client = MakeClient(options);
  for (const char* k : {"user:1", "user:secret:1", "other", "cfg:x"}) {
    Set(k, "v");
  }
  const int64_t before = Calls("get");
  for (int i = 0; i < 2; ++i) {
    for (const char* k : {"user:1", "user:secret:1", "other", "cfg:x"}) {
      EXPECT_EQ(Get(*client, k), "v");
    }
  }
  // user:1 and cfg:x once each; the other two twice each.
  EXPECT_EQ(Calls("get"), before + 6);
  // An MGET mixing allowed and denied keys is not cached.
  ASSERT_TRUE(client->Execute("MGET", "user:1", "other").ok());
  ASSERT_TRUE(client->Execute("MGET", "user:1", "other").ok());
  EXPECT_EQ(client->cache_stats().entries, 2);
  // Tracking is limited to the prefixes, and still invalidates them.
  Set("user:1", "new");
  Set("cfg:x", "new");
  EXPECT_EQ(Get(*client, "user:1"), "new");
  EXPECT_EQ(Get(*client, "cfg:x"), "new");
}

TEST_F(CacheTest, Resp2WithCacheIsInvalidArgument) {
  ClientOptions options = Options();
  options.connection.protocol = 2;
  auto client = Client::Create(options);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(client.status().message(), "protocol 3"))
      << client.status();
  options = Options();
  options.cache.max_entries = 0;
  EXPECT_EQ(Client::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(CacheTest, FlushedAfterConnectionsAreCut) {
  auto client = MakeClient(Options());
  Set("k", "old");
  EXPECT_EQ(Get(*client, "k"), "old");
  EXPECT_EQ(Get(*client, "k"), "old");
  // Kill every other connection, the tracking one included; while it is
  // down the server cannot tell the client about the next write.
  ASSERT_TRUE(writer_->Execute("CLIENT", "KILL", "TYPE", "normal").ok());
  Set("k", "new");
  EXPECT_EQ(Get(*client, "k"), "new");
  EXPECT_GE(client->cache_stats().flushes, 1);
  // Tracking is back: caching resumes and invalidation works again.
  EXPECT_EQ(Get(*client, "k"), "new");
  Set("k", "newer");
  EXPECT_EQ(Get(*client, "k"), "newer");
}

TEST_F(CacheTest, FlushedAfterServerRestart) {
  auto client = MakeClient(Options());
  Set("k", "before");
  EXPECT_EQ(Get(*client, "k"), "before");
  EXPECT_EQ(client->cache_stats().entries, 1);
  ASSERT_TRUE(server_->Restart().ok());  // No persistence: k is gone.
  EXPECT_EQ(Get(*client, "k"), "<nil>");
  EXPECT_GE(client->cache_stats().flushes, 1);
  Set("k", "after");
  EXPECT_EQ(Get(*client, "k"), "after");
}

TEST_F(CacheTest, FlushCacheAndCounters) {
  auto client = MakeClient(Options());
  Set("k", "v");
  EXPECT_EQ(Get(*client, "k"), "v");
  EXPECT_EQ(Get(*client, "k"), "v");
  client->FlushCache();
  EXPECT_EQ(client->cache_stats().entries, 0);
  const int64_t before = Calls("get");
  EXPECT_EQ(Get(*client, "k"), "v");
  EXPECT_EQ(Calls("get"), before + 1);
  Set("k", "w");
  EXPECT_EQ(Get(*client, "k"), "w");
  const CacheStats s = client->cache_stats();
  EXPECT_EQ(s.hits, 1);
  EXPECT_EQ(s.misses, 3);
  EXPECT_EQ(s.invalidations, 1);
  EXPECT_EQ(s.flushes, 1);
  EXPECT_EQ(s.evictions, 0);
  EXPECT_EQ(s.entries, 1);
  // Errors are not cached: WRONGTYPE each time.
  ASSERT_TRUE(writer_->Execute("RPUSH", "list", "x").ok());
  EXPECT_FALSE(client->Get("list").ok());
  EXPECT_FALSE(client->Get("list").ok());
  EXPECT_EQ(client->cache_stats().hits, 1);
}

TEST_F(CacheTest, OneTrackingConnectionWithCacheNoneWithout) {
  ClientOptions plain = Options();
  plain.cache.enabled = false;
  auto uncached = MakeClient(plain);
  EXPECT_FALSE(uncached->cache_enabled());
  Set("k", "v");
  EXPECT_EQ(Get(*uncached, "k"), "v");
  EXPECT_EQ(Get(*uncached, "k"), "v");
  EXPECT_EQ(uncached->cache_stats().hits, 0);
  EXPECT_EQ(TrackingClients(), 0);
  auto cached = MakeClient(Options());
  EXPECT_EQ(Get(*cached, "k"), "v");
  EXPECT_EQ(TrackingClients(), 1);  // The sink; pooled ones do not track.
  cached->Close();
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(TrackingClients(), 0);
}

TEST_F(CacheTest, ConcurrentReadersSeeEveryCompletedWrite) {
  ClientOptions options = Options();
  options.pool.max_connections = 8;
  options.cache.max_entries = 8;
  auto client = MakeClient(options);
  constexpr int kKeys = 16;
  for (int k = 0; k < kKeys; ++k) Set(absl::StrCat("key", k), "0");
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&, t] {
      int i = t;
      while (!stop.load()) {
        auto v = client->Get(absl::StrCat("key", i++ % kKeys));
        if (!v.ok()) errors.fetch_add(1);
      }
    });
  }
  for (int round = 1; round <= 100; ++round) {
    const std::string key = absl::StrCat("key", round % kKeys);
    const std::string value = absl::StrCat(round);
    Set(key, value);
    EXPECT_EQ(Get(*client, key), value) << "round " << round;
  }
  stop.store(true);
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(errors.load(), 0);
  // After the dust settles every key reads its last written value.
  for (int k = 0; k < kKeys; ++k) {
    auto last = writer_->Get(absl::StrCat("key", k));
    ASSERT_TRUE(last.ok());
    EXPECT_EQ(Get(*client, absl::StrCat("key", k)), last->value_or("<nil>"));
  }
  EXPECT_GT(client->cache_stats().hits, 0);
}


// --- The tracking connection ("sink") in the background -------------------

TEST_F(CacheTest, IdleClientAppliesInvalidationsInTheBackground) {
  auto client = MakeClient(Options());
  Set("k", "v1");
  EXPECT_EQ(Get(*client, "k"), "v1");
  ASSERT_EQ(client->cache_stats().entries, 1);
  // No lookup from here on: only a reader of its own can see the push.
  Set("k", "v2");
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (client->cache_stats().invalidations == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(client->cache_stats().invalidations, 1);
  EXPECT_EQ(client->cache_stats().entries, 0);
  EXPECT_EQ(Get(*client, "k"), "v2");
}

TEST_F(CacheTest, IdleTrackingConnectionDoesNotBackUpOnTheServer) {
  auto client = MakeClient(Options());
  EXPECT_EQ(Get(*client, "warm"), "<nil>");  // Opens the tracking connection.
  ASSERT_EQ(TrackingClientLines().size(), 1u);
  // ~24 MB of invalidations for an idle client: more than the kernel's
  // socket buffers hold, so what the client does not read piles up in the
  // server's output buffer for it (unbounded for a normal client; a pub/sub
  // class limit would disconnect it instead, losing invalidations).
  const std::string prefix(2000, 'p');
  for (int batch = 0; batch < 12; ++batch) {
    Pipeline pipe(*writer_);
    for (int i = 0; i < 1000; ++i) {
      pipe.Set(absl::StrCat(prefix, batch, ":", i), "v");
    }
    auto done = pipe.Execute();
    ASSERT_TRUE(done.ok()) << done.status();
  }
  // The client reads them as they come: the server's buffer drains.
  int64_t omem = -1;
  const absl::Time deadline = absl::Now() + absl::Seconds(15);
  while (absl::Now() < deadline) {
    std::vector<std::string> lines = TrackingClientLines();
    ASSERT_EQ(lines.size(), 1u);
    omem = Field(lines[0], "omem");
    if (omem == 0) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(omem, 0) << "invalidations pile up on the server";
  EXPECT_EQ(client->cache_stats().tracking_losses, 0);
}

// A cache driven directly (as Client drives it), whose tracking connection
// goes through a fault proxy while commands go straight to the server.
class SinkFaultTest : public CacheTest {
 protected:
  void SetUp() override {
    CacheTest::SetUp();
    if (HasFatalFailure()) return;
    auto proxy = FaultProxy::Start("127.0.0.1", server_->port());
    ASSERT_TRUE(proxy.ok()) << proxy.status();
    proxy_ = *std::move(proxy);
    ClientOptions plain = Options();
    plain.cache.enabled = false;
    auto reader = Client::Create(plain);
    ASSERT_TRUE(reader.ok()) << reader.status();
    reader_ = *std::move(reader);
  }

  ConnectionOptions SinkOptions() const {
    ConnectionOptions sink = Options().connection;
    sink.port = proxy_->port();
    sink.health_check_interval = absl::Milliseconds(200);
    sink.connect_timeout = absl::Milliseconds(500);
    return sink;
  }

  // GET through `cache` as Client::RoundTrip does.
  std::string CachedGet(ClientCache& cache, absl::string_view key) {
    const CommandArg args[] = {CommandArg("GET"), CommandArg(key)};
    ClientCache::Lookup found = cache.Find(args);
    if (found.hit) {
      return found.hit->is_null() ? "<nil>" : std::string(found.hit->str());
    }
    auto reply = reader_->Execute("GET", key);
    EXPECT_TRUE(reply.ok()) << reply.status();
    if (!reply.ok()) return "<error>";
    cache.Store(std::move(found.fill), *reply);
    return reply->is_null() ? "<nil>" : std::string(reply->str());
  }

  std::unique_ptr<FaultProxy> proxy_;
  std::unique_ptr<Client> reader_;  // No cache; straight to the server.
};

TEST_F(SinkFaultTest, SilentlyDeadTrackingConnectionIsDetected) {
  auto cache = ClientCache::Create(Options().cache, SinkOptions());
  ASSERT_TRUE(cache.ok()) << cache.status();
  Set("k", "v1");
  EXPECT_EQ(CachedGet(**cache, "k"), "v1");
  EXPECT_EQ(CachedGet(**cache, "k"), "v1");
  ASSERT_EQ((*cache)->stats().hits, 1);
  ASSERT_TRUE((*cache)->tracking());
  // The peer vanishes without a FIN: nothing reaches the tracking
  // connection any more, not even the invalidation of this write.
  proxy_->Blackhole();
  Set("k", "v2");
  // The health check notices; the cache is flushed and bypassed, so the
  // stale v1 stops being served. The bound is generous: detection takes
  // about interval + reply deadline (0.2 s + 0.2 s here).
  std::string value;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    value = CachedGet(**cache, "k");
    if (value == "v2") break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(value, "v2") << "a stale value outlived the dead connection";
  CacheStats s = (*cache)->stats();
  EXPECT_GE(s.flushes, 1);
  EXPECT_GE(s.tracking_losses, 1);
  EXPECT_FALSE((*cache)->tracking());
  // The network heals: tracking is reopened and caching resumes.
  ASSERT_TRUE(proxy_->Resume().ok());
  const absl::Time back = absl::Now() + absl::Seconds(10);
  while (!(*cache)->tracking() && absl::Now() < back) {
    CachedGet(**cache, "k");
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_TRUE((*cache)->tracking());
  EXPECT_EQ(CachedGet(**cache, "k"), "v2");
  const int64_t hits = (*cache)->stats().hits;
  EXPECT_EQ(CachedGet(**cache, "k"), "v2");
  EXPECT_EQ((*cache)->stats().hits, hits + 1);
  Set("k", "v3");
  const absl::Time fresh = absl::Now() + absl::Seconds(10);
  while (CachedGet(**cache, "k") != "v3" && absl::Now() < fresh) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(CachedGet(**cache, "k"), "v3");
}

TEST_F(SinkFaultTest, NoReconnectConvoyWhileTheServerIsUnreachable) {
  // Every connection (pool and tracking) goes through the blackholed proxy:
  // a connect is accepted and then hangs until connect_timeout.
  ClientOptions options = Options();
  options.connection.port = proxy_->port();
  options.connection.connect_timeout = absl::Milliseconds(1500);
  options.connection.retry.retries = 0;
  options.pool.max_connections = 16;
  auto client = MakeClient(options);
  proxy_->Blackhole();
  constexpr int kThreads = 6;
  std::vector<absl::Status> results(kThreads);
  std::vector<absl::Duration> took(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const absl::Time start = absl::Now();
      results[t] = client->Get("k").status();
      took[t] = absl::Now() - start;
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) {
    // The pool's own connect fails; nobody waits behind another thread's
    // tracking reconnect (which would add 1.5 s per thread in line).
    EXPECT_FALSE(results[t].ok());
    EXPECT_TRUE(IsTimeout(results[t]) || IsConnectionError(results[t]))
        << results[t];
    EXPECT_LT(took[t], absl::Milliseconds(1500) * (kThreads - 1))
        << "thread " << t << " queued behind the others";
  }
  // One attempt at a time, then a backoff counted from its failure.
  EXPECT_LE(client->cache_stats().tracking_connects, 2);
  EXPECT_GE(client->cache_stats().tracking_connects, 1);
}

}  // namespace
}  // namespace valkey

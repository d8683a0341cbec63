// async::Client against real valkey-server processes (and a fault proxy in
// between where a test needs network faults): the typed command table,
// raw Execute and error replies; many threads and coroutines multiplexed on
// the one shared connection; Then/co_await continuations; pipelines and
// MULTI/EXEC; WATCH on exclusive leases; blocking commands on the pool;
// pub/sub with resubscription after a restart; the client-side cache;
// retries; creation from config text and URLs; Close and destruction.
//
// Servers and proxies are created and restarted from the test's main thread
// only (the fixtures use PR_SET_PDEATHSIG). Every wait is bounded: a future
// that never resolves is reported as a failure ("hung"), never a hang.

#include "valkey/async/client.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/fault_proxy.h"
#include "testing/valkey_server.h"
#include "valkey/async/connection_pool.h"
#include "valkey/async/event_loop.h"
#include "valkey/async/future.h"
#include "valkey/async/pubsub.h"
#include "valkey/async/transaction.h"
#include "valkey/common/backoff.h"
#include "valkey/common/config.h"
#include "valkey/common/config.pb.h"
#include "valkey/common/credentials.h"
#include "valkey/common/errors.h"
#include "valkey/common/reply.h"

namespace valkey::async {
namespace {

using ::valkey::testing::FaultProxy;
using ::valkey::testing::ValkeyServer;

constexpr absl::Duration kWait = absl::Seconds(10);

// Waits for `f`. A future that does not resolve within `timeout` is a
// failure of its own (INTERNAL "hung"), so that it cannot be mistaken for a
// command's DEADLINE_EXCEEDED.
template <typename T>
FutureResultT<T> Wait(Future<T>& f, absl::Duration timeout = kWait) {
  FutureResultT<T> r = f.Get(timeout);
  if (f.valid()) {
    return absl::InternalError(
        absl::StrCat("hung: the future did not resolve within ",
                     absl::FormatDuration(timeout)));
  }
  return r;
}
template <typename T>
FutureResultT<T> Wait(Future<T>&& f, absl::Duration timeout = kWait) {
  return Wait(f, timeout);
}
template <typename T>
FutureResultT<T> Wait(Task<T>&& t, absl::Duration timeout = kWait) {
  Future<T> f = std::move(t).future();
  return Wait(f, timeout);
}

// Polls `done` every 10 ms until it returns true or `within` passes.
template <typename F>
bool WaitFor(F done, absl::Duration within = kWait) {
  const absl::Time deadline = absl::Now() + within;
  while (!done()) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

class AsyncClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ValkeyServer>> server =
        ValkeyServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    absl::StatusOr<std::unique_ptr<EventLoopThread>> thread =
        EventLoopThread::Start();
    ASSERT_TRUE(thread.ok()) << thread.status();
    thread_ = *std::move(thread);
  }

  // A client of server_ (or of host:port) at 127.0.0.1, 5 s time-outs.
  ClientOptions Options() const {
    return Options("127.0.0.1", server_->port());
  }
  static ClientOptions Options(const std::string& host, int port) {
    ClientOptions o;
    o.connection.host = host;
    o.connection.port = port;
    o.connection.connect_timeout = absl::Seconds(5);
    o.connection.socket_timeout = absl::Seconds(5);
    o.pool.max_connections = 8;
    return o;
  }

  std::unique_ptr<Client> MakeClient(ClientOptions options,
                                     AsyncOptions async = {}) {
    absl::StatusOr<std::unique_ptr<Client>> c =
        Client::Create(loop(), std::move(options), std::move(async));
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *std::move(c) : nullptr;
  }
  std::unique_ptr<Client> MakeClient() { return MakeClient(Options()); }

  EventLoop& loop() { return thread_->loop(); }
  std::string Address() const { return server_->address(); }

  // Destroyed in reverse: clients (in tests) before the loop, the loop
  // before the server.
  std::unique_ptr<ValkeyServer> server_;
  std::unique_ptr<EventLoopThread> thread_;
};

// ---------------------------------------------------------------------------
// 1. Typed commands, raw Execute, error replies, bad arguments.

TEST_F(AsyncClientTest, TypedCommandsRawExecuteAndErrors) {
  std::unique_ptr<Client> client = MakeClient();
  ASSERT_NE(client, nullptr);
  Client& c = *client;

  // Strings.
  absl::StatusOr<bool> set = Wait(c.Set("s", "hello"));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_TRUE(*set);
  absl::StatusOr<std::optional<std::string>> get = Wait(c.Get("s"));
  ASSERT_TRUE(get.ok()) << get.status();
  EXPECT_EQ(*get, std::optional<std::string>("hello"));
  absl::StatusOr<std::optional<std::string>> missing = Wait(c.Get("nokey"));
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_EQ(*missing, std::nullopt);
  EXPECT_EQ(*Wait(c.Incr("n")), 1);
  EXPECT_EQ(*Wait(c.Incr("n")), 2);
  // NX on an existing key: not set, not an error.
  absl::StatusOr<bool> nx = Wait(
      c.Set("s", "other", {.condition = SetOptions::Condition::kIfNotExists}));
  ASSERT_TRUE(nx.ok()) << nx.status();
  EXPECT_FALSE(*nx);

  // Hashes.
  absl::StatusOr<int64_t> hset =
      Wait(c.HSet("h", {{"f1", "v1"}, {"f2", "v2"}}));
  ASSERT_TRUE(hset.ok()) << hset.status();
  EXPECT_EQ(*hset, 2);
  absl::StatusOr<absl::flat_hash_map<std::string, std::string>> hall =
      Wait(c.HGetAll("h"));
  ASSERT_TRUE(hall.ok()) << hall.status();
  EXPECT_EQ(*hall, (absl::flat_hash_map<std::string, std::string>{
                       {"f1", "v1"}, {"f2", "v2"}}));

  // Lists.
  absl::StatusOr<int64_t> lpush = Wait(c.LPush("l", {"a", "b", "c"}));
  ASSERT_TRUE(lpush.ok()) << lpush.status();
  EXPECT_EQ(*lpush, 3);
  absl::StatusOr<std::vector<std::string>> lrange = Wait(c.LRange("l", 0, -1));
  ASSERT_TRUE(lrange.ok()) << lrange.status();
  EXPECT_EQ(*lrange, (std::vector<std::string>{"c", "b", "a"}));

  // Sets.
  absl::StatusOr<int64_t> sadd = Wait(c.SAdd("set", {"x", "y", "x"}));
  ASSERT_TRUE(sadd.ok()) << sadd.status();
  EXPECT_EQ(*sadd, 2);
  absl::StatusOr<std::vector<std::string>> members = Wait(c.SMembers("set"));
  ASSERT_TRUE(members.ok()) << members.status();
  std::sort(members->begin(), members->end());
  EXPECT_EQ(*members, (std::vector<std::string>{"x", "y"}));

  // Sorted sets.
  absl::StatusOr<int64_t> zadd =
      Wait(c.ZAdd("z", {{"b", 2.0}, {"a", 1.0}, {"c", 3.0}}));
  ASSERT_TRUE(zadd.ok()) << zadd.status();
  EXPECT_EQ(*zadd, 3);
  absl::StatusOr<std::vector<std::string>> zrange = Wait(c.ZRange("z", 0, -1));
  ASSERT_TRUE(zrange.ok()) << zrange.status();
  EXPECT_EQ(*zrange, (std::vector<std::string>{"a", "b", "c"}));

  // Expiry.
  absl::StatusOr<bool> expire = Wait(c.Expire("s", absl::Seconds(100)));
  ASSERT_TRUE(expire.ok()) << expire.status();
  EXPECT_TRUE(*expire);
  absl::StatusOr<std::optional<absl::Duration>> ttl = Wait(c.Ttl("s"));
  ASSERT_TRUE(ttl.ok()) << ttl.status();
  ASSERT_TRUE(ttl->has_value());
  EXPECT_GT(**ttl, absl::Seconds(90));
  EXPECT_LE(**ttl, absl::Seconds(100));
  absl::StatusOr<std::optional<absl::Duration>> no_ttl = Wait(c.Ttl("nokey"));
  ASSERT_TRUE(no_ttl.ok()) << no_ttl.status();
  EXPECT_EQ(*no_ttl, std::nullopt);

  // Raw commands.
  absl::StatusOr<Reply> pong = Wait(c.Execute("PING"));
  ASSERT_TRUE(pong.ok()) << pong.status();
  EXPECT_EQ(pong->str(), "PONG");
  absl::StatusOr<Reply> echo = Wait(c.Execute("ECHO", "raw bytes\r\n"));
  ASSERT_TRUE(echo.ok()) << echo.status();
  EXPECT_EQ(echo->str(), "raw bytes\r\n");

  // An error reply: WRONGTYPE, annotated with the command and the address.
  absl::StatusOr<int64_t> wrong = Wait(c.LPush("s", {"x"}));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(ServerErrorPrefix(wrong.status()), "WRONGTYPE") << wrong.status();
  EXPECT_EQ(GetErrorKind(wrong.status()), ErrorKind::kWrongType);
  EXPECT_TRUE(absl::StrContains(wrong.status().message(),
                                absl::StrCat("LPUSH on ", Address())))
      << wrong.status();
  absl::StatusOr<Reply> raw_wrong = Wait(c.Execute("INCR", "s"));
  ASSERT_FALSE(raw_wrong.ok());
  EXPECT_TRUE(IsServerError(raw_wrong.status())) << raw_wrong.status();
  EXPECT_TRUE(absl::StrContains(raw_wrong.status().message(),
                                absl::StrCat("INCR on ", Address())))
      << raw_wrong.status();
  // The connection carries on after error replies.
  EXPECT_EQ(*Wait(c.Incr("n")), 3);

  // Bad arguments: INVALID_ARGUMENT at once, nothing sent.
  const uint64_t before = c.connection().stats().commands;
  Future<bool> bad_ttl = c.Set("s", "v", {.ttl = absl::Seconds(-1)});
  EXPECT_TRUE(bad_ttl.ready());
  absl::StatusOr<bool> bad = Wait(bad_ttl);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument)
      << bad.status();
  EXPECT_EQ(GetErrorKind(bad.status()), ErrorKind::kInvalidArgument);
  Future<int64_t> no_elements = c.LPush("l", {});
  EXPECT_TRUE(no_elements.ready());
  EXPECT_EQ(Wait(no_elements).status().code(),
            absl::StatusCode::kInvalidArgument);
  Future<Reply> empty = c.ExecuteArgs({});
  EXPECT_EQ(Wait(empty).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c.connection().stats().commands, before);
}

// Replies too long to be kept inline, many of them parsed from one read:
// each must arrive whole (the reader fills one Reply object after another).
// Reader limits from a URL reach the shared connection: an oversize value
// fails with DATA_LOSS naming the limit (not retried), and the next command
// runs once the connection is back.
TEST_F(AsyncClientTest, ReaderLimitFromUrlFailsOversizeReplyThenReconnects) {
  std::unique_ptr<Client> plain = MakeClient();
  ASSERT_NE(plain, nullptr);
  ASSERT_TRUE(Wait(plain->Set("big", std::string(5000, 'x'))).ok());
  ASSERT_TRUE(Wait(plain->Set("small", "fits")).ok());
  absl::StatusOr<std::unique_ptr<Client>> limited = Client::FromUrl(
      loop(), absl::StrCat("valkey://127.0.0.1:", server_->port(),
                           "?max_bulk_length=4096&retry_on_timeout=yes"));
  ASSERT_TRUE(limited.ok()) << limited.status();
  for (int i = 0; i < 2; ++i) {
    auto big = Wait((*limited)->Get("big"));
    ASSERT_FALSE(big.ok());
    EXPECT_EQ(big.status().code(), absl::StatusCode::kDataLoss)
        << big.status();
    EXPECT_TRUE(absl::StrContains(big.status().message(),
                                  "exceeds max_bulk_length (4096)"))
        << big.status();
    auto small = Wait((*limited)->Get("small"));
    ASSERT_TRUE(small.ok()) << small.status();
    EXPECT_EQ(*small, std::optional<std::string>("fits"));
  }
}

TEST_F(AsyncClientTest, ManyLongRepliesInOneReadArriveIntact) {
  std::unique_ptr<Client> client = MakeClient();
  ASSERT_NE(client, nullptr);
  Client& c = *client;
  constexpr int kKeys = 40;
  auto value_of = [](int i) {
    // Decreasing lengths, all beyond the 16 inline bytes.
    return absl::StrCat("value-", i, "-", std::string(200 - 4 * i, 'v'));
  };
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_TRUE(Wait(c.Set(absl::StrCat("long:", i), value_of(i))).ok());
  }
  ASSERT_TRUE(Wait(c.HSet("long:h", {{"field-one", std::string(64, 'a')},
                                     {"field-two", std::string(32, 'b')}}))
                  .ok());
  // One pipeline: one write, the replies come back together.
  Pipeline p = c.CreatePipeline();
  std::vector<Future<std::optional<std::string>>> gets;
  std::vector<Future<absl::flat_hash_map<std::string, std::string>>> maps;
  for (int i = 0; i < kKeys; ++i) {
    gets.push_back(p.Get(absl::StrCat("long:", i)));
    maps.push_back(p.HGetAll("long:h"));
  }
  Future<Reply> error = p.Command("NOSUCHCOMMAND", std::string(100, 'e'));
  Future<Reply> echo = p.Command("ECHO", "a short one");
  Future<Reply> long_echo = p.Command("ECHO", std::string(50, 'z'));
  p.Send();
  for (int i = 0; i < kKeys; ++i) {
    absl::StatusOr<std::optional<std::string>> g = Wait(gets[i]);
    ASSERT_TRUE(g.ok()) << g.status();
    EXPECT_EQ(*g, std::optional<std::string>(value_of(i)));
    absl::StatusOr<absl::flat_hash_map<std::string, std::string>> m =
        Wait(maps[i]);
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(m->size(), 2u);
  }
  EXPECT_TRUE(IsServerError(Wait(error).status()));
  absl::StatusOr<Reply> e = Wait(echo);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->str(), "a short one");
  absl::StatusOr<Reply> le = Wait(long_echo);
  ASSERT_TRUE(le.ok()) << le.status();
  EXPECT_EQ(le->str(), std::string(50, 'z'));
}

// ---------------------------------------------------------------------------
// 2. Many threads and coroutines on the one shared connection.

Task<int64_t> SetGetWorker(Client& c, int id, int n) {
  int64_t matched = 0;
  for (int i = 0; i < n; ++i) {
    const std::string key = absl::StrCat("co:", id, ":", i);
    const std::string value =
        absl::StrCat("coroutine-", id, "-", i, "-", std::string(i % 50, 'y'));
    absl::StatusOr<bool> set = co_await c.Set(key, value);
    if (!set.ok()) co_return set.status();
    absl::StatusOr<std::optional<std::string>> got = co_await c.Get(key);
    if (!got.ok()) co_return got.status();
    if (*got != value) {
      co_return absl::InternalError(absl::StrCat(
          "coroutine ", id, " read ", got->value_or("<nil>"), " for ", key));
    }
    ++matched;
  }
  co_return matched;
}

// What thread `t` stores under its i-th key: its caller id, padded past
// the 16 bytes a reply keeps inline (so replies need storage of their own).
std::string ThreadValue(int t, int i) {
  return absl::StrCat("caller-", t, "-", i, "-", std::string(24 + i % 40, 'x'));
}

TEST_F(AsyncClientTest, ConcurrentThreadsAndCoroutinesShareOneConnection) {
  std::unique_ptr<Client> client = MakeClient();
  ASSERT_NE(client, nullptr);
  Client& c = *client;
  ASSERT_TRUE(Wait(c.Execute("PING")).ok());

  constexpr int kThreads = 8;
  constexpr int kPerThread = 625;  // SET + GET each: 10,000 commands.
  constexpr int kCoroutines = 8;
  constexpr int kPerCoroutine = 100;  // SET + GET each: 1,600 commands.
  const Connection::Stats before = c.connection().stats();

  std::vector<Task<int64_t>> tasks;
  for (int i = 0; i < kCoroutines; ++i) {
    tasks.push_back(SetGetWorker(c, i, kPerCoroutine));
  }
  std::atomic<int> mismatches{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&c, t, &mismatches, &failures] {
      std::vector<Future<bool>> sets;
      std::vector<Future<std::optional<std::string>>> gets;
      sets.reserve(kPerThread);
      gets.reserve(kPerThread);
      for (int i = 0; i < kPerThread; ++i) {
        const std::string key = absl::StrCat("th:", t, ":", i);
        sets.push_back(c.Set(key, ThreadValue(t, i)));
        gets.push_back(c.Get(key));
      }
      for (int i = 0; i < kPerThread; ++i) {
        absl::StatusOr<bool> s = Wait(sets[i]);
        if (!s.ok() || !*s) ++failures;
        absl::StatusOr<std::optional<std::string>> g = Wait(gets[i]);
        if (!g.ok()) {
          ++failures;
        } else if (*g != ThreadValue(t, i)) {
          ++mismatches;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (Task<int64_t>& task : tasks) {
    absl::StatusOr<int64_t> matched = Wait(std::move(task), absl::Seconds(30));
    ASSERT_TRUE(matched.ok()) << matched.status();
    EXPECT_EQ(*matched, kPerCoroutine);
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(mismatches.load(), 0);

  const Connection::Stats after = c.connection().stats();
  const uint64_t commands = after.commands - before.commands;
  const uint64_t writes = after.writes - before.writes;
  EXPECT_EQ(commands, uint64_t{2 * (kThreads * kPerThread +
                                    kCoroutines * kPerCoroutine)});
  // Auto-pipelining: far fewer write calls than commands.
  EXPECT_LT(writes * 4, commands) << writes << " writes for " << commands;
  EXPECT_EQ(after.connects, 1u);
  EXPECT_EQ(after.in_flight, 0);
}

// ---------------------------------------------------------------------------
// 3. Coroutine chains and Then() continuations.

Task<std::string> Inner(Client& c, std::string key,
                        std::atomic<bool>* on_loop) {
  absl::StatusOr<bool> set = co_await c.Set(key, "10");
  if (!set.ok()) co_return set.status();
  // After co_await of a pending future, the coroutine runs on the loop.
  if (!c.loop().InLoopThread()) on_loop->store(false);
  absl::StatusOr<int64_t> n = co_await c.IncrBy(key, 5);
  if (!n.ok()) co_return n.status();
  absl::StatusOr<std::optional<std::string>> v = co_await c.Get(key);
  if (!v.ok()) co_return v.status();
  if (!v->has_value()) co_return absl::NotFoundError(key);
  co_return **v;
}

Task<int64_t> Outer(Client& c, std::atomic<bool>* on_loop) {
  absl::StatusOr<std::string> a = co_await Inner(c, "chain:a", on_loop);
  if (!a.ok()) co_return a.status();
  absl::StatusOr<std::string> b = co_await Inner(c, "chain:b", on_loop);
  if (!b.ok()) co_return b.status();
  int64_t x = 0, y = 0;
  if (!absl::SimpleAtoi(*a, &x) || !absl::SimpleAtoi(*b, &y)) {
    co_return absl::InternalError("not numbers");
  }
  absl::StatusOr<int64_t> sum = co_await c.IncrBy("chain:sum", x + y);
  if (!c.loop().InLoopThread()) on_loop->store(false);
  co_return sum;
}

TEST_F(AsyncClientTest, CoroutineChainAndThenRunOnLoopThread) {
  std::unique_ptr<Client> client = MakeClient();
  ASSERT_NE(client, nullptr);
  Client& c = *client;

  std::atomic<bool> on_loop{true};
  // Started on the loop's thread: a reply that arrives before the first
  // co_await suspends would otherwise resume the chain inline on this
  // thread (the future is already resolved), which is not what is tested.
  std::optional<Task<int64_t>> chain;
  absl::Notification started;
  loop().Post([&] {
    chain.emplace(Outer(c, &on_loop));
    started.Notify();
  });
  started.WaitForNotification();
  absl::StatusOr<int64_t> sum = Wait(*std::move(chain));
  ASSERT_TRUE(sum.ok()) << sum.status();
  EXPECT_EQ(*sum, 30);
  EXPECT_TRUE(on_loop.load());

  // Then(): queued behind a DEBUG SLEEP, so certainly not resolved yet when
  // the continuation is attached; it runs on the loop's thread with the
  // typed value.
  Future<Reply> sleep = c.Execute("DEBUG", "SLEEP", "0.1");
  Promise<std::string> done;
  Future<std::string> done_future = done.GetFuture();
  std::atomic<bool> then_on_loop{false};
  c.Incr("then").Then([&c, &then_on_loop, done = std::move(done)](
                          absl::StatusOr<int64_t> n) mutable {
    then_on_loop.store(c.loop().InLoopThread());
    // Get() on the loop's own thread refuses to deadlock.
    Future<std::optional<std::string>> pending = c.Get("then");
    absl::StatusOr<std::optional<std::string>> refused = pending.Get();
    if (refused.status().code() != absl::StatusCode::kFailedPrecondition) {
      done.Set(absl::InternalError("Get on the loop thread did not refuse"));
      return;
    }
    if (!n.ok()) {
      done.Set(n.status());
      return;
    }
    done.Set(absl::StrCat("n=", *n));
  });
  EXPECT_TRUE(Wait(sleep).ok());
  absl::StatusOr<std::string> result = Wait(done_future);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, "n=1");
  EXPECT_TRUE(then_on_loop.load());

  // A resolved future's Then runs at once on the caller's thread.
  bool ran_here = false;
  Future<int64_t>::Resolved(7).Then([&](absl::StatusOr<int64_t> v) {
    ran_here = v.ok() && *v == 7 && !c.loop().InLoopThread();
  });
  EXPECT_TRUE(ran_here);
}

// ---------------------------------------------------------------------------
// 4. Pipelines and transactions on the shared connection.

TEST_F(AsyncClientTest, PipelineResolvesInOrder) {
  std::unique_ptr<Client> client = MakeClient();
  ASSERT_NE(client, nullptr);
  Client& c = *client;

  absl::Mutex mu;
  std::vector<int> order;
  auto record = [&mu, &order](int i) {
    absl::MutexLock lock(&mu);
    order.push_back(i);
  };

  Pipeline p = c.CreatePipeline();
  Future<bool> set = p.Set("p", "1");
  Future<int64_t> incr = p.Incr("p");
  Future<std::optional<std::string>> get = p.Get("p");
  Future<Reply> ping = p.Command("PING");
  Future<int64_t> wrong = p.LPush("p", {"x"});  // An error mid-pipeline.
  Future<std::optional<std::string>> after = p.Get("p");
  EXPECT_EQ(p.size(), 6u);
  Promise<bool> s_done, i_done, g_done, p_done, w_done, a_done;
  std::vector<Future<bool>> dones;
  for (Promise<bool>* pr :
       {&s_done, &i_done, &g_done, &p_done, &w_done, &a_done}) {
    dones.push_back(pr->GetFuture());
  }
  std::move(set).Then(
      [&, d = std::move(s_done)](absl::StatusOr<bool> v) mutable {
        record(0);
        d.Set(v.ok() && *v);
      });
  std::move(incr).Then(
      [&, d = std::move(i_done)](absl::StatusOr<int64_t> v) mutable {
        record(1);
        d.Set(v.ok() && *v == 2);
      });
  std::move(get).Then(
      [&, d = std::move(g_done)](
          absl::StatusOr<std::optional<std::string>> v) mutable {
        record(2);
        d.Set(v.ok() && *v == std::optional<std::string>("2"));
      });
  std::move(ping).Then(
      [&, d = std::move(p_done)](absl::StatusOr<Reply> v) mutable {
        record(3);
        d.Set(v.ok() && v->str() == "PONG");
      });
  std::move(wrong).Then(
      [&, d = std::move(w_done)](absl::StatusOr<int64_t> v) mutable {
        record(4);
        d.Set(!v.ok() && GetErrorKind(v.status()) == ErrorKind::kWrongType);
      });
  std::move(after).Then(
      [&, d = std::move(a_done)](
          absl::StatusOr<std::optional<std::string>> v) mutable {
        record(5);
        d.Set(v.ok() && *v == std::optional<std::string>("2"));
      });
  p.Send();
  EXPECT_EQ(p.size(), 0u);
  for (size_t i = 0; i < dones.size(); ++i) {
    absl::StatusOr<bool> ok = Wait(dones[i]);
    ASSERT_TRUE(ok.ok()) << ok.status();
    EXPECT_TRUE(*ok) << "pipeline command " << i;
  }
  {
    absl::MutexLock lock(&mu);
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5}));
  }

  // A pipeline destroyed before Send() cancels its futures.
  Future<bool> dropped;
  {
    Pipeline q = c.CreatePipeline();
    dropped = q.Set("never", "sent");
  }
  EXPECT_EQ(Wait(dropped).status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(*Wait(c.Get("never")), std::nullopt);
}

TEST_F(AsyncClientTest, TransactionIncrTwiceAndQueuingErrorAbortsAll) {
  std::unique_ptr<Client> client = MakeClient();
  ASSERT_NE(client, nullptr);
  Client& c = *client;

  Transaction tx = c.CreateTransaction();
  Future<int64_t> i1 = tx.Incr("tx");
  Future<int64_t> i2 = tx.Incr("tx");
  EXPECT_EQ(tx.size(), 2u);
  absl::StatusOr<Reply> exec = Wait(tx.Exec());
  ASSERT_TRUE(exec.ok()) << exec.status();
  EXPECT_EQ(exec->size(), 2u);
  EXPECT_EQ(*Wait(i1), 1);
  EXPECT_EQ(*Wait(i2), 2);

  // A command failing at run time (not at queuing) fails alone.
  Transaction mixed = c.CreateTransaction();
  Future<bool> ms = mixed.Set("txs", "str");
  Future<int64_t> mi = mixed.Incr("txs");  // ERR not an integer, at EXEC.
  Future<std::optional<std::string>> mg = mixed.Get("txs");
  absl::StatusOr<Reply> mixed_exec = Wait(mixed.Exec());
  ASSERT_TRUE(mixed_exec.ok()) << mixed_exec.status();
  EXPECT_TRUE(*Wait(ms));
  EXPECT_TRUE(IsServerError(Wait(mi).status()));
  EXPECT_EQ(*Wait(mg), std::optional<std::string>("str"));

  // A queuing error: EXEC fails with EXECABORT, every future fails, and
  // nothing ran.
  Transaction bad = c.CreateTransaction();
  Future<bool> bs = bad.Set("txa", "1");
  Future<Reply> bn = bad.Command("NOSUCHCMD", "x");
  Future<int64_t> bi = bad.Incr("tx");
  absl::StatusOr<Reply> aborted = Wait(bad.Exec());
  ASSERT_FALSE(aborted.ok());
  EXPECT_EQ(ServerErrorPrefix(aborted.status()), "EXECABORT")
      << aborted.status();
  EXPECT_EQ(GetErrorKind(aborted.status()), ErrorKind::kExecAbort);
  // The message says which command was refused.
  EXPECT_TRUE(absl::StrContains(
      absl::AsciiStrToLower(aborted.status().message()), "nosuchcmd"))
      << aborted.status();
  for (const absl::Status& s :
       {Wait(bs).status(), Wait(bn).status(), Wait(bi).status()}) {
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(GetErrorKind(s), ErrorKind::kExecAbort) << s;
  }
  EXPECT_EQ(*Wait(c.Get("txa")), std::nullopt);
  EXPECT_EQ(*Wait(c.Get("tx")), std::optional<std::string>("2"));

  // Transactions from many threads at once stay whole on the shared
  // connection (MULTI/EXEC blocks are never interleaved).
  std::vector<std::thread> threads;
  std::atomic<int> bad_blocks{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&c, t, &bad_blocks] {
      for (int i = 0; i < 50; ++i) {
        Transaction x = c.CreateTransaction();
        const std::string key = absl::StrCat("txm:", t);
        Future<int64_t> a = x.Incr(key);
        Future<int64_t> b = x.Incr(key);
        absl::StatusOr<Reply> r = Wait(x.Exec());
        absl::StatusOr<int64_t> va = Wait(a);
        absl::StatusOr<int64_t> vb = Wait(b);
        if (!r.ok() || !va.ok() || !vb.ok() || *vb != *va + 1 ||
            *vb != 2 * (i + 1)) {
          ++bad_blocks;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(bad_blocks.load(), 0);
}

// ---------------------------------------------------------------------------
// 5. WATCH on exclusive leases.

TEST_F(AsyncClientTest, WatchOnLeaseAbortsOnConflictAndCommitsOtherwise) {
  std::unique_ptr<Client> client = MakeClient();
  ASSERT_NE(client, nullptr);
  Client& c = *client;
  ASSERT_TRUE(Wait(c.Set("k", "0")).ok());

  absl::StatusOr<ConnectionPool::Lease> lease = Wait(c.Acquire());
  ASSERT_TRUE(lease.ok()) << lease.status();
  const std::vector<std::string> keys = {"k"};

  // Another writer changes k (over the shared connection) after the WATCH.
  absl::StatusOr<bool> watched = Wait(lease->Watch(keys));
  ASSERT_TRUE(watched.ok()) << watched.status();
  EXPECT_TRUE(Wait(c.Set("k", "changed")).ok());
  Transaction tx = lease->Multi();
  Future<bool> queued_set = tx.Set("k", "mine");
  Future<int64_t> queued_incr = tx.Incr("other");
  absl::StatusOr<Reply> exec = Wait(tx.Exec());
  ASSERT_FALSE(exec.ok());
  EXPECT_EQ(exec.status().code(), absl::StatusCode::kAborted) << exec.status();
  EXPECT_TRUE(IsWatchError(exec.status())) << exec.status();
  EXPECT_EQ(GetErrorKind(exec.status()), ErrorKind::kWatch);
  for (const absl::Status& s :
       {Wait(queued_set).status(), Wait(queued_incr).status()}) {
    EXPECT_EQ(s.code(), absl::StatusCode::kAborted) << s;
    EXPECT_TRUE(IsWatchError(s)) << s;
  }
  EXPECT_EQ(*Wait(c.Get("k")), std::optional<std::string>("changed"));
  EXPECT_EQ(*Wait(c.Get("other")), std::nullopt);

  // Without interference the same lease commits.
  ASSERT_TRUE(Wait(lease->Watch(keys)).ok());
  absl::StatusOr<std::optional<std::string>> seen = Wait(lease->Get("k"));
  ASSERT_TRUE(seen.ok()) << seen.status();
  EXPECT_EQ(*seen, std::optional<std::string>("changed"));
  Transaction ok_tx = lease->Multi();
  Future<bool> ok_set = ok_tx.Set("k", "mine");
  absl::StatusOr<Reply> ok_exec = Wait(ok_tx.Exec());
  ASSERT_TRUE(ok_exec.ok()) << ok_exec.status();
  EXPECT_TRUE(*Wait(ok_set));
  EXPECT_EQ(*Wait(c.Get("k")), std::optional<std::string>("mine"));

  // Unwatch: a later change no longer aborts.
  ASSERT_TRUE(Wait(lease->Watch(keys)).ok());
  ASSERT_TRUE(Wait(lease->Unwatch()).ok());
  ASSERT_TRUE(Wait(c.Set("k", "again")).ok());
  Transaction unwatched = lease->Multi();
  Future<bool> u_set = unwatched.Set("k", "last");
  EXPECT_TRUE(Wait(unwatched.Exec()).ok());
  EXPECT_TRUE(*Wait(u_set));

  // A lease returned with a WATCH outstanding leaves nothing behind for the
  // next user of its connection: no WATCH, no stray reply, no reconnect.
  ASSERT_TRUE(Wait(c.Set("k", "before-return")).ok());
  ASSERT_TRUE(Wait(lease->Watch(keys)).ok());
  const Connection* used = &lease->connection();
  const uint64_t connects = lease->connection().stats().connects;
  lease = absl::InternalError("returned");  // Returns the connection.
  absl::StatusOr<ConnectionPool::Lease> next = Wait(c.Acquire());
  ASSERT_TRUE(next.ok()) << next.status();
  ASSERT_EQ(&next->connection(), used);  // The idle connection, reused.
  // Its first reply answers its own first command.
  absl::StatusOr<std::optional<std::string>> first = Wait(next->Get("k"));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, std::optional<std::string>("before-return"));
  // A change now would abort a WATCH left behind.
  ASSERT_TRUE(Wait(c.Set("k", "after-return")).ok());
  Transaction next_tx = next->Multi();
  Future<bool> n_set = next_tx.Set("k", "next");
  absl::StatusOr<Reply> n_exec = Wait(next_tx.Exec());
  EXPECT_TRUE(n_exec.ok()) << n_exec.status();
  EXPECT_EQ(*Wait(c.Get("k")), std::optional<std::string>("next"));
  absl::StatusOr<Reply> pong = Wait(next->Execute("PING"));
  ASSERT_TRUE(pong.ok()) << pong.status();
  EXPECT_EQ(pong->str(), "PONG");
  EXPECT_EQ(next->connection().stats().connects, connects)
      << "the connection was dropped and re-established";
  EXPECT_EQ(c.pool().stats().created, 1u);
}

TEST_F(AsyncClientTest, OptimisticLockRetriesReachExpectedTotal) {
  std::unique_ptr<Client> client = MakeClient();
  ASSERT_NE(client, nullptr);
  Client& c = *client;
  ASSERT_TRUE(Wait(c.Set("balance", "0")).ok());

  constexpr int kWorkers = 4;
  constexpr int kIncrementsEach = 25;
  constexpr int kPlainIncrs = 300;
  std::atomic<int> aborts{0};
  std::atomic<int> errors{0};
  std::atomic<bool> stop_traffic{false};

  // Unrelated traffic multiplexed on the shared connection meanwhile.
  std::thread noise([&c, &stop_traffic, &errors] {
    while (!stop_traffic.load()) {
      if (!Wait(c.Incr("noise")).ok()) ++errors;
    }
  });
  // Direct INCRs of the watched key: the conflicts.
  std::thread interferer([&c, &errors] {
    for (int i = 0; i < kPlainIncrs; ++i) {
      if (!Wait(c.Incr("balance")).ok()) ++errors;
    }
  });
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&c, &aborts, &errors] {
      absl::StatusOr<ConnectionPool::Lease> lease = Wait(c.Acquire());
      if (!lease.ok()) {
        ++errors;
        return;
      }
      const std::vector<std::string> keys = {"balance"};
      for (int i = 0; i < kIncrementsEach; ++i) {
        for (int attempt = 0;; ++attempt) {
          if (attempt > 1000) {
            ++errors;
            return;
          }
          if (!Wait(lease->Watch(keys)).ok()) {
            ++errors;
            return;
          }
          absl::StatusOr<std::optional<std::string>> v =
              Wait(lease->Get("balance"));
          int64_t n = 0;
          if (!v.ok() || !v->has_value() || !absl::SimpleAtoi(**v, &n)) {
            ++errors;
            return;
          }
          Transaction tx = lease->Multi();
          Future<bool> set = tx.Set("balance", absl::StrCat(n + 1));
          absl::StatusOr<Reply> exec = Wait(tx.Exec());
          if (exec.ok()) {
            if (!Wait(set).ok()) ++errors;
            break;
          }
          // Aborted by a conflict: the queued SET failed too. Retry.
          if (!IsWatchError(exec.status()) ||
              !IsWatchError(Wait(set).status())) {
            ++errors;
            return;
          }
          ++aborts;
        }
      }
    });
  }
  for (std::thread& w : workers) w.join();
  interferer.join();
  stop_traffic.store(true);
  noise.join();

  EXPECT_EQ(errors.load(), 0);
  absl::StatusOr<std::optional<std::string>> total = Wait(c.Get("balance"));
  ASSERT_TRUE(total.ok()) << total.status();
  EXPECT_EQ(*total, std::optional<std::string>(absl::StrCat(
                        kWorkers * kIncrementsEach + kPlainIncrs)));
  // Four workers on one key plus the interferer: conflicts did happen, and
  // every one was retried.
  EXPECT_GT(aborts.load(), 0);
  const ConnectionPool::Stats pool = c.pool().stats();
  EXPECT_LE(pool.created, static_cast<uint64_t>(kWorkers));
  EXPECT_EQ(pool.in_use, 0);
}

// ---------------------------------------------------------------------------
// 6. Blocking commands go to the pool.

TEST_F(AsyncClientTest,
       BlockingCommandUsesPoolAndDoesNotStallSharedConnection) {
  std::unique_ptr<Client> client = MakeClient();
  ASSERT_NE(client, nullptr);
  Client& c = *client;
  ASSERT_TRUE(Wait(c.Execute("PING")).ok());
  EXPECT_EQ(c.pool().stats().created, 0u);

  const absl::Time start = absl::Now();
  Future<std::optional<ListPop>> popped = c.BLPop({"q"}, absl::Seconds(2));
  // The BLPOP holds a pool connection.
  ASSERT_TRUE(WaitFor([&c] { return c.pool().stats().in_use == 1; }));
  EXPECT_EQ(c.pool().stats().created, 1u);
  absl::SleepFor(absl::Milliseconds(100));  // Let the server block on it.

  // The shared connection keeps serving while the BLPOP waits.
  for (int i = 0; i < 5; ++i) {
    const absl::Time t0 = absl::Now();
    absl::StatusOr<std::optional<std::string>> got = Wait(c.Get("q:other"));
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_LT(absl::Now() - t0, absl::Milliseconds(500));
  }
  EXPECT_FALSE(popped.ready());

  // A push wakes it, well before its 2 s time-out.
  absl::StatusOr<int64_t> pushed = Wait(c.LPush("q", {"val"}));
  ASSERT_TRUE(pushed.ok()) << pushed.status();
  absl::StatusOr<std::optional<ListPop>> got = Wait(popped);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->key, "q");
  EXPECT_EQ((*got)->value, "val");
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(1900));

  // The connection went back to the pool; the next blocking command reuses
  // it, and a time-out is nullopt (not an error).
  ASSERT_TRUE(WaitFor([&c] { return c.pool().stats().idle == 1; }));
  absl::StatusOr<std::optional<ListPop>> timed_out =
      Wait(c.BLPop({"q"}, absl::Milliseconds(200)));
  ASSERT_TRUE(timed_out.ok()) << timed_out.status();
  EXPECT_EQ(*timed_out, std::nullopt);
  EXPECT_EQ(c.pool().stats().created, 1u);

  // Several blocking commands at once each get a connection of their own.
  std::vector<Future<std::optional<ListPop>>> many;
  for (int i = 0; i < 3; ++i) {
    many.push_back(c.BLPop({absl::StrCat("mq", i)}, absl::Seconds(5)));
  }
  ASSERT_TRUE(WaitFor([&c] { return c.pool().stats().in_use == 3; }));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        Wait(c.RPush(absl::StrCat("mq", i), {absl::StrCat("v", i)})).ok());
  }
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<std::optional<ListPop>> r = Wait(many[i]);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_TRUE(r->has_value());
    EXPECT_EQ((*r)->value, absl::StrCat("v", i));
  }
  EXPECT_EQ(c.pool().stats().created, 3u);
}

// A blocking command whose reply is late (the server is stuck) fails with
// DEADLINE_EXCEEDED, and its pool connection is discarded rather than
// handed to the next user with a late reply pending.
TEST_F(AsyncClientTest, LateBlockingCommandTimesOutAndDiscardsItsConnection) {
  ClientOptions o = Options();
  o.connection.socket_timeout = absl::Milliseconds(300);
  std::unique_ptr<Client> client = MakeClient(o);
  ASSERT_NE(client, nullptr);
  Client& c = *client;
  std::unique_ptr<Client> staller = MakeClient();
  ASSERT_NE(staller, nullptr);
  ASSERT_TRUE(Wait(staller->Execute("PING")).ok());
  // Open the pool connection first.
  ASSERT_TRUE(Wait(c.BLPop({"bq"}, absl::Milliseconds(50))).ok());
  ASSERT_EQ(c.pool().stats().created, 1u);

  Future<Reply> stall = staller->Execute("DEBUG", "SLEEP", "1");
  absl::SleepFor(absl::Milliseconds(50));
  const absl::Time start = absl::Now();
  absl::StatusOr<std::optional<ListPop>> late =
      Wait(c.BLPop({"bq"}, absl::Milliseconds(200)));
  ASSERT_FALSE(late.ok());
  EXPECT_TRUE(IsTimeout(late.status())) << late.status();
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(950));
  EXPECT_TRUE(WaitFor([&c] {
    ConnectionPool::Stats s = c.pool().stats();
    return s.in_use == 0 && s.idle == 0;
  })) << "the late connection was not discarded";
  EXPECT_TRUE(Wait(stall).ok());
  // The server may still run the abandoned BLPOP it read before noticing
  // the close (that is why the connection had to go): wait until it has
  // let go of it, or it would pop the value pushed next.
  EXPECT_TRUE(WaitFor([&staller] {
    absl::StatusOr<Reply> info = Wait(staller->Execute("INFO", "clients"));
    return info.ok() &&
           absl::StrContains(info->view().str(), "blocked_clients:0\r\n");
  }));

  // The next blocking command gets a fresh connection and works.
  ASSERT_TRUE(Wait(c.RPush("bq", {"fresh"})).ok());
  absl::StatusOr<std::optional<ListPop>> next =
      Wait(c.BLPop({"bq"}, absl::Milliseconds(200)));
  ASSERT_TRUE(next.ok()) << next.status();
  ASSERT_TRUE(next->has_value());
  EXPECT_EQ((*next)->value, "fresh");
  EXPECT_EQ(c.pool().stats().created, 2u);
}

// ---------------------------------------------------------------------------
// 7. Pub/sub.

struct Inbox {
  absl::Mutex mu;
  std::vector<std::pair<std::string, std::string>> messages;
  std::vector<std::vector<std::string>> pmessages;
  std::atomic<int> disconnects{0};

  PubSubHandlers Handlers() {
    PubSubHandlers h;
    h.on_message = [this](absl::string_view ch, absl::string_view payload) {
      absl::MutexLock lock(&mu);
      messages.emplace_back(std::string(ch), std::string(payload));
    };
    h.on_pmessage = [this](absl::string_view pattern, absl::string_view ch,
                           absl::string_view payload) {
      absl::MutexLock lock(&mu);
      pmessages.push_back(
          {std::string(pattern), std::string(ch), std::string(payload)});
    };
    h.on_disconnected = [this](const absl::Status&) { ++disconnects; };
    return h;
  }
  size_t num_messages() {
    absl::MutexLock lock(&mu);
    return messages.size();
  }
  size_t num_pmessages() {
    absl::MutexLock lock(&mu);
    return pmessages.size();
  }
};

TEST_F(AsyncClientTest, PubSubDeliversUnsubscribesAndResubscribesAfterRestart) {
  std::unique_ptr<Client> client = MakeClient();
  ASSERT_NE(client, nullptr);
  Client& c = *client;

  Inbox inbox;
  absl::StatusOr<std::unique_ptr<PubSub>> sub = c.Subscribe(inbox.Handlers());
  ASSERT_TRUE(sub.ok()) << sub.status();
  const std::vector<std::string> channels = {"news", "weather"};
  const std::vector<std::string> patterns = {"sport.*"};
  ASSERT_TRUE(Wait((*sub)->Subscribe(channels)).ok());
  ASSERT_TRUE(Wait((*sub)->PSubscribe(patterns)).ok());

  // Other commands run on the shared connection meanwhile.
  std::atomic<bool> stop{false};
  std::atomic<int> traffic_errors{0};
  std::thread traffic([&c, &stop, &traffic_errors] {
    while (!stop.load()) {
      if (!Wait(c.Incr("traffic")).ok()) ++traffic_errors;
    }
  });

  absl::StatusOr<int64_t> n = Wait(c.Publish("news", "hi"));
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(*Wait(c.Publish("weather", "sunny")), 1);
  EXPECT_EQ(*Wait(c.Publish("sport.tennis", "ace")), 1);
  EXPECT_EQ(*Wait(c.Publish("nobody", "listens")), 0);
  ASSERT_TRUE(WaitFor(
      [&] { return inbox.num_messages() == 2 && inbox.num_pmessages() == 1; }));
  {
    absl::MutexLock lock(&inbox.mu);
    EXPECT_EQ(inbox.messages[0],
              (std::pair<std::string, std::string>("news", "hi")));
    EXPECT_EQ(inbox.messages[1],
              (std::pair<std::string, std::string>("weather", "sunny")));
    EXPECT_EQ(inbox.pmessages[0],
              (std::vector<std::string>{"sport.*", "sport.tennis", "ace"}));
  }
  EXPECT_EQ((*sub)->messages(), 3u);

  // Unsubscribe stops delivery on that channel only.
  const std::vector<std::string> news = {"news"};
  ASSERT_TRUE(Wait((*sub)->Unsubscribe(news)).ok());
  EXPECT_EQ(*Wait(c.Publish("news", "dropped")), 0);
  EXPECT_EQ(*Wait(c.Publish("weather", "rain")), 1);
  ASSERT_TRUE(WaitFor([&] { return inbox.num_messages() == 3; }));
  absl::SleepFor(absl::Milliseconds(50));
  {
    absl::MutexLock lock(&inbox.mu);
    ASSERT_EQ(inbox.messages.size(), 3u);
    EXPECT_EQ(inbox.messages[2].first, "weather");
  }

  // After a crash and restart the subscriber resubscribes by itself.
  stop.store(true);
  traffic.join();
  EXPECT_EQ(traffic_errors.load(), 0);
  ASSERT_TRUE(server_->Kill().ok());
  ASSERT_TRUE(WaitFor([&] { return inbox.disconnects.load() >= 1; }));
  absl::Status restarted = server_->Restart();
  ASSERT_TRUE(restarted.ok()) << restarted;
  const size_t before_m = inbox.num_messages();
  const size_t before_p = inbox.num_pmessages();
  ASSERT_TRUE(WaitFor(
      [&] {
        (void)Wait(c.Publish("weather", "back"), absl::Seconds(2));
        (void)Wait(c.Publish("sport.golf", "back"), absl::Seconds(2));
        return inbox.num_messages() > before_m &&
               inbox.num_pmessages() > before_p;
      },
      absl::Seconds(15)))
      << "no message after the restart";
  {
    absl::MutexLock lock(&inbox.mu);
    // messages[0] is the "news" message from before the Unsubscribe.
    for (size_t i = 1; i < inbox.messages.size(); ++i) {
      EXPECT_NE(inbox.messages[i].first, "news")
          << "delivered after Unsubscribe: " << inbox.messages[i].second;
    }
  }
  // The unsubscribed channel stays unsubscribed after the resubscription.
  EXPECT_EQ(*Wait(c.Publish("news", "still dropped")), 0);
  EXPECT_GE((*sub)->connection().stats().connects, 2u);
}

TEST_F(AsyncClientTest, PubSubOverResp2) {
  ClientOptions o = Options();
  o.connection.protocol = 2;
  std::unique_ptr<Client> client = MakeClient(o);
  ASSERT_NE(client, nullptr);
  Client& c = *client;
  Inbox inbox;
  absl::StatusOr<std::unique_ptr<PubSub>> sub = c.Subscribe(inbox.Handlers());
  ASSERT_TRUE(sub.ok()) << sub.status();
  const std::vector<std::string> channels = {"r2a", "r2b"};
  const std::vector<std::string> patterns = {"r2.*"};
  ASSERT_TRUE(Wait((*sub)->Subscribe(channels)).ok());
  ASSERT_TRUE(Wait((*sub)->PSubscribe(patterns)).ok());
  EXPECT_EQ((*sub)->connection().protocol(), 2);
  EXPECT_EQ(*Wait(c.Publish("r2a", "one")), 1);
  EXPECT_EQ(*Wait(c.Publish("r2b", "two")), 1);
  EXPECT_EQ(*Wait(c.Publish("r2.x", "three")), 1);
  ASSERT_TRUE(WaitFor(
      [&] { return inbox.num_messages() == 2 && inbox.num_pmessages() == 1; }));
  ASSERT_TRUE(Wait((*sub)->Unsubscribe(channels)).ok());
  ASSERT_TRUE(Wait((*sub)->PUnsubscribe(patterns)).ok());
  EXPECT_EQ(*Wait(c.Publish("r2a", "gone")), 0);
  EXPECT_EQ(*Wait(c.Publish("r2.x", "gone")), 0);
}

// ---------------------------------------------------------------------------
// 8. Client-side cache.

TEST_F(AsyncClientTest, CacheHitsInvalidationFlushAndRestart) {
  ClientOptions o = Options();
  o.cache.enabled = true;
  std::unique_ptr<Client> client = MakeClient(o);
  ASSERT_NE(client, nullptr);
  Client& c = *client;
  EXPECT_TRUE(c.cache_enabled());
  std::unique_ptr<Client> writer = MakeClient();  // No cache.
  ASSERT_NE(writer, nullptr);
  EXPECT_FALSE(writer->cache_enabled());

  ASSERT_TRUE(Wait(writer->Set("ck", "v1")).ok());
  ASSERT_TRUE(Wait(c.Execute("PING")).ok());  // Connected, tracking on.
  EXPECT_EQ(c.connection().protocol(), 3);

  EXPECT_EQ(*Wait(c.Get("ck")), std::optional<std::string>("v1"));
  const CacheStats first = c.cache_stats();
  EXPECT_EQ(first.hits, 0);
  EXPECT_GE(first.misses, 1);
  const uint64_t sent = c.connection().stats().commands;
  Future<std::optional<std::string>> hit = c.Get("ck");
  EXPECT_TRUE(hit.ready()) << "a hit resolves at once";
  EXPECT_EQ(*Wait(hit), std::optional<std::string>("v1"));
  EXPECT_EQ(c.cache_stats().hits, first.hits + 1);
  EXPECT_EQ(c.connection().stats().commands, sent) << "a hit sends nothing";

  // A write by another client invalidates the entry.
  ASSERT_TRUE(Wait(writer->Set("ck", "v2")).ok());
  EXPECT_TRUE(WaitFor([&c] {
    absl::StatusOr<std::optional<std::string>> v = Wait(c.Get("ck"));
    return v.ok() && *v == std::optional<std::string>("v2");
  })) << "stale value served after another client's write";
  EXPECT_GE(c.cache_stats().invalidations, 1);
  EXPECT_EQ(*Wait(c.Get("ck")), std::optional<std::string>("v2"));

  // FlushCache drops every entry: the next GET is a miss.
  ASSERT_GE(c.cache_stats().entries, 1);
  c.FlushCache();
  EXPECT_EQ(c.cache_stats().entries, 0);
  const CacheStats flushed = c.cache_stats();
  EXPECT_EQ(*Wait(c.Get("ck")), std::optional<std::string>("v2"));
  EXPECT_EQ(c.cache_stats().misses, flushed.misses + 1);
  EXPECT_EQ(c.cache_stats().hits, flushed.hits);

  // After a server restart (no persistence: the key is gone) the cache
  // starts empty and never serves the old value.
  EXPECT_EQ(*Wait(c.Get("ck")), std::optional<std::string>("v2"));  // Hit.
  ASSERT_GE(c.cache_stats().entries, 1);
  const int64_t flushes = c.cache_stats().flushes;
  ASSERT_TRUE(server_->Kill().ok());
  ASSERT_TRUE(WaitFor([&c, flushes] {
    return c.cache_stats().flushes > flushes;
  })) << "losing the connection did not flush the cache";
  EXPECT_EQ(c.cache_stats().entries, 0);
  absl::Status restarted = server_->Restart();
  ASSERT_TRUE(restarted.ok()) << restarted;
  bool answered = false;
  EXPECT_TRUE(WaitFor([&] {
    absl::StatusOr<std::optional<std::string>> v = Wait(c.Get("ck"));
    if (!v.ok()) return false;  // Sent on the dead connection.
    EXPECT_EQ(*v, std::nullopt) << "stale value served after a restart";
    answered = true;
    return true;
  }));
  EXPECT_TRUE(answered);
  // Tracking is back on: a new value is cached and invalidated again.
  ASSERT_TRUE(WaitFor([&] { return Wait(writer->Set("ck", "v3")).ok(); }));
  EXPECT_TRUE(WaitFor([&c] {
    absl::StatusOr<std::optional<std::string>> v = Wait(c.Get("ck"));
    return v.ok() && *v == std::optional<std::string>("v3");
  }));
  // (A fill may be dropped once, conservatively, when the invalidation of
  // the previous value is read after the GET was issued.)
  const int64_t hits = c.cache_stats().hits;
  EXPECT_TRUE(WaitFor([&c, hits] {
    absl::StatusOr<std::optional<std::string>> v = Wait(c.Get("ck"));
    EXPECT_TRUE(v.ok() && *v == std::optional<std::string>("v3"));
    return c.cache_stats().hits > hits;
  })) << "nothing cached after the reconnect";
  ASSERT_TRUE(Wait(writer->Set("ck", "v4")).ok());
  EXPECT_TRUE(WaitFor([&c] {
    absl::StatusOr<std::optional<std::string>> v = Wait(c.Get("ck"));
    return v.ok() && *v == std::optional<std::string>("v4");
  }));
}

// A hit is found by the command's arguments before the policy is asked:
// every spelling of a cached read is served from its one entry, at once;
// writes and commands the cache does not take neither hit nor count as
// misses; another key's read misses once, then hits.
TEST_F(AsyncClientTest, CacheHitsByArgumentsCountOnlyCacheableReads) {
  ClientOptions o = Options();
  o.cache.enabled = true;
  std::unique_ptr<Client> client = MakeClient(o);
  ASSERT_NE(client, nullptr);
  Client& c = *client;
  ASSERT_TRUE(Wait(c.Set("ak", "v1")).ok());
  ASSERT_TRUE(Wait(c.Execute("PING")).ok());  // Connected, tracking on.
  // (A fill may be dropped once, conservatively: see the test above.)
  ASSERT_TRUE(WaitFor([&c] {
    const int64_t hits = c.cache_stats().hits;
    EXPECT_EQ(*Wait(c.Get("ak")), std::optional<std::string>("v1"));
    return c.cache_stats().hits > hits;
  }));
  const CacheStats before = c.cache_stats();
  const uint64_t sent = c.connection().stats().commands;
  for (const char* name : {"GET", "get", "GeT"}) {
    Future<Reply> hit = c.Execute(name, "ak");
    EXPECT_TRUE(hit.ready()) << name << ": a hit resolves at once";
    absl::StatusOr<Reply> reply = Wait(hit);
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_EQ(reply->str(), "v1") << name;
  }
  EXPECT_EQ(c.cache_stats().hits, before.hits + 3);
  EXPECT_EQ(c.cache_stats().misses, before.misses);
  EXPECT_EQ(c.connection().stats().commands, sent) << "a hit sends nothing";

  // Not cacheable: sent, and counted as neither.
  ASSERT_TRUE(Wait(c.Execute("SET", "ak2", "x")).ok());
  ASSERT_TRUE(Wait(c.Execute("PING")).ok());
  ASSERT_TRUE(Wait(c.Execute("TIME")).ok());
  ASSERT_TRUE(Wait(c.Execute("TTL", "ak")).ok());  // A read it skips.
  EXPECT_EQ(c.cache_stats().hits, before.hits + 3);
  EXPECT_EQ(c.cache_stats().misses, before.misses);
  EXPECT_EQ(c.connection().stats().commands, sent + 4);

  EXPECT_EQ(*Wait(c.Get("ak2")), std::optional<std::string>("x"));
  EXPECT_EQ(c.cache_stats().misses, before.misses + 1);
  ASSERT_TRUE(WaitFor([&c] {
    const int64_t hits = c.cache_stats().hits;
    EXPECT_EQ(*Wait(c.Get("ak2")), std::optional<std::string>("x"));
    return c.cache_stats().hits > hits;
  }));

  // Other argument shapes (three arguments; a key of more than 16 bytes)
  // take the general look-up: the same rules.
  const std::string long_key(40, 'L');
  ASSERT_TRUE(Wait(c.Execute("HSET", "ah", "f", "hv")).ok());
  ASSERT_TRUE(Wait(c.Set(long_key, "lv")).ok());
  for (const auto& [name, args] :
       std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"HGET", {"ah", "f"}}, {"GET", {long_key}}}) {
    std::vector<CommandArg> argv = {CommandArg(name)};
    for (const std::string& a : args) argv.emplace_back(a);
    ASSERT_TRUE(WaitFor([&] {
      const int64_t hits = c.cache_stats().hits;
      EXPECT_TRUE(Wait(c.ExecuteArgs(argv)).ok());
      return c.cache_stats().hits > hits;
    })) << name
        << " never hit";
    const CacheStats shaped = c.cache_stats();
    std::string lower = name;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(ch));
    argv[0] = CommandArg(lower);
    Future<Reply> hit = c.ExecuteArgs(argv);
    EXPECT_TRUE(hit.ready()) << lower;
    EXPECT_TRUE(Wait(hit).ok());
    EXPECT_EQ(c.cache_stats().hits, shaped.hits + 1) << lower;
    EXPECT_EQ(c.cache_stats().misses, shaped.misses) << lower;
  }
}

// An expired entry found by the hit path counts one expiration and one
// miss (the look-up by arguments counts nothing; the miss's look-up does),
// and is fetched again.
TEST_F(AsyncClientTest, CacheExpiredEntryCountsOneExpirationAndOneMiss) {
  ClientOptions o = Options();
  o.cache.enabled = true;
  o.cache.ttl = absl::Milliseconds(300);
  std::unique_ptr<Client> client = MakeClient(o);
  ASSERT_NE(client, nullptr);
  Client& c = *client;
  ASSERT_TRUE(Wait(c.Set("ek", "v")).ok());
  ASSERT_TRUE(Wait(c.Execute("PING")).ok());
  ASSERT_TRUE(WaitFor([&c] {
    const int64_t hits = c.cache_stats().hits;
    EXPECT_EQ(*Wait(c.Get("ek")), std::optional<std::string>("v"));
    return c.cache_stats().hits > hits;
  }));
  const CacheStats before = c.cache_stats();
  absl::SleepFor(absl::Milliseconds(400));
  EXPECT_EQ(*Wait(c.Get("ek")), std::optional<std::string>("v"));
  EXPECT_EQ(c.cache_stats().expirations, before.expirations + 1);
  EXPECT_EQ(c.cache_stats().misses, before.misses + 1);
  EXPECT_EQ(c.cache_stats().hits, before.hits);
}

// A user the ACL denies CLIENT TRACKING still gets a working client: the
// cache is bypassed rather than the connection refused.
TEST_F(AsyncClientTest, CacheRefusedByAclIsBypassedNotFatal) {
  ValkeyServer::Options server_options;
  server_options.acl_users = {
      "user carol on >carol-pw ~* &* +@all -client|tracking"};
  absl::StatusOr<std::unique_ptr<ValkeyServer>> server =
      ValkeyServer::Start(server_options);
  ASSERT_TRUE(server.ok()) << server.status();
  ClientOptions o = Options("127.0.0.1", (*server)->port());
  o.connection.credentials =
      std::make_shared<StaticCredentialProvider>("carol", "carol-pw");
  o.cache.enabled = true;
  std::unique_ptr<Client> client = MakeClient(o);
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(Wait(client->Set("acl:k", "v")).ok());
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<std::optional<std::string>> v =
        Wait(client->Get("acl:k"));
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(*v, "v");
  }
  EXPECT_EQ(client->cache_stats().hits, 0);
  client.reset();
}

// cache.max_bytes bounds what the async client keeps, as the blocking one.
TEST_F(AsyncClientTest, CacheMaxBytesBoundsWhatTheClientKeeps) {
  ClientOptions o = Options();
  o.cache.enabled = true;
  o.cache.max_bytes = 16 * 1024;
  std::unique_ptr<Client> client = MakeClient(o);
  ASSERT_NE(client, nullptr);
  const std::string big(4000, 'x');
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(Wait(client->Set(absl::StrCat("big", i), big)).ok());
  }
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<std::optional<std::string>> v =
        Wait(client->Get(absl::StrCat("big", i)));
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(*v, big);
    const CacheStats s = client->cache_stats();
    ASSERT_LE(s.bytes, o.cache.max_bytes) << "after " << i;
    ASSERT_GT(s.entries, 0);
  }
  const CacheStats s = client->cache_stats();
  EXPECT_GE(s.evictions, 16);
  EXPECT_LE(s.entries, 4);
  client.reset();
}

TEST_F(AsyncClientTest, CacheWithResp2IsInvalidArgument) {
  ClientOptions o = Options();
  o.cache.enabled = true;
  o.connection.protocol = 2;
  absl::StatusOr<std::unique_ptr<Client>> c = Client::Create(loop(), o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument)
      << c.status();
  EXPECT_TRUE(absl::StrContains(c.status().message(), "protocol"))
      << c.status();

  // RESP2 without the cache works.
  o.cache.enabled = false;
  std::unique_ptr<Client> resp2 = MakeClient(o);
  ASSERT_NE(resp2, nullptr);
  ASSERT_TRUE(Wait(resp2->Set("r2", "v")).ok());
  EXPECT_EQ(*Wait(resp2->Get("r2")), std::optional<std::string>("v"));
  EXPECT_EQ(resp2->connection().protocol(), 2);
}

// ---------------------------------------------------------------------------
// 9. Retry.

class AsyncClientRetryTest : public AsyncClientTest {
 protected:
  void SetUp() override {
    AsyncClientTest::SetUp();
    if (HasFatalFailure()) return;
    absl::StatusOr<std::unique_ptr<FaultProxy>> proxy =
        FaultProxy::Start("127.0.0.1", server_->port());
    ASSERT_TRUE(proxy.ok()) << proxy.status();
    proxy_ = *std::move(proxy);
  }
  void TearDown() override { proxy_.reset(); }

  ClientOptions ProxiedOptions(int retries) const {
    ClientOptions o = Options(proxy_->host(), proxy_->port());
    o.connection.retry.retries = retries;
    o.connection.retry.backoff = Backoff::Constant(absl::Milliseconds(20));
    return o;
  }

  // Issues `n` SETs whose replies the proxy holds, then cuts every
  // connection while they are in flight.
  std::vector<Future<bool>> SetsCutInFlight(Client& c, int n) {
    proxy_->SetDelay(absl::Milliseconds(500),
                     FaultProxy::Direction::kServerToClient);
    std::vector<Future<bool>> sets;
    for (int i = 0; i < n; ++i) {
      sets.push_back(c.Set(absl::StrCat("r:", i), absl::StrCat("v:", i)));
    }
    // Written and answered by the server; the replies are held.
    EXPECT_TRUE(WaitFor([&] {
      return proxy_->GetStats().bytes_client_to_server > sent_before_ &&
             c.connection().stats().in_flight == n;
    }));
    absl::SleepFor(absl::Milliseconds(100));
    for (const Future<bool>& f : sets) EXPECT_FALSE(f.ready());
    proxy_->SetDelay(absl::ZeroDuration(), FaultProxy::Direction::kBoth);
    proxy_->CutAll();
    return sets;
  }

  std::unique_ptr<FaultProxy> proxy_;
  int64_t sent_before_ = 0;
};

TEST_F(AsyncClientRetryTest, RetriedCommandsSucceedAfterCutAll) {
  std::unique_ptr<Client> client = MakeClient(ProxiedOptions(3));
  ASSERT_NE(client, nullptr);
  Client& c = *client;
  ASSERT_TRUE(Wait(c.Execute("PING")).ok());
  sent_before_ = proxy_->GetStats().bytes_client_to_server;

  constexpr int kN = 50;
  std::vector<Future<bool>> sets = SetsCutInFlight(c, kN);
  for (int i = 0; i < kN; ++i) {
    absl::StatusOr<bool> r = Wait(sets[i]);
    ASSERT_TRUE(r.ok()) << "SET " << i << ": " << r.status();
    EXPECT_TRUE(*r);
  }
  EXPECT_GE(proxy_->GetStats().connections_cut, 1);
  EXPECT_GE(c.connection().stats().connects, 2u);
  for (int i = 0; i < kN; ++i) {
    EXPECT_EQ(*Wait(c.Get(absl::StrCat("r:", i))),
              std::optional<std::string>(absl::StrCat("v:", i)));
  }

  // A command issued while the server refuses connections waits and is
  // retried until it can be sent.
  ASSERT_TRUE(proxy_->RefuseConnections().ok());
  proxy_->CutAll();
  Future<bool> during = c.Set("during", "outage");
  absl::SleepFor(absl::Milliseconds(30));
  ASSERT_TRUE(proxy_->Resume().ok());
  absl::StatusOr<bool> r = Wait(during);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*Wait(c.Get("during")), std::optional<std::string>("outage"));
}

TEST_F(AsyncClientRetryTest, WithoutRetriesInFlightCommandsFailUnavailable) {
  std::unique_ptr<Client> client = MakeClient(ProxiedOptions(0));
  ASSERT_NE(client, nullptr);
  Client& c = *client;
  ASSERT_TRUE(Wait(c.Execute("PING")).ok());
  sent_before_ = proxy_->GetStats().bytes_client_to_server;

  constexpr int kN = 50;
  std::vector<Future<bool>> sets = SetsCutInFlight(c, kN);
  for (int i = 0; i < kN; ++i) {
    absl::StatusOr<bool> r = Wait(sets[i]);
    ASSERT_FALSE(r.ok()) << "SET " << i;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
    EXPECT_TRUE(IsConnectionError(r.status())) << r.status();
  }
  // The client reconnects by itself for later commands.
  absl::StatusOr<Reply> pong = Wait(c.Execute("PING"));
  EXPECT_TRUE(pong.ok()) << pong.status();
  EXPECT_GE(c.connection().stats().connects, 2u);
}

// A transaction on a lease whose connection was re-established since its
// WATCH is refused with ABORTED (kWatch) without being sent: the WATCH died
// with the old connection.
TEST_F(AsyncClientRetryTest, WatchAcrossReconnectAbortsWithoutSending) {
  std::unique_ptr<Client> client = MakeClient(ProxiedOptions(0));
  ASSERT_NE(client, nullptr);
  Client& c = *client;
  absl::StatusOr<ConnectionPool::Lease> lease = Wait(c.Acquire());
  ASSERT_TRUE(lease.ok()) << lease.status();
  const std::vector<std::string> keys = {"wk"};
  ASSERT_TRUE(Wait(lease->Watch(keys)).ok());
  const uint64_t connects = lease->connection().stats().connects;
  proxy_->CutAll();
  ASSERT_TRUE(WaitFor([&] {
    return lease->connection().stats().connects > connects;
  })) << "the lease's connection did not reconnect";
  Transaction tx = lease->Multi();
  Future<bool> set = tx.Set("wk", "should-not-run");
  absl::StatusOr<Reply> exec = Wait(tx.Exec());
  ASSERT_FALSE(exec.ok());
  EXPECT_EQ(exec.status().code(), absl::StatusCode::kAborted) << exec.status();
  EXPECT_TRUE(IsWatchError(exec.status())) << exec.status();
  EXPECT_TRUE(IsWatchError(Wait(set).status()));
  EXPECT_EQ(*Wait(c.Get("wk")), std::nullopt);
  // The lease works again, and a new WATCH protects a new transaction.
  ASSERT_TRUE(Wait(lease->Watch(keys)).ok());
  Transaction again = lease->Multi();
  Future<bool> set2 = again.Set("wk", "ran");
  EXPECT_TRUE(Wait(again.Exec()).ok());
  EXPECT_TRUE(*Wait(set2));
  EXPECT_EQ(*Wait(c.Get("wk")), std::optional<std::string>("ran"));
}

// ---------------------------------------------------------------------------
// 10. Creation from config text and URLs.

TEST_F(AsyncClientTest, CreateFromConfigTextAndUrl) {
  absl::StatusOr<ClientConfig> config = ParseConfigText(
      absl::StrCat("connection { host: \"127.0.0.1\" port: ", server_->port(),
                   " socket_timeout { seconds: 5 } }\n"
                   "pool { max_connections: 3 }\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<std::unique_ptr<Client>> from_config =
      Client::Create(loop(), *config);
  ASSERT_TRUE(from_config.ok()) << from_config.status();
  EXPECT_EQ((*from_config)->options().connection.port, server_->port());
  EXPECT_EQ((*from_config)->options().pool.max_connections, 3);
  ASSERT_TRUE(Wait((*from_config)->Set("cfg", "db0")).ok());

  absl::StatusOr<std::unique_ptr<Client>> from_url = Client::FromUrl(
      loop(), absl::StrCat("valkey://127.0.0.1:", server_->port(), "/2"));
  ASSERT_TRUE(from_url.ok()) << from_url.status();
  Client& db2 = **from_url;
  EXPECT_EQ(db2.options().connection.db, 2);
  absl::StatusOr<Reply> info = Wait(db2.Execute("CLIENT", "INFO"));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_TRUE(absl::StrContains(info->str(), " db=2 ")) << info->str();
  // Database 2 is separate from database 0.
  EXPECT_EQ(*Wait(db2.Get("cfg")), std::nullopt);
  ASSERT_TRUE(Wait(db2.Set("cfg", "db2")).ok());
  EXPECT_EQ(*Wait((*from_config)->Get("cfg")),
            std::optional<std::string>("db0"));
  EXPECT_EQ(*Wait(db2.Get("cfg")), std::optional<std::string>("db2"));
  // Pool connections select the database too.
  ASSERT_TRUE(Wait(db2.RPush("dbq", {"x"})).ok());
  absl::StatusOr<std::optional<ListPop>> popped =
      Wait(db2.BLPop({"dbq"}, absl::Seconds(1)));
  ASSERT_TRUE(popped.ok()) << popped.status();
  ASSERT_TRUE(popped->has_value());
  EXPECT_EQ((*popped)->value, "x");

  // A bad URL.
  absl::StatusOr<std::unique_ptr<Client>> bad_url =
      Client::FromUrl(loop(), "valkey://127.0.0.1:99999");
  EXPECT_EQ(bad_url.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(AsyncClientTest, MaxInFlightFromConfigIsHonoured) {
  absl::StatusOr<ClientConfig> config = ParseConfigText(
      absl::StrCat("connection { host: \"127.0.0.1\" port: ", server_->port(),
                   " }\nasync { max_in_flight: 2 }\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<std::unique_ptr<Client>> created =
      Client::Create(loop(), *config);
  ASSERT_TRUE(created.ok()) << created.status();
  Client& c = **created;
  ASSERT_TRUE(Wait(c.Execute("PING")).ok());

  Future<Reply> sleep = c.Execute("DEBUG", "SLEEP", "0.5");
  std::vector<Future<std::optional<std::string>>> flood;
  for (int i = 0; i < 20; ++i) flood.push_back(c.Get("flood"));
  int refused_at_once = 0;
  for (Future<std::optional<std::string>>& f : flood) {
    if (!f.ready()) continue;
    absl::StatusOr<std::optional<std::string>> r = Wait(f);
    if (r.status().code() == absl::StatusCode::kResourceExhausted) {
      EXPECT_EQ(GetErrorKind(r.status()), ErrorKind::kPoolExhausted);
      EXPECT_TRUE(absl::StrContains(r.status().message(), "max_in_flight"))
          << r.status();
      ++refused_at_once;
    }
  }
  // One slot is the DEBUG SLEEP's, one a GET's: the other 19 are refused.
  EXPECT_EQ(refused_at_once, 19);
  EXPECT_TRUE(Wait(sleep).ok());
  int answered = 0;
  for (Future<std::optional<std::string>>& f : flood) {
    if (!f.valid()) continue;
    if (Wait(f).ok()) ++answered;
  }
  EXPECT_EQ(answered, 1);
  // Below the limit again, commands flow.
  EXPECT_TRUE(Wait(c.Get("flood")).ok());
}

TEST_F(AsyncClientTest, MaxQueuedBytesFromConfigIsHonoured) {
  absl::StatusOr<ClientConfig> config = ParseConfigText(
      absl::StrCat("connection { host: \"127.0.0.1\" port: ", server_->port(),
                   " }\nasync { max_queued_bytes: 1000 }\n"));
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<std::unique_ptr<Client>> created =
      Client::Create(loop(), *config);
  ASSERT_TRUE(created.ok()) << created.status();
  Client& c = **created;
  ASSERT_TRUE(Wait(c.Set("small", "fits")).ok());
  // A command larger than the queue is refused at once, not sent.
  Future<bool> big = c.Set("big", std::string(2000, 'x'));
  ASSERT_TRUE(big.ready());
  absl::StatusOr<bool> r = Wait(big);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted)
      << r.status();
  EXPECT_EQ(GetErrorKind(r.status()), ErrorKind::kPoolExhausted);
  EXPECT_TRUE(absl::StrContains(r.status().message(), "max_queued_bytes"))
      << r.status();
  EXPECT_EQ(*Wait(c.Get("big")), std::nullopt);
  // Exclusive (pool) connections honour it too.
  absl::StatusOr<ConnectionPool::Lease> lease = Wait(c.Acquire());
  ASSERT_TRUE(lease.ok()) << lease.status();
  absl::StatusOr<bool> leased =
      Wait(lease->Set("big", std::string(2000, 'x')));
  EXPECT_EQ(leased.status().code(), absl::StatusCode::kResourceExhausted)
      << leased.status();

  // 0 is refused, by the parser and by Create.
  ClientConfig zero = *config;
  zero.mutable_async()->set_max_queued_bytes(0);
  absl::StatusOr<std::unique_ptr<Client>> bad = Client::Create(loop(), zero);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(bad.status().message(),
                                "async.max_queued_bytes"))
      << bad.status();
  AsyncOptions async;
  async.max_queued_bytes = 0;
  bad = Client::Create(loop(), Options(), async);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "max_queued_bytes"))
      << bad.status();
}

TEST_F(AsyncClientTest, InvalidMaxInFlightIsInvalidArgument) {
  absl::StatusOr<ClientConfig> parsed =
      ParseConfigText("async { max_in_flight: 0 }\n");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(
      absl::StrContains(parsed.status().message(), "async.max_in_flight"))
      << parsed.status();

  // The same config built in code (never parsed) is refused by Create.
  ClientConfig config;
  config.mutable_connection()->set_host("127.0.0.1");
  config.mutable_connection()->set_port(server_->port());
  config.mutable_async()->set_max_in_flight(0);
  absl::StatusOr<std::unique_ptr<Client>> c = Client::Create(loop(), config);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(c.status().message(), "async.max_in_flight"))
      << c.status();
  config.mutable_async()->set_max_in_flight(-5);
  c = Client::Create(loop(), config);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);

  // And through AsyncOptions.
  AsyncOptions async;
  async.max_in_flight = 0;
  absl::StatusOr<std::unique_ptr<Client>> direct =
      Client::Create(loop(), Options(), async);
  ASSERT_FALSE(direct.ok());
  EXPECT_EQ(direct.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(direct.status().message(), "max_in_flight"))
      << direct.status();

  // Other bad options name themselves too.
  ClientOptions bad_pool = Options();
  bad_pool.pool.max_connections = 0;
  absl::StatusOr<std::unique_ptr<Client>> pool =
      Client::Create(loop(), bad_pool);
  EXPECT_EQ(pool.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(pool.status().message(), "max_connections"))
      << pool.status();
}

// ---------------------------------------------------------------------------
// 11. Close and destruction.

TEST_F(AsyncClientTest, ClosePendingFailAndLaterCommandsFailUnavailable) {
  std::unique_ptr<Client> client = MakeClient();
  ASSERT_NE(client, nullptr);
  Client& c = *client;
  ASSERT_TRUE(Wait(c.Execute("PING")).ok());

  Future<Reply> sleep = c.Execute("DEBUG", "SLEEP", "0.3");
  std::vector<Future<std::optional<std::string>>> pending;
  for (int i = 0; i < 20; ++i) pending.push_back(c.Get("pending"));
  c.Close();
  absl::StatusOr<Reply> slept = Wait(sleep);
  EXPECT_EQ(slept.status().code(), absl::StatusCode::kCancelled)
      << slept.status();
  for (Future<std::optional<std::string>>& f : pending) {
    absl::StatusOr<std::optional<std::string>> r = Wait(f);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled) << r.status();
  }

  // Later commands of every kind fail with UNAVAILABLE, at once.
  Future<std::optional<std::string>> later = c.Get("later");
  EXPECT_TRUE(later.ready());
  absl::StatusOr<std::optional<std::string>> r = Wait(later);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_TRUE(IsConnectionError(r.status()));
  EXPECT_EQ(Wait(c.Execute("PING")).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(Wait(c.Acquire()).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Wait(c.BLPop({"q"}, absl::Seconds(1))).status().code(),
            absl::StatusCode::kUnavailable);
  Pipeline p = c.CreatePipeline();
  Future<bool> ps = p.Set("a", "b");
  p.Send();
  EXPECT_EQ(Wait(ps).status().code(), absl::StatusCode::kUnavailable);
  Transaction tx = c.CreateTransaction();
  Future<int64_t> ti = tx.Incr("a");
  Future<Reply> te = tx.Exec();
  EXPECT_EQ(Wait(te).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Wait(ti).status().code(), absl::StatusCode::kUnavailable);
  absl::StatusOr<std::unique_ptr<PubSub>> sub = c.Subscribe(PubSubHandlers());
  (void)sub;  // A subscriber has its own connection; either outcome is fine.
  c.Close();  // Idempotent.
  client.reset();
}

TEST_F(AsyncClientTest, CommandsAfterCloseFailPromptlyWithRetries) {
  // With retries enabled, a command issued after Close() must still fail
  // with UNAVAILABLE rather than be retried against a closed connection.
  for (int retries : {3, RetryOptions::kUnlimited}) {
    SCOPED_TRACE(absl::StrCat("retries=", retries));
    ClientOptions o = Options();
    o.connection.retry.retries = retries;
    o.connection.retry.backoff = Backoff::Constant(absl::Milliseconds(20));
    std::unique_ptr<Client> client = MakeClient(o);
    ASSERT_NE(client, nullptr);
    ASSERT_TRUE(Wait(client->Execute("PING")).ok());
    client->Close();
    Future<std::optional<std::string>> later = client->Get("later");
    absl::StatusOr<std::optional<std::string>> r =
        Wait(later, absl::Seconds(3));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
    client.reset();
  }
}

TEST_F(AsyncClientTest, DestroyWithPendingCommandsIsClean) {
  std::unique_ptr<Client> client = MakeClient();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(Wait(client->Execute("PING")).ok());

  // Long enough that queuing the 4000 commands below (slow under TSan on a
  // loaded machine: 0.2 s was once not enough) ends before the server
  // answers anything.
  Future<Reply> sleep = client->Execute("DEBUG", "SLEEP", "2");
  std::vector<Future<bool>> sets;
  std::vector<Future<std::optional<std::string>>> gets;
  for (int i = 0; i < 2000; ++i) {
    sets.push_back(client->Set(absl::StrCat("d:", i), "v"));
    gets.push_back(client->Get(absl::StrCat("d:", i)));
  }
  Pipeline p = client->CreatePipeline();
  Future<int64_t> pipelined = p.Incr("d:p");
  p.Send();
  Transaction tx = client->CreateTransaction();
  Future<int64_t> in_tx = tx.Incr("d:t");
  Future<Reply> exec = tx.Exec();
  // Destroyed from another thread than the loop's, with everything above
  // still unanswered.
  client.reset();
  EXPECT_EQ(Wait(sleep).status().code(), absl::StatusCode::kCancelled);
  for (size_t i = 0; i < sets.size(); ++i) {
    absl::StatusOr<bool> s = Wait(sets[i]);
    EXPECT_EQ(s.status().code(), absl::StatusCode::kCancelled) << s.status();
    absl::StatusOr<std::optional<std::string>> g = Wait(gets[i]);
    EXPECT_EQ(g.status().code(), absl::StatusCode::kCancelled) << g.status();
  }
  EXPECT_EQ(Wait(pipelined).status().code(), absl::StatusCode::kCancelled);
  EXPECT_FALSE(Wait(exec).ok());
  EXPECT_FALSE(Wait(in_tx).ok());
  // Futures nobody waits for are dropped with the client gone too.
  {
    std::unique_ptr<Client> other = MakeClient();
    ASSERT_NE(other, nullptr);
    for (int i = 0; i < 500; ++i) (void)other->Get("dropped");
    (void)other->Execute("DEBUG", "SLEEP", "0.05");
  }
  absl::SleepFor(absl::Milliseconds(100));  // The loop finishes the closes.
}

TEST_F(AsyncClientTest, DestroyWithBlockingCommandPendingIsClean) {
  std::unique_ptr<Client> client = MakeClient();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(Wait(client->Execute("PING")).ok());

  Future<std::optional<ListPop>> popped =
      client->BLPop({"never"}, absl::Milliseconds(500));
  ASSERT_TRUE(WaitFor([&] { return client->pool().stats().in_use == 1; }));
  absl::SleepFor(absl::Milliseconds(50));
  // The lease is still out when the client (and its pool) closes; the
  // connection closes when the BLPOP's reply returns it.
  client.reset();
  absl::StatusOr<std::optional<ListPop>> r = Wait(popped);
  EXPECT_TRUE(r.ok() || r.status().code() == absl::StatusCode::kCancelled)
      << r.status();
  absl::SleepFor(absl::Milliseconds(100));  // Let the loop run on.
  // The loop still works.
  std::unique_ptr<Client> after = MakeClient();
  ASSERT_NE(after, nullptr);
  EXPECT_TRUE(Wait(after->Execute("PING")).ok());
}

}  // namespace
}  // namespace valkey::async

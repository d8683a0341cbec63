#include <memory>
#include "gtest/gtest.h"
#include "valkey/async/client.h"
#include "valkey/async/pubsub.h"
#include "testing/valkey_server.h"

namespace valkey::async {
namespace {
Task<int64_t> Bump(Client& c) {
  absl::StatusOr<int64_t> a = co_await c.Incr("co");
  if (!a.ok()) co_return a.status();
  absl::StatusOr<int64_t> b = co_await c.Incr("co");
  co_return b;
}
TEST(ClientSmoke, All) {
  auto server = testing::ValkeyServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  auto thread = EventLoopThread::Start();
  ClientOptions o;
  o.connection.host = "127.0.0.1";
  o.connection.port = (*server)->port();
  o.connection.socket_timeout = absl::Seconds(2);
  o.cache.enabled = true;
  auto client = Client::Create((*thread)->loop(), o);
  ASSERT_TRUE(client.ok()) << client.status();
  Client& c = **client;
  ASSERT_TRUE(c.Set("k", "v").Get().ok());
  auto g = c.Get("k").Get();
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(**g, "v");
  EXPECT_EQ(*Bump(c).Get(), 2);
  // cache
  EXPECT_EQ(**c.Get("k").Get(), "v");
  EXPECT_EQ(**c.Get("k").Get(), "v");
  std::cerr << "hits " << c.cache_stats().hits << "\n";
  ASSERT_TRUE(c.Set("k", "w").Get().ok());
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(**c.Get("k").Get(), "w");
  // pipeline
  Pipeline p = c.CreatePipeline();
  auto f1 = p.Set("a", "1");
  auto f2 = p.Get("a");
  p.Send();
  EXPECT_TRUE(*f1.Get());
  EXPECT_EQ(**f2.Get(), "1");
  // transaction
  Transaction tx = c.CreateTransaction();
  auto i1 = tx.Incr("t");
  auto i2 = tx.Incr("t");
  auto ex = tx.Exec();
  ASSERT_TRUE(ex.Get().ok());
  EXPECT_EQ(*i1.Get(), 1);
  EXPECT_EQ(*i2.Get(), 2);
  // watch
  auto lease = c.Acquire().Get();
  ASSERT_TRUE(lease.ok()) << lease.status();
  std::vector<std::string> keys = {"w"};
  ASSERT_TRUE(lease->Watch(keys).Get().ok());
  ASSERT_TRUE(c.Set("w", "changed").Get().ok());
  Transaction wtx = lease->Multi();
  auto ws = wtx.Set("w", "mine");
  auto wr = wtx.Exec().Get();
  EXPECT_EQ(wr.status().code(), absl::StatusCode::kAborted) << wr.status();
  EXPECT_FALSE(ws.Get().ok());
  // blocking
  auto bl = c.BLPop({"q"}, absl::Milliseconds(100)).Get();
  std::cerr << "blpop: " << bl.ok() << "\n";
  // pubsub
  std::atomic<int> got{0};
  PubSubHandlers h;
  h.on_message = [&](absl::string_view ch, absl::string_view m) { if (ch == "news" && m == "hi") got++; };
  auto sub = c.Subscribe(std::move(h));
  ASSERT_TRUE(sub.ok());
  std::vector<std::string> chans = {"news"};
  auto sf = (*sub)->Subscribe(chans).Get(absl::Seconds(5));
  ASSERT_TRUE(sf.ok()) << sf;
  auto n = c.Publish("news", "hi").Get();
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 1);
  for (int i = 0; i < 100 && got == 0; ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(got, 1);
}
}  // namespace
}  // namespace valkey::async

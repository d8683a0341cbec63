// Key commands (key_commands.h) against a real valkey-server, on every
// executor (executor_test_fixture.h), and the blocking SCAN walker
// (scan.h).

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status/status_matchers.h"
#include "valkey/client/client.h"
#include "valkey/client/client_test_fixture.h"
#include "valkey/client/executor_test_fixture.h"
#include "valkey/client/pipeline.h"
#include "valkey/client/scan.h"
#include "valkey/common/errors.h"

namespace valkey::executor_tests {
namespace {

VALKEY_EXECUTOR_TEST_SUITE(KeyCommandsTest);

TEST_P(KeyCommandsTest, DelUnlinkExists) {
  ASSERT_OK(client().Set("a", "1"));
  ASSERT_OK(client().Set("b", "2"));
  ASSERT_OK(client().Set("c", "3"));
  EXPECT_THAT(Run([](auto& c) { return c.Exists({"a", "b", "missing", "a"}); }),
              IsOkAndHolds(3));  // "a" counts twice
  EXPECT_THAT(Run([](auto& c) { return c.Del({"a", "missing"}); }),
              IsOkAndHolds(1));
  EXPECT_THAT(Run([](auto& c) { return c.Unlink({"b", "c"}); }),
              IsOkAndHolds(2));
  EXPECT_THAT(client().Exists({"a", "b", "c"}), IsOkAndHolds(0));
  EXPECT_THAT(Run([](auto& c) { return c.Del({"nothing"}); }),
              IsOkAndHolds(0));
}

TEST_P(KeyCommandsTest, ExpireTtlPersist) {
  // No key: nullopt; no expiry: infinite.
  EXPECT_THAT(Run([](auto& c) { return c.Ttl("k"); }),
              IsOkAndHolds(std::nullopt));
  EXPECT_THAT(Run([](auto& c) { return c.PTtl("k"); }),
              IsOkAndHolds(std::nullopt));
  EXPECT_THAT(Run([](auto& c) { return c.Expire("k", absl::Seconds(10)); }),
              IsOkAndHolds(false));

  ASSERT_OK(client().Set("k", "v"));
  EXPECT_THAT(Run([](auto& c) { return c.Ttl("k"); }),
              IsOkAndHolds(Optional(absl::InfiniteDuration())));
  EXPECT_THAT(Run([](auto& c) { return c.PTtl("k"); }),
              IsOkAndHolds(Optional(absl::InfiniteDuration())));
  // Nothing to remove.
  EXPECT_THAT(Run([](auto& c) { return c.Persist("k"); }),
              IsOkAndHolds(false));

  // NX only when there is no expiry; XX only when there is one.
  EXPECT_THAT(Run([](auto& c) {
                return c.Expire("k", absl::Seconds(100),
                                ExpireCondition::kHasExpiry);
              }),
              IsOkAndHolds(false));
  EXPECT_THAT(Run([](auto& c) {
                return c.Expire("k", absl::Seconds(100),
                                ExpireCondition::kNoExpiry);
              }),
              IsOkAndHolds(true));
  EXPECT_THAT(Run([](auto& c) {
                return c.Expire("k", absl::Seconds(200),
                                ExpireCondition::kNoExpiry);
              }),
              IsOkAndHolds(false));
  auto ttl = Run([](auto& c) { return c.Ttl("k"); });
  ASSERT_TRUE(ttl.ok() && ttl->has_value()) << ttl.status();
  EXPECT_GT(**ttl, absl::Seconds(90));
  EXPECT_LE(**ttl, absl::Seconds(100));

  // GT / LT compare with the current expiry.
  EXPECT_THAT(Run([](auto& c) {
                return c.Expire("k", absl::Seconds(50),
                                ExpireCondition::kGreater);
              }),
              IsOkAndHolds(false));
  EXPECT_THAT(Run([](auto& c) {
                return c.Expire("k", absl::Seconds(500),
                                ExpireCondition::kGreater);
              }),
              IsOkAndHolds(true));
  EXPECT_THAT(Run([](auto& c) {
                return c.Expire("k", absl::Seconds(900),
                                ExpireCondition::kLess);
              }),
              IsOkAndHolds(false));
  EXPECT_THAT(Run([](auto& c) {
                return c.Expire("k", absl::Seconds(300),
                                ExpireCondition::kLess);
              }),
              IsOkAndHolds(true));
  EXPECT_THAT(Run([](auto& c) { return c.Ttl("k"); }),
              IsOkAndHolds(Optional(::testing::Gt(absl::Seconds(290)))));

  // PEXPIRE: millisecond precision; sub-millisecond rounds up.
  EXPECT_THAT(
      Run([](auto& c) { return c.PExpire("k", absl::Milliseconds(5500)); }),
      IsOkAndHolds(true));
  auto pttl = Run([](auto& c) { return c.PTtl("k"); });
  ASSERT_TRUE(pttl.ok() && pttl->has_value()) << pttl.status();
  EXPECT_GT(**pttl, absl::Milliseconds(4000));
  EXPECT_LE(**pttl, absl::Milliseconds(5500));
  // Expire rounds 1.2 s up to 2 s.
  EXPECT_THAT(
      Run([](auto& c) { return c.Expire("k", absl::Milliseconds(1200)); }),
      IsOkAndHolds(true));
  EXPECT_THAT(client().PTtl("k"),
              IsOkAndHolds(Optional(::testing::Gt(absl::Milliseconds(1200)))));

  EXPECT_THAT(Run([](auto& c) { return c.Persist("k"); }), IsOkAndHolds(true));
  EXPECT_THAT(client().Ttl("k"),
              IsOkAndHolds(Optional(absl::InfiniteDuration())));

  // Absolute expiry.
  EXPECT_THAT(Run([](auto& c) {
                return c.ExpireAt("k", absl::Now() + absl::Hours(1));
              }),
              IsOkAndHolds(true));
  auto at = client().Ttl("k");
  ASSERT_TRUE(at.ok() && at->has_value()) << at.status();
  EXPECT_GT(**at, absl::Minutes(59));
  EXPECT_LE(**at, absl::Hours(1) + absl::Seconds(1));
  EXPECT_THAT(Run([](auto& c) {
                return c.PExpireAt("k", absl::Now() + absl::Hours(2),
                                   ExpireCondition::kLess);
              }),
              IsOkAndHolds(false));
  EXPECT_THAT(Run([](auto& c) {
                return c.PExpireAt("k", absl::Now() + absl::Minutes(10));
              }),
              IsOkAndHolds(true));
  auto pat = client().PTtl("k");
  ASSERT_TRUE(pat.ok() && pat->has_value()) << pat.status();
  EXPECT_GT(**pat, absl::Minutes(9));
  // Rounded up to the next millisecond: never sooner than asked.
  EXPECT_LE(**pat, absl::Minutes(10) + absl::Milliseconds(1));
  // A time in the past deletes the key.
  EXPECT_THAT(Run([](auto& c) {
                return c.PExpireAt("k", absl::Now() - absl::Seconds(10));
              }),
              IsOkAndHolds(true));
  EXPECT_THAT(client().Exists({"k"}), IsOkAndHolds(0));
}

TEST_P(KeyCommandsTest, TypeAndRename) {
  ASSERT_OK(client().Set("s", "v"));
  ASSERT_OK(client().Execute("LPUSH", "l", "x"));
  ASSERT_OK(client().Execute("HSET", "h", "f", "v"));
  ASSERT_OK(client().Execute("SADD", "set", "m"));
  ASSERT_OK(client().Execute("ZADD", "z", 1, "m"));
  EXPECT_THAT(Run([](auto& c) { return c.Type("s"); }),
              IsOkAndHolds("string"));
  EXPECT_THAT(Run([](auto& c) { return c.Type("l"); }), IsOkAndHolds("list"));
  EXPECT_THAT(Run([](auto& c) { return c.Type("h"); }), IsOkAndHolds("hash"));
  EXPECT_THAT(Run([](auto& c) { return c.Type("set"); }), IsOkAndHolds("set"));
  EXPECT_THAT(Run([](auto& c) { return c.Type("z"); }), IsOkAndHolds("zset"));
  EXPECT_THAT(Run([](auto& c) { return c.Type("missing"); }),
              IsOkAndHolds("none"));

  EXPECT_OK(Run([](auto& c) { return c.Rename("s", "s2"); }));
  EXPECT_THAT(client().Get("s2"), IsOkAndHolds(Optional(std::string("v"))));
  EXPECT_THAT(client().Get("s"), IsOkAndHolds(std::nullopt));
  auto missing = Run([](auto& c) { return c.Rename("nope", "x"); });
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(ServerErrorPrefix(missing.status()), "ERR");

  // "l" exists.
  EXPECT_THAT(Run([](auto& c) { return c.RenameNx("s2", "l"); }),
              IsOkAndHolds(false));
  EXPECT_THAT(Run([](auto& c) { return c.RenameNx("s2", "s3"); }),
              IsOkAndHolds(true));
  EXPECT_THAT(client().Get("s3"), IsOkAndHolds(Optional(std::string("v"))));
  EXPECT_THAT(Run([](auto& c) { return c.RenameNx("nope", "y"); }),
              Not(IsOk()));
}

TEST_P(KeyCommandsTest, BadArguments) {
  constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_THAT(Run([](auto& c) { return c.Del({}); }), StatusIs(kInvalid));
  EXPECT_THAT(Run([](auto& c) { return c.Unlink({}); }), StatusIs(kInvalid));
  EXPECT_THAT(Run([](auto& c) { return c.Exists({}); }), StatusIs(kInvalid));
  EXPECT_THAT(Run([](auto& c) { return c.Expire("k", absl::ZeroDuration()); }),
              StatusIs(kInvalid));
  EXPECT_THAT(Run([](auto& c) { return c.Expire("k", -absl::Seconds(1)); }),
              StatusIs(kInvalid));
  EXPECT_THAT(
      Run([](auto& c) { return c.PExpire("k", absl::InfiniteDuration()); }),
      StatusIs(kInvalid));
  EXPECT_THAT(
      Run([](auto& c) { return c.ExpireAt("k", absl::InfiniteFuture()); }),
      StatusIs(kInvalid));
  EXPECT_THAT(Run([](auto& c) { return c.PExpireAt("k", absl::UnixEpoch()); }),
              StatusIs(kInvalid));
  EXPECT_THAT(Run([](auto& c) { return c.Scan(0, {.count = 0}); }),
              StatusIs(kInvalid));
  const absl::Status status =
      Run([](auto& c) { return c.Expire("k", absl::ZeroDuration()); }).status();
  EXPECT_NE(status.message().find("EXPIRE"), absl::string_view::npos)
      << status;
  EXPECT_EQ(GetErrorKind(Run([](auto& c) { return c.Del({}); }).status()),
            ErrorKind::kInvalidArgument);
}

TEST_P(KeyCommandsTest, ScanPage) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_OK(client().Set(absl::StrCat("user:", i), "x"));
  }
  ASSERT_OK(client().Execute("HSET", "user:h", "f", "v"));
  ASSERT_OK(client().Set("other", "x"));
  // Walk by hand with a small COUNT: several pages, ending at cursor 0.
  absl::flat_hash_set<std::string> seen;
  uint64_t cursor = 0;
  int pages = 0;
  do {
    auto page = Run([&](auto& c) {
      return c.Scan(cursor, {.match = "user:*", .count = 5});
    });
    ASSERT_TRUE(page.ok()) << page.status();
    for (const std::string& key : page->items) seen.insert(key);
    cursor = page->next_cursor;
    ++pages;
  } while (cursor != 0 && pages < 1000);
  EXPECT_EQ(cursor, 0u);
  EXPECT_GT(pages, 1);
  EXPECT_EQ(seen.size(), 21u);
  EXPECT_FALSE(seen.contains("other"));

  // TYPE filter: a small keyspace comes back in one page with COUNT 100.
  auto hashes =
      Run([](auto& c) { return c.Scan(0, {.count = 100, .type = "hash"}); });
  ASSERT_TRUE(hashes.ok()) << hashes.status();
  EXPECT_EQ(hashes->next_cursor, 0u);
  EXPECT_THAT(hashes->items, ElementsAre("user:h"));
}

TEST_P(KeyCommandsTest, CopyMoveTouchKeys) {
  ASSERT_OK(client().Set("a", "1"));
  EXPECT_THAT(Run([](auto& c) { return c.Copy("a", "b"); }),
              IsOkAndHolds(true));
  EXPECT_THAT(Run([](auto& c) { return c.Copy("a", "b"); }),
              IsOkAndHolds(false));
  EXPECT_THAT(Run([](auto& c) { return c.Copy("a", "b", {.replace = true}); }),
              IsOkAndHolds(true));
  EXPECT_THAT(Run([](auto& c) {
                return c.Copy("a", "a", {.destination_db = 1});
              }),
              IsOkAndHolds(true));
  EXPECT_THAT(Run([](auto& c) { return c.Move("b", 2); }), IsOkAndHolds(true));
  EXPECT_THAT(Run([](auto& c) { return c.Move("b", 2); }),
              IsOkAndHolds(false));
  EXPECT_THAT(Run([](auto& c) { return c.Touch({"a", "b", "zz"}); }),
              IsOkAndHolds(1));
  EXPECT_THAT(Run([](auto& c) { return c.Keys("*"); }),
              IsOkAndHolds(ElementsAre("a")));
  EXPECT_THAT(Run([](auto& c) { return c.RandomKey(); }),
              IsOkAndHolds(Optional(std::string("a"))));
}

TEST_P(KeyCommandsTest, DumpRestoreObject) {
  ASSERT_OK(client().RPush("l", {"x", "y"}));
  auto payload = Run([](auto& c) { return c.Dump("l"); });
  ASSERT_THAT(payload, IsOkAndHolds(Optional(::testing::_)));
  EXPECT_THAT(Run([](auto& c) { return c.Dump("missing"); }),
              IsOkAndHolds(std::nullopt));
  EXPECT_THAT(Run([&](auto& c) {
                return c.Restore("copy", absl::ZeroDuration(), **payload);
              }),
              IsOkAndHolds(true));
  EXPECT_THAT(client().LRange("copy", 0, -1),
              IsOkAndHolds(ElementsAre("x", "y")));
  // Existing key without REPLACE: BUSYKEY.
  EXPECT_THAT(Run([&](auto& c) {
                return c.Restore("copy", absl::ZeroDuration(), **payload);
              }),
              Not(IsOk()));
  EXPECT_THAT(Run([&](auto& c) {
                return c.Restore("copy", absl::Seconds(100), **payload,
                                 {.replace = true, .idle_seconds = 5});
              }),
              IsOkAndHolds(true));
  EXPECT_THAT(Run([](auto& c) { return c.ObjectEncoding("l"); }),
              IsOkAndHolds(Optional(std::string("listpack"))));
  EXPECT_THAT(Run([](auto& c) { return c.ObjectEncoding("missing"); }),
              IsOkAndHolds(std::nullopt));
  EXPECT_THAT(Run([](auto& c) { return c.ObjectRefCount("l"); }),
              IsOkAndHolds(Optional(1)));
  auto idle = Run([](auto& c) { return c.ObjectIdleTime("copy"); });
  ASSERT_THAT(idle, IsOkAndHolds(Optional(::testing::Ge(5))));
  // FREQ needs an LFU policy.
  EXPECT_THAT(Run([](auto& c) { return c.ObjectFreq("l"); }), Not(IsOk()));
  ASSERT_OK(client().ConfigSet({{"maxmemory-policy", "allkeys-lfu"}}));
  EXPECT_THAT(Run([](auto& c) { return c.ObjectFreq("l"); }),
              IsOkAndHolds(Optional(::testing::Ge(0))));
  EXPECT_THAT(Run([](auto& c) {
                return c.Restore("x", -absl::Seconds(1), "p");
              }),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(KeyCommandsTest, ExpireTime) {
  ASSERT_OK(client().Set("k", "v"));
  EXPECT_THAT(Run([](auto& c) { return c.ExpireTime("k"); }),
              IsOkAndHolds(Optional(absl::InfiniteFuture())));
  EXPECT_THAT(Run([](auto& c) { return c.PExpireTime("missing"); }),
              IsOkAndHolds(std::nullopt));
  const absl::Time at = absl::FromUnixSeconds(4000000000);
  ASSERT_OK(client().ExpireAt("k", at));
  EXPECT_THAT(Run([](auto& c) { return c.ExpireTime("k"); }),
              IsOkAndHolds(Optional(at)));
  EXPECT_THAT(Run([](auto& c) { return c.PExpireTime("k"); }),
              IsOkAndHolds(Optional(at)));
}

TEST_P(KeyCommandsTest, Sort) {
  ASSERT_OK(client().RPush("n", {"3", "1", "2"}));
  ASSERT_OK(client().MSet({{"w_1", "c"}, {"w_2", "b"}, {"w_3", "a"}}));
  EXPECT_THAT(Run([](auto& c) { return c.Sort("n"); }),
              IsOkAndHolds(ElementsAre(Optional(std::string("1")),
                                       Optional(std::string("2")),
                                       Optional(std::string("3")))));
  EXPECT_THAT(Run([](auto& c) {
                return c.SortRo("n", {.limit = std::make_pair(0, 2),
                                      .descending = true});
              }),
              IsOkAndHolds(ElementsAre(Optional(std::string("3")),
                                       Optional(std::string("2")))));
  EXPECT_THAT(Run([](auto& c) {
                return c.Sort("n", {.by = "w_*",
                                    .get = {"#", "nokey_*"},
                                    .alpha = true});
              }),
              IsOkAndHolds(ElementsAre(
                  Optional(std::string("3")), std::nullopt,
                  Optional(std::string("2")), std::nullopt,
                  Optional(std::string("1")), std::nullopt)));
  EXPECT_THAT(Run([](auto& c) { return c.SortStore("n", "sorted"); }),
              IsOkAndHolds(3));
  EXPECT_THAT(client().LRange("sorted", 0, -1),
              IsOkAndHolds(ElementsAre("1", "2", "3")));
}

TEST_P(KeyCommandsTest, WaitWithoutReplicas) {
  ASSERT_OK(client().Set("k", "v"));
  // No replicas: WAIT 0 answers at once with 0.
  EXPECT_THAT(Run([](auto& c) { return c.Wait(0, absl::Milliseconds(10)); }),
              IsOkAndHolds(0));
  // appendonly is off: WAITAOF with numlocal > 0 is a server error; with
  // numlocal 0 it answers [0, 0].
  EXPECT_THAT(Run([](auto& c) {
                return c.WaitAof(1, 0, absl::Milliseconds(10));
              }),
              Not(IsOk()));
  EXPECT_THAT(Run([](auto& c) {
                return c.WaitAof(0, 0, absl::Milliseconds(10));
              }),
              IsOkAndHolds(WaitAofResult{0, 0}));
  EXPECT_THAT(Run([](auto& c) { return c.Wait(0, -absl::Seconds(1)); }),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// The SCAN walker (scan.h) drives a blocking Client only, and a Pipeline
// is built on one; these run over RESP2 and RESP3.
using KeyScanAllTest = ::valkey::testing::RespClientTest;
INSTANTIATE_TEST_SUITE_P(Resp, KeyScanAllTest,
                         ::valkey::testing::RespProtocols(),
                         ::valkey::testing::RespName);

TEST_P(KeyScanAllTest, TypeFilter) {
  ASSERT_OK(client().Set("s", "x"));
  ASSERT_OK(client().Execute("HSET", "user:h", "f", "v"));
  auto hashes = ScanAll(client(), {.type = "hash"}).Collect();
  ASSERT_TRUE(hashes.ok()) << hashes.status();
  EXPECT_EQ(*hashes, std::vector<std::string>{"user:h"});
}

TEST_P(KeyScanAllTest, ScanAllWalksMoreThanAThousandKeys) {
  constexpr int kKeys = 1500;
  absl::flat_hash_set<std::string> want;
  for (int i = 0; i < kKeys; i += 100) {
    std::vector<std::pair<std::string, std::string>> pairs;
    for (int j = i; j < i + 100; ++j) {
      pairs.emplace_back(absl::StrCat("key:", j), "v");
      want.insert(absl::StrCat("key:", j));
    }
    ASSERT_TRUE(client().MSet(pairs).ok());
  }
  ASSERT_TRUE(client().Set("unrelated", "v").ok());

  // Range-for form. SCAN may repeat keys: collect into a set, and check that
  // no key is missing and nothing else came back.
  absl::flat_hash_set<std::string> got;
  size_t yielded = 0;
  for (absl::StatusOr<std::string> key :
       ScanAll(client(), {.match = "key:*", .count = 50})) {
    ASSERT_TRUE(key.ok()) << key.status();
    got.insert(*key);
    ++yielded;
  }
  EXPECT_GE(yielded, want.size());
  EXPECT_EQ(got, want);

  // Pull form.
  auto scanner = ScanAll(client(), {.count = 200});
  absl::flat_hash_set<std::string> pulled;
  while (true) {
    absl::StatusOr<std::optional<std::string>> next = scanner.Next();
    ASSERT_TRUE(next.ok()) << next.status();
    if (!next->has_value()) break;
    pulled.insert(**next);
  }
  EXPECT_TRUE(scanner.done());
  EXPECT_EQ(pulled.size(), want.size() + 1);
  // Done stays done.
  EXPECT_FALSE(scanner.Next()->has_value());

  // Callback form.
  absl::flat_hash_set<std::string> called;
  absl::Status s = ScanAll(client(), {.match = "key:1*"})
                       .ForEach([&](std::string key) { called.insert(key); });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(called.size(), 611u);  // key:1, key:10..19, key:100..199, 1000..1499
}

TEST_P(KeyScanAllTest, ScanAllReportsErrors) {
  ASSERT_TRUE(client().Set("a", "1").ok());
  // A bad option fails the first page: the range-for yields the error once.
  int elements = 0;
  absl::Status error;
  for (absl::StatusOr<std::string> key : ScanAll(client(), {.count = -1})) {
    ++elements;
    if (!key.ok()) error = key.status();
  }
  EXPECT_EQ(elements, 1);
  EXPECT_EQ(error.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ScanAll(client(), {.count = -1}).Collect().status().code(),
            absl::StatusCode::kInvalidArgument);

  // A server that goes away mid-walk: the error is reported, not an end.
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(client().Set(absl::StrCat("k", i), "v").ok());
  }
  auto scanner = ScanAll(client(), {.count = 10});
  auto first = scanner.Next();
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(first->has_value());
  ASSERT_TRUE(server().Kill().ok());
  absl::Status failure;
  for (int i = 0; i < 1000; ++i) {
    auto next = scanner.Next();
    if (!next.ok()) {
      failure = next.status();
      break;
    }
    ASSERT_TRUE(next->has_value()) << "the walk ended silently";
  }
  EXPECT_FALSE(failure.ok());
  EXPECT_TRUE(IsConnectionError(failure)) << failure;
  EXPECT_FALSE(scanner.done());
}

// The families are executor-agnostic: the same methods queue on a Pipeline,
// where a bad argument fills its slot instead of failing the batch.
TEST_P(KeyScanAllTest, FamiliesRunInAPipeline) {
  Pipeline pipe(client());
  Slot<int64_t> hset = pipe.HSet("h", {{"f", "v"}});
  Slot<int64_t> rpush = pipe.RPush("l", {"a", "b"});
  Slot<std::optional<ListPop>> blpop = pipe.BLPop({"l"}, absl::Seconds(1));
  Slot<int64_t> sadd = pipe.SAdd("s", {"x"});
  Slot<int64_t> zadd = pipe.ZAdd("z", {{"m", 1.5}, {"n", 2}});
  Slot<std::vector<ScoredMember>> zrange =
      pipe.ZRangeByScoreWithScores("z", ScoreBound::Exclusive(1.5),
                                   ScoreBound::PosInf());
  Slot<bool> expire = pipe.Expire("h", absl::Seconds(100));
  Slot<bool> bad = pipe.Expire("h", absl::ZeroDuration());
  Slot<std::optional<absl::Duration>> ttl = pipe.Ttl("h");
  Slot<ScanPage<std::string>> scan = pipe.Scan(0, {.count = 100});
  auto results = pipe.Execute();
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_EQ(*results->Get(hset), 1);
  EXPECT_EQ(*results->Get(rpush), 2);
  EXPECT_EQ(**results->Get(blpop), (ListPop{"l", "a"}));
  EXPECT_EQ(*results->Get(sadd), 1);
  EXPECT_EQ(*results->Get(zadd), 2);
  EXPECT_EQ(*results->Get(zrange), (std::vector<ScoredMember>{{"n", 2}}));
  EXPECT_TRUE(*results->Get(expire));
  EXPECT_EQ(results->Get(bad).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_GT(**results->Get(ttl), absl::Seconds(90));
  auto page = results->Get(scan);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->items.size(), 4u);
}

}  // namespace
}  // namespace valkey::executor_tests

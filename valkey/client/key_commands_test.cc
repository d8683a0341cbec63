// Key commands (key_commands.h) and the SCAN walker (scan.h) against a real
// valkey-server, over RESP2 and RESP3.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "valkey/client/client.h"
#include "valkey/client/client_test_fixture.h"
#include "valkey/client/pipeline.h"
#include "valkey/client/scan.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace {

using ::valkey::testing::RespClientTest;
using ::valkey::testing::RespName;
using ::valkey::testing::RespProtocols;

using KeyCommandsTest = RespClientTest;

INSTANTIATE_TEST_SUITE_P(Resp, KeyCommandsTest, RespProtocols(), RespName);

TEST_P(KeyCommandsTest, DelUnlinkExists) {
  ASSERT_TRUE(client_->Set("a", "1").ok());
  ASSERT_TRUE(client_->Set("b", "2").ok());
  ASSERT_TRUE(client_->Set("c", "3").ok());
  auto exists = client_->Exists({"a", "b", "missing", "a"});
  ASSERT_TRUE(exists.ok()) << exists.status();
  EXPECT_EQ(*exists, 3);  // "a" counts twice
  auto del = client_->Del({"a", "missing"});
  ASSERT_TRUE(del.ok()) << del.status();
  EXPECT_EQ(*del, 1);
  auto unlink = client_->Unlink({"b", "c"});
  ASSERT_TRUE(unlink.ok()) << unlink.status();
  EXPECT_EQ(*unlink, 2);
  EXPECT_EQ(*client_->Exists({"a", "b", "c"}), 0);
  EXPECT_EQ(*client_->Del({"nothing"}), 0);
}

TEST_P(KeyCommandsTest, ExpireTtlPersist) {
  // No key: nullopt; no expiry: infinite.
  auto none = client_->Ttl("k");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->has_value());
  auto pnone = client_->PTtl("k");
  ASSERT_TRUE(pnone.ok());
  EXPECT_FALSE(pnone->has_value());
  EXPECT_FALSE(*client_->Expire("k", absl::Seconds(10)));

  ASSERT_TRUE(client_->Set("k", "v").ok());
  auto forever = client_->Ttl("k");
  ASSERT_TRUE(forever.ok());
  ASSERT_TRUE(forever->has_value());
  EXPECT_EQ(**forever, absl::InfiniteDuration());
  EXPECT_EQ(**client_->PTtl("k"), absl::InfiniteDuration());
  EXPECT_FALSE(*client_->Persist("k"));  // nothing to remove

  // NX only when there is no expiry; XX only when there is one.
  EXPECT_FALSE(
      *client_->Expire("k", absl::Seconds(100), ExpireCondition::kHasExpiry));
  EXPECT_TRUE(
      *client_->Expire("k", absl::Seconds(100), ExpireCondition::kNoExpiry));
  EXPECT_FALSE(
      *client_->Expire("k", absl::Seconds(200), ExpireCondition::kNoExpiry));
  auto ttl = client_->Ttl("k");
  ASSERT_TRUE(ttl.ok() && ttl->has_value());
  EXPECT_GT(**ttl, absl::Seconds(90));
  EXPECT_LE(**ttl, absl::Seconds(100));

  // GT / LT compare with the current expiry.
  EXPECT_FALSE(
      *client_->Expire("k", absl::Seconds(50), ExpireCondition::kGreater));
  EXPECT_TRUE(
      *client_->Expire("k", absl::Seconds(500), ExpireCondition::kGreater));
  EXPECT_FALSE(
      *client_->Expire("k", absl::Seconds(900), ExpireCondition::kLess));
  EXPECT_TRUE(*client_->Expire("k", absl::Seconds(300), ExpireCondition::kLess));
  EXPECT_GT(**client_->Ttl("k"), absl::Seconds(290));

  // PEXPIRE: millisecond precision; sub-millisecond rounds up.
  EXPECT_TRUE(*client_->PExpire("k", absl::Milliseconds(5500)));
  auto pttl = client_->PTtl("k");
  ASSERT_TRUE(pttl.ok() && pttl->has_value());
  EXPECT_GT(**pttl, absl::Milliseconds(4000));
  EXPECT_LE(**pttl, absl::Milliseconds(5500));
  // Expire rounds 1.2 s up to 2 s.
  EXPECT_TRUE(*client_->Expire("k", absl::Milliseconds(1200)));
  EXPECT_GT(**client_->PTtl("k"), absl::Milliseconds(1200));

  EXPECT_TRUE(*client_->Persist("k"));
  EXPECT_EQ(**client_->Ttl("k"), absl::InfiniteDuration());

  // Absolute expiry.
  EXPECT_TRUE(*client_->ExpireAt("k", absl::Now() + absl::Hours(1)));
  auto at = client_->Ttl("k");
  ASSERT_TRUE(at.ok() && at->has_value());
  EXPECT_GT(**at, absl::Minutes(59));
  EXPECT_LE(**at, absl::Hours(1) + absl::Seconds(1));
  EXPECT_FALSE(*client_->PExpireAt("k", absl::Now() + absl::Hours(2),
                                   ExpireCondition::kLess));
  EXPECT_TRUE(*client_->PExpireAt("k", absl::Now() + absl::Minutes(10)));
  auto pat = client_->PTtl("k");
  ASSERT_TRUE(pat.ok() && pat->has_value());
  EXPECT_GT(**pat, absl::Minutes(9));
  // Rounded up to the next millisecond: never sooner than asked.
  EXPECT_LE(**pat, absl::Minutes(10) + absl::Milliseconds(1));
  // A time in the past deletes the key.
  EXPECT_TRUE(*client_->PExpireAt("k", absl::Now() - absl::Seconds(10)));
  EXPECT_EQ(*client_->Exists({"k"}), 0);
}

TEST_P(KeyCommandsTest, TypeAndRename) {
  ASSERT_TRUE(client_->Set("s", "v").ok());
  ASSERT_TRUE(client_->Execute("LPUSH", "l", "x").ok());
  ASSERT_TRUE(client_->Execute("HSET", "h", "f", "v").ok());
  ASSERT_TRUE(client_->Execute("SADD", "set", "m").ok());
  ASSERT_TRUE(client_->Execute("ZADD", "z", 1, "m").ok());
  EXPECT_EQ(*client_->Type("s"), "string");
  EXPECT_EQ(*client_->Type("l"), "list");
  EXPECT_EQ(*client_->Type("h"), "hash");
  EXPECT_EQ(*client_->Type("set"), "set");
  EXPECT_EQ(*client_->Type("z"), "zset");
  EXPECT_EQ(*client_->Type("missing"), "none");

  auto rename = client_->Rename("s", "s2");
  ASSERT_TRUE(rename.ok()) << rename.status();
  EXPECT_EQ(client_->Get("s2")->value_or(""), "v");
  EXPECT_FALSE(client_->Get("s")->has_value());
  auto missing = client_->Rename("nope", "x");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(ServerErrorPrefix(missing.status()), "ERR");

  EXPECT_FALSE(*client_->RenameNx("s2", "l"));  // "l" exists
  EXPECT_TRUE(*client_->RenameNx("s2", "s3"));
  EXPECT_EQ(client_->Get("s3")->value_or(""), "v");
  EXPECT_FALSE(client_->RenameNx("nope", "y").ok());
}

TEST_P(KeyCommandsTest, BadArguments) {
  auto code = [](const auto& result) { return result.status().code(); };
  constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(code(client_->Del({})), kInvalid);
  EXPECT_EQ(code(client_->Unlink({})), kInvalid);
  EXPECT_EQ(code(client_->Exists({})), kInvalid);
  EXPECT_EQ(code(client_->Expire("k", absl::ZeroDuration())), kInvalid);
  EXPECT_EQ(code(client_->Expire("k", -absl::Seconds(1))), kInvalid);
  EXPECT_EQ(code(client_->PExpire("k", absl::InfiniteDuration())), kInvalid);
  EXPECT_EQ(code(client_->ExpireAt("k", absl::InfiniteFuture())), kInvalid);
  EXPECT_EQ(code(client_->PExpireAt("k", absl::UnixEpoch())), kInvalid);
  EXPECT_EQ(code(client_->Scan(0, {.count = 0})), kInvalid);
  const absl::Status status = client_->Expire("k", absl::ZeroDuration()).status();
  EXPECT_NE(status.message().find("EXPIRE"), absl::string_view::npos)
      << status;
  EXPECT_EQ(GetErrorKind(client_->Del({}).status()),
            ErrorKind::kInvalidArgument);
}

TEST_P(KeyCommandsTest, ScanPage) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(client_->Set(absl::StrCat("user:", i), "x").ok());
  }
  ASSERT_TRUE(client_->Execute("HSET", "user:h", "f", "v").ok());
  ASSERT_TRUE(client_->Set("other", "x").ok());
  // Walk by hand with a small COUNT: several pages, ending at cursor 0.
  absl::flat_hash_set<std::string> seen;
  uint64_t cursor = 0;
  int pages = 0;
  do {
    auto page = client_->Scan(cursor, {.match = "user:*", .count = 5});
    ASSERT_TRUE(page.ok()) << page.status();
    for (const std::string& key : page->items) seen.insert(key);
    cursor = page->next_cursor;
    ++pages;
  } while (cursor != 0 && pages < 1000);
  EXPECT_EQ(cursor, 0u);
  EXPECT_GT(pages, 1);
  EXPECT_EQ(seen.size(), 21u);
  EXPECT_FALSE(seen.contains("other"));

  // TYPE filter.
  auto hashes = ScanAll(*client_, {.type = "hash"}).Collect();
  ASSERT_TRUE(hashes.ok()) << hashes.status();
  EXPECT_EQ(*hashes, std::vector<std::string>{"user:h"});
}

TEST_P(KeyCommandsTest, ScanAllWalksMoreThanAThousandKeys) {
  constexpr int kKeys = 1500;
  absl::flat_hash_set<std::string> want;
  for (int i = 0; i < kKeys; i += 100) {
    std::vector<std::pair<std::string, std::string>> pairs;
    for (int j = i; j < i + 100; ++j) {
      pairs.emplace_back(absl::StrCat("key:", j), "v");
      want.insert(absl::StrCat("key:", j));
    }
    ASSERT_TRUE(client_->MSet(pairs).ok());
  }
  ASSERT_TRUE(client_->Set("unrelated", "v").ok());

  // Range-for form. SCAN may repeat keys: collect into a set, and check that
  // no key is missing and nothing else came back.
  absl::flat_hash_set<std::string> got;
  size_t yielded = 0;
  for (absl::StatusOr<std::string> key :
       ScanAll(*client_, {.match = "key:*", .count = 50})) {
    ASSERT_TRUE(key.ok()) << key.status();
    got.insert(*key);
    ++yielded;
  }
  EXPECT_GE(yielded, want.size());
  EXPECT_EQ(got, want);

  // Pull form.
  auto scanner = ScanAll(*client_, {.count = 200});
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
  absl::Status s = ScanAll(*client_, {.match = "key:1*"})
                       .ForEach([&](std::string key) { called.insert(key); });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(called.size(), 611u);  // key:1, key:10..19, key:100..199, 1000..1499
}

TEST_P(KeyCommandsTest, ScanAllReportsErrors) {
  ASSERT_TRUE(client_->Set("a", "1").ok());
  // A bad option fails the first page: the range-for yields the error once.
  int elements = 0;
  absl::Status error;
  for (absl::StatusOr<std::string> key : ScanAll(*client_, {.count = -1})) {
    ++elements;
    if (!key.ok()) error = key.status();
  }
  EXPECT_EQ(elements, 1);
  EXPECT_EQ(error.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ScanAll(*client_, {.count = -1}).Collect().status().code(),
            absl::StatusCode::kInvalidArgument);

  // A server that goes away mid-walk: the error is reported, not an end.
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(client_->Set(absl::StrCat("k", i), "v").ok());
  }
  auto scanner = ScanAll(*client_, {.count = 10});
  auto first = scanner.Next();
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(first->has_value());
  ASSERT_TRUE(server_->Kill().ok());
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
TEST_P(KeyCommandsTest, FamiliesRunInAPipeline) {
  Pipeline pipe(*client_);
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
}  // namespace valkey

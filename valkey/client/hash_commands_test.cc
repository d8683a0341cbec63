// Hash commands (hash_commands.h) and HScanAll (scan.h) against a real
// valkey-server, over RESP2 and RESP3.

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "valkey/client/client.h"
#include "valkey/client/client_test_fixture.h"
#include "valkey/client/scan.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace {

using ::valkey::testing::RespClientTest;
using ::valkey::testing::RespName;
using ::valkey::testing::RespProtocols;

using HashCommandsTest = RespClientTest;

INSTANTIATE_TEST_SUITE_P(Resp, HashCommandsTest, RespProtocols(), RespName);

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST_P(HashCommandsTest, SetGetAndFriends) {
  auto added = client_->HSet("h", {{"name", "alice"}, {"age", "30"}});
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_EQ(*added, 2);
  // Overwrites are not counted.
  EXPECT_EQ(*client_->HSet("h", {{"name", "bob"}, {"city", "paris"}}), 1);

  auto name = client_->HGet("h", "name");
  ASSERT_TRUE(name.ok()) << name.status();
  EXPECT_EQ(name->value_or(""), "bob");
  EXPECT_FALSE(client_->HGet("h", "nope")->has_value());
  EXPECT_FALSE(client_->HGet("missing", "name")->has_value());

  auto many = client_->HMGet("h", {"age", "nope", "city"});
  ASSERT_TRUE(many.ok()) << many.status();
  EXPECT_EQ(*many, (std::vector<std::optional<std::string>>{
                       "30", std::nullopt, "paris"}));

  auto all = client_->HGetAll("h");
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(*all, (absl::flat_hash_map<std::string, std::string>{
                      {"name", "bob"}, {"age", "30"}, {"city", "paris"}}));
  auto empty = client_->HGetAll("missing");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(empty->empty());

  EXPECT_EQ(*client_->HLen("h"), 3);
  EXPECT_EQ(*client_->HLen("missing"), 0);
  EXPECT_EQ(Sorted(*client_->HKeys("h")),
            (std::vector<std::string>{"age", "city", "name"}));
  EXPECT_EQ(Sorted(*client_->HVals("h")),
            (std::vector<std::string>{"30", "bob", "paris"}));
  EXPECT_TRUE(client_->HKeys("missing")->empty());

  EXPECT_TRUE(*client_->HExists("h", "age"));
  EXPECT_FALSE(*client_->HExists("h", "nope"));
  EXPECT_FALSE(*client_->HSetNx("h", "age", "99"));
  EXPECT_TRUE(*client_->HSetNx("h", "zip", "75001"));
  EXPECT_EQ(client_->HGet("h", "age")->value_or(""), "30");

  EXPECT_EQ(*client_->HDel("h", {"zip", "nope", "city"}), 2);
  EXPECT_EQ(*client_->HLen("h"), 2);
}

TEST_P(HashCommandsTest, Increments) {
  EXPECT_EQ(*client_->HIncrBy("h", "n", 5), 5);
  EXPECT_EQ(*client_->HIncrBy("h", "n", -7), -2);
  auto f = client_->HIncrByFloat("h", "f", 0.5);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_DOUBLE_EQ(*f, 0.5);
  EXPECT_DOUBLE_EQ(*client_->HIncrByFloat("h", "f", 1.25), 1.75);
  ASSERT_TRUE(client_->HSet("h", {{"s", "text"}}).ok());
  auto not_int = client_->HIncrBy("h", "s", 1);
  EXPECT_FALSE(not_int.ok());
  EXPECT_EQ(ServerErrorPrefix(not_int.status()), "ERR");
  ASSERT_TRUE(client_->Set("str", "x").ok());
  EXPECT_EQ(GetErrorKind(client_->HGet("str", "f").status()),
            ErrorKind::kWrongType);
}

TEST_P(HashCommandsTest, Scan) {
  std::vector<std::pair<std::string, std::string>> fields;
  absl::flat_hash_map<std::string, std::string> want;
  for (int i = 0; i < 300; ++i) {
    fields.emplace_back(absl::StrCat("f", i), absl::StrCat("v", i));
    want[absl::StrCat("f", i)] = absl::StrCat("v", i);
  }
  ASSERT_TRUE(client_->HSet("big", fields).ok());

  // One page at a time.
  absl::flat_hash_map<std::string, std::string> paged;
  uint64_t cursor = 0;
  do {
    auto page = client_->HScan("big", cursor, {.count = 20});
    ASSERT_TRUE(page.ok()) << page.status();
    for (auto& [f, v] : page->items) paged[f] = v;
    cursor = page->next_cursor;
  } while (cursor != 0);
  EXPECT_EQ(paged, want);

  // The walker, with a pattern.
  absl::flat_hash_map<std::string, std::string> matched;
  absl::Status s = HScanAll(*client_, "big", {.match = "f1*"})
                       .ForEach([&](std::pair<std::string, std::string> fv) {
                         matched.insert(std::move(fv));
                       });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(matched.size(), 111u);  // f1, f10..f19, f100..f199
  EXPECT_EQ(matched["f150"], "v150");

  // A small hash comes back whole in one page (listpack encoding).
  ASSERT_TRUE(client_->HSet("small", {{"a", "1"}, {"b", "2"}}).ok());
  auto page = client_->HScan("small", 0);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->next_cursor, 0u);
  EXPECT_EQ(page->items.size(), 2u);
  auto none = client_->HScan("missing", 0);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->items.empty());
}

TEST_P(HashCommandsTest, BadArguments) {
  constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(client_->HSet("h", {}).status().code(), kInvalid);
  EXPECT_EQ(client_->HMGet("h", {}).status().code(), kInvalid);
  EXPECT_EQ(client_->HDel("h", {}).status().code(), kInvalid);
  EXPECT_EQ(client_->HIncrByFloat("h", "f", std::numeric_limits<double>::infinity()).status().code(),
            kInvalid);
  EXPECT_EQ(client_->HScan("h", 0, {.count = 0}).status().code(), kInvalid);
  auto typed = client_->HScan("h", 0, {.type = "string"});
  EXPECT_EQ(typed.status().code(), kInvalid);
  EXPECT_NE(typed.status().message().find("HSCAN"), absl::string_view::npos);
}

}  // namespace
}  // namespace valkey

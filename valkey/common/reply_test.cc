#include "valkey/common/reply.h"

#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "valkey/common/errors.h"
#include "valkey/common/resp_reader.h"
#include "valkey/common/resp_writer.h"

namespace valkey {
namespace {

Reply Parse(absl::string_view bytes) {
  RespReader reader;
  reader.Feed(bytes);
  Reply reply;
  EXPECT_EQ(reader.Read(&reply), RespReader::Result::kReply)
      << reader.status();
  return reply;
}

TEST(ReplyTest, DefaultIsNull) {
  Reply r;
  EXPECT_TRUE(r.is_null());
  EXPECT_EQ(r.type(), ReplyType::kNull);
  EXPECT_EQ(r.size(), 0u);
  EXPECT_EQ(r.str(), "");
  EXPECT_EQ(r.begin(), r.end());
  EXPECT_EQ(r.DebugString(), "nil");
  EXPECT_TRUE(r.ToStatus().ok());
}

TEST(ReplyTest, ScalarAccessors) {
  Reply s = Parse("+OK\r\n");
  EXPECT_EQ(s.type(), ReplyType::kSimpleString);
  EXPECT_TRUE(s.is_string());
  EXPECT_EQ(s.str(), "OK");
  EXPECT_EQ(s.num_nodes(), 1u);

  Reply i = Parse(":-7\r\n");
  EXPECT_EQ(i.integer(), -7);
  EXPECT_FALSE(i.is_string());

  Reply d = Parse(",3.5\r\n");
  EXPECT_EQ(d.dbl(), 3.5);

  Reply b = Parse("#t\r\n");
  EXPECT_TRUE(b.boolean());

  Reply big = Parse("(12345678901234567890123\r\n");
  EXPECT_EQ(big.type(), ReplyType::kBigNumber);
  EXPECT_EQ(big.str(), "12345678901234567890123");

  Reply v = Parse("=9\r\ntxt:hello\r\n");
  EXPECT_EQ(v.type(), ReplyType::kVerbatim);
  EXPECT_EQ(v.verbatim_format(), "txt");
  EXPECT_EQ(v.str(), "hello");
}

TEST(ReplyTest, MismatchedAccessorsReturnEmptyValues) {
  Reply i = Parse(":5\r\n");
  EXPECT_EQ(i.str(), "");
  EXPECT_EQ(i.dbl(), 0.0);
  EXPECT_FALSE(i.boolean());
  EXPECT_EQ(i.size(), 0u);
  EXPECT_TRUE(i[0].is_null());
  EXPECT_EQ(i.verbatim_format(), "");
  Reply s = Parse("$3\r\nabc\r\n");
  EXPECT_EQ(s.integer(), 0);
  EXPECT_EQ(s.size(), 0u);
  EXPECT_EQ(s.begin(), s.end());
  Reply a = Parse("*1\r\n:1\r\n");
  EXPECT_TRUE(a[1].is_null());
  EXPECT_TRUE(a[1000000].is_null());
  EXPECT_EQ(a.str(), "");
}

TEST(ReplyTest, FlatArrayIndexingAndIteration) {
  Reply r = Parse("*3\r\n$1\r\na\r\n:2\r\n_\r\n");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r.num_children(), 3u);
  EXPECT_EQ(r.num_nodes(), 4u);
  EXPECT_EQ(r[0].str(), "a");
  EXPECT_EQ(r[1].integer(), 2);
  EXPECT_TRUE(r[2].is_null());
  std::vector<std::string> seen;
  for (ReplyView e : r) seen.push_back(e.DebugString());
  EXPECT_EQ(seen, (std::vector<std::string>{"\"a\"", "2", "nil"}));
}

TEST(ReplyTest, NestedArrayIndexingWalksSiblings) {
  // [[1, [2, 3]], "x", [], [[4]]]
  Reply r = Parse(
      "*4\r\n*2\r\n:1\r\n*2\r\n:2\r\n:3\r\n+x\r\n*0\r\n*1\r\n*1\r\n:4\r\n");
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0][0].integer(), 1);
  EXPECT_EQ(r[0][1][1].integer(), 3);
  EXPECT_EQ(r[1].str(), "x");
  EXPECT_EQ(r[2].type(), ReplyType::kArray);
  EXPECT_TRUE(r[2].empty());
  EXPECT_EQ(r[3][0][0].integer(), 4);
  EXPECT_TRUE(r[4].is_null());
  EXPECT_EQ(r.DebugString(), "[[1, [2, 3]], +\"x\", [], [[4]]]");
  int count = 0;
  for (ReplyView e : r) {
    (void)e;
    ++count;
  }
  EXPECT_EQ(count, 4);
}

TEST(ReplyTest, MapAccess) {
  Reply r = Parse("%2\r\n+a\r\n:1\r\n$1\r\nb\r\n*1\r\n:2\r\n");
  ASSERT_EQ(r.type(), ReplyType::kMap);
  EXPECT_EQ(r.size(), 2u);
  EXPECT_EQ(r.num_children(), 4u);
  EXPECT_EQ(r.key(0).str(), "a");
  EXPECT_EQ(r.value(0).integer(), 1);
  EXPECT_EQ(r.key(1).str(), "b");
  EXPECT_EQ(r.value(1)[0].integer(), 2);
  std::vector<std::pair<std::string, std::string>> pairs;
  for (auto [k, v] : r.pairs()) {
    pairs.emplace_back(std::string(k.str()), v.DebugString());
  }
  EXPECT_EQ(pairs, (std::vector<std::pair<std::string, std::string>>{
                       {"a", "1"}, {"b", "[2]"}}));
  EXPECT_EQ(r.DebugString(), "{+\"a\": 1, \"b\": [2]}");
}

TEST(ReplyTest, PairsOverResp2FlatArray) {
  Reply r = Parse("*5\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\ng\r\n$1\r\nw\r\n:9\r\n");
  std::string joined;
  for (auto [k, v] : r.pairs()) {
    joined.append(k.str());
    joined.append("=");
    joined.append(v.str());
    joined.append(";");
  }
  EXPECT_EQ(joined, "f=v;g=w;");
  EXPECT_EQ(r.pairs().size(), 2u);
}

TEST(ReplyTest, PushIsMarked) {
  Reply r = Parse(">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
  EXPECT_TRUE(r.is_push());
  EXPECT_TRUE(r.is_aggregate());
  EXPECT_EQ(r[0].str(), "message");
  EXPECT_EQ(r.DebugString(), "push[\"message\", \"ch\", \"hi\"]");
  EXPECT_FALSE(Parse("*1\r\n:1\r\n").is_push());
}

TEST(ReplyTest, SetAndDebugStringOfEveryType) {
  Reply r = Parse(
      "~2\r\n:1\r\n:2\r\n");
  EXPECT_EQ(r.type(), ReplyType::kSet);
  EXPECT_EQ(r.DebugString(), "set[1, 2]");
  Reply all = Parse(
      "*9\r\n-ERR bad\r\n!5\r\nERR z\r\n,inf\r\n,-1.5\r\n#f\r\n(-12\r\n"
      "=7\r\nmkd:a\nb\r\n$2\r\n\x01\"\r\n$-1\r\n");
  EXPECT_EQ(all.DebugString(),
            "[(error) ERR bad, (error) ERR z, (double) inf, (double) -1.5, "
            "false, (big) -12, mkd:\"a\\nb\", \"\\001\\\"\", nil]");
}

TEST(ReplyTest, ErrorToStatus) {
  Reply e = Parse("-WRONGTYPE Operation against a key\r\n");
  EXPECT_TRUE(e.is_error());
  absl::Status s = e.ToStatus();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(ServerErrorPrefix(s), "WRONGTYPE");
  EXPECT_EQ(GetErrorKind(s), ErrorKind::kWrongType);

  Reply ro = Parse("!29\r\nREADONLY You can't write here\r\n");
  EXPECT_TRUE(ro.is_error());
  EXPECT_EQ(ro.ToStatus().code(), absl::StatusCode::kFailedPrecondition);

  Reply arr = Parse("*2\r\n+OK\r\n-NOAUTH Authentication required.\r\n");
  EXPECT_TRUE(arr.ToStatus().ok());
  EXPECT_EQ(arr[1].ToStatus().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(Parse(":1\r\n").ToStatus().ok());
}

TEST(ReplyTest, MoveAndClone) {
  Reply a = Parse("*2\r\n$5\r\nhello\r\n%1\r\n+k\r\n+v\r\n");
  Reply b = std::move(a);
  EXPECT_EQ(b[0].str(), "hello");
  Reply c = b.Clone();
  b = Parse("$3\r\nnew\r\n");
  EXPECT_EQ(b.str(), "new");
  EXPECT_EQ(c[0].str(), "hello");
  EXPECT_EQ(c[1].value(0).str(), "v");
  Reply d = c.Clone();
  Reply e = std::move(d);
  EXPECT_EQ(e.DebugString(), c.DebugString());
  Reply s = Parse("$2\r\nhi\r\n");
  Reply t = s.Clone();
  Reply u = std::move(s);
  EXPECT_EQ(t.str(), "hi");
  EXPECT_EQ(u.str(), "hi");
}

// Clone() copies a short scalar kept inline without a call and every other
// reply through its storage; CloneOf builds either in place.
TEST(ReplyTest, CloneOfInlineAndStoredRepliesInPlace) {
  const Reply inline16 = Parse("$16\r\n0123456789abcdef\r\n");
  const Reply stored17 = Parse("$17\r\n0123456789abcdefg\r\n");
  const Reply integer = Parse(":-42\r\n");
  const Reply nested = Parse("*2\r\n$1\r\na\r\n*1\r\n:7\r\n");
  ASSERT_EQ(inline16.storage_bytes(), 0u);
  ASSERT_GT(stored17.storage_bytes(), 0u);
  for (const Reply* r : {&inline16, &stored17, &integer, &nested}) {
    absl::StatusOr<Reply> in_place(absl::in_place, Reply::CloneOf{*r});
    ASSERT_TRUE(in_place.ok());
    EXPECT_EQ(in_place->DebugString(), r->DebugString());
    EXPECT_EQ(in_place->storage_bytes(), r->storage_bytes());
    EXPECT_EQ(in_place->num_nodes(), r->num_nodes());
    std::optional<Reply> optional(std::in_place, Reply::CloneOf{*r});
    EXPECT_EQ(optional->DebugString(), r->DebugString());
  }
  // The copies own their bytes: the original may go first.
  absl::StatusOr<Reply> copy;
  {
    Reply temporary = Parse("$17\r\n0123456789abcdefg\r\n");
    copy = temporary.Clone();
  }
  EXPECT_EQ(copy->str(), "0123456789abcdefg");
}

TEST(ReplyTest, ReplyTypeNames) {
  EXPECT_EQ(ReplyTypeName(ReplyType::kNull), "null");
  EXPECT_EQ(ReplyTypeName(ReplyType::kBulkString), "bulk-string");
  EXPECT_EQ(ReplyTypeName(ReplyType::kBlobError), "blob-error");
  EXPECT_EQ(ReplyTypeName(ReplyType::kPush), "push");
}

}  // namespace
}  // namespace valkey

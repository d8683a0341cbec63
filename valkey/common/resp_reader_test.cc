#include "valkey/common/resp_reader.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "valkey/common/errors.h"
#include "valkey/common/reply.h"
#include "valkey/common/resp_writer.h"

namespace valkey {
namespace {

using ::testing::HasSubstr;

// Drains every complete reply from the reader into `out` (as debug strings).
// Returns the reader's status.
absl::Status Drain(RespReader& reader, std::vector<std::string>& out) {
  for (;;) {
    absl::StatusOr<std::optional<Reply>> r = reader.Next();
    if (!r.ok()) return r.status();
    if (!r->has_value()) return absl::OkStatus();
    out.push_back((*r)->DebugString());
  }
}

// Feeds `bytes` in the pieces given by `cuts` (increasing offsets), draining
// after each piece.
absl::Status FeedInPieces(absl::string_view bytes,
                          const std::vector<size_t>& cuts,
                          std::vector<std::string>& out,
                          const ReaderLimits& limits = ReaderLimits(),
                          bool require_all = true) {
  RespReader reader(limits);
  size_t from = 0;
  for (size_t cut : cuts) {
    reader.Feed(bytes.substr(from, cut - from));
    absl::Status s = Drain(reader, out);
    if (!s.ok()) return s;
    from = cut;
  }
  reader.Feed(bytes.substr(from));
  absl::Status s = Drain(reader, out);
  if (s.ok() && require_all && reader.buffered_bytes() != 0) {
    return absl::InternalError("bytes left over");
  }
  return s;
}

std::vector<std::string> ParseWhole(absl::string_view bytes) {
  std::vector<std::string> out;
  absl::Status s = FeedInPieces(bytes, {}, out);
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

// Compares reply lists, printing at most 200 characters of a mismatch.
::testing::AssertionResult SameReplies(const std::vector<std::string>& got,
                                       const std::vector<std::string>& want) {
  if (got.size() != want.size()) {
    return ::testing::AssertionFailure()
           << "got " << got.size() << " replies, want " << want.size();
  }
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i] != want[i]) {
      return ::testing::AssertionFailure()
             << "reply " << i << ": got " << got[i].substr(0, 200)
             << ", want " << want[i].substr(0, 200);
    }
  }
  return ::testing::AssertionSuccess();
}

absl::Status ParseError(absl::string_view bytes,
                        const ReaderLimits& limits = ReaderLimits()) {
  std::vector<std::string> out;
  return FeedInPieces(bytes, {}, out, limits);
}

// One instance of every type, RESP2 and RESP3, nested in several ways.
std::string MixedStream() {
  std::string s;
  resp::AppendSimpleString(s, "OK");
  resp::AppendError(s, "ERR unknown command 'FOO'");
  resp::AppendInteger(s, 0);
  resp::AppendInteger(s, std::numeric_limits<int64_t>::min());
  resp::AppendInteger(s, std::numeric_limits<int64_t>::max());
  resp::AppendBulkString(s, "");
  resp::AppendBulkString(s, std::string("bin\r\n\0ary\r", 10));
  resp::AppendNullBulkString(s);
  resp::AppendNullArray(s);
  resp::AppendNull(s);
  resp::AppendArrayHeader(s, 0);
  resp::AppendArrayHeader(s, 3);
  resp::AppendBulkString(s, "a");
  resp::AppendArrayHeader(s, 2);
  resp::AppendInteger(s, 1);
  resp::AppendArrayHeader(s, 1);
  resp::AppendNull(s);
  resp::AppendMapHeader(s, 0);
  resp::AppendMapHeader(s, 2);
  resp::AppendSimpleString(s, "first");
  resp::AppendDouble(s, 1.25);
  resp::AppendBulkString(s, "second");
  resp::AppendSetHeader(s, 3);
  resp::AppendBoolean(s, true);
  resp::AppendBoolean(s, false);
  resp::AppendBigNumber(s, "3492890328409238509324850943850943825024385");
  resp::AppendDouble(s, std::numeric_limits<double>::infinity());
  resp::AppendDouble(s, -std::numeric_limits<double>::infinity());
  resp::AppendDouble(s, std::nan(""));
  resp::AppendDouble(s, -0.0);
  resp::AppendVerbatim(s, "txt", "Some string");
  resp::AppendBlobError(s, "SYNTAX invalid syntax");
  resp::AppendPushHeader(s, 3);
  resp::AppendBulkString(s, "message");
  resp::AppendBulkString(s, "channel");
  resp::AppendBulkString(s, std::string(300, 'p'));
  // An attribute before a reply and inside an aggregate: both discarded.
  resp::AppendAttributeHeader(s, 1);
  resp::AppendSimpleString(s, "key-popularity");
  resp::AppendMapHeader(s, 1);
  resp::AppendBulkString(s, "a");
  resp::AppendDouble(s, 0.1923);
  resp::AppendArrayHeader(s, 2);
  resp::AppendInteger(s, 2039123);
  resp::AppendAttributeHeader(s, 1);
  resp::AppendSimpleString(s, "ttl");
  resp::AppendInteger(s, 3600);
  resp::AppendInteger(s, 9543892);
  resp::AppendBulkString(s, std::string(70000, 'z'));
  return s;
}

const std::vector<std::string>& MixedExpected() {
  static const auto* expected = new std::vector<std::string>{
      "+\"OK\"",
      "(error) ERR unknown command \\'FOO\\'",
      "0",
      "-9223372036854775808",
      "9223372036854775807",
      "\"\"",
      "\"bin\\r\\n\\000ary\\r\"",
      "nil",
      "nil",
      "nil",
      "[]",
      "[\"a\", [1, [nil]], {}]",
      "{+\"first\": (double) 1.25, \"second\": set[true, false, (big) "
      "3492890328409238509324850943850943825024385]}",
      "(double) inf",
      "(double) -inf",
      "(double) nan",
      "(double) -0",
      "txt:\"Some string\"",
      "(error) SYNTAX invalid syntax",
      "push[\"message\", \"channel\", \"" + std::string(300, 'p') + "\"]",
      "[2039123, 9543892]",
      "\"" + std::string(70000, 'z') + "\"",
  };
  return *expected;
}

// A connection reuses one Reply as the target of every Read and moves each
// result away: a moved-from Reply must be an empty, reusable target.
TEST(RespReaderTest, ReadsIntoAMovedFromReply) {
  RespReader reader;
  const std::string long_a(100, 'a');
  const std::string long_b(40, 'b');
  reader.Feed(absl::StrCat("$100\r\n", long_a, "\r\n", "*2\r\n$40\r\n",
                           long_b, "\r\n:7\r\n", "$40\r\n", long_b,
                           "\r\n"));
  Reply target;
  std::vector<Reply> got;
  while (reader.Read(&target) == RespReader::Result::kReply) {
    got.push_back(std::move(target));
    EXPECT_TRUE(target.is_null());
    EXPECT_EQ(target.num_nodes(), 1u);
  }
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].str(), long_a);
  ASSERT_EQ(got[1].size(), 2u);
  EXPECT_EQ(got[1][0].str(), long_b);
  EXPECT_EQ(got[1][1].integer(), 7);
  EXPECT_EQ(got[2].str(), long_b);
  Reply moved = std::move(got[1]);
  EXPECT_EQ(moved[0].str(), long_b);
  EXPECT_TRUE(got[1].is_null());
}

TEST(RespReaderTest, MixedStreamWhole) {
  EXPECT_TRUE(SameReplies(ParseWhole(MixedStream()), MixedExpected()));
}

TEST(RespReaderTest, MixedStreamOneByteAtATime) {
  const std::string s = MixedStream();
  std::vector<size_t> cuts;
  for (size_t i = 1; i < s.size(); ++i) cuts.push_back(i);
  std::vector<std::string> out;
  ASSERT_TRUE(FeedInPieces(s, cuts, out).ok());
  EXPECT_TRUE(SameReplies(out, MixedExpected()));
}

TEST(RespReaderTest, MixedStreamSplitAtEveryPosition) {
  // The 70000-byte tail makes every split cheap to check but long; split
  // the part before it at every byte and the tail at a few places.
  const std::string s = MixedStream();
  const size_t tail = s.size() - 70000 - 10;
  for (size_t cut = 0; cut <= s.size(); cut += (cut < tail ? 1 : 997)) {
    std::vector<std::string> out;
    ASSERT_TRUE(FeedInPieces(s, {cut}, out).ok()) << cut;
    ASSERT_TRUE(SameReplies(out, MixedExpected())) << cut;
  }
}

TEST(RespReaderTest, MixedStreamRandomSplits) {
  const std::string s = MixedStream();
  std::mt19937 rng(20240601);
  for (int round = 0; round < 200; ++round) {
    std::uniform_int_distribution<size_t> pos(0, s.size());
    std::vector<size_t> cuts(1 + round % 40);
    for (size_t& c : cuts) c = pos(rng);
    std::sort(cuts.begin(), cuts.end());
    std::vector<std::string> out;
    ASSERT_TRUE(FeedInPieces(s, cuts, out).ok()) << round;
    ASSERT_TRUE(SameReplies(out, MixedExpected())) << round;
  }
}

TEST(RespReaderTest, CorruptedStreamsNeverCrash) {
  // Random byte flips in a valid stream: every outcome must be replies,
  // "need more" or DATA_LOSS (run under ASan/UBSan to catch memory errors).
  std::string base = MixedStream();
  base.resize(base.size() - 70000);  // keep it short
  std::mt19937 rng(7);
  const char kInteresting[] = "\r\n*$%~>|:+-_,#(=!0123456789-?t";
  for (int round = 0; round < 3000; ++round) {
    std::string s = base;
    const int flips = 1 + round % 4;
    for (int f = 0; f < flips; ++f) {
      const size_t at = rng() % s.size();
      s[at] = (rng() % 2) ? kInteresting[rng() % (sizeof kInteresting - 1)]
                          : static_cast<char>(rng());
    }
    ReaderLimits limits;
    limits.max_bulk_length = 1 << 20;
    std::vector<std::string> out;
    const size_t cut = rng() % (s.size() + 1);
    absl::Status st = FeedInPieces(s, {cut}, out, limits, false);
    EXPECT_TRUE(st.ok() || st.code() == absl::StatusCode::kDataLoss) << st;
  }
}

TEST(RespReaderTest, EveryTruncationNeedsMoreData) {
  const std::string s = MixedStream();
  size_t start = 0;
  RespReader whole;
  whole.Feed(s);
  // For each reply, every proper prefix is "need more", never an error.
  for (;;) {
    const uint64_t before = whole.bytes_fed() - whole.buffered_bytes();
    Reply r;
    if (whole.Read(&r) != RespReader::Result::kReply) break;
    const size_t end = whole.bytes_fed() - whole.buffered_bytes();
    ASSERT_EQ(before, start);
    const size_t step = end - start > 1000 ? 101 : 1;
    for (size_t len = 0; len < end - start; len += step) {
      RespReader reader;
      reader.Feed(absl::string_view(s).substr(start, len));
      absl::StatusOr<std::optional<Reply>> got = reader.Next();
      ASSERT_TRUE(got.ok()) << got.status() << " at " << start << "+" << len;
      ASSERT_FALSE(got->has_value()) << start << "+" << len;
    }
    start = end;
  }
  EXPECT_EQ(start, s.size());
}

TEST(RespReaderTest, PipelinedRepliesInOneFeed) {
  RespReader reader;
  reader.Feed("+OK\r\n:1\r\n$1\r\nx\r\n*1\r\n:2\r\n+PART");
  std::vector<std::string> out;
  ASSERT_TRUE(Drain(reader, out).ok());
  EXPECT_EQ(out, (std::vector<std::string>{"+\"OK\"", "1", "\"x\"", "[2]"}));
  EXPECT_EQ(reader.buffered_bytes(), 5u);
  reader.Feed("IAL\r\n");
  ASSERT_TRUE(Drain(reader, out).ok());
  EXPECT_EQ(out.back(), "+\"PARTIAL\"");
  EXPECT_EQ(reader.buffered_bytes(), 0u);
  EXPECT_EQ(reader.bytes_fed(), 34u);
}

TEST(RespReaderTest, EmptyInputNeedsMore) {
  RespReader reader;
  absl::StatusOr<std::optional<Reply>> r = reader.Next();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  reader.Feed("");
  r = reader.Next();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
}

TEST(RespReaderTest, ScalarTypes) {
  EXPECT_EQ(ParseWhole(":+5\r\n:-0\r\n:007\r\n"),
            (std::vector<std::string>{"5", "0", "7"}));
  EXPECT_EQ(ParseWhole(",1e3\r\n,+2.5\r\n,-inf\r\n,inf\r\n,NaN\r\n,.5\r\n"),
            (std::vector<std::string>{"(double) 1000", "(double) 2.5",
                                      "(double) -inf", "(double) inf",
                                      "(double) nan", "(double) 0.5"}));
  EXPECT_EQ(ParseWhole("(0\r\n(-1\r\n(+2\r\n"),
            (std::vector<std::string>{"(big) 0", "(big) -1", "(big) +2"}));
  EXPECT_EQ(ParseWhole("+\r\n-\r\n"),
            (std::vector<std::string>{"+\"\"", "(error) "}));
  EXPECT_EQ(ParseWhole("=4\r\ntxt:\r\n"),
            (std::vector<std::string>{"txt:\"\""}));
}

TEST(RespReaderTest, AttributesAreDiscarded) {
  EXPECT_EQ(ParseWhole("|0\r\n:1\r\n|1\r\n+a\r\n*1\r\n:2\r\n$1\r\nz\r\n"
                       "|1\r\n+a\r\n|1\r\n+b\r\n:0\r\n:5\r\n:6\r\n"),
            (std::vector<std::string>{"1", "\"z\"", "6"}));
  // An attribute as the last thing in a buffer waits for its value.
  RespReader reader;
  reader.Feed("|1\r\n+k\r\n+v\r\n");
  Reply r;
  EXPECT_EQ(reader.Read(&r), RespReader::Result::kNeedMore);
  reader.Feed("*2\r\n|1\r\n+x\r\n+y\r\n:1\r\n:2\r\n");
  ASSERT_EQ(reader.Read(&r), RespReader::Result::kReply);
  EXPECT_EQ(r.DebugString(), "[1, 2]");
}

TEST(RespReaderTest, ZeroCopyFeed) {
  RespReader reader;
  const std::string bytes = "*2\r\n$5\r\nhello\r\n$5\r\nworld\r\n";
  size_t done = 0;
  while (done < bytes.size()) {
    absl::Span<char> space = reader.PrepareFeed(3);
    ASSERT_GE(space.size(), 3u);
    const size_t n = std::min<size_t>(3, bytes.size() - done);
    std::memcpy(space.data(), bytes.data() + done, n);
    reader.CommitFeed(n);
    done += n;
  }
  Reply r;
  ASSERT_EQ(reader.Read(&r), RespReader::Result::kReply);
  EXPECT_EQ(r.DebugString(), "[\"hello\", \"world\"]");
}

TEST(RespReaderTest, ReadReusesReply) {
  RespReader reader;
  reader.Feed("$5\r\nhello\r\n$2\r\nhi\r\n*1\r\n:1\r\n:9\r\n$2\r\nab\r\n"
              "$20\r\n01234567890123456789\r\n+x\r\n");
  Reply r;
  ASSERT_EQ(reader.Read(&r), RespReader::Result::kReply);
  EXPECT_EQ(r.str(), "hello");
  ASSERT_EQ(reader.Read(&r), RespReader::Result::kReply);
  EXPECT_EQ(r.str(), "hi");
  ASSERT_EQ(reader.Read(&r), RespReader::Result::kReply);
  EXPECT_EQ(r.DebugString(), "[1]");
  ASSERT_EQ(reader.Read(&r), RespReader::Result::kReply);
  EXPECT_EQ(r.integer(), 9);
  ASSERT_EQ(reader.Read(&r), RespReader::Result::kReply);
  EXPECT_EQ(r.str(), "ab");
  ASSERT_EQ(reader.Read(&r), RespReader::Result::kReply);
  EXPECT_EQ(r.str(), "01234567890123456789");
  Reply moved = std::move(r);
  EXPECT_EQ(moved.str(), "01234567890123456789");
  ASSERT_EQ(reader.Read(&r), RespReader::Result::kReply);
  EXPECT_EQ(r.str(), "x");
}

struct BadCase {
  std::string bytes;
  std::string message;  // expected substring
};

TEST(RespReaderTest, MalformedInputIsDataLoss) {
  const std::vector<BadCase> cases = {
      {"?\r\n", "unknown RESP type byte '?'"},
      {std::string("\0", 1), "unknown RESP type byte 0x00"},
      {":\r\n", "invalid integer: expected a digit"},
      {":12a\r\n", "invalid integer: expected CR, got 'a'"},
      {":-\r\n", "expected a digit"},
      {":99999999999999999999\r\n", "integer out of range"},
      {":9223372036854775808\r\n", "integer out of range"},
      {":-9223372036854775809\r\n", "integer out of range"},
      {":1\rX", "CR not followed by LF"},
      {"$abc\r\n", "invalid length: expected a digit"},
      {"$-2\r\n", "negative"},
      {"$-1 \r\n", "negative"},
      {"%-1\r\n", "negative"},
      {"!-1\r\n", "negative"},
      {"$3\r\nabcXY", "bulk payload not followed by CRLF"},
      {"$3\r\nabc\rX", "bulk payload not followed by CRLF"},
      {"$1 \r\n", "expected CR, got ' '"},
      {"$9999999999999999999999\r\n", "length too large"},
      {"*1\r\n*x\r\n", "invalid length"},
      {"$?\r\n", "streamed"},
      {"*?\r\n", "streamed"},
      {"+OK\rX", "CR not followed by LF"},
      {"#x\r\n", "malformed value of type '#'"},
      {"#tt\r\n", "malformed value of type '#'"},
      {"_x\r\n", "malformed value of type '_'"},
      {",abc\r\n", "invalid double"},
      {",1.5x\r\n", "invalid double"},
      {",\r\n", "invalid double"},
      {",+-1\r\n", "invalid double"},
      {"(12a\r\n", "invalid big number"},
      {"(\r\n", "big number without digits"},
      {"=3\r\ntxt\r\n", "lacks its \"fmt:\" prefix"},
      {"=5\r\ntxt_x\r\n", "lacks its \"fmt:\" prefix"},
      {"*2\r\n:1\r\n@\r\n", "unknown RESP type byte '@'"},
  };
  for (const BadCase& c : cases) {
    absl::Status s = ParseError(c.bytes);
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << absl::CEscape(c.bytes);
    EXPECT_THAT(std::string(s.message()), HasSubstr(c.message))
        << absl::CEscape(c.bytes);
    EXPECT_TRUE(IsProtocolError(s)) << absl::CEscape(c.bytes);
    // Fed one byte at a time, the same input fails the same way.
    std::vector<size_t> cuts;
    for (size_t i = 1; i < c.bytes.size(); ++i) cuts.push_back(i);
    std::vector<std::string> out;
    absl::Status s2 = FeedInPieces(c.bytes, cuts, out);
    EXPECT_EQ(s2.code(), absl::StatusCode::kDataLoss)
        << absl::CEscape(c.bytes);
  }
}

TEST(RespReaderTest, ErrorMessageNamesTheByteOffset) {
  RespReader reader;
  reader.Feed("+OK\r\n:1\r\n");
  std::vector<std::string> out;
  ASSERT_TRUE(Drain(reader, out).ok());
  reader.Feed("*2\r\n:1\r\n:x\r\n");
  absl::Status s = Drain(reader, out);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  // ':x' is at 9 + 8 = 17; the bad byte 'x' at 18.
  EXPECT_THAT(std::string(s.message()), HasSubstr("at byte 18:"));
}

TEST(RespReaderTest, ErrorsAreSticky) {
  RespReader reader;
  reader.Feed("+OK\r\n^oops\r\n+OK\r\n");
  Reply r;
  ASSERT_EQ(reader.Read(&r), RespReader::Result::kReply);
  EXPECT_EQ(reader.Read(&r), RespReader::Result::kError);
  const absl::Status first = reader.status();
  EXPECT_EQ(first.code(), absl::StatusCode::kDataLoss);
  reader.Feed("+OK\r\n");
  EXPECT_EQ(reader.Read(&r), RespReader::Result::kError);
  absl::StatusOr<std::optional<Reply>> next = reader.Next();
  EXPECT_EQ(next.status(), first);
}

TEST(RespReaderTest, DepthLimit) {
  auto nested = [](int depth) {
    std::string s;
    for (int i = 0; i < depth; ++i) s += "*1\r\n";
    s += ":1\r\n";
    return s;
  };
  EXPECT_EQ(ParseWhole(nested(64)).size(), 1u);
  absl::Status s = ParseError(nested(65));
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(s.message()), HasSubstr("max_depth (64)"));

  ReaderLimits small;
  small.max_depth = 2;
  EXPECT_EQ(ParseError(nested(2), small).code(), absl::StatusCode::kOk);
  EXPECT_EQ(ParseError(nested(3), small).code(), absl::StatusCode::kDataLoss);
  // Maps and attributes count too.
  EXPECT_EQ(ParseError("%1\r\n+k\r\n|1\r\n+a\r\n*1\r\n:1\r\n:2\r\n", small)
                .code(),
            absl::StatusCode::kDataLoss);
}

TEST(RespReaderTest, HostileDeepNestingNeverRecurses) {
  // A million nested arrays: rejected with the default limit, and parsed
  // without recursion when the limit is lifted.
  std::string s;
  for (int i = 0; i < 1000000; ++i) s += "*1\r\n";
  s += ":7\r\n";
  EXPECT_EQ(ParseError(s).code(), absl::StatusCode::kDataLoss);
  ReaderLimits unlimited;
  unlimited.max_depth = 2000000;
  RespReader reader(unlimited);
  reader.Feed(s);
  Reply r;
  ASSERT_EQ(reader.Read(&r), RespReader::Result::kReply);
  EXPECT_EQ(r.num_nodes(), 1000001u);
  ReplyView v = r.view();
  for (int i = 0; i < 1000000; ++i) v = v[0];
  EXPECT_EQ(v.integer(), 7);
}

TEST(RespReaderTest, BulkLengthLimit) {
  ReaderLimits limits;
  limits.max_bulk_length = 10;
  EXPECT_TRUE(ParseError("$10\r\n0123456789\r\n", limits).ok());
  absl::Status s = ParseError("$11\r\n", limits);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("bulk length 11 exceeds max_bulk_length (10)"));
  EXPECT_EQ(ParseError("!11\r\n", limits).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseError("=11\r\n", limits).code(), absl::StatusCode::kDataLoss);
  // Simple lines are bounded by the same limit, even without a CRLF yet.
  EXPECT_TRUE(ParseError("+0123456789\r\n", limits).ok());
  EXPECT_EQ(ParseError("+0123456789A", limits).code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseError("-0123456789A\r\n", limits).code(),
            absl::StatusCode::kDataLoss);
  // The default: 512 MiB. A header claiming more fails at once.
  s = ParseError("$536870913\r\n");
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  std::vector<std::string> out;
  EXPECT_TRUE(
      FeedInPieces("$536870912\r\nabc", {}, out, ReaderLimits(), false).ok());
}

TEST(RespReaderTest, ElementLimit) {
  ReaderLimits limits;
  limits.max_elements = 3;
  EXPECT_TRUE(ParseError("*3\r\n:1\r\n:2\r\n:3\r\n", limits).ok());
  absl::Status s = ParseError("*4\r\n", limits);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("aggregate size 4 exceeds max_elements (3)"));
  EXPECT_EQ(ParseError("%4\r\n", limits).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseError("~4\r\n", limits).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseError(">4\r\n", limits).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseError("|4\r\n", limits).code(), absl::StatusCode::kDataLoss);
  // A huge declared count allocates nothing up front.
  std::vector<std::string> out;
  EXPECT_TRUE(FeedInPieces("*2147483647\r\n:1\r\n", {}, out, ReaderLimits(),
                           false)
                  .ok());
  EXPECT_TRUE(out.empty());
}

TEST(RespReaderTest, ReplyBytesLimit) {
  ReaderLimits limits;
  limits.max_reply_bytes = 20;
  EXPECT_TRUE(ParseError("*2\r\n$2\r\nab\r\n:1\r\n", limits).ok());
  EXPECT_EQ(ParseError("*2\r\n$2\r\nab\r\n$3\r\nabc\r\n", limits).code(),
            absl::StatusCode::kDataLoss);
  // Fails while still incomplete, once more than the limit is buffered.
  absl::Status s = ParseError("*100\r\n:1\r\n:1\r\n:1\r\n:1\r\n:1\r\n", limits);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(s.message()), HasSubstr("max_reply_bytes (20)"));
  // Each reply is measured on its own.
  EXPECT_TRUE(ParseError("$10\r\n0123456789\r\n$10\r\n0123456789\r\n", limits)
                  .ok());
}

// Every value costs a 16-byte node however short it is on the wire, so the
// count of values in one reply is bounded on its own (max_reply_elements).
TEST(RespReaderTest, ReplyElementLimit) {
  ReaderLimits limits;
  limits.max_reply_elements = 4;
  // The root counts, and so does every nested value.
  EXPECT_TRUE(ParseError("*3\r\n:1\r\n:2\r\n:3\r\n", limits).ok());
  absl::Status s = ParseError("*4\r\n:1\r\n:2\r\n:3\r\n:4\r\n", limits);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(GetErrorKind(s), ErrorKind::kProtocol);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("reply element count 5 exceeds max_reply_elements (4)"));
  // Nested empty aggregates are values too.
  EXPECT_TRUE(ParseError("*2\r\n*1\r\n*0\r\n*0\r\n", limits).ok());
  EXPECT_EQ(ParseError("*1\r\n*1\r\n*1\r\n*1\r\n*0\r\n", limits).code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseError("*1\r\n*1\r\n*1\r\n*1\r\n_\r\n", limits).code(),
            absl::StatusCode::kDataLoss);
  // A map entry is two values: 1 + 2 * 2 = 5.
  EXPECT_EQ(ParseError("%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n", limits).code(),
            absl::StatusCode::kDataLoss);
  // Attribute values count while they are parsed, not after.
  EXPECT_TRUE(
      ParseError("*2\r\n|1\r\n+k\r\n+v\r\n:1\r\n:2\r\n", limits).ok());
  EXPECT_EQ(ParseError("*1\r\n|2\r\n+k\r\n+v\r\n+k\r\n+v\r\n:1\r\n",
                       limits)
                .code(),
            absl::StatusCode::kDataLoss);
  // Each reply is counted on its own, and a scalar reply is one value.
  limits.max_reply_elements = 1;
  EXPECT_TRUE(ParseError(":1\r\n$1\r\na\r\n+OK\r\n*0\r\n", limits).ok());
  EXPECT_EQ(ParseError("*1\r\n:1\r\n", limits).code(),
            absl::StatusCode::kDataLoss);
}

TEST(RespReaderTest, ReplyElementLimitSplitAnywhere) {
  ReaderLimits limits;
  limits.max_reply_elements = 3;
  const std::string ok = "*2\r\n$3\r\nabc\r\n:12\r\n";
  const std::string bad = "*3\r\n$3\r\nabc\r\n:12\r\n#t\r\n";
  for (size_t cut = 1; cut < ok.size(); ++cut) {
    std::vector<std::string> out;
    EXPECT_TRUE(FeedInPieces(ok, {cut}, out, limits).ok()) << cut;
  }
  for (size_t cut = 1; cut < bad.size(); ++cut) {
    std::vector<std::string> out;
    EXPECT_EQ(FeedInPieces(bad, {cut}, out, limits).code(),
              absl::StatusCode::kDataLoss)
        << cut;
  }
}

// A million 4-byte values would cost 16 MB of nodes (and as much again in
// the Reply) for 4 MB on the wire. The limit stops the reply at the first
// value past it, before the rest is even fed.
TEST(RespReaderTest, HostileFlatAndNestedRepliesStopAtTheElementLimit) {
  ReaderLimits limits;
  limits.max_reply_elements = 1000;
  for (const char* element : {":1\r\n", "*0\r\n", "_\r\n"}) {
    RespReader reader(limits);
    reader.Feed("*1000000\r\n");
    Reply r;
    size_t fed = 0;
    RespReader::Result result = RespReader::Result::kNeedMore;
    for (int i = 0; i < 1000000 && result == RespReader::Result::kNeedMore;
         ++i) {
      reader.Feed(element);
      ++fed;
      result = reader.Read(&r);
    }
    ASSERT_EQ(result, RespReader::Result::kError) << element;
    EXPECT_EQ(fed, 1000u) << element;  // The root plus 999 fit.
    EXPECT_EQ(reader.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(std::string(reader.status().message()),
                HasSubstr("exceeds max_reply_elements (1000)"));
  }
  // Nested: "*1\r\n" a thousand deep (depth lifted), then a value.
  std::string nested;
  for (int i = 0; i < 1000; ++i) nested += "*1\r\n";
  nested += ":1\r\n";
  limits.max_depth = 2000;
  EXPECT_EQ(ParseError(nested, limits).code(), absl::StatusCode::kDataLoss);
  limits.max_reply_elements = 1001;
  EXPECT_TRUE(ParseError(nested, limits).ok());
}

// The default bounds node memory by the default max_reply_bytes, so a
// hostile reply of tiny values costs at most about as much in nodes as the
// largest reply allowed on the wire.
TEST(RespReaderTest, DefaultElementLimitKeepsNodesWithinMaxReplyBytes) {
  const ReaderLimits defaults;
  EXPECT_EQ(defaults.max_reply_elements, uint64_t{1} << 27);
  EXPECT_LE(defaults.max_reply_elements * sizeof(reply_internal::Node),
            defaults.max_reply_bytes);
  EXPECT_EQ(RespReader().limits().max_reply_elements, uint64_t{1} << 27);
  // Clamped to what a Reply can count.
  ReaderLimits huge;
  huge.max_reply_elements = ~uint64_t{0};
  EXPECT_EQ(RespReader(huge).limits().max_reply_elements,
            uint64_t{0xffffffff});
  // And the root always fits.
  ReaderLimits zero;
  zero.max_reply_elements = 0;
  EXPECT_EQ(RespReader(zero).limits().max_reply_elements, 1u);
}

TEST(RespReaderTest, LargeBulkInChunksIsLinear) {
  const size_t kSize = size_t{64} << 20;
  std::string payload(kSize, '\0');
  for (size_t i = 0; i < kSize; i += 4096) payload[i] = static_cast<char>(i >> 12);
  std::string bytes;
  resp::AppendBulkString(bytes, payload);
  resp::AppendSimpleString(bytes, "after");
  RespReader reader;
  const size_t kChunk = 64 * 1024;
  Reply r;
  int replies = 0;
  for (size_t off = 0; off < bytes.size(); off += kChunk) {
    reader.Feed(absl::string_view(bytes).substr(off, kChunk));
    RespReader::Result res;
    while ((res = reader.Read(&r)) == RespReader::Result::kReply) {
      if (++replies == 1) {
        ASSERT_EQ(r.type(), ReplyType::kBulkString);
        ASSERT_EQ(r.str().size(), kSize);
        ASSERT_TRUE(r.str() == payload);
      } else {
        EXPECT_EQ(r.str(), "after");
      }
    }
    ASSERT_EQ(res, RespReader::Result::kNeedMore);
  }
  EXPECT_EQ(replies, 2);
  EXPECT_EQ(reader.buffered_bytes(), 0u);
}

TEST(RespReaderTest, LargeArrayInChunks) {
  std::string bytes;
  const int kCount = 200000;
  resp::AppendArrayHeader(bytes, kCount);
  for (int i = 0; i < kCount; ++i) {
    if (i % 2) {
      resp::AppendInteger(bytes, i);
    } else {
      resp::AppendBulkString(bytes, absl::StrCat("value-", i));
    }
  }
  RespReader reader;
  Reply r;
  bool done = false;
  for (size_t off = 0; off < bytes.size(); off += 4096) {
    reader.Feed(absl::string_view(bytes).substr(off, 4096));
    if (reader.Read(&r) == RespReader::Result::kReply) done = true;
  }
  ASSERT_TRUE(done);
  ASSERT_EQ(r.size(), static_cast<size_t>(kCount));
  EXPECT_EQ(r[0].str(), "value-0");
  EXPECT_EQ(r[199999].integer(), 199999);
  EXPECT_EQ(r[123456].str(), "value-123456");
}

TEST(RespReaderTest, WriterRoundTrip) {
  std::string bytes;
  AppendCommand(bytes, "SET", std::string("k\r\n\0", 4), "", 42, -1.5);
  AppendCommand(bytes, {"GET"});
  const std::vector<std::string> got = ParseWhole(bytes);
  EXPECT_EQ(got, (std::vector<std::string>{
                     "[\"SET\", \"k\\r\\n\\000\", \"\", \"42\", \"-1.5\"]",
                     "[\"GET\"]"}));
}

TEST(RespReaderTest, MovedReaderKeepsState) {
  RespReader a;
  a.Feed("*2\r\n:1\r\n");
  Reply r;
  EXPECT_EQ(a.Read(&r), RespReader::Result::kNeedMore);
  RespReader b = std::move(a);
  b.Feed(":2\r\n");
  ASSERT_EQ(b.Read(&r), RespReader::Result::kReply);
  EXPECT_EQ(r.DebugString(), "[1, 2]");
}

}  // namespace
}  // namespace valkey

#include "valkey/common/resp_writer.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "valkey/common/reply.h"
#include "valkey/common/resp_reader.h"

namespace valkey {
namespace {

// Parses exactly one reply from `bytes`.
Reply ParseOne(absl::string_view bytes) {
  RespReader reader;
  reader.Feed(bytes);
  Reply reply;
  EXPECT_EQ(reader.Read(&reply), RespReader::Result::kReply) << reader.status();
  EXPECT_EQ(reader.buffered_bytes(), 0u);
  return reply;
}

TEST(AppendCommandTest, MatchesReferencePackedBytes) {
  std::string out;
  AppendCommand(out, "HSET", "foo", "key", "value1", "key_b", "bytes str",
                "key_i", 67, "key_f", 3.14159265359);
  EXPECT_EQ(out,
            "*10\r\n$4\r\nHSET\r\n$3\r\nfoo\r\n$3\r\nkey\r\n$6\r\nvalue1\r\n"
            "$5\r\nkey_b\r\n$9\r\nbytes str\r\n$5\r\nkey_i\r\n$2\r\n67\r\n"
            "$5\r\nkey_f\r\n$13\r\n3.14159265359\r\n");
}

TEST(AppendCommandTest, AppendsToExistingBytes) {
  std::string out = "prefix";
  AppendCommand(out, "GET", "k");
  EXPECT_EQ(out, "prefix*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
  AppendCommand(out, {"PING"});
  EXPECT_EQ(out, "prefix*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n");
}

TEST(AppendCommandTest, EmptyCommandAndEmptyArguments) {
  std::string out;
  AppendCommand(out, std::initializer_list<CommandArg>{});
  EXPECT_EQ(out, "*0\r\n");
  out.clear();
  AppendCommand(out, "SET", "", "");
  EXPECT_EQ(out, "*3\r\n$3\r\nSET\r\n$0\r\n\r\n$0\r\n\r\n");
}

TEST(AppendCommandTest, IntegersUseAllWidths) {
  std::string out;
  AppendCommand(out, std::numeric_limits<int64_t>::min(),
                std::numeric_limits<uint64_t>::max(), int8_t{-5},
                uint16_t{65535}, 0, -0L);
  EXPECT_EQ(out,
            "*6\r\n$20\r\n-9223372036854775808\r\n$20\r\n18446744073709551615"
            "\r\n$2\r\n-5\r\n$5\r\n65535\r\n$1\r\n0\r\n$1\r\n0\r\n");
}

TEST(AppendCommandTest, DoublesUseShortestRoundTripForm) {
  std::string out;
  AppendCommand(out, 0.1, 1e300, -2.5, 100.0, 5e-324, 1.0f / 3.0f);
  EXPECT_EQ(out,
            "*6\r\n$3\r\n0.1\r\n$6\r\n1e+300\r\n$4\r\n-2.5\r\n$3\r\n100\r\n"
            "$6\r\n5e-324\r\n$18\r\n0.3333333432674408\r\n");
}

TEST(AppendCommandTest, NonFiniteDoubles) {
  std::string out;
  AppendCommand(out, std::numeric_limits<double>::infinity(),
                -std::numeric_limits<double>::infinity(),
                std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(out, "*3\r\n$3\r\ninf\r\n$4\r\n-inf\r\n$3\r\nnan\r\n");
}

TEST(AppendCommandTest, DoublesRoundTripExactly) {
  const double values[] = {0.1,
                           1.0 / 3.0,
                           2.0 / 3.0,
                           1e-310,
                           std::numeric_limits<double>::max(),
                           std::numeric_limits<double>::min(),
                           std::numeric_limits<double>::denorm_min(),
                           -123456789.123456789,
                           9007199254740993.0,
                           3.141592653589793};
  for (double v : values) {
    std::string out;
    AppendCommand(out, v);
    Reply r = ParseOne(out);
    ASSERT_EQ(r.size(), 1u);
    const std::string text(r[0].str());
    EXPECT_EQ(std::strtod(text.c_str(), nullptr), v) << text;
    // The value encoder writes the same text as a RESP3 double.
    std::string d;
    resp::AppendDouble(d, v);
    EXPECT_EQ(ParseOne(d).dbl(), v) << d;
  }
}

TEST(AppendCommandTest, BinaryArgumentsArePassedVerbatim) {
  const std::string binary("a\r\nb\0c\r\n$3\r\n", 12);
  const uint8_t raw[] = {0, 13, 10, 255};
  const std::byte bytes[] = {std::byte{'*'}, std::byte{0}};
  std::string out;
  AppendCommand(out, "SET", binary, absl::Span<const uint8_t>(raw),
                std::span<const std::byte>(bytes));
  Reply r = ParseOne(out);
  ASSERT_EQ(r.type(), ReplyType::kArray);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].str(), "SET");
  EXPECT_EQ(r[1].str(), binary);
  EXPECT_EQ(r[2].str(), absl::string_view("\0\r\n\xff", 4));
  EXPECT_EQ(r[3].str(), absl::string_view("*\0", 2));
}

TEST(AppendCommandTest, StringKinds) {
  const std::string s = "str";
  const std::string_view sv = "sv";
  const absl::string_view av = "av";
  const char* cs = "cs";
  std::string out;
  AppendCommand(out, s, sv, av, cs, std::string("tmp"));
  EXPECT_EQ(out,
            "*5\r\n$3\r\nstr\r\n$2\r\nsv\r\n$2\r\nav\r\n$2\r\ncs\r\n$3\r\n"
            "tmp\r\n");
}

TEST(AppendCommandTest, InitializerListMixesTypes) {
  std::string out;
  AppendCommand(out, {"ZADD", "z", 1.5, "m", 7});
  EXPECT_EQ(out,
            "*5\r\n$4\r\nZADD\r\n$1\r\nz\r\n$3\r\n1.5\r\n$1\r\nm\r\n$1\r\n7"
            "\r\n");
}

TEST(AppendCommandTest, ArgvForms) {
  const std::vector<absl::string_view> views = {"MGET", "a", "bb"};
  const std::vector<std::string> strings = {"MGET", "a", "bb"};
  std::string a, b;
  AppendCommandArgv(a, views);
  AppendCommandArgv(b, strings);
  EXPECT_EQ(a, "*3\r\n$4\r\nMGET\r\n$1\r\na\r\n$2\r\nbb\r\n");
  EXPECT_EQ(a, b);
  EXPECT_EQ(EncodedCommandSize(views), a.size());
}

TEST(AppendCommandTest, EncodedSizeOfMixedArguments) {
  const std::string twelve(12, 'v');
  const CommandArg args[] = {CommandArg("SET"), CommandArg(twelve),
                             CommandArg(-1234567), CommandArg(2.5)};
  std::string out;
  AppendCommandArgs(out, args);
  EXPECT_EQ(EncodedCommandSize(absl::Span<const CommandArg>(args)), out.size());
  EXPECT_EQ(EncodedCommandSize(absl::Span<const CommandArg>()),
            std::string("*0\r\n").size());
}

// The writer takes short cuts for one- and two-digit lengths and counts
// and for arguments of under 4, 4-7, 8-16 and more bytes: every length
// across those boundaries (and argument counts up to 120) must still give
// the plain encoding, through both AppendCommandArgs forms.
TEST(AppendCommandTest, EveryLengthAndCountAcrossTheShortCuts) {
  for (size_t len = 0; len <= 130; ++len) {
    std::string value;
    for (size_t i = 0; i < len; ++i)
      value.push_back(static_cast<char>('a' + i % 26));
    const CommandArg args[] = {CommandArg("SET"), CommandArg(value)};
    const std::string want =
        "*2\r\n$3\r\nSET\r\n$" + std::to_string(len) + "\r\n" + value + "\r\n";
    std::string out = "prefix";
    AppendCommandArgs(out, args);
    EXPECT_EQ(out, "prefix" + want) << "length " << len;
    std::string sized = "prefix";
    AppendCommandArgs(sized, args,
                      EncodedCommandSize(absl::Span<const CommandArg>(args)));
    EXPECT_EQ(sized, "prefix" + want) << "length " << len;
  }
  for (size_t count = 1; count <= 120; ++count) {
    std::vector<absl::string_view> argv(count, "k");
    std::string want = "*" + std::to_string(count) + "\r\n";
    for (size_t i = 0; i < count; ++i) want += "$1\r\nk\r\n";
    std::string out;
    AppendCommandArgv(out, argv);
    EXPECT_EQ(out, want) << "count " << count;
    EXPECT_EQ(EncodedCommandSize(argv), want.size()) << "count " << count;
  }
}

TEST(AppendCommandTest, LargeArgumentAndManyArguments) {
  const std::string big(100000, 'x');
  std::vector<absl::string_view> argv = {"MSET"};
  std::vector<std::string> keys;
  for (int i = 0; i < 1000; ++i) keys.push_back("key:" + std::to_string(i));
  for (const std::string& k : keys) {
    argv.push_back(k);
    argv.push_back(big);
  }
  std::string out;
  AppendCommandArgv(out, argv);
  EXPECT_EQ(out.size(), EncodedCommandSize(argv));
  Reply r = ParseOne(out);
  ASSERT_EQ(r.size(), 2001u);
  EXPECT_EQ(r[1999].str(), "key:999");
  EXPECT_EQ(r[2000].str(), big);
}

TEST(ValueEncoderTest, EncodesEveryType) {
  std::string out;
  resp::AppendSimpleString(out, "OK");
  resp::AppendError(out, "ERR x");
  resp::AppendInteger(out, -42);
  resp::AppendBulkString(out, "a\r\nb");
  resp::AppendNullBulkString(out);
  resp::AppendNullArray(out);
  resp::AppendNull(out);
  resp::AppendArrayHeader(out, 2);
  resp::AppendMapHeader(out, 3);
  resp::AppendSetHeader(out, 4);
  resp::AppendPushHeader(out, 5);
  resp::AppendAttributeHeader(out, 6);
  resp::AppendDouble(out, 1.5);
  resp::AppendDouble(out, -std::numeric_limits<double>::infinity());
  resp::AppendDouble(out, std::nan(""));
  resp::AppendBoolean(out, true);
  resp::AppendBoolean(out, false);
  resp::AppendBigNumber(out, "-123456789012345678901234567890");
  resp::AppendVerbatim(out, "txt", "Some string");
  resp::AppendBlobError(out, "SYNTAX invalid");
  EXPECT_EQ(out,
            "+OK\r\n-ERR x\r\n:-42\r\n$4\r\na\r\nb\r\n$-1\r\n*-1\r\n_\r\n"
            "*2\r\n%3\r\n~4\r\n>5\r\n|6\r\n,1.5\r\n,-inf\r\n,nan\r\n#t\r\n"
            "#f\r\n(-123456789012345678901234567890\r\n=15\r\ntxt:Some "
            "string\r\n!14\r\nSYNTAX invalid\r\n");
}

TEST(ValueEncoderTest, AppendReplyReencodesResp3Exactly) {
  std::string in;
  resp::AppendPushHeader(in, 3);
  resp::AppendBulkString(in, "message");
  resp::AppendBulkString(in, "chan");
  resp::AppendMapHeader(in, 2);
  resp::AppendSimpleString(in, "k");
  resp::AppendSetHeader(in, 2);
  resp::AppendInteger(in, 1);
  resp::AppendDouble(in, 0.25);
  resp::AppendBigNumber(in, "99999999999999999999");
  resp::AppendArrayHeader(in, 5);
  resp::AppendBoolean(in, false);
  resp::AppendVerbatim(in, "mkd", "# hi");
  resp::AppendBlobError(in, "ERR blob");
  resp::AppendError(in, "WRONGTYPE x");
  resp::AppendNull(in);
  Reply r = ParseOne(in);
  std::string out;
  resp::AppendReply(out, r.view());
  EXPECT_EQ(out, in);
}

}  // namespace
}  // namespace valkey

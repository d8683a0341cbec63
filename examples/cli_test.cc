#include "examples/cli.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "testing/valkey_server.h"

namespace valkey::examples {
namespace {

using ::valkey::testing::ValkeyServer;

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

CliRun Cli(std::vector<std::string> args) {
  std::ostringstream out, err;
  const int code = RunCli(args, out, err);
  return {code, out.str(), err.str()};
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ValkeyServer::Options options;
    options.requirepass = "cli-Secret-pw";
    auto server = ValkeyServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    url_ = absl::StrCat("--url=valkey://:cli-Secret-pw@127.0.0.1:",
                        server_->port());
  }
  std::unique_ptr<ValkeyServer> server_;
  std::string url_;
};

TEST_F(CliTest, RunsCommandsAndFormatsReplies) {
  EXPECT_EQ(Cli({url_, "SET", "k", "v\n1"}).out, "OK\n");
  CliRun get = Cli({url_, "GET", "k"});
  EXPECT_EQ(get.code, 0);
  EXPECT_EQ(get.out, "\"v\\n1\"\n");
  EXPECT_EQ(Cli({url_, "INCR", "n"}).out, "(integer) 1\n");
  EXPECT_EQ(Cli({url_, "GET", "missing"}).out, "(nil)\n");
  Cli({url_, "RPUSH", "l", "a", "b"});
  EXPECT_EQ(Cli({url_, "LRANGE", "l", "0", "-1"}).out, "1) \"a\"\n2) \"b\"\n");
  Cli({url_, "HSET", "h", "f", "v"});
  // RESP3 by default: a map.
  EXPECT_EQ(Cli({url_, "HGETALL", "h"}).out, "1# \"f\" => \"v\"\n");
}

TEST_F(CliTest, ServerErrorExitsOne) {
  Cli({url_, "SET", "k", "v"});
  CliRun wrong = Cli({url_, "LPUSH", "k", "x"});
  EXPECT_EQ(wrong.code, 1);
  EXPECT_TRUE(absl::StartsWith(wrong.out, "(error) WRONGTYPE")) << wrong.out;
}

TEST_F(CliTest, ConnectionAndUsageErrorsExitTwo) {
  CliRun refused = Cli({"--url=valkey://127.0.0.1:1", "PING"});
  EXPECT_EQ(refused.code, 2);
  EXPECT_TRUE(absl::StrContains(refused.err, "127.0.0.1:1")) << refused.err;
  CliRun wrong_pw = Cli({absl::StrCat("--url=valkey://:nope-pw@127.0.0.1:",
                                   server_->port()),
                      "PING"});
  EXPECT_EQ(wrong_pw.code, 2);
  EXPECT_FALSE(absl::StrContains(wrong_pw.err, "nope-pw"));
  EXPECT_EQ(Cli({url_}).code, 2);
  EXPECT_EQ(Cli({"--bogus", "PING"}).code, 2);
  EXPECT_EQ(Cli({"--url=ftp://x", "PING"}).code, 2);
}

TEST_F(CliTest, AsyncFlagRunsThroughTheAsyncClient) {
  EXPECT_EQ(Cli({"--async", url_, "SET", "k", "v"}).out, "OK\n");
  CliRun get = Cli({"--async", url_, "GET", "k"});
  EXPECT_EQ(get.code, 0);
  EXPECT_EQ(get.out, "\"v\"\n");
  CliRun wrong = Cli({"--async", url_, "LPUSH", "k", "x"});
  EXPECT_EQ(wrong.code, 1);
  EXPECT_TRUE(absl::StartsWith(wrong.out, "(error) WRONGTYPE")) << wrong.out;
  CliRun refused = Cli({"--async", "--url=valkey://127.0.0.1:1", "PING"});
  EXPECT_EQ(refused.code, 2);
  EXPECT_TRUE(absl::StrContains(refused.err, "127.0.0.1:1")) << refused.err;
  CliRun wrong_pw = Cli({"--async",
                         absl::StrCat("--url=valkey://:nope-pw@127.0.0.1:",
                                      server_->port()),
                         "PING"});
  EXPECT_EQ(wrong_pw.code, 2);
  EXPECT_FALSE(absl::StrContains(wrong_pw.err, "nope-pw"));
}

TEST_F(CliTest, ConfigFileAndPrintConfigRedactsSecrets) {
  const std::string path =
      absl::StrCat(::testing::TempDir(), "/client.textproto");
  {
    std::ofstream f(path);
    f << "connection {\n  host: \"127.0.0.1\"\n  port: " << server_->port()
      << "\n  password { value: \"cli-Secret-pw\" }\n}\n";
  }
  EXPECT_EQ(Cli({"--config=" + path, "PING"}).out, "PONG\n");
  CliRun printed = Cli({"--config=" + path, "--print_config"});
  EXPECT_EQ(printed.code, 0);
  EXPECT_TRUE(absl::StrContains(printed.out, "127.0.0.1")) << printed.out;
  EXPECT_FALSE(absl::StrContains(printed.out, "cli-Secret-pw")) << printed.out;
  CliRun url_printed = Cli({url_, "--print_config"});
  EXPECT_FALSE(absl::StrContains(url_printed.out, "cli-Secret-pw"));
  CliRun bad = Cli({"--config=/nonexistent.textproto", "PING"});
  EXPECT_EQ(bad.code, 2);
}

}  // namespace
}  // namespace valkey::examples

#include "valkey/common/command_secrets.h"

#include <initializer_list>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "valkey/common/errors.h"
#include "valkey/common/reply.h"
#include "valkey/common/resp_reader.h"
#include "valkey/common/resp_writer.h"

namespace valkey {
namespace {

CommandSecrets FindIn(std::initializer_list<absl::string_view> argv) {
  return CommandSecrets::Find(
      absl::Span<const absl::string_view>(argv.begin(), argv.size()));
}

// The old servers' echo of an unknown command.
std::string Echo(std::initializer_list<absl::string_view> argv) {
  std::string out = "ERR unknown command '";
  out.append(*argv.begin());
  out.append("', with args beginning with: ");
  for (auto it = argv.begin() + 1; it != argv.end(); ++it) {
    out.append("'").append(*it).append("' ");
  }
  return out;
}

Reply ErrorReply(absl::string_view text) {
  RespReader reader;
  reader.Feed(std::string("-") + std::string(text) + "\r\n");
  Reply reply;
  EXPECT_EQ(reader.Read(&reply), RespReader::Result::kReply);
  return reply;
}

TEST(CommandSecretsTest, MayCarrySecretsByNameOnly) {
  for (absl::string_view name : {"AUTH", "auth", "Hello", "ACL", "config",
                                 "MIGRATE", "sentinel"}) {
    EXPECT_TRUE(CommandSecrets::MayCarrySecrets(name)) << name;
  }
  for (absl::string_view name : {"GET", "SET", "AUTHX", "", "CLIENT", "EVAL"}) {
    EXPECT_FALSE(CommandSecrets::MayCarrySecrets(name)) << name;
  }
}

TEST(CommandSecretsTest, WhichCommandsAreSensitive) {
  EXPECT_TRUE(FindIn({"AUTH", "pw"}).sensitive());
  EXPECT_TRUE(FindIn({"auth", "user", "pw"}).sensitive());
  EXPECT_TRUE(FindIn({"HELLO", "3", "AUTH", "u", "pw"}).sensitive());
  EXPECT_TRUE(FindIn({"MIGRATE", "h", "1", "k", "0", "5", "AUTH", "pw"})
                  .sensitive());
  EXPECT_TRUE(FindIn({"MIGRATE", "h", "1", "", "0", "5", "AUTH2", "u", "pw",
                      "KEYS", "a"})
                  .sensitive());
  EXPECT_TRUE(FindIn({"ACL", "SETUSER", "u", "on", ">pw"}).sensitive());
  EXPECT_TRUE(FindIn({"ACL", "setuser", "u"}).sensitive());
  EXPECT_TRUE(FindIn({"CONFIG", "SET", "requirepass", "pw"}).sensitive());
  EXPECT_TRUE(FindIn({"config", "set", "maxmemory", "1", "MasterAuth", "pw"})
                  .sensitive());
  EXPECT_TRUE(FindIn({"CONFIG", "SET", "primaryauth", "pw"}).sensitive());
  EXPECT_TRUE(FindIn({"SENTINEL", "SET", "m", "auth-pass", "pw"}).sensitive());
  EXPECT_TRUE(
      FindIn({"SENTINEL", "CONFIG", "SET", "sentinel-pass", "pw"}).sensitive());

  EXPECT_FALSE(FindIn({"GET", "k"}).sensitive());
  EXPECT_FALSE(FindIn({"HELLO", "3", "SETNAME", "app"}).sensitive());
  EXPECT_FALSE(FindIn({"MIGRATE", "h", "1", "k", "0", "5"}).sensitive());
  EXPECT_FALSE(FindIn({"ACL", "WHOAMI"}).sensitive());
  EXPECT_FALSE(FindIn({"CONFIG", "SET", "maxmemory", "100mb"}).sensitive());
  EXPECT_FALSE(FindIn({"CONFIG", "GET", "requirepass"}).sensitive());
  EXPECT_FALSE(FindIn({"SENTINEL", "SET", "m", "quorum", "2"}).sensitive());
  EXPECT_FALSE(FindIn({}).sensitive());
  EXPECT_FALSE(CommandSecrets().sensitive());
}

TEST(CommandSecretsTest, ScrubCutsTheArgumentEcho) {
  const CommandSecrets s = FindIn({"HELLO", "3", "AUTH", "u", "Pw-1"});
  EXPECT_EQ(s.Scrub(Echo({"HELLO", "3", "AUTH", "u", "Pw-1"})),
            "ERR unknown command 'HELLO', with args beginning with: "
            "<redacted>");
}

TEST(CommandSecretsTest, ScrubReplacesEverySecretValue) {
  const CommandSecrets acl = FindIn({"ACL", "SETUSER", "u", ">Pw-2", "#abc1"});
  EXPECT_EQ(acl.Scrub("ERR Error in ACL SETUSER modifier '>Pw-2': Syntax "
                      "error"),
            "ERR Error in ACL SETUSER modifier '<redacted>': Syntax error");
  // The bare value (without its '>') and a hash rule too.
  EXPECT_EQ(acl.Scrub("bad password Pw-2 / hash abc1"),
            "bad password <redacted> / hash <redacted>");

  const CommandSecrets config =
      FindIn({"CONFIG", "SET", "requirepass", "Pw-3", "masterauth", "Pw-33"});
  EXPECT_EQ(config.Scrub("ERR Invalid argument 'Pw-33' and 'Pw-3'"),
            "ERR Invalid argument '<redacted>' and '<redacted>'");

  // AUTH user pass: the user name is no secret.
  EXPECT_EQ(FindIn({"AUTH", "alice", "Pw-4"}).Scrub("alice Pw-4"),
            "alice <redacted>");
  EXPECT_EQ(FindIn({"AUTH", "Pw-5"}).Scrub("x Pw-5 y"), "x <redacted> y");
  EXPECT_EQ(FindIn({"MIGRATE", "h", "1", "", "0", "5", "AUTH2", "u", "Pw-6"})
                .Scrub("u Pw-6"),
            "u <redacted>");
}

TEST(CommandSecretsTest, ScrubHidesEscapedForms) {
  const CommandSecrets s = FindIn({"AUTH", "a\nb\x01"});
  EXPECT_EQ(s.Scrub("raw a\nb\x01 c-escaped a\\nb\\001 hex a\\nb\\x01"),
            "raw <redacted> c-escaped <redacted> hex <redacted>");
}

TEST(CommandSecretsTest, ScrubNeverRescansThePlaceholder) {
  // A secret that occurs inside "<redacted>" must not eat the placeholders.
  const CommandSecrets s = FindIn({"AUTH", "dacted"});
  EXPECT_EQ(s.Scrub("dacted and dacted"), "<redacted> and <redacted>");
}

TEST(CommandSecretsTest, ScrubKeepsTextOfOrdinaryCommands) {
  const std::string echo = Echo({"GET", "k"});
  EXPECT_EQ(FindIn({"GET", "k"}).Scrub(echo), echo);
}

TEST(CommandSecretsTest, FromPackedMatchesFind) {
  std::string packed;
  AppendCommand(packed, "CONFIG", "SET", "requirepass", "Pw-7");
  const CommandSecrets s = CommandSecrets::FromPacked(packed);
  EXPECT_TRUE(s.sensitive());
  EXPECT_EQ(s.Scrub("'Pw-7'"), "'<redacted>'");
  // Trailing bytes (the next command of a batch) are ignored.
  AppendCommand(packed, "GET", "k");
  EXPECT_EQ(CommandSecrets::FromPacked(packed).Scrub("'Pw-7'"),
            "'<redacted>'");

  std::string get;
  AppendCommand(get, "GET", "Pw-7");
  EXPECT_FALSE(CommandSecrets::FromPacked(get).sensitive());
  EXPECT_FALSE(CommandSecrets::FromPacked("").sensitive());
  EXPECT_FALSE(CommandSecrets::FromPacked("garbage").sensitive());

  // Cut short: what parsed is enough to cut the echo.
  std::string auth;
  AppendCommand(auth, "AUTH", "Pw-8");
  const CommandSecrets cut =
      CommandSecrets::FromPacked(absl::string_view(auth).substr(0, 16));
  EXPECT_TRUE(cut.sensitive());
  EXPECT_EQ(cut.Scrub(Echo({"AUTH", "Pw-8"})),
            "ERR unknown command 'AUTH', with args beginning with: "
            "<redacted>");
}

TEST(CommandSecretsTest, FindOverCommandArgs) {
  const CommandArg args[] = {"ACL", "SETUSER", "u", ">Pw-9"};
  const CommandSecrets s = CommandSecrets::Find(absl::MakeConstSpan(args));
  EXPECT_EQ(s.Scrub("'>Pw-9'"), "'<redacted>'");
}

TEST(CommandSecretsTest, CommandErrorStatusScrubsAndKeepsTheKind) {
  const CommandSecrets secrets = FindIn({"AUTH", "u", "Pw-10"});
  const Reply echo = ErrorReply(Echo({"AUTH", "u", "Pw-10"}));
  const absl::Status s =
      CommandErrorStatus(echo.view(), secrets, "AUTH on 127.0.0.1:6379");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(GetErrorKind(s), ErrorKind::kResponse);
  EXPECT_EQ(ServerErrorPrefix(s), "ERR");
  EXPECT_EQ(s.message(),
            "AUTH on 127.0.0.1:6379: ERR unknown command 'AUTH', with args "
            "beginning with: <redacted>");

  // Classified on the text as sent, even when scrubbing touches the words
  // the classification reads.
  const CommandSecrets password = FindIn({"AUTH", "password"});
  const absl::Status invalid = CommandErrorStatus(
      ErrorReply("ERR invalid password").view(), password, "");
  EXPECT_EQ(invalid.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(GetErrorKind(invalid), ErrorKind::kAuthentication);
  EXPECT_EQ(invalid.message(), "ERR invalid <redacted>");

  // Ordinary commands: exactly ServerError() with the context.
  const absl::Status plain = CommandErrorStatus(
      ErrorReply("WRONGTYPE Operation").view(), CommandSecrets(), "GET on x");
  EXPECT_EQ(plain.message(), "GET on x: WRONGTYPE Operation");
  EXPECT_EQ(GetErrorKind(plain), ErrorKind::kWrongType);

  // Not an error: OK.
  RespReader reader;
  reader.Feed("+OK\r\n");
  Reply ok;
  ASSERT_EQ(reader.Read(&ok), RespReader::Result::kReply);
  EXPECT_TRUE(CommandErrorStatus(ok.view(), secrets, "x").ok());
}

TEST(CommandSecretsTest, SecretInTheErrorCodeReachesNoPayload) {
  const CommandSecrets secrets = FindIn({"AUTH", "Pw-11"});
  const absl::Status s = CommandErrorStatus(
      ErrorReply("Pw-11 is what you sent").view(), secrets, "AUTH on x");
  EXPECT_FALSE(absl::StrContains(s.ToString(), "Pw-11")) << s;
  EXPECT_TRUE(IsServerError(s)) << s;
}

TEST(CommandSecretsTest, ScrubStatusKeepsCodeAndPayloads) {
  const CommandSecrets secrets = FindIn({"CONFIG", "SET", "masterauth", "P12"});
  const absl::Status raw = Annotate(ServerError("ERR bad value 'P12'"),
                                    "set up x with CONFIG SET masterauth P12");
  const absl::Status s = ScrubStatus(raw, secrets);
  EXPECT_EQ(s.code(), raw.code());
  EXPECT_EQ(ServerErrorPrefix(s), "ERR");
  EXPECT_EQ(s.message(),
            "set up x with CONFIG SET masterauth <redacted>: ERR bad value "
            "'<redacted>'");
  EXPECT_EQ(ScrubStatus(raw, CommandSecrets()), raw);

  // A prefix holding the secret is dropped rather than kept.
  const absl::Status odd = ScrubStatus(ServerError("P12 oops"), secrets);
  EXPECT_FALSE(absl::StrContains(odd.ToString(), "P12")) << odd;
  EXPECT_EQ(odd.code(), absl::StatusCode::kUnknown);
}

}  // namespace
}  // namespace valkey

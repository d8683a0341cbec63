// Command coverage: asks a real valkey-server for COMMAND DOCS, keeps the
// data-plane commands (typed_commands.h says which groups and why), and
// fails listing every one that has no typed method and is not in the
// documented exclusion list. Also fails when the typed list names a command
// the server does not know, unless the list marks it as newer than the
// server. Prints "N of M data-plane commands typed on valkey-server V".

#include <algorithm>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "testing/status/status_matchers.h"
#include "testing/valkey_server.h"
#include "valkey/client/client.h"
#include "valkey/commands/typed_commands.h"
#include "valkey/common/reply.h"

namespace valkey {
namespace {

using ::valkey::testing::ValkeyServer;

struct ServerCommand {
  std::string group;
  bool deprecated = false;
};

bool HasFlag(const ReplyView& flags, absl::string_view flag) {
  for (ReplyView f : flags) {
    if (f.str() == flag) return true;
  }
  return false;
}

// name ("get", "xinfo|stream") → group and deprecation, from COMMAND DOCS
// (RESP3 maps). A container command counts through its subcommands (its
// "help" subcommand left out).
void Collect(const ReplyView& docs,
             absl::flat_hash_map<std::string, ServerCommand>& out) {
  for (auto [name, doc] : docs.pairs()) {
    ServerCommand cmd;
    ReplyView subcommands;
    bool has_subcommands = false;
    for (auto [k, v] : doc.pairs()) {
      if (k.str() == "group") cmd.group = std::string(v.str());
      if (k.str() == "doc_flags") cmd.deprecated = HasFlag(v, "deprecated");
      if (k.str() == "subcommands" && v.size() > 0) {
        subcommands = v;
        has_subcommands = true;
      }
    }
    if (has_subcommands) {
      absl::flat_hash_map<std::string, ServerCommand> subs;
      Collect(subcommands, subs);
      for (auto& [sub, sc] : subs) {
        if (absl::EndsWith(sub, "|help")) continue;
        out[absl::AsciiStrToLower(sub)] = sc;
      }
    } else {
      out[absl::AsciiStrToLower(name.str())] = cmd;
    }
  }
}

TEST(CommandCoverageTest, EveryDataPlaneCommandIsTyped) {
  absl::StatusOr<std::unique_ptr<ValkeyServer>> server = ValkeyServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  ClientOptions options;
  options.connection.host = "127.0.0.1";
  options.connection.port = (*server)->port();
  options.connection.protocol = 3;
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(options);
  ASSERT_TRUE(client.ok()) << client.status();

  absl::StatusOr<Reply> docs = (*client)->Execute("COMMAND", "DOCS");
  ASSERT_OK(docs);
  ASSERT_EQ(docs->view().type(), ReplyType::kMap);
  absl::flat_hash_map<std::string, ServerCommand> server_commands;
  Collect(docs->view(), server_commands);
  ASSERT_GT(server_commands.size(), 100u);

  std::string version = "of unknown version";
  absl::StatusOr<Reply> hello = (*client)->Execute("HELLO", "3");
  ASSERT_OK(hello);
  for (auto [k, v] : hello->view().pairs()) {
    if (k.str() == "version") version = std::string(v.str());
  }

  absl::flat_hash_set<std::string> groups(DataPlaneGroups().begin(),
                                          DataPlaneGroups().end());
  absl::flat_hash_set<std::string> typed;
  for (const TypedCommand& t : TypedCommands()) {
    typed.insert(std::string(t.name));
    // A typed name the server does not know is a typo, unless newer.
    if (t.since.empty()) {
      EXPECT_TRUE(server_commands.contains(t.name))
          << t.name << " is listed as typed but valkey-server " << version
          << " does not know it";
    }
  }
  absl::flat_hash_set<std::string> excluded;
  for (const UntypedCommand& u : UntypedDataPlaneCommands()) {
    excluded.insert(std::string(u.name));
    EXPECT_FALSE(u.reason.empty()) << u.name;
  }

  std::vector<std::string> missing;
  int data_plane = 0, covered = 0, deprecated = 0;
  for (const auto& [name, cmd] : server_commands) {
    if (!groups.contains(cmd.group)) continue;
    if (cmd.deprecated) {
      ++deprecated;
      continue;
    }
    if (excluded.contains(name)) continue;
    ++data_plane;
    if (typed.contains(name)) {
      ++covered;
    } else {
      missing.push_back(absl::StrCat(name, " (", cmd.group, ")"));
    }
  }
  std::sort(missing.begin(), missing.end());
  const std::string summary = absl::StrCat(
      covered, " of ", data_plane, " data-plane commands typed on valkey-server ",
      version, " (", excluded.size(), " excluded with a reason, ", deprecated,
      " deprecated left out)");
  std::cout << summary << "\n";
  ::testing::Test::RecordProperty("coverage", summary);
  EXPECT_TRUE(missing.empty()) << "data-plane commands without a typed method: "
                               << absl::StrJoin(missing, ", ");
}

}  // namespace
}  // namespace valkey

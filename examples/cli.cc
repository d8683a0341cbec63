#include "examples/cli.h"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "valkey/async/client.h"
#include "valkey/async/event_loop.h"
#include "valkey/client/client.h"
#include "valkey/client_factory.h"
#include "valkey/common/config.h"
#include "valkey/common/errors.h"
#include "valkey/common/url.h"

namespace valkey::examples {
namespace {

constexpr char kUsage[] =
    "usage: cli [--url=URL | --config=FILE] [--async] [--print_config] "
    "COMMAND [ARG...]\n"
    "  --async  send the command through the async client (valkey/async)";

// valkey-cli's quoting: printable bytes as they are, the rest escaped.
std::string Quote(absl::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out.push_back(static_cast<char>(c));
        } else {
          absl::StrAppendFormat(&out, "\\x%02x", c);
        }
    }
  }
  out += "\"";
  return out;
}

void Format(const ReplyView& reply, const std::string& indent,
            std::string& out) {
  switch (reply.type()) {
    case ReplyType::kNull:
      out += "(nil)\n";
      return;
    case ReplyType::kSimpleString:
      absl::StrAppend(&out, reply.str(), "\n");
      return;
    case ReplyType::kError:
    case ReplyType::kBlobError:
      absl::StrAppend(&out, "(error) ", reply.str(), "\n");
      return;
    case ReplyType::kInteger:
      absl::StrAppend(&out, "(integer) ", reply.integer(), "\n");
      return;
    case ReplyType::kDouble:
      absl::StrAppend(&out, "(double) ", reply.dbl(), "\n");
      return;
    case ReplyType::kBoolean:
      absl::StrAppend(&out, reply.boolean() ? "(true)" : "(false)", "\n");
      return;
    case ReplyType::kBigNumber:
      absl::StrAppend(&out, "(big number) ", reply.str(), "\n");
      return;
    case ReplyType::kBulkString:
    case ReplyType::kVerbatim:
      absl::StrAppend(&out, Quote(reply.str()), "\n");
      return;
    case ReplyType::kMap: {
      if (reply.size() == 0) {
        out += "(empty hash)\n";
        return;
      }
      const int width = static_cast<int>(absl::StrCat(reply.size()).size());
      for (size_t i = 0; i < reply.size(); ++i) {
        const std::string label =
            absl::StrFormat("%*d# ", width, static_cast<int>(i + 1));
        if (i > 0) out += indent;
        out += label;
        std::string key;
        Format(reply.key(i), indent + std::string(label.size(), ' '), key);
        if (!key.empty() && key.back() == '\n') key.pop_back();
        absl::StrAppend(&out, key, " => ");
        Format(reply.value(i), indent + std::string(label.size(), ' '), out);
      }
      return;
    }
    case ReplyType::kArray:
    case ReplyType::kSet:
    case ReplyType::kPush: {
      if (reply.size() == 0) {
        out += reply.type() == ReplyType::kSet ? "(empty set)\n"
                                                : "(empty array)\n";
        return;
      }
      const int width = static_cast<int>(absl::StrCat(reply.size()).size());
      size_t i = 0;
      for (ReplyView element : reply) {
        const std::string label =
            absl::StrFormat("%*d) ", width, static_cast<int>(++i));
        if (i > 1) out += indent;
        out += label;
        Format(element, indent + std::string(label.size(), ' '), out);
      }
      return;
    }
  }
}

}  // namespace

std::string FormatReply(const ReplyView& reply) {
  std::string out;
  Format(reply, "", out);
  return out;
}

int RunCli(const std::vector<std::string>& args, std::ostream& out,
           std::ostream& err) {
  std::string url;
  std::string config_path;
  bool print_config = false;
  bool use_async = false;
  std::vector<std::string> command;
  for (const std::string& arg : args) {
    if (!command.empty()) {
      command.push_back(arg);
    } else if (absl::StartsWith(arg, "--url=")) {
      url = arg.substr(6);
    } else if (absl::StartsWith(arg, "--config=")) {
      config_path = arg.substr(9);
    } else if (arg == "--print_config") {
      print_config = true;
    } else if (arg == "--async") {
      use_async = true;
    } else if (arg == "--help" || arg == "-h") {
      out << kUsage << "\n";
      return 0;
    } else if (absl::StartsWith(arg, "--")) {
      err << "cli: unknown flag " << arg << "\n" << kUsage << "\n";
      return 2;
    } else {
      command.push_back(arg);
    }
  }
  if (!url.empty() && !config_path.empty()) {
    err << "cli: give --url or --config, not both\n";
    return 2;
  }

  absl::StatusOr<ClientConfig> config =
      !config_path.empty() ? LoadConfigFile(config_path)
                           : ParseUrl(url.empty() ? "valkey://127.0.0.1:6379"
                                                  : url);
  if (!config.ok()) {
    err << "cli: " << config.status().message() << "\n";
    return 2;
  }
  if (print_config) {
    out << RedactedDebugString(*config);
    return 0;
  }
  if (command.empty()) {
    err << "cli: no command given\n" << kUsage << "\n";
    return 2;
  }
  std::vector<absl::string_view> argv(command.begin(), command.end());
  absl::StatusOr<Reply> reply;
  if (use_async) {
    // One loop thread, one multiplexed connection; Get() waits for the
    // future from this (non-loop) thread.
    absl::StatusOr<std::unique_ptr<async::EventLoopThread>> loop =
        async::EventLoopThread::Start();
    if (!loop.ok()) {
      err << "cli: " << loop.status().message() << "\n";
      return 2;
    }
    absl::StatusOr<std::unique_ptr<async::Client>> client =
        async::CreateClient((*loop)->loop(), *config);
    if (!client.ok()) {
      err << "cli: " << client.status().message() << "\n";
      return 2;
    }
    std::vector<CommandArg> args(argv.begin(), argv.end());
    reply = (*client)->ExecuteArgs(args).Get();
  } else {
    absl::StatusOr<std::unique_ptr<Client>> client = CreateClient(*config);
    if (!client.ok()) {
      err << "cli: " << client.status().message() << "\n";
      return 2;
    }
    reply = (*client)->ExecuteArgv(argv);
  }
  if (!reply.ok()) {
    // Failed authentication is a connection/configuration problem, even
    // though the server said it.
    if (IsServerError(reply.status()) &&
        !IsAuthenticationError(reply.status())) {
      // The server's own text, as valkey-cli shows it.
      const std::string prefix = ServerErrorPrefix(reply.status());
      absl::string_view message = reply.status().message();
      const size_t at = message.find(absl::StrCat(prefix, " "));
      out << "(error) "
          << (at == absl::string_view::npos ? message : message.substr(at))
          << "\n";
      return 1;
    }
    err << "cli: " << reply.status().message() << "\n";
    return 2;
  }
  out << FormatReply(reply->view());
  return 0;
}

}  // namespace valkey::examples

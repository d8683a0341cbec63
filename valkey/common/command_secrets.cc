#include "valkey/common/command_secrets.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace {

bool Is(absl::string_view a, absl::string_view b) {
  return absl::EqualsIgnoreCase(a, b);
}

// CONFIG SET parameters whose value is a secret.
bool IsSecretConfigParameter(absl::string_view name) {
  return Is(name, "requirepass") || Is(name, "masterauth") ||
         Is(name, "primaryauth") || Is(name, "tls-key-file-pass") ||
         Is(name, "tls-client-key-file-pass");
}

// ACL SETUSER rules that hold a password or its hash: >pw adds, <pw
// removes, #hash and !hash do the same by hash.
bool IsSecretAclRule(absl::string_view rule) {
  return !rule.empty() &&
         (rule[0] == '>' || rule[0] == '<' || rule[0] == '#' ||
          rule[0] == '!');
}

// How servers echo arguments: "... with args beginning with: 'a' 'b' ".
constexpr absl::string_view kArgsEcho = "args beginning with:";

absl::string_view FirstWord(absl::string_view text) {
  return text.substr(0, text.find(' '));
}

}  // namespace

bool CommandSecrets::MayCarrySecrets(absl::string_view name) {
  switch (name.size()) {
    case 3:
      return Is(name, "ACL");
    case 4:
      return Is(name, "AUTH");
    case 5:
      return Is(name, "HELLO");
    case 6:
      return Is(name, "CONFIG");
    case 7:
      return Is(name, "MIGRATE");
    case 8:
      return Is(name, "SENTINEL");
    default:
      return false;
  }
}

void CommandSecrets::Add(absl::string_view value) {
  if (value.empty()) return;
  // Servers quote arguments raw ('%s') or escaped (\n, \xNN, \ooo): hide
  // every form.
  for (std::string form : {std::string(value), absl::CEscape(value),
                           absl::CHexEscape(value)}) {
    if (std::find(values_.begin(), values_.end(), form) == values_.end()) {
      values_.push_back(std::move(form));
    }
  }
  std::sort(values_.begin(), values_.end(),
            [](const std::string& a, const std::string& b) {
              return a.size() > b.size();
            });
}

CommandSecrets CommandSecrets::Find(absl::Span<const absl::string_view> argv) {
  CommandSecrets out;
  if (argv.empty() || !MayCarrySecrets(argv[0])) return out;
  const absl::string_view name = argv[0];
  const size_t n = argv.size();
  if (Is(name, "AUTH")) {
    // AUTH <password> | AUTH <user> <password>.
    out.sensitive_ = true;
    if (n == 2) out.Add(argv[1]);
    for (size_t i = 2; i < n; ++i) out.Add(argv[i]);
  } else if (Is(name, "HELLO")) {
    // HELLO <ver> [AUTH <user> <password>] [SETNAME <name>].
    for (size_t i = 1; i < n; ++i) {
      if (!Is(argv[i], "AUTH")) continue;
      out.sensitive_ = true;
      if (i + 2 < n) out.Add(argv[i + 2]);
      i += 2;
    }
  } else if (Is(name, "MIGRATE")) {
    // ... [AUTH <password> | AUTH2 <user> <password>] [KEYS ...]. A key
    // named AUTH is over-scrubbed, never under.
    for (size_t i = 1; i < n; ++i) {
      if (Is(argv[i], "AUTH")) {
        out.sensitive_ = true;
        if (i + 1 < n) out.Add(argv[i + 1]);
        i += 1;
      } else if (Is(argv[i], "AUTH2")) {
        out.sensitive_ = true;
        if (i + 2 < n) out.Add(argv[i + 2]);
        i += 2;
      }
    }
  } else if (Is(name, "ACL")) {
    // ACL SETUSER <user> [rule ...]: any rule may be a password, so the
    // whole echo goes, and each password rule's value too.
    if (n >= 2 && Is(argv[1], "SETUSER")) {
      out.sensitive_ = true;
      for (size_t i = 3; i < n; ++i) {
        if (!IsSecretAclRule(argv[i])) continue;
        out.Add(argv[i]);
        out.Add(argv[i].substr(1));
      }
    }
  } else if (Is(name, "CONFIG")) {
    // CONFIG SET <parameter> <value> [<parameter> <value> ...].
    if (n >= 2 && Is(argv[1], "SET")) {
      for (size_t i = 2; i < n; i += 2) {
        if (!IsSecretConfigParameter(argv[i])) continue;
        out.sensitive_ = true;
        if (i + 1 < n) out.Add(argv[i + 1]);
      }
    }
  } else if (Is(name, "SENTINEL")) {
    // SENTINEL SET <master> <option> <value> ... and
    // SENTINEL CONFIG SET <option> <value> ...: option/value pairs.
    size_t first = 0;
    absl::string_view option;
    if (n >= 3 && Is(argv[1], "SET")) {
      first = 3;
      option = "auth-pass";
    } else if (n >= 3 && Is(argv[1], "CONFIG") && Is(argv[2], "SET")) {
      first = 3;
      option = "sentinel-pass";
    }
    for (size_t i = first; first != 0 && i < n; i += 2) {
      if (!Is(argv[i], option)) continue;
      out.sensitive_ = true;
      if (i + 1 < n) out.Add(argv[i + 1]);
    }
  }
  return out;
}

CommandSecrets CommandSecrets::Find(absl::Span<const CommandArg> argv) {
  if (argv.empty() || !MayCarrySecrets(argv[0].view())) return {};
  std::vector<absl::string_view> views;
  views.reserve(argv.size());
  for (const CommandArg& arg : argv) views.push_back(arg.view());
  return Find(absl::MakeConstSpan(views));
}

CommandSecrets CommandSecrets::FromPacked(absl::string_view packed) {
  size_t pos = 0;
  // Reads "<marker><integer>\r\n" at `pos`.
  auto header = [&](char marker, int64_t* value) {
    if (pos >= packed.size() || packed[pos] != marker) return false;
    const size_t end = packed.find("\r\n", pos);
    if (end == absl::string_view::npos ||
        !absl::SimpleAtoi(packed.substr(pos + 1, end - pos - 1), value) ||
        *value < 0) {
      return false;
    }
    pos = end + 2;
    return true;
  };
  int64_t argc = 0;
  if (!header('*', &argc) || argc == 0) return {};
  std::vector<absl::string_view> argv;
  for (int64_t i = 0; i < argc; ++i) {
    int64_t len = 0;
    if (!header('$', &len) ||
        packed.size() - pos < static_cast<uint64_t>(len) + 2) {
      break;
    }
    argv.push_back(packed.substr(pos, static_cast<size_t>(len)));
    pos += static_cast<size_t>(len) + 2;
  }
  if (argv.empty() || !MayCarrySecrets(argv[0])) return {};
  CommandSecrets out = Find(absl::MakeConstSpan(argv));
  // Arguments that did not parse may hold a secret: cut the echo at least.
  if (argv.size() != static_cast<size_t>(argc)) out.sensitive_ = true;
  return out;
}

std::string CommandSecrets::Scrub(absl::string_view text) const {
  if (!sensitive_) return std::string(text);
  absl::string_view body = text;
  const size_t echo = text.find(kArgsEcho);
  if (echo != absl::string_view::npos) {
    body = text.substr(0, echo + kArgsEcho.size());
  }
  // One pass, left to right, taking the longest secret that starts at the
  // earliest position: a placeholder is never scanned again.
  std::string out;
  out.reserve(body.size());
  size_t i = 0;
  while (i < body.size()) {
    size_t at = absl::string_view::npos;
    size_t length = 0;
    for (const std::string& value : values_) {
      const size_t found = body.find(value, i);
      if (found < at || (found == at && value.size() > length)) {
        at = found;
        length = value.size();
      }
    }
    if (at == absl::string_view::npos) {
      out.append(body.substr(i));
      break;
    }
    out.append(body.substr(i, at - i));
    out.append(kPlaceholder);
    i = at + length;
  }
  if (echo != absl::string_view::npos) absl::StrAppend(&out, " ", kPlaceholder);
  return out;
}

absl::Status CommandErrorStatus(const ReplyView& reply,
                                const CommandSecrets& secrets,
                                absl::string_view context) {
  if (!reply.is_error()) return absl::OkStatus();
  if (!secrets.sensitive()) return Annotate(reply.ToStatus(), context);
  const absl::string_view raw = reply.str();
  const std::string shown = secrets.Scrub(raw);
  absl::Status status;
  if (FirstWord(shown) == FirstWord(raw)) {
    // Classify on the text as sent: scrubbing may touch the words that
    // ServerError() matches ("ERR invalid password").
    status = WithMessage(ServerError(raw),
                         absl::StripTrailingAsciiWhitespace(shown));
  } else {
    status = ServerError(shown);
  }
  return Annotate(status, context);
}

absl::Status ScrubStatus(const absl::Status& status,
                         const CommandSecrets& secrets) {
  if (status.ok() || !secrets.sensitive()) return status;
  const std::string message = secrets.Scrub(status.message());
  const std::string prefix = ServerErrorPrefix(status);
  if (!prefix.empty() && secrets.Scrub(prefix) != prefix) {
    return MakeError(status.code(), GetErrorKind(status), message);
  }
  return WithMessage(status, message);
}

}  // namespace valkey

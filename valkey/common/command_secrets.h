// CommandSecrets: which arguments of a command are secrets, and the one
// place where a server's error text about such a command is scrubbed of
// them before it becomes part of a status (DESIGN §3: a secret never appears
// in a message).
//
// Servers may echo a refused command's arguments: before Redis 7 an unknown
// command is answered with "ERR unknown command 'HELLO', with args beginning
// with: '3' 'AUTH' 'user' '<password>' ", and ACL SETUSER quotes the
// modifier it refuses ("... modifier '>pw': Syntax error"). The blocking and
// the async connection, the handshake and the clients' pipelines all turn
// error replies into statuses through CommandErrorStatus(), so a password
// sent with one of these commands never reaches a status:
//
//   AUTH [user] <password>
//   HELLO <ver> AUTH <user> <password> ...
//   MIGRATE ... AUTH <password> | AUTH2 <user> <password>
//   ACL SETUSER <user> ... >pw <pw #hash !hash ...
//   CONFIG SET ... requirepass|masterauth|primaryauth|
//              tls-key-file-pass|tls-client-key-file-pass <value> ...
//   SENTINEL SET <master> ... auth-pass <value> ...
//   SENTINEL CONFIG SET sentinel-pass <value>
//
// The rule, for those commands only: an "args beginning with:" tail is cut
// and replaced by "<redacted>", and every occurrence of a secret value (as
// sent, or C-escaped as some servers quote it) is replaced by "<redacted>".
// A very short secret therefore blanks out matching letters of the text:
// an unreadable word is better than a leaked password. Other commands' error
// text is kept whole (it helps debugging and holds nothing secret).
//
//   CommandSecrets secrets;
//   if (CommandSecrets::MayCarrySecrets(argv[0])) {
//     secrets = CommandSecrets::Find(argv);   // only on this rare path
//   }
//   return CommandErrorStatus(reply, secrets, "AUTH on 127.0.0.1:6379");
//
// Thread-safety: a CommandSecrets is an immutable value after it is built.
// It holds the secrets themselves: never log it.

#ifndef VALKEY_COMMON_COMMAND_SECRETS_H_
#define VALKEY_COMMON_COMMAND_SECRETS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "valkey/common/reply.h"
#include "valkey/common/resp_writer.h"

namespace valkey {

class CommandSecrets {
 public:
  // What replaces a scrubbed secret or argument list.
  static constexpr absl::string_view kPlaceholder = "<redacted>";

  // An empty set: nothing to scrub.
  CommandSecrets() = default;

  // Whether a command named `name` (any case) may carry a secret: AUTH,
  // HELLO, MIGRATE, ACL, CONFIG, SENTINEL. False means Find() would return
  // an empty set; hot paths ask this first so that ordinary commands pay a
  // length check and nothing more.
  static bool MayCarrySecrets(absl::string_view name);

  // The secrets of the command `argv` (argv[0] is its name, any case); an
  // empty set for commands outside the list above, or without a secret
  // part (HELLO without AUTH, CONFIG SET of another parameter, ...).
  static CommandSecrets Find(absl::Span<const absl::string_view> argv);
  static CommandSecrets Find(absl::Span<const CommandArg> argv);
  // The same for one command packed as a RESP array of bulk strings (as
  // AppendCommand writes it; trailing bytes are ignored). A secret-bearing
  // command whose bytes do not parse is sensitive with no known value, so
  // at least its argument echo is cut.
  static CommandSecrets FromPacked(absl::string_view packed);

  // True when the command carries secrets: Scrub() then changes text.
  bool sensitive() const { return sensitive_; }

  // `text` with the argument echo cut and every secret value replaced (see
  // the file comment); `text` itself when not sensitive().
  std::string Scrub(absl::string_view text) const;

 private:
  void Add(absl::string_view value);

  bool sensitive_ = false;
  std::vector<std::string> values_;  // Non-empty; longest first.
};

// The status for `reply`, a server's error reply to a command carrying
// `secrets`: ServerError()'s code, kind and prefix (errors.h), classified
// on the server's text as sent; the message scrubbed per `secrets`, with
// "<context>: " in front (none when `context` is empty). Should the first
// word of the text (the error code) itself hold a secret, the scrubbed text
// is classified instead, so no payload carries it. OK when `reply` is not
// an error.
absl::Status CommandErrorStatus(const ReplyView& reply,
                                const CommandSecrets& secrets,
                                absl::string_view context);

// `status` with its message scrubbed per `secrets`, code and payloads kept
// (for statuses built from such a reply elsewhere, e.g. a caller's own
// check). A server error prefix that holds a secret is dropped.
absl::Status ScrubStatus(const absl::Status& status,
                         const CommandSecrets& secrets);

}  // namespace valkey

#endif  // VALKEY_COMMON_COMMAND_SECRETS_H_

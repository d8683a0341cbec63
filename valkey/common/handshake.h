// Handshake: what a new connection sends before its first command, and how
// the replies are judged. I/O-free, so the blocking and the async connection
// run the same logic (DESIGN §6-7).
//
// All steps are packed into one buffer and sent in one write, so a handshake
// costs one round trip whatever it contains:
//
//   RESP3: HELLO 3 [AUTH user pass] [SETNAME name]
//   RESP2: [AUTH [user] pass] [CLIENT SETNAME name]
//   both:  [CLIENT SETINFO LIB-NAME n] [CLIENT SETINFO LIB-VER v]
//          [CLIENT CAPA redirect] [SELECT db]
//
//   absl::StatusOr<HandshakePlan> plan = HandshakePlan::Create(options, creds);
//   transport.Write(plan->bytes());
//   for (size_t i = 0; i < plan->size(); ++i) {
//     RETURN_IF_ERROR(plan->Check(i, ReadReply()));
//   }
//
// Thread-safety: a plan is immutable after Create.

#ifndef VALKEY_COMMON_HANDSHAKE_H_
#define VALKEY_COMMON_HANDSHAKE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "valkey/common/command_secrets.h"
#include "valkey/common/options.h"
#include "valkey/common/credentials.h"
#include "valkey/common/reply.h"

namespace valkey {

class HandshakePlan {
 public:
  enum class Step {
    kHello,
    kAuth,
    kSetName,
    kSetLibName,
    kSetLibVersion,
    kCapaRedirect,
    kSelect,
  };

  // Plans the handshake for `options`, authenticating with `credentials`
  // when they name a user or a password (both empty: no AUTH; a user with
  // an empty password suits a "nopass" ACL user).
  // Errors: INVALID_ARGUMENT for a protocol other than 2 or 3.
  static absl::StatusOr<HandshakePlan> Create(
      const ConnectionOptions& options,
      const std::optional<Credentials>& credentials);

  // Plans a re-authentication of a live connection (ReauthenticateAll,
  // credential refresh): one AUTH step, built as the RESP2 handshake builds
  // it ("AUTH pass" for the default user, "AUTH user pass" otherwise, valid
  // under RESP2 and RESP3 alike). Credentials with neither a user name nor a
  // password mean the default user: "AUTH default <empty>", which a
  // `nopass` default user accepts. Never fails.
  static HandshakePlan CreateReauth(const Credentials& credentials);

  // The packed commands. Contains the password: never log it.
  absl::string_view bytes() const { return bytes_; }

  // Number of replies to read, one per step.
  size_t size() const { return steps_.size(); }
  Step step(size_t i) const { return steps_[i]; }
  // The user name authenticated as (empty: the default user), for messages.
  const std::string& username() const { return username_; }

  // Judges the reply to step `i`. OK for success and for failures the
  // handshake tolerates (CLIENT SETINFO on servers that lack it). Otherwise
  // the server's error with context, e.g. UNAUTHENTICATED "authenticate to
  // 127.0.0.1:6379 as 'alice': WRONGPASS invalid username-password pair ...",
  // or FAILED_PRECONDITION when the server refuses RESP3. `address` names
  // the server. No message contains the password, even when the server
  // echoes the HELLO or AUTH arguments back (CommandErrorStatus,
  // command_secrets.h).
  absl::Status Check(size_t i, const ReplyView& reply,
                     absl::string_view address) const;

 private:
  HandshakePlan() = default;

  // Appends the AUTH command (the one AUTH builder of the library) and its
  // step.
  void AppendAuth(const std::string& user, const std::string& password);

  std::string bytes_;
  std::vector<Step> steps_;
  std::string username_;  // For messages only.
  // The password, to scrub from what the server says to HELLO/AUTH.
  CommandSecrets auth_secrets_;
  int db_ = 0;
  int protocol_ = 3;
};

}  // namespace valkey

#endif  // VALKEY_COMMON_HANDSHAKE_H_

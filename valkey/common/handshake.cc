#include "valkey/common/handshake.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "valkey/common/errors.h"
#include "valkey/common/resp_writer.h"

namespace valkey {

absl::StatusOr<HandshakePlan> HandshakePlan::Create(
    const ConnectionOptions& options,
    const std::optional<Credentials>& credentials) {
  if (options.protocol != 2 && options.protocol != 3) {
    return InvalidArgumentError(absl::StrCat(
        "connection.protocol: ", options.protocol, " is not 2 or 3"));
  }
  HandshakePlan plan;
  plan.db_ = options.db;
  plan.protocol_ = options.protocol;
  // A user name alone authenticates a "nopass" ACL user (any password,
  // here the empty one, is accepted); a password alone is the default user.
  const bool auth = credentials.has_value() &&
                    (!credentials->password.empty() ||
                     !credentials->username.empty());
  if (auth) plan.username_ = credentials->username;
  const std::string user = auth ? credentials->username : std::string();
  const std::string password = auth ? credentials->password : std::string();
  std::string& out = plan.bytes_;

  if (options.protocol == 3) {
    const std::string hello_user = user.empty() ? "default" : user;
    std::vector<absl::string_view> hello = {"HELLO", "3"};
    if (auth) {
      hello.insert(hello.end(), {"AUTH", hello_user, password});
    }
    if (!options.client_name.empty()) {
      hello.insert(hello.end(), {"SETNAME", options.client_name});
    }
    AppendCommandArgv(out, hello);
    plan.auth_secrets_ = CommandSecrets::Find(hello);
    plan.steps_.push_back(Step::kHello);
  } else {
    if (auth) plan.AppendAuth(user, password);
    if (!options.client_name.empty()) {
      AppendCommand(out, "CLIENT", "SETNAME", options.client_name);
      plan.steps_.push_back(Step::kSetName);
    }
  }
  if (options.send_lib_info) {
    if (!options.lib_name.empty()) {
      AppendCommand(out, "CLIENT", "SETINFO", "LIB-NAME", options.lib_name);
      plan.steps_.push_back(Step::kSetLibName);
    }
    if (!options.lib_version.empty()) {
      AppendCommand(out, "CLIENT", "SETINFO", "LIB-VER", options.lib_version);
      plan.steps_.push_back(Step::kSetLibVersion);
    }
  }
  if (options.client_capa_redirect) {
    AppendCommand(out, "CLIENT", "CAPA", "redirect");
    plan.steps_.push_back(Step::kCapaRedirect);
  }
  if (options.db != 0) {
    AppendCommand(out, "SELECT", options.db);
    plan.steps_.push_back(Step::kSelect);
  }
  return plan;
}

void HandshakePlan::AppendAuth(const std::string& user,
                                const std::string& password) {
  if (user.empty()) {
    const absl::string_view argv[] = {"AUTH", password};
    AppendCommandArgv(bytes_, argv);
    auth_secrets_ = CommandSecrets::Find(argv);
  } else {
    const absl::string_view argv[] = {"AUTH", user, password};
    AppendCommandArgv(bytes_, argv);
    auth_secrets_ = CommandSecrets::Find(argv);
  }
  steps_.push_back(Step::kAuth);
}

HandshakePlan HandshakePlan::CreateReauth(const Credentials& credentials) {
  HandshakePlan plan;
  plan.username_ = credentials.username;
  // "AUTH <empty>" would be a syntax error; name the default user instead.
  const bool to_default =
      credentials.username.empty() && credentials.password.empty();
  plan.AppendAuth(to_default ? std::string("default") : credentials.username,
                  credentials.password);
  return plan;
}

absl::Status HandshakePlan::Check(size_t i, const ReplyView& reply,
                                  absl::string_view address) const {
  const Step step = steps_[i];
  // Only HELLO and AUTH carry the password; a server may echo it back.
  const bool carries_password = step == Step::kHello || step == Step::kAuth;
  const CommandSecrets none;
  const CommandSecrets& secrets = carries_password ? auth_secrets_ : none;
  if (!reply.is_error()) {
    if (step == Step::kHello && !(reply.type() == ReplyType::kMap ||
                                  reply.type() == ReplyType::kArray)) {
      return ProtocolError(absl::StrCat("HELLO 3 to ", address,
                                        ": unexpected reply ",
                                        secrets.Scrub(reply.DebugString())));
    }
    return absl::OkStatus();
  }
  const absl::Status error = CommandErrorStatus(reply, secrets, "");
  const std::string who =
      username_.empty() ? std::string() : absl::StrCat(" as '", username_, "'");
  switch (step) {
    case Step::kHello:
      if (IsAuthenticationError(error) ||
          GetErrorKind(error) == ErrorKind::kNoPermission) {
        return Annotate(error,
                        absl::StrCat("authenticate to ", address, who));
      }
      // Judged on the server's own text: scrubbing may have touched it.
      if (ServerErrorPrefix(error) == "NOPROTO" ||
          absl::StrContains(reply.str(), "unknown command")) {
        return MakeError(absl::StatusCode::kFailedPrecondition,
                         ErrorKind::kResponse,
                         absl::StrCat("server ", address,
                                      " does not speak RESP3 (HELLO 3 "
                                      "failed: ", error.message(),
                                      "); set protocol to 2"));
      }
      return Annotate(error, absl::StrCat("HELLO 3 to ", address));
    case Step::kAuth:
      return Annotate(error, absl::StrCat("authenticate to ", address, who));
    case Step::kSetName:
      return Annotate(error, absl::StrCat("CLIENT SETNAME on ", address));
    case Step::kSetLibName:
    case Step::kSetLibVersion:
    case Step::kCapaRedirect:
      // Servers before 7.2 lack CLIENT SETINFO (and before 8.0, CLIENT
      // CAPA): courtesies, never a reason to fail. An auth failure surfaces on the
      // AUTH/HELLO step instead.
      return absl::OkStatus();
    case Step::kSelect:
      // Servers before Valkey 9.0 (and 9.0+ without cluster-databases > db)
      // refuse SELECT in cluster mode. Not a transient error: say what to
      // change instead of letting callers retry it.
      if (absl::StrContains(reply.str(), "not allowed in cluster mode")) {
        return MakeError(
            absl::StatusCode::kFailedPrecondition, ErrorKind::kResponse,
            absl::StrCat("db ", db_, ": SELECT ", db_, " on ", address,
                         " refused (", error.message(),
                         "); numbered databases in a cluster need Valkey "
                         "9.0+ with cluster-databases > ",
                         db_, ", else use db 0"));
      }
      return Annotate(error,
                      absl::StrCat("SELECT ", db_, " on ", address));
  }
  return error;
}

}  // namespace valkey

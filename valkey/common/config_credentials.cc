#include "valkey/common/config_credentials.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "valkey/common/config.pb.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace {

// Larger secret files are refused: a secret is small, and this keeps a
// mistaken path (a log, /dev/zero) from being read whole.
constexpr size_t kMaxSecretFileBytes = 64 * 1024;

// Reads a whole (small) file. Errors name the field and path, never the
// contents.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path,
                                          absl::string_view field) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    return InvalidArgumentError(absl::StrCat(field, ": cannot open file ", path,
                                             ": ", std::strerror(errno)));
  }
  std::string contents;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return InvalidArgumentError(absl::StrCat(field, ": cannot read file ",
                                               path, ": ", std::strerror(err)));
    }
    if (n == 0) break;
    contents.append(buf, static_cast<size_t>(n));
    if (contents.size() > kMaxSecretFileBytes) {
      ::close(fd);
      return InvalidArgumentError(absl::StrCat(field, ": file ", path,
                                               " is larger than ",
                                               kMaxSecretFileBytes, " bytes"));
    }
  }
  ::close(fd);
  return contents;
}

void StripOneTrailingNewline(std::string& s) {
  if (absl::EndsWith(s, "\r\n")) {
    s.resize(s.size() - 2);
  } else if (absl::EndsWith(s, "\n")) {
    s.resize(s.size() - 1);
  }
}

// Checks that a Secret names a usable source, without reading it.
absl::Status CheckSecretShapeImpl(const Secret& secret,
                                  absl::string_view field) {
  switch (secret.source_case()) {
    case Secret::kValue:
      return absl::OkStatus();
    case Secret::kEnv:
      if (secret.env().empty()) {
        return InvalidArgumentError(
            absl::StrCat(field, ".env: empty environment variable name"));
      }
      return absl::OkStatus();
    case Secret::kFile:
      if (secret.file().empty()) {
        return InvalidArgumentError(
            absl::StrCat(field, ".file: empty file path"));
      }
      return absl::OkStatus();
    case Secret::SOURCE_NOT_SET:
      break;
  }
  return InvalidArgumentError(
      absl::StrCat(field, ": set one of value, env or file"));
}

// Username as given plus a Secret password resolved on every call.
class ConfigCredentialProvider final : public CredentialProvider {
 public:
  ConfigCredentialProvider(std::string username, std::optional<Secret> password,
                           std::string field)
      : username_(std::move(username)),
        password_(std::move(password)),
        field_(std::move(field)) {}

  absl::StatusOr<Credentials> GetCredentials() override {
    Credentials creds;
    creds.username = username_;
    if (password_.has_value()) {
      absl::StatusOr<std::string> password = ResolveSecret(*password_, field_);
      if (!password.ok()) return password.status();
      creds.password = *std::move(password);
    }
    return creds;
  }

 private:
  const std::string username_;
  const std::optional<Secret> password_;
  const std::string field_;  // "connection.password"
};

// Reads "password" or "username\npassword" from a file on every call.
class CredentialsFileProvider final : public CredentialProvider {
 public:
  CredentialsFileProvider(std::string path, std::string field)
      : path_(std::move(path)), field_(std::move(field)) {}

  absl::StatusOr<Credentials> GetCredentials() override {
    absl::StatusOr<std::string> contents = ReadSmallFile(path_, field_);
    if (!contents.ok()) return contents.status();
    StripOneTrailingNewline(*contents);
    std::vector<std::string> lines = absl::StrSplit(*contents, '\n');
    for (std::string& line : lines) {
      if (absl::EndsWith(line, "\r")) line.pop_back();
    }
    Credentials creds;
    if (contents->empty()) {
      return InvalidArgumentError(
          absl::StrCat(field_, ": file ", path_, " is empty"));
    } else if (lines.size() == 1) {
      creds.password = std::move(lines[0]);
    } else if (lines.size() == 2) {
      creds.username = std::move(lines[0]);
      creds.password = std::move(lines[1]);
    } else {
      return InvalidArgumentError(absl::StrCat(
          field_, ": file ", path_, " has ", lines.size(),
          " lines; expected 1 (password) or 2 (user name, password)"));
    }
    return creds;
  }

 private:
  const std::string path_;
  const std::string field_;  // "connection.credentials_file"
};

}  // namespace

absl::Status ValidateSecret(const Secret& secret, absl::string_view field) {
  return CheckSecretShapeImpl(secret, field);
}

absl::StatusOr<std::string> ResolveSecret(const Secret& secret,
                                          absl::string_view field) {
  if (absl::Status s = ValidateSecret(secret, field); !s.ok()) return s;
  switch (secret.source_case()) {
    case Secret::kValue:
      return secret.value();
    case Secret::kEnv: {
      const char* value = std::getenv(secret.env().c_str());
      if (value == nullptr) {
        return InvalidArgumentError(absl::StrCat(
            field, ": environment variable ", secret.env(), " is not set"));
      }
      return std::string(value);
    }
    case Secret::kFile: {
      absl::StatusOr<std::string> contents =
          ReadSmallFile(secret.file(), field);
      if (!contents.ok()) return contents.status();
      StripOneTrailingNewline(*contents);
      return contents;
    }
    case Secret::SOURCE_NOT_SET:
      break;
  }
  // Unreachable: ValidateSecret() rejected it.
  return InvalidArgumentError(
      absl::StrCat(field, ": set one of value, env or file"));
}

absl::StatusOr<std::shared_ptr<CredentialProvider>> NewConfigCredentialProvider(
    const ConnectionConfig& config, absl::string_view field_prefix) {
  if (!config.credentials_file().empty()) {
    if (!config.username().empty() || config.has_password()) {
      return InvalidArgumentError(absl::StrCat(
          field_prefix,
          ".credentials_file: cannot be combined with username or password"));
    }
    return std::make_shared<CredentialsFileProvider>(
        config.credentials_file(),
        absl::StrCat(field_prefix, ".credentials_file"));
  }
  std::optional<Secret> password;
  std::string password_field = absl::StrCat(field_prefix, ".password");
  if (config.has_password()) {
    if (absl::Status s = ValidateSecret(config.password(), password_field);
        !s.ok()) {
      return s;
    }
    password = config.password();
  }
  if (config.username().empty() && !password.has_value()) {
    return std::shared_ptr<CredentialProvider>(nullptr);
  }
  return std::make_shared<ConfigCredentialProvider>(
      config.username(), std::move(password), std::move(password_field));
}

}  // namespace valkey

// Reading a ClientConfig from text-format protobuf (a string or a file):
// parse errors and validation errors both point at the line and column, and
// neither ever quotes a token that might be a misquoted secret.

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "valkey/common/config.h"
#include "valkey/common/config.pb.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace {

constexpr size_t kMaxConfigFileBytes = 1 << 20;

// Keeps the first error with its position.
class FirstErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (has_error_) return;
    has_error_ = true;
    line_ = line;
    column_ = column;
    message_ = message;
  }
  void AddWarning(int, google::protobuf::io::ColumnNumber,
                  const std::string&) override {}

  bool has_error() const { return has_error_; }
  int line() const { return line_; }
  int column() const { return column_; }
  const std::string& message() const { return message_; }

 private:
  bool has_error_ = false;
  int line_ = -1;
  int column_ = -1;
  std::string message_;
};

// Protobuf's parse errors quote the offending token ("Expected string,
// got: hunter2"). A misquoted secret would be that token, so the token is
// dropped; the line and column still point at it. Field names in
// "has no field named" errors are kept: they are what the user mistyped.
std::string ScrubParseError(absl::string_view message) {
  // The earliest phrase wins: the token may itself contain one of the
  // phrases (a quoted `"pw, got: "`), and cutting there would keep the
  // token's start.
  size_t cut = absl::string_view::npos;
  for (absl::string_view marker :
       {absl::string_view(", got: "), absl::string_view(", found "),
        absl::string_view("Invalid float number: "),
        absl::string_view("Couldn't parse integer: "),
        absl::string_view("Integer out of range ")}) {
    cut = std::min(cut, message.find(marker));
  }
  if (cut == absl::string_view::npos) return std::string(message);
  absl::string_view head = message.substr(0, cut);
  absl::ConsumeSuffix(&head, ":");
  absl::ConsumeSuffix(&head, " ");
  return absl::StrCat(head, " (offending text not shown)");
}

// Where the field named by a validation message ("sentinel.sentinels[1].host:
// required") was written, as "line:column" (1-based), or "" when the path
// cannot be followed (a default value that was never written, say).
std::string LocateField(const google::protobuf::TextFormat::ParseInfoTree& tree,
                        absl::string_view message) {
  const size_t colon = message.find(": ");
  if (colon == absl::string_view::npos) return "";
  const absl::string_view path = message.substr(0, colon);
  const google::protobuf::Descriptor* descriptor = ClientConfig::descriptor();
  const google::protobuf::TextFormat::ParseInfoTree* node = &tree;
  std::vector<absl::string_view> parts = absl::StrSplit(path, '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    absl::string_view part = parts[i];
    int index = -1;
    if (const size_t open = part.find('['); open != absl::string_view::npos) {
      if (part.back() != ']' ||
          !absl::SimpleAtoi(part.substr(open + 1, part.size() - open - 2),
                            &index)) {
        return "";
      }
      part = part.substr(0, open);
    }
    if (descriptor == nullptr) return "";
    const google::protobuf::FieldDescriptor* field =
        descriptor->FindFieldByName(std::string(part));
    if (field == nullptr || (index >= 0) != field->is_repeated()) return "";
    if (i + 1 == parts.size()) {
      const google::protobuf::TextFormat::ParseLocation where =
          node->GetLocation(field, index);
      if (where.line < 0) return "";
      return absl::StrCat(where.line + 1, ":", where.column + 1);
    }
    node = node->GetTreeForNested(field, index);
    if (node == nullptr) return "";
    descriptor = field->message_type();
  }
  return "";
}

}  // namespace

absl::StatusOr<ClientConfig> ParseConfigText(absl::string_view text,
                                             absl::string_view source_name) {
  FirstErrorCollector errors;
  google::protobuf::TextFormat::Parser parser;
  google::protobuf::TextFormat::ParseInfoTree locations;
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(&locations);
  ClientConfig config;
  if (!parser.ParseFromString(std::string(text), &config)) {
    if (!errors.has_error()) {
      return InvalidArgumentError(
          absl::StrCat(source_name, ": not a valid ClientConfig text proto"));
    }
    // Protobuf counts lines and columns from 0.
    return InvalidArgumentError(absl::StrCat(
        source_name, ":", errors.line() + 1, ":", errors.column() + 1, ": ",
        ScrubParseError(errors.message())));
  }
  if (absl::Status valid = ValidateConfig(config); !valid.ok()) {
    // Point at the offending line, like a parse error does.
    const std::string where = LocateField(locations, valid.message());
    return Annotate(valid, where.empty()
                               ? std::string(source_name)
                               : absl::StrCat(source_name, ":", where));
  }
  return config;
}

absl::StatusOr<ClientConfig> LoadConfigFile(absl::string_view path) {
  const std::string path_str(path);
  std::FILE* file = std::fopen(path_str.c_str(), "rbe");
  if (file == nullptr) {
    return InvalidArgumentError(absl::StrCat("cannot open config file ", path,
                                             ": ", std::strerror(errno)));
  }
  std::string text;
  char buf[8192];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), file)) > 0) {
    text.append(buf, n);
    if (text.size() > kMaxConfigFileBytes) {
      std::fclose(file);
      return InvalidArgumentError(absl::StrCat("config file ", path,
                                               " is larger than ",
                                               kMaxConfigFileBytes, " bytes"));
    }
  }
  const bool failed = std::ferror(file) != 0;
  const int err = errno;
  std::fclose(file);
  if (failed) {
    return InvalidArgumentError(absl::StrCat("cannot read config file ", path,
                                             ": ", std::strerror(err)));
  }
  return ParseConfigText(text, path);
}

}  // namespace valkey

// Fuzz target for the text-proto config loader (valkey/common/config.h):
// ParseConfigText(), ValidateConfig(), ToClientOptions() and
// RedactedDebugString().
//
// Input: the text of a ClientConfig text proto, as is.
//
// Checked, beyond "no crash, no sanitizer report":
//   - every error is INVALID_ARGUMENT with kind kInvalidArgument;
//   - a config that parses passes ValidateConfig(), and converts with
//     ToClientOptions() once its secrets are inline: validation and
//     conversion share their rules, so conversion may only fail on what it
//     reads (environment variables, files), which the fuzzer replaces by
//     inline values so that it never touches the file system;
//   - RedactedDebugString() hides every inline secret (each is set to a
//     marker first) and parses back to the same redacted config;
//   - a parse error does not quote a secret: when the input holds the
//     marker only inside string literals, no message may contain it (the
//     loader drops the offending token of protobuf's messages).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "valkey/common/config.h"
#include "valkey/common/config.pb.h"
#include "valkey/common/errors.h"
#include "valkey/common/fuzz/fuzz_check.h"

namespace valkey {
namespace {

constexpr absl::string_view kMarker = "Sx9kMarker";

void CheckError(const absl::Status& s) {
  FUZZ_CHECK(s.code() == absl::StatusCode::kInvalidArgument,
             s.ToString().c_str());
  FUZZ_CHECK(GetErrorKind(s) == ErrorKind::kInvalidArgument,
             s.ToString().c_str());
}

// Sets every Secret in `message` to the inline value kMarker and clears
// every credentials_file, so that conversion reads no file and no variable.
void InlineSecrets(google::protobuf::Message* message) {
  if (message->GetDescriptor() == Secret::descriptor()) {
    static_cast<Secret*>(message)->set_value(std::string(kMarker));
    return;
  }
  const google::protobuf::Reflection* reflection = message->GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(*message, &fields);
  for (const google::protobuf::FieldDescriptor* field : fields) {
    if (field->name() == "credentials_file") {
      reflection->ClearField(message, field);
    } else if (field->cpp_type() ==
               google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(*message, field); ++i) {
          InlineSecrets(reflection->MutableRepeatedMessage(message, field, i));
        }
      } else {
        InlineSecrets(reflection->MutableMessage(message, field));
      }
    }
  }
}

// Whether `text` holds kMarker, each time inside a string literal (where a
// secret would be written). Follows the text-format tokenizer: strings in
// '"' or '\'' with backslash escapes, ending at the matching quote or a
// newline; '#' comments to the end of the line.
bool MarkerOnlyInStrings(absl::string_view text) {
  std::vector<bool> in_string(text.size(), false);
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote != 0) {
      if (c == '\n' || c == quote) {
        quote = 0;
      } else {
        in_string[i] = true;
        if (c == '\\' && i + 1 < text.size()) in_string[++i] = true;
      }
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#') {
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
    }
  }
  bool found = false;
  for (size_t pos = text.find(kMarker); pos != absl::string_view::npos;
       pos = text.find(kMarker, pos + 1)) {
    if (!in_string[pos]) return false;
    found = true;
  }
  return found;
}

void FuzzConfig(absl::string_view text) {
  absl::StatusOr<ClientConfig> config = ParseConfigText(text, "fuzz");
  if (!config.ok()) {
    CheckError(config.status());
    if (MarkerOnlyInStrings(text)) {
      FUZZ_CHECK(!absl::StrContains(config.status().message(), kMarker),
                 config.status().ToString().c_str());
    }
    return;
  }
  FUZZ_CHECK(ValidateConfig(*config).ok(), "a loaded config is invalid");

  ClientConfig inlined = *config;
  InlineSecrets(&inlined);
  FUZZ_CHECK(ValidateConfig(inlined).ok(), "inlining made it invalid");
  absl::StatusOr<ClientOptions> options = ToClientOptions(inlined);
  FUZZ_CHECK(options.ok(), options.status().ToString().c_str());

  const std::string redacted = RedactedDebugString(inlined);
  // (Unless the input already holds the marker outside the secrets.)
  if (!absl::StrContains(RedactedDebugString(*config), kMarker)) {
    FUZZ_CHECK(!absl::StrContains(redacted, kMarker), redacted.c_str());
  }
  absl::StatusOr<ClientConfig> reparsed = ParseConfigText(redacted, "redacted");
  FUZZ_CHECK(reparsed.ok(), reparsed.status().ToString().c_str());
  FUZZ_CHECK(RedactedDebugString(*reparsed) == redacted,
             "RedactedDebugString() does not parse back to itself");
}

}  // namespace
}  // namespace valkey

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  valkey::FuzzConfig(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}

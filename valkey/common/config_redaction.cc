// Secrets out of a ClientConfig before it is printed or logged: every
// Secret's inline value becomes "<redacted>" (env and file references are
// names, not secrets, and are kept).

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/text_format.h"
#include "valkey/common/config.h"
#include "valkey/common/config.pb.h"

namespace valkey {
namespace {

constexpr absl::string_view kRedacted = "<redacted>";

void RedactSecrets(google::protobuf::Message* message) {
  if (message->GetDescriptor() == Secret::descriptor()) {
    auto* secret = static_cast<Secret*>(message);
    if (secret->has_value()) secret->set_value(std::string(kRedacted));
    return;
  }
  const google::protobuf::Reflection* reflection = message->GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(*message, &fields);
  for (const google::protobuf::FieldDescriptor* field : fields) {
    if (field->cpp_type() !=
        google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      continue;
    }
    if (field->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(*message, field); ++i) {
        RedactSecrets(reflection->MutableRepeatedMessage(message, field, i));
      }
    } else {
      RedactSecrets(reflection->MutableMessage(message, field));
    }
  }
}

}  // namespace

std::string RedactedDebugString(const ClientConfig& config) {
  ClientConfig copy = config;
  RedactSecrets(&copy);
  std::string out;
  google::protobuf::TextFormat::PrintToString(copy, &out);
  return out;
}

}  // namespace valkey

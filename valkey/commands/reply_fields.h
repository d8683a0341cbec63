// ReplyFields: the named fields of a structured reply (XINFO STREAM, LCS
// IDX, FUNCTION LIST, ...), which RESP3 sends as a map and RESP2 as a flat
// array of name, value, name, value. Converters of such replies read them
// by name and so convert both shapes the same way.
//
//   absl::StatusOr<ReplyFields> fields = ReplyFields::Of(reply, "XINFO");
//   std::optional<ReplyView> length = fields->Find("length");
//
// Views point into the reply: a ReplyFields lives no longer than it.
//
// Thread-safety: plain values; pure functions.

#ifndef VALKEY_COMMANDS_REPLY_FIELDS_H_
#define VALKEY_COMMANDS_REPLY_FIELDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "valkey/commands/reply_convert.h"
#include "valkey/common/reply.h"

namespace valkey {

class ReplyFields {
 public:
  // The fields of a map, or of an array of name/value pairs. DATA_LOSS
  // (naming `what`) for any other shape or a name that is not a string.
  static absl::StatusOr<ReplyFields> Of(const ReplyView& reply,
                                        absl::string_view what) {
    if (reply.type() != ReplyType::kMap &&
        !(reply.type() == ReplyType::kArray && reply.size() % 2 == 0)) {
      return convert::WrongShape(absl::StrCat(what, " as name/value pairs"),
                                 reply);
    }
    ReplyFields out;
    for (auto [name, value] : reply.pairs()) {
      if (!name.is_string() || name.is_error()) {
        return convert::WrongShape(absl::StrCat(what, " field names"), reply);
      }
      out.fields_.emplace_back(name.str(), value);
    }
    return out;
  }

  // The value of field `name`, or nullopt when the reply lacks it.
  std::optional<ReplyView> Find(absl::string_view name) const {
    for (const auto& [n, v] : fields_) {
      if (n == name) return v;
    }
    return std::nullopt;
  }

  // Field `name` as an integer; 0 when absent or not an integer (servers
  // add and drop informational fields between versions).
  int64_t Integer(absl::string_view name) const {
    std::optional<ReplyView> v = Find(name);
    return v.has_value() && v->type() == ReplyType::kInteger ? v->integer()
                                                              : 0;
  }

  // Field `name` as text; empty when absent or nil.
  std::string String(absl::string_view name) const {
    std::optional<ReplyView> v = Find(name);
    if (!v.has_value() || !v->is_string()) return std::string();
    return std::string(v->str());
  }

  // Field `name` as text, nullopt when absent or nil.
  std::optional<std::string> OptionalString(absl::string_view name) const {
    std::optional<ReplyView> v = Find(name);
    if (!v.has_value() || !v->is_string()) return std::nullopt;
    return std::string(v->str());
  }

  // All fields in reply order.
  const absl::InlinedVector<std::pair<absl::string_view, ReplyView>, 16>&
  all() const {
    return fields_;
  }

 private:
  absl::InlinedVector<std::pair<absl::string_view, ReplyView>, 16> fields_;
};

}  // namespace valkey

#endif  // VALKEY_COMMANDS_REPLY_FIELDS_H_

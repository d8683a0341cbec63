#include "valkey/commands/reply_convert.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "valkey/common/errors.h"
#include "valkey/common/resp_reader.h"
#include "valkey/common/resp_writer.h"

namespace valkey::convert {

absl::Status WrongShape(absl::string_view expected, const ReplyView& got) {
  std::string shown = got.DebugString();
  if (shown.size() > 80) shown = absl::StrCat(shown.substr(0, 77), "...");
  return ProtocolError(absl::StrCat("expected ", expected, " in the reply, got ",
                                    ReplyTypeName(got.type()), " ", shown));
}

std::optional<double> ParseDouble(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "inf" || lower == "+inf") {
    return std::numeric_limits<double>::infinity();
  }
  if (lower == "-inf") return -std::numeric_limits<double>::infinity();
  if (lower == "nan" || lower == "-nan") {
    return std::numeric_limits<double>::quiet_NaN();
  }
  double value;
  if (!absl::SimpleAtod(text, &value)) return std::nullopt;
  return value;
}

absl::StatusOr<Reply> Raw(const ReplyView& reply) {
  // A view into a larger reply (an EXEC element, say) is copied out by
  // re-encoding it: the raw path is not a hot one.
  std::string bytes;
  resp::AppendReply(bytes, reply);
  // The reply already passed its connection's limits, which may be wider
  // than the defaults; the copy, no larger, must not be judged again.
  ReaderLimits unbounded;
  unbounded.max_bulk_length = std::numeric_limits<uint64_t>::max();
  unbounded.max_elements = std::numeric_limits<uint64_t>::max();
  unbounded.max_depth = std::numeric_limits<size_t>::max();
  unbounded.max_reply_bytes = std::numeric_limits<uint64_t>::max();
  unbounded.max_reply_elements = std::numeric_limits<uint64_t>::max();
  RespReader reader(unbounded);
  reader.Feed(bytes);
  Reply copy;
  if (reader.Read(&copy) != RespReader::Result::kReply) {
    return reader.status().ok() ? ProtocolError("cannot copy reply")
                                : reader.status();
  }
  return copy;
}

absl::StatusOr<bool> Ok(const ReplyView& reply) {
  if (reply.type() == ReplyType::kSimpleString ||
      reply.type() == ReplyType::kBulkString) {
    return true;
  }
  return WrongShape("a status reply", reply);
}

absl::StatusOr<int64_t> Integer(const ReplyView& reply) {
  if (reply.type() == ReplyType::kInteger) return reply.integer();
  return WrongShape("an integer", reply);
}

absl::StatusOr<std::optional<int64_t>> OptionalInteger(const ReplyView& reply) {
  if (reply.is_null()) return std::optional<int64_t>();
  if (reply.type() == ReplyType::kInteger) {
    return std::optional<int64_t>(reply.integer());
  }
  return WrongShape("an integer or nil", reply);
}

absl::StatusOr<bool> Bool(const ReplyView& reply) {
  if (reply.type() == ReplyType::kInteger) return reply.integer() != 0;
  if (reply.type() == ReplyType::kBoolean) return reply.boolean();
  return WrongShape("an integer or boolean", reply);
}

absl::StatusOr<std::string> String(const ReplyView& reply) {
  if (reply.is_string() && !reply.is_error()) return std::string(reply.str());
  return WrongShape("a string", reply);
}

absl::StatusOr<std::optional<std::string>> OptionalString(
    const ReplyView& reply) {
  if (reply.is_null()) return std::optional<std::string>();
  if (reply.is_string() && !reply.is_error()) {
    // Built in place: the string is not moved from a temporary into the
    // optional and again into the StatusOr (a cache hit's result is built
    // here, so the moves were a visible share of its cost).
    return absl::StatusOr<std::optional<std::string>>(
        absl::in_place, std::in_place, reply.str().data(), reply.str().size());
  }
  return WrongShape("a string or nil", reply);
}

absl::StatusOr<bool> SetResult(const ReplyView& reply) {
  if (reply.is_null()) return false;
  if (reply.is_string()) return true;
  return WrongShape("OK or nil", reply);
}

absl::StatusOr<double> Double(const ReplyView& reply) {
  if (reply.type() == ReplyType::kDouble) return reply.dbl();
  if (reply.type() == ReplyType::kInteger) {
    return static_cast<double>(reply.integer());
  }
  if (reply.is_string() && !reply.is_error()) {
    if (std::optional<double> d = ParseDouble(reply.str())) return *d;
  }
  return WrongShape("a double", reply);
}

absl::StatusOr<std::optional<double>> OptionalDouble(const ReplyView& reply) {
  if (reply.is_null()) return std::optional<double>();
  absl::StatusOr<double> d = Double(reply);
  if (!d.ok()) return WrongShape("a double or nil", reply);
  return std::optional<double>(*d);
}

absl::StatusOr<std::vector<std::string>> StringList(const ReplyView& reply) {
  if (reply.type() != ReplyType::kArray && reply.type() != ReplyType::kSet) {
    return WrongShape("an array of strings", reply);
  }
  std::vector<std::string> out;
  out.reserve(reply.size());
  for (ReplyView element : reply) {
    if (!element.is_string() || element.is_error()) {
      return WrongShape("an array of strings", reply);
    }
    out.emplace_back(element.str());
  }
  return out;
}

absl::StatusOr<std::vector<std::optional<std::string>>> OptionalStringList(
    const ReplyView& reply) {
  if (reply.type() != ReplyType::kArray) {
    return WrongShape("an array", reply);
  }
  std::vector<std::optional<std::string>> out;
  out.reserve(reply.size());
  for (ReplyView element : reply) {
    if (element.is_null()) {
      out.emplace_back();
    } else if (element.is_string() && !element.is_error()) {
      out.emplace_back(std::string(element.str()));
    } else {
      return WrongShape("an array of strings or nils", reply);
    }
  }
  return out;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> StringPairs(
    const ReplyView& reply) {
  std::vector<std::pair<std::string, std::string>> out;
  if (reply.type() == ReplyType::kMap) {
    out.reserve(reply.size());
    for (size_t i = 0; i < reply.size(); ++i) {
      ReplyView k = reply.key(i), v = reply.value(i);
      if (!k.is_string() || !(v.is_string() || v.type() == ReplyType::kDouble ||
                              v.type() == ReplyType::kInteger)) {
        return WrongShape("a map of strings", reply);
      }
      out.emplace_back(std::string(k.str()),
                       v.is_string() ? std::string(v.str())
                       : v.type() == ReplyType::kInteger
                           ? absl::StrCat(v.integer())
                           : absl::StrCat(v.dbl()));
    }
    return out;
  }
  if (reply.type() != ReplyType::kArray || reply.size() % 2 != 0) {
    return WrongShape("a map or an even-length array", reply);
  }
  out.reserve(reply.size() / 2);
  for (auto it = reply.begin(); it != reply.end();) {
    ReplyView k = *it++;
    ReplyView v = *it++;
    if (!k.is_string() || !v.is_string()) {
      return WrongShape("pairs of strings", reply);
    }
    out.emplace_back(std::string(k.str()), std::string(v.str()));
  }
  return out;
}

absl::StatusOr<absl::flat_hash_map<std::string, std::string>> StringMap(
    const ReplyView& reply) {
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> pairs =
      StringPairs(reply);
  if (!pairs.ok()) return pairs.status();
  absl::flat_hash_map<std::string, std::string> out;
  out.reserve(pairs->size());
  for (auto& [k, v] : *pairs) out.insert_or_assign(std::move(k), std::move(v));
  return out;
}

absl::StatusOr<std::vector<bool>> BoolList(const ReplyView& reply) {
  if (reply.type() != ReplyType::kArray) {
    return WrongShape("an array of integers", reply);
  }
  std::vector<bool> out;
  out.reserve(reply.size());
  for (ReplyView element : reply) {
    absl::StatusOr<bool> b = Bool(element);
    if (!b.ok()) return WrongShape("an array of integers", reply);
    out.push_back(*b);
  }
  return out;
}

absl::StatusOr<std::vector<int64_t>> IntegerList(const ReplyView& reply) {
  if (reply.type() != ReplyType::kArray) {
    return WrongShape("an array of integers", reply);
  }
  std::vector<int64_t> out;
  out.reserve(reply.size());
  for (ReplyView element : reply) {
    if (element.type() != ReplyType::kInteger) {
      return WrongShape("an array of integers", reply);
    }
    out.push_back(element.integer());
  }
  return out;
}

}  // namespace valkey::convert

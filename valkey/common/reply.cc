#include "valkey/common/reply.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "valkey/common/errors.h"

namespace valkey {

const reply_internal::Node ReplyView::kNullNode = {ReplyType::kNull, {}, 0, 0};

absl::string_view ReplyTypeName(ReplyType type) {
  switch (type) {
    case ReplyType::kNull:
      return "null";
    case ReplyType::kSimpleString:
      return "simple-string";
    case ReplyType::kError:
      return "error";
    case ReplyType::kInteger:
      return "integer";
    case ReplyType::kBulkString:
      return "bulk-string";
    case ReplyType::kArray:
      return "array";
    case ReplyType::kMap:
      return "map";
    case ReplyType::kSet:
      return "set";
    case ReplyType::kDouble:
      return "double";
    case ReplyType::kBoolean:
      return "boolean";
    case ReplyType::kBigNumber:
      return "big-number";
    case ReplyType::kVerbatim:
      return "verbatim";
    case ReplyType::kPush:
      return "push";
    case ReplyType::kBlobError:
      return "blob-error";
  }
  return "unknown";
}

ReplyView ReplyView::child(size_t i) const {
  const size_t n = num_children();
  if (i >= n) return ReplyView();
  const Node* first = node_ + 1;
  // Children that are all scalars occupy the next n nodes: index directly.
  if (node_->payload == static_cast<uint64_t>(first - base_) + n) {
    return ReplyView(first + i, base_, bytes_);
  }
  const Node* c = first;
  for (; i > 0; --i) c = NextSibling(c, base_);
  return ReplyView(c, base_, bytes_);
}

absl::Status ReplyView::ToStatus() const {
  if (!is_error()) return absl::OkStatus();
  return ServerError(str());
}

std::string ReplyView::DebugString() const {
  std::string out;
  AppendDebugString(out);
  return out;
}

namespace {

void AppendQuoted(std::string& out, absl::string_view s) {
  out.push_back('"');
  out.append(absl::CEscape(s));
  out.push_back('"');
}

void AppendDouble(std::string& out, double d) {
  if (std::isnan(d)) {
    out.append("nan");
    return;
  }
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, d);
  out.append(buf, res.ptr);
}

}  // namespace

void ReplyView::AppendDebugString(std::string& out) const {
  switch (type()) {
    case ReplyType::kNull:
      out.append("nil");
      return;
    case ReplyType::kSimpleString:
      out.push_back('+');
      AppendQuoted(out, str());
      return;
    case ReplyType::kError:
    case ReplyType::kBlobError:
      out.append("(error) ");
      out.append(absl::CEscape(str()));
      return;
    case ReplyType::kInteger:
      absl::StrAppend(&out, integer());
      return;
    case ReplyType::kBulkString:
      AppendQuoted(out, str());
      return;
    case ReplyType::kDouble:
      out.append("(double) ");
      AppendDouble(out, dbl());
      return;
    case ReplyType::kBoolean:
      out.append(boolean() ? "true" : "false");
      return;
    case ReplyType::kBigNumber:
      out.append("(big) ");
      out.append(absl::CEscape(str()));
      return;
    case ReplyType::kVerbatim:
      out.append(absl::CEscape(verbatim_format()));
      out.push_back(':');
      AppendQuoted(out, str());
      return;
    case ReplyType::kArray:
    case ReplyType::kSet:
    case ReplyType::kPush: {
      if (type() == ReplyType::kSet) out.append("set");
      if (type() == ReplyType::kPush) out.append("push");
      out.push_back('[');
      bool first = true;
      for (ReplyView e : *this) {
        if (!first) out.append(", ");
        first = false;
        e.AppendDebugString(out);
      }
      out.push_back(']');
      return;
    }
    case ReplyType::kMap: {
      out.push_back('{');
      bool first = true;
      for (auto [k, v] : pairs()) {
        if (!first) out.append(", ");
        first = false;
        k.AppendDebugString(out);
        out.append(": ");
        v.AppendDebugString(out);
      }
      out.push_back('}');
      return;
    }
  }
}

Reply Reply::CloneStorage() const {
  Reply copy;
  copy.root_ = root_;
  copy.num_nodes_ = num_nodes_;
  copy.storage_units_ = storage_units_;
  std::memcpy(copy.inline_bytes_, inline_bytes_, kInlineBytes);
  copy.storage_.reset(new Node[storage_units_]);
  std::memcpy(copy.storage_.get(), storage_.get(),
              storage_units_ * sizeof(Node));
  return copy;
}

}  // namespace valkey

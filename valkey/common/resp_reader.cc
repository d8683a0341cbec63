#include "valkey/common/resp_reader.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace {

using Node = reply_internal::Node;

// Node offsets and sizes are 32-bit, so one reply spans less than 4 GiB.
constexpr uint64_t kMaxReplyBytes = std::numeric_limits<uint32_t>::max();
constexpr uint64_t kMaxElements = std::numeric_limits<uint32_t>::max();
// Longest accepted double line (the server writes at most ~24 characters).
constexpr uint64_t kMaxDoubleLine = 256;
// Scratch node capacity kept between replies.
constexpr size_t kMaxIdleNodes = size_t{1} << 16;
constexpr size_t kMinBuffer = 16 * 1024;

Node MakeNode(ReplyType type, uint32_t size, uint64_t payload) {
  Node n;
  n.type = type;
  n.unused[0] = n.unused[1] = n.unused[2] = 0;
  n.size = size;
  n.payload = payload;
  return n;
}

bool IsStringType(ReplyType t) {
  return t == ReplyType::kSimpleString || t == ReplyType::kError ||
         t == ReplyType::kBulkString || t == ReplyType::kBigNumber ||
         t == ReplyType::kVerbatim || t == ReplyType::kBlobError;
}

std::string DescribeByte(char c) {
  const unsigned char u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return absl::StrFormat("'%c' (0x%02x)", c, u);
  return absl::StrFormat("0x%02x", u);
}

}  // namespace

RespReader::RespReader(const ReaderLimits& limits) : limits_(limits) {
  limits_.max_reply_bytes = std::min(limits_.max_reply_bytes, kMaxReplyBytes);
  limits_.max_elements = std::min(limits_.max_elements, kMaxElements);
  // A reply counts its nodes in 32 bits, and the root always fits.
  limits_.max_reply_elements =
      std::clamp<uint64_t>(limits_.max_reply_elements, 1, kMaxElements);
}

RespReader::RespReader(RespReader&&) noexcept = default;
RespReader& RespReader::operator=(RespReader&&) noexcept = default;
RespReader::~RespReader() = default;

void RespReader::MakeRoom(size_t n) {
  if (cap_ - end_ >= n) return;
  const size_t live = end_ - start_;
  if (start_ > 0 && live + n <= cap_ / 2) {
    // At least half the buffer was consumed: slide the live bytes down. The
    // bytes moved are fewer than those consumed since the last move, so the
    // total copying stays linear.
    std::memmove(buf_.get(), buf_.get() + start_, live);
  } else {
    const size_t cap = std::max({cap_ * 2, live + n, kMinBuffer});
    std::unique_ptr<char[]> grown(new char[cap]);
    if (live > 0) std::memcpy(grown.get(), buf_.get() + start_, live);
    buf_ = std::move(grown);
    cap_ = cap;
  }
  base_offset_ += start_;
  pos_ -= start_;
  end_ = live;
  start_ = 0;
}

void RespReader::Feed(absl::string_view bytes) {
  if (!status_.ok() || bytes.empty()) return;
  if (cap_ - end_ < bytes.size()) MakeRoom(bytes.size());
  std::memcpy(buf_.get() + end_, bytes.data(), bytes.size());
  end_ += bytes.size();
}

absl::Span<char> RespReader::PrepareFeed(size_t min_bytes) {
  MakeRoom(std::max<size_t>(min_bytes, 1));
  return absl::Span<char>(buf_.get() + end_, cap_ - end_);
}

void RespReader::CommitFeed(size_t n) {
  if (!status_.ok()) return;
  end_ += std::min(n, cap_ - end_);
}

absl::StatusOr<std::optional<Reply>> RespReader::Next() {
  Reply reply;
  switch (Read(&reply)) {
    case Result::kReply:
      return std::optional<Reply>(std::move(reply));
    case Result::kNeedMore:
      return std::optional<Reply>();
    case Result::kError:
      break;
  }
  return status_;
}

RespReader::Result RespReader::Read(Reply* reply) {
  if (!status_.ok()) return Result::kError;
  if (stack_.empty() && pos_ < end_ && TryFastScalar(reply)) {
    return Result::kReply;
  }
  return Parse(reply);
}

namespace {

// Copies len <= 16 bytes without a call to memcpy.
inline void CopySmall(char* dst, const char* src, size_t len) {
  if (len >= 8) {
    std::memcpy(dst, src, 8);
    std::memcpy(dst + len - 8, src + len - 8, 8);
  } else if (len >= 4) {
    std::memcpy(dst, src, 4);
    std::memcpy(dst + len - 4, src + len - 4, 4);
  } else {
    for (size_t i = 0; i < len; ++i) dst[i] = src[i];
  }
}

}  // namespace

// The common top-level replies ("+OK", ":n", a short bulk string) complete in
// the buffer, handled without the general machinery. Anything unusual
// (incomplete, malformed, over a limit, another type) returns false and is
// left to Parse(), which re-reads it from the same position.
bool RespReader::TryFastScalar(Reply* reply) {
  const char* const b = buf_.get() + pos_;
  const char* const e = buf_.get() + end_;
  const char* q = b + 1;
  ReplyType type;
  const char* str;
  size_t len;
  switch (*b) {
    case '$': {
      uint64_t n = 0;
      for (; q < e && q - b <= 18; ++q) {
        const unsigned d = static_cast<unsigned char>(*q) - '0';
        if (d > 9) break;
        n = n * 10 + d;
      }
      if (q == b + 1 || e - q < 2 || q[0] != '\r' || q[1] != '\n') {
        return false;
      }
      str = q + 2;
      if (n > limits_.max_bulk_length ||
          static_cast<uint64_t>(e - str) < n + 2 || str[n] != '\r' ||
          str[n + 1] != '\n') {
        return false;
      }
      type = ReplyType::kBulkString;
      len = n;
      q = str + n + 2;
      break;
    }
    case '+': {
      const size_t avail = e - q;
      const size_t scan = std::min<size_t>(avail, Reply::kInlineBytes + 2);
      const char* cr = static_cast<const char*>(std::memchr(q, '\r', scan));
      if (cr == nullptr || cr + 1 == e || cr[1] != '\n') return false;
      type = ReplyType::kSimpleString;
      str = q;
      len = cr - q;
      if (len > limits_.max_bulk_length) return false;
      q = cr + 2;
      break;
    }
    case ':': {
      const bool negative = q < e && *q == '-';
      if (negative) ++q;
      const char* digits = q;
      uint64_t v = 0;
      for (; q < e && q - digits < 18; ++q) {
        const unsigned d = static_cast<unsigned char>(*q) - '0';
        if (d > 9) break;
        v = v * 10 + d;
      }
      if (q == digits || e - q < 2 || q[0] != '\r' || q[1] != '\n' ||
          static_cast<uint64_t>(q + 2 - (buf_.get() + start_)) >
              limits_.max_reply_bytes) {
        return false;
      }
      reply->num_nodes_ = 1;
      reply->root_ = MakeNode(ReplyType::kInteger, 0,
                              negative ? 0 - v : v);
      pos_ = q + 2 - buf_.get();
      FinishReply();
      return true;
    }
    default:
      return false;
  }
  if (static_cast<uint64_t>(q - (buf_.get() + start_)) >
      limits_.max_reply_bytes) {
    return false;
  }
  reply->num_nodes_ = 1;
  reply->root_ = MakeNode(type, static_cast<uint32_t>(len), 0);
  if (reply->storage_ == nullptr && len <= Reply::kInlineBytes) {
    CopySmall(reply->inline_bytes_, str, len);
  } else {
    const size_t units = Reply::UnitsFor(len);
    if (units > reply->storage_units_) {
      reply->storage_.reset(new Node[units]);
      reply->storage_units_ = static_cast<uint32_t>(units);
    }
    std::memcpy(reply->storage_.get(), str, len);
  }
  pos_ = q - buf_.get();
  FinishReply();
  return true;
}

// The failure paths below are out of line and cold so that the parsing
// functions build no strings and stay small.
RespReader::Step RespReader::Fail(size_t at, absl::string_view what) {
  status_ = ProtocolError(absl::StrCat("RESP protocol error at byte ",
                                       base_offset_ + at, ": ", what));
  stack_.clear();
  nodes_.clear();
  return Step::kError;
}

RespReader::Step RespReader::FailByte(size_t at, const char* what, char byte) {
  return Fail(at, absl::StrCat(what, " ", DescribeByte(byte)));
}

RespReader::Step RespReader::FailLimit(size_t at, const char* what,
                                       uint64_t value, const char* limit_name,
                                       uint64_t limit) {
  return Fail(at, absl::StrCat(what, " ", value, " exceeds ", limit_name, " (",
                               limit, ")"));
}

RespReader::Result RespReader::FailElementCount() {
  FailLimit(pos_, "reply element count", nodes_.size() + 1,
            "max_reply_elements", limits_.max_reply_elements);
  return Result::kError;
}

RespReader::Step RespReader::FailDouble(size_t from, size_t cr) {
  return Fail(from, absl::StrCat("invalid double \"",
                                 absl::CEscape(absl::string_view(
                                     buf_.get() + from, cr - from)),
                                 "\""));
}

RespReader::Result RespReader::NeedMore() {
  // An unfinished reply extends at least to the end of the input.
  if (end_ - start_ > limits_.max_reply_bytes) {
    FailLimit(start_, "reply length", end_ - start_, "max_reply_bytes",
              limits_.max_reply_bytes);
    return Result::kError;
  }
  return Result::kNeedMore;
}

// Parses "<digits>\r\n" (or "-1\r\n" for '$' and '*') starting at p.
// kScalar means success.
RespReader::Step RespReader::ParseLength(size_t p, char type, int64_t& value,
                                         size_t& next) {
  const char* b = buf_.get();
  if (p >= end_) return Step::kNeedMore;
  if (b[p] == '-') {
    if (end_ - p < 4) return Step::kNeedMore;
    if (b[p + 1] == '1' && b[p + 2] == '\r' && b[p + 3] == '\n' &&
        (type == '$' || type == '*')) {
      value = -1;
      next = p + 4;
      return Step::kScalar;
    }
    return FailByte(p, "negative length for type", type);
  }
  if (b[p] == '?') {
    return Fail(p, "streamed RESP3 types (\"?\" lengths) are not supported");
  }
  uint64_t v = 0;
  size_t i = p;
  for (;; ++i) {
    if (i == end_) return Step::kNeedMore;
    const unsigned d = static_cast<unsigned char>(b[i]) - '0';
    if (d > 9) break;
    // 18 digits cannot overflow and exceed every limit anyway.
    if (i - p >= 18) return Fail(p, "length too large");
    v = v * 10 + d;
  }
  if (i == p) {
    return FailByte(i, "invalid length: expected a digit, got", b[i]);
  }
  if (b[i] != '\r') {
    return FailByte(i, "invalid length: expected CR, got", b[i]);
  }
  if (i + 1 == end_) return Step::kNeedMore;
  if (b[i + 1] != '\n') return Fail(i + 1, "CR not followed by LF");
  value = static_cast<int64_t>(v);
  next = i + 2;
  return Step::kScalar;
}

// Parses "[+-]<digits>\r\n" as a signed 64-bit integer starting at p.
RespReader::Step RespReader::ParseInteger(size_t p, int64_t& value,
                                          size_t& next) {
  const char* b = buf_.get();
  size_t i = p;
  if (i == end_) return Step::kNeedMore;
  const bool negative = b[i] == '-';
  if (b[i] == '-' || b[i] == '+') ++i;
  const size_t digits = i;
  uint64_t v = 0;
  for (;; ++i) {
    if (i == end_) return Step::kNeedMore;
    const unsigned d = static_cast<unsigned char>(b[i]) - '0';
    if (d > 9) break;
    // 19 digits fit in uint64_t; more cannot be an int64_t.
    if (i - digits >= 19) return Fail(p, "integer out of range");
    v = v * 10 + d;
  }
  if (i == digits) {
    return FailByte(i, "invalid integer: expected a digit, got", b[i]);
  }
  if (b[i] != '\r') {
    return FailByte(i, "invalid integer: expected CR, got", b[i]);
  }
  if (i + 1 == end_) return Step::kNeedMore;
  if (b[i + 1] != '\n') return Fail(i + 1, "CR not followed by LF");
  const uint64_t limit =
      uint64_t{std::numeric_limits<int64_t>::max()} + (negative ? 1 : 0);
  if (v > limit) return Fail(p, "integer out of range");
  value = negative ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  next = i + 2;
  return Step::kScalar;
}

// Finds the CR of the "\r\n" ending a line that starts at `from`.
RespReader::Step RespReader::FindLineEnd(size_t from, uint64_t max_len,
                                         const char* limit_name, size_t& cr) {
  const char* b = buf_.get();
  const size_t scan = from + line_scanned_;
  const void* hit = scan < end_ ? std::memchr(b + scan, '\r', end_ - scan)
                                : nullptr;
  if (hit == nullptr) {
    line_scanned_ = end_ - from;
    if (end_ - from > max_len) {
      return FailLimit(from, "line length", end_ - from, limit_name, max_len);
    }
    return Step::kNeedMore;
  }
  const size_t i = static_cast<const char*>(hit) - b;
  if (i - from > max_len) {
    return FailLimit(from, "line length", i - from, limit_name, max_len);
  }
  if (i + 1 == end_) {
    line_scanned_ = i - from;
    return Step::kNeedMore;
  }
  if (b[i + 1] != '\n') return Fail(i + 1, "CR not followed by LF");
  cr = i;
  return Step::kScalar;
}

RespReader::Step RespReader::ParseElement(Node& node, uint64_t& count,
                                          size_t& next) {
  const char* b = buf_.get();
  const size_t p = pos_;
  const char type = b[p];
  switch (type) {
    case '$':
    case '!':
    case '=': {
      int64_t len;
      size_t q;
      const Step s = ParseLength(p + 1, type, len, q);
      if (s != Step::kScalar) return s;
      if (len < 0) {
        node = MakeNode(ReplyType::kNull, 0, 0);
        next = q;
        return Step::kScalar;
      }
      const uint64_t n = static_cast<uint64_t>(len);
      if (n > limits_.max_bulk_length) {
        return FailLimit(p, "bulk length", n, "max_bulk_length",
                         limits_.max_bulk_length);
      }
      const size_t payload_end = q + n;
      if (payload_end + 2 - start_ > limits_.max_reply_bytes) {
        return FailLimit(p, "reply length", payload_end + 2 - start_,
                         "max_reply_bytes", limits_.max_reply_bytes);
      }
      if (end_ < payload_end + 2) return Step::kNeedMore;
      if (b[payload_end] != '\r' || b[payload_end + 1] != '\n') {
        return Fail(payload_end, "bulk payload not followed by CRLF");
      }
      ReplyType t = ReplyType::kBulkString;
      uint32_t size = static_cast<uint32_t>(n);
      uint64_t offset = q - start_;
      if (type == '!') {
        t = ReplyType::kBlobError;
      } else if (type == '=') {
        if (n < 4 || b[q + 3] != ':') {
          return Fail(q, "verbatim string lacks its \"fmt:\" prefix");
        }
        t = ReplyType::kVerbatim;
        size -= 4;
        offset += 4;
      }
      node = MakeNode(t, size, offset);
      next = payload_end + 2;
      return Step::kScalar;
    }
    case '*':
    case '%':
    case '~':
    case '>':
    case '|': {
      int64_t len;
      size_t q;
      const Step s = ParseLength(p + 1, type, len, q);
      if (s != Step::kScalar) return s;
      next = q;
      if (len < 0) {
        node = MakeNode(ReplyType::kNull, 0, 0);
        return Step::kScalar;
      }
      const uint64_t n = static_cast<uint64_t>(len);
      if (n > limits_.max_elements) {
        return FailLimit(p, "aggregate size", n, "max_elements",
                         limits_.max_elements);
      }
      if (stack_.size() >= limits_.max_depth) {
        return FailLimit(p, "nesting depth", stack_.size() + 1, "max_depth",
                         limits_.max_depth);
      }
      ReplyType t = ReplyType::kArray;
      uint64_t children = n;
      switch (type) {
        case '%':
        case '|':
          t = ReplyType::kMap;
          children = 2 * n;
          break;
        case '~':
          t = ReplyType::kSet;
          break;
        case '>':
          t = ReplyType::kPush;
          break;
        default:
          break;
      }
      node = MakeNode(t, static_cast<uint32_t>(n), 0);
      count = children;
      return type == '|' ? Step::kAttribute : Step::kAggregate;
    }
    case ':': {
      int64_t v;
      const Step s = ParseInteger(p + 1, v, next);
      if (s != Step::kScalar) return s;
      node = MakeNode(ReplyType::kInteger, 0, static_cast<uint64_t>(v));
      return Step::kScalar;
    }
    case '+':
    case '-':
    case '(': {
      size_t cr;
      const Step s = FindLineEnd(p + 1, limits_.max_bulk_length,
                                     "max_bulk_length", cr);
      if (s != Step::kScalar) return s;
      if (type == '(') {
        size_t i = p + 1;
        if (i < cr && (b[i] == '-' || b[i] == '+')) ++i;
        if (i == cr) return Fail(i, "big number without digits");
        for (; i < cr; ++i) {
          if (b[i] < '0' || b[i] > '9') {
            return FailByte(i, "invalid big number: unexpected", b[i]);
          }
        }
      }
      const ReplyType t = type == '+'   ? ReplyType::kSimpleString
                          : type == '-' ? ReplyType::kError
                                        : ReplyType::kBigNumber;
      node = MakeNode(t, static_cast<uint32_t>(cr - (p + 1)), p + 1 - start_);
      next = cr + 2;
      return Step::kScalar;
    }
    case ',': {
      size_t cr;
      const Step s = FindLineEnd(p + 1, kMaxDoubleLine,
                                     "the double length limit", cr);
      if (s != Step::kScalar) return s;
      const char* first = b + p + 1;
      const char* last = b + cr;
      // std::from_chars takes no '+'; the protocol allows one.
      if (first < last && *first == '+' && last - first > 1 &&
          first[1] != '-') {
        ++first;
      }
      double d = 0;
      const std::from_chars_result r = std::from_chars(first, last, d);
      if (r.ec != std::errc() || r.ptr != last || first == last) {
        return FailDouble(p + 1, cr);
      }
      uint64_t bits;
      std::memcpy(&bits, &d, sizeof bits);
      node = MakeNode(ReplyType::kDouble, 0, bits);
      next = cr + 2;
      return Step::kScalar;
    }
    case '#': {
      if (end_ - p < 4) {
        if (end_ - p >= 2 && b[p + 1] != 't' && b[p + 1] != 'f') break;
        return Step::kNeedMore;
      }
      if ((b[p + 1] != 't' && b[p + 1] != 'f') || b[p + 2] != '\r' ||
          b[p + 3] != '\n') {
        break;
      }
      node = MakeNode(ReplyType::kBoolean, 0, b[p + 1] == 't' ? 1 : 0);
      next = p + 4;
      return Step::kScalar;
    }
    case '_': {
      if (end_ - p < 3) {
        if (end_ - p >= 2 && b[p + 1] != '\r') break;
        return Step::kNeedMore;
      }
      if (b[p + 1] != '\r' || b[p + 2] != '\n') break;
      node = MakeNode(ReplyType::kNull, 0, 0);
      next = p + 3;
      return Step::kScalar;
    }
    default:
      return FailByte(p, "unknown RESP type byte", type);
  }
  // Malformed boolean or null.
  return FailByte(p, "malformed value of type", type);
}

RespReader::Result RespReader::Parse(Reply* reply) {
  for (;;) {
    if (pos_ >= end_) return NeedMore();
    Node node;
    uint64_t count = 0;
    size_t next = 0;
    const Step step = ParseElement(node, count, next);
    switch (step) {
      case Step::kNeedMore:
        return NeedMore();
      case Step::kError:
        return Result::kError;
      case Step::kScalar:
        break;
      case Step::kAggregate:
      case Step::kAttribute:
        if (count > 0) {
          if (nodes_.size() >= limits_.max_reply_elements) {
            return FailElementCount();
          }
          pos_ = next;
          line_scanned_ = 0;
          stack_.push_back(Frame{static_cast<uint32_t>(nodes_.size()),
                                 step == Step::kAttribute, count});
          nodes_.push_back(node);
          continue;
        }
        if (step == Step::kAttribute) {  // empty: nothing to keep
          pos_ = next;
          continue;
        }
        node.payload = nodes_.size() + 1;  // no descendants
        break;
    }
    if (next - start_ > limits_.max_reply_bytes) {
      FailLimit(pos_, "reply length", next - start_, "max_reply_bytes",
                limits_.max_reply_bytes);
      return Result::kError;
    }
    if (!stack_.empty() && nodes_.size() >= limits_.max_reply_elements) {
      return FailElementCount();
    }
    pos_ = next;
    line_scanned_ = 0;
    if (stack_.empty()) {
      BuildScalar(node, reply);
      FinishReply();
      return Result::kReply;
    }
    nodes_.push_back(node);
    // A value completed: close every aggregate it completes.
    bool complete = true;
    while (!stack_.empty()) {
      Frame& f = stack_.back();
      if (--f.remaining > 0) {
        complete = false;
        break;
      }
      const uint32_t index = f.node;
      const bool attribute = f.attribute;
      stack_.pop_back();
      if (attribute) {
        // Drop it; it does not count as an element of its parent.
        nodes_.resize(index);
        complete = false;
        break;
      }
      nodes_[index].payload = nodes_.size();
    }
    if (complete) {
      BuildTree(reply);
      FinishReply();
      return Result::kReply;
    }
  }
}

void RespReader::BuildScalar(const Node& node, Reply* reply) {
  reply->num_nodes_ = 1;
  reply->root_ = node;
  if (!IsStringType(node.type)) return;
  // Copy just the string (with a verbatim string's "fmt:" prefix).
  const size_t prefix = node.type == ReplyType::kVerbatim ? 4 : 0;
  const size_t len = node.size + prefix;
  const char* src = buf_.get() + start_ + node.payload - prefix;
  reply->root_.payload = prefix;
  char* dst;
  if (reply->storage_ == nullptr && len <= Reply::kInlineBytes) {
    dst = reply->inline_bytes_;
  } else {
    const size_t units = Reply::UnitsFor(len);
    if (units > reply->storage_units_) {
      reply->storage_.reset(new Node[units]);
      reply->storage_units_ = static_cast<uint32_t>(units);
    }
    dst = reinterpret_cast<char*>(reply->storage_.get());
  }
  if (len > 0) std::memcpy(dst, src, len);
}

void RespReader::BuildTree(Reply* reply) {
  const size_t n = nodes_.size();
  const size_t wire = pos_ - start_;
  const size_t units = n + Reply::UnitsFor(wire);
  if (units > reply->storage_units_) {
    reply->storage_.reset(new Node[units]);
    reply->storage_units_ = static_cast<uint32_t>(units);
  }
  Node* out = reply->storage_.get();
  std::memcpy(out, nodes_.data(), n * sizeof(Node));
  std::memcpy(reinterpret_cast<char*>(out + n), buf_.get() + start_, wire);
  reply->root_ = nodes_[0];
  reply->num_nodes_ = static_cast<uint32_t>(n);
  nodes_.clear();
  if (nodes_.capacity() > kMaxIdleNodes) std::vector<Node>().swap(nodes_);
}

void RespReader::FinishReply() {
  line_scanned_ = 0;
  start_ = pos_;
  if (start_ == end_) {
    base_offset_ += end_;
    start_ = pos_ = end_ = 0;
    if (cap_ > limits_.max_idle_buffer) {
      buf_.reset();
      cap_ = 0;
    }
  }
}

}  // namespace valkey

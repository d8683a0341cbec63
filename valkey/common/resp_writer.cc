#include "valkey/common/resp_writer.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <string>

#include "absl/base/attributes.h"

namespace valkey {
namespace {

inline size_t DecimalDigits(uint64_t v) {
  if (v < 10) return 1;  // Most argument counts and lengths.
  if (v < 100) return 2;
  size_t n = 1;
  while (v >= 10000) {
    v /= 10000;
    n += 4;
  }
  if (v >= 1000) return n + 3;
  if (v >= 100) return n + 2;
  if (v >= 10) return n + 1;
  return n;
}

// Bytes taken by "$<len>\r\n<len bytes>\r\n".
size_t BulkSize(size_t len) { return 1 + DecimalDigits(len) + 2 + len + 2; }

// Writes "<c><n>\r\n" at p; returns the end. p must have room for 24 bytes.
// Argument counts and lengths are mostly one or two digits: those skip
// std::to_chars.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline char* WriteHeader(char* p, char c,
                                                      uint64_t n) {
  *p++ = c;
  if (n < 10) {
    *p++ = static_cast<char>('0' + n);
  } else if (n < 100) {
    p[0] = static_cast<char>('0' + n / 10);
    p[1] = static_cast<char>('0' + n % 10);
    p += 2;
  } else {
    p = std::to_chars(p, p + 20, n).ptr;
  }
  p[0] = '\r';
  p[1] = '\n';
  return p + 2;
}

// memcpy(dst, src, n) for the short arguments a command is mostly made of:
// two overlapping word moves instead of a call.
inline void CopyArg(char* dst, const char* src, size_t n) {
  if (n >= 8 && n <= 16) {
    uint64_t head, tail;
    std::memcpy(&head, src, 8);
    std::memcpy(&tail, src + n - 8, 8);
    std::memcpy(dst, &head, 8);
    std::memcpy(dst + n - 8, &tail, 8);
  } else if (n >= 4 && n < 8) {
    uint32_t head, tail;
    std::memcpy(&head, src, 4);
    std::memcpy(&tail, src + n - 4, 4);
    std::memcpy(dst, &head, 4);
    std::memcpy(dst + n - 4, &tail, 4);
  } else if (n > 16) {
    std::memcpy(dst, src, n);
  } else {
    for (size_t i = 0; i < n; ++i) dst[i] = src[i];
  }
}

// Shortest round-trip text of v; "inf", "-inf" or "nan" when not finite.
// Returns the end; p must have room for 32 bytes.
char* WriteDouble(char* p, double v) {
  if (std::isnan(v)) {
    std::memcpy(p, "nan", 3);
    return p + 3;
  }
  // std::to_chars writes "inf" / "-inf" for infinities.
  return std::to_chars(p, p + 32, v).ptr;
}

template <typename T, typename ViewOf>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline size_t EncodedSize(absl::Span<const T> args,
                                                       ViewOf view_of) {
  size_t total = 1 + DecimalDigits(args.size()) + 2;
  for (const T& a : args) total += BulkSize(view_of(a).size());
  return total;
}

// `total` is EncodedSize(args, view_of).
template <typename ViewOf, typename T>
void AppendArgs(std::string& out, absl::Span<const T> args, ViewOf view_of,
                size_t total) {
  // One resize to the exact size, then every byte written in place: a
  // command is several small pieces, and an append per piece (a capacity
  // check and a length update each) cost more than writing them.
  const size_t start = out.size();
  out.resize(start + total);
  char* p = WriteHeader(out.data() + start, '*', args.size());
  for (const T& a : args) {
    const absl::string_view v = view_of(a);
    p = WriteHeader(p, '$', v.size());
    CopyArg(p, v.data(), v.size());
    p += v.size();
    p[0] = '\r';
    p[1] = '\n';
    p += 2;
  }
}

template <typename ViewOf, typename T>
void AppendArgs(std::string& out, absl::Span<const T> args, ViewOf view_of) {
  AppendArgs(out, args, view_of, EncodedSize(args, view_of));
}

// A type, not a function pointer, so that AppendArgs inlines it.
struct ViewOfArg {
  absl::string_view operator()(const CommandArg& a) const { return a.view(); }
};

}  // namespace

void CommandArg::FormatSigned(int64_t v) {
  size_ = std::to_chars(buf_, buf_ + sizeof buf_, v).ptr - buf_;
}

void CommandArg::FormatUnsigned(uint64_t v) {
  size_ = std::to_chars(buf_, buf_ + sizeof buf_, v).ptr - buf_;
}

void CommandArg::FormatDouble(double v) { size_ = WriteDouble(buf_, v) - buf_; }

void AppendCommandArgs(std::string& out, absl::Span<const CommandArg> args) {
  AppendArgs(out, args, ViewOfArg());
}

void AppendCommandArgs(std::string& out, absl::Span<const CommandArg> args,
                       size_t encoded_size) {
  AppendArgs(out, args, ViewOfArg(), encoded_size);
}

void AppendCommand(std::string& out, std::initializer_list<CommandArg> args) {
  AppendCommandArgs(out,
                    absl::Span<const CommandArg>(args.begin(), args.size()));
}

void AppendCommandArgv(std::string& out,
                       absl::Span<const absl::string_view> argv) {
  AppendArgs(out, argv, [](absl::string_view a) { return a; });
}

void AppendCommandArgv(std::string& out, absl::Span<const std::string> argv) {
  AppendArgs(out, argv,
             [](const std::string& a) { return absl::string_view(a); });
}

size_t EncodedCommandSize(absl::Span<const absl::string_view> argv) {
  return EncodedSize(argv, [](absl::string_view a) { return a; });
}

size_t EncodedCommandSize(absl::Span<const CommandArg> args) {
  return EncodedSize(args, ViewOfArg());
}

namespace resp {
namespace {

void AppendLine(std::string& out, char type, absl::string_view s) {
  out.reserve(out.size() + s.size() + 3);
  out.push_back(type);
  out.append(s.data(), s.size());
  out.append("\r\n", 2);
}

void AppendHeader(std::string& out, char type, uint64_t n) {
  char buf[32];
  out.append(buf, WriteHeader(buf, type, n) - buf);
}

void AppendBlob(std::string& out, char type, absl::string_view s) {
  out.reserve(out.size() + BulkSize(s.size()));
  AppendHeader(out, type, s.size());
  out.append(s.data(), s.size());
  out.append("\r\n", 2);
}

}  // namespace

void AppendSimpleString(std::string& out, absl::string_view s) {
  AppendLine(out, '+', s);
}
void AppendError(std::string& out, absl::string_view s) {
  AppendLine(out, '-', s);
}
void AppendInteger(std::string& out, int64_t v) {
  char buf[32];
  buf[0] = ':';
  char* p = std::to_chars(buf + 1, buf + sizeof buf, v).ptr;
  *p++ = '\r';
  *p++ = '\n';
  out.append(buf, p - buf);
}
void AppendBulkString(std::string& out, absl::string_view s) {
  AppendBlob(out, '$', s);
}
void AppendNullBulkString(std::string& out) { out.append("$-1\r\n", 5); }
void AppendNullArray(std::string& out) { out.append("*-1\r\n", 5); }
void AppendNull(std::string& out) { out.append("_\r\n", 3); }
void AppendArrayHeader(std::string& out, size_t n) {
  AppendHeader(out, '*', n);
}
void AppendMapHeader(std::string& out, size_t n) { AppendHeader(out, '%', n); }
void AppendSetHeader(std::string& out, size_t n) { AppendHeader(out, '~', n); }
void AppendPushHeader(std::string& out, size_t n) { AppendHeader(out, '>', n); }
void AppendAttributeHeader(std::string& out, size_t n) {
  AppendHeader(out, '|', n);
}
void AppendDouble(std::string& out, double v) {
  char buf[40];
  buf[0] = ',';
  char* p = WriteDouble(buf + 1, v);
  *p++ = '\r';
  *p++ = '\n';
  out.append(buf, p - buf);
}
void AppendBoolean(std::string& out, bool v) {
  out.append(v ? "#t\r\n" : "#f\r\n", 4);
}
void AppendBigNumber(std::string& out, absl::string_view digits) {
  AppendLine(out, '(', digits);
}
void AppendVerbatim(std::string& out, absl::string_view format,
                    absl::string_view text) {
  AppendHeader(out, '=', format.size() + 1 + text.size());
  out.append(format.data(), format.size());
  out.push_back(':');
  out.append(text.data(), text.size());
  out.append("\r\n", 2);
}
void AppendBlobError(std::string& out, absl::string_view s) {
  AppendBlob(out, '!', s);
}

void AppendReply(std::string& out, const ReplyView& reply) {
  switch (reply.type()) {
    case ReplyType::kNull:
      AppendNull(out);
      return;
    case ReplyType::kSimpleString:
      AppendSimpleString(out, reply.str());
      return;
    case ReplyType::kError:
      AppendError(out, reply.str());
      return;
    case ReplyType::kInteger:
      AppendInteger(out, reply.integer());
      return;
    case ReplyType::kBulkString:
      AppendBulkString(out, reply.str());
      return;
    case ReplyType::kDouble:
      AppendDouble(out, reply.dbl());
      return;
    case ReplyType::kBoolean:
      AppendBoolean(out, reply.boolean());
      return;
    case ReplyType::kBigNumber:
      AppendBigNumber(out, reply.str());
      return;
    case ReplyType::kVerbatim:
      AppendVerbatim(out, reply.verbatim_format(), reply.str());
      return;
    case ReplyType::kBlobError:
      AppendBlobError(out, reply.str());
      return;
    case ReplyType::kArray:
      AppendArrayHeader(out, reply.size());
      break;
    case ReplyType::kMap:
      AppendMapHeader(out, reply.size());
      break;
    case ReplyType::kSet:
      AppendSetHeader(out, reply.size());
      break;
    case ReplyType::kPush:
      AppendPushHeader(out, reply.size());
      break;
  }
  for (ReplyView child : reply) AppendReply(out, child);
}

}  // namespace resp
}  // namespace valkey

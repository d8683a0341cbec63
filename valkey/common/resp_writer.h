// RESP encoding: commands (client → server) and RESP3 values (server →
// client, for tests and fake servers).
//
// A command is sent as a RESP array of bulk strings. AppendCommand() encodes
// one at the end of a caller-owned std::string; it computes the exact size
// first, so it grows the string at most once and allocates nothing per
// argument. Arguments may be strings, byte spans, integers or doubles;
// numbers are formatted with std::to_chars (doubles in their shortest form
// that reads back to the same value).
//
//   std::string out;
//   valkey::AppendCommand(out, "SET", "key", 42);        // variadic
//   valkey::AppendCommand(out, {"INCRBYFLOAT", "k", 0.1});  // initializer list
//   std::vector<absl::string_view> argv = {"MGET", "a", "b"};
//   valkey::AppendCommandArgv(out, argv);                 // span of views
//
// The functions in namespace valkey::resp encode single RESP3 values the way
// a server sends them, so tests can produce any reply:
//
//   std::string bytes;
//   valkey::resp::AppendMapHeader(bytes, 1);
//   valkey::resp::AppendBulkString(bytes, "field");
//   valkey::resp::AppendDouble(bytes, 2.5);
//
// Thread-safety: all functions are reentrant; a buffer must not be written by
// two threads at once.

#ifndef VALKEY_COMMON_RESP_WRITER_H_
#define VALKEY_COMMON_RESP_WRITER_H_

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "valkey/common/reply.h"

namespace valkey {

// One command argument: a view of caller-owned bytes, or a number formatted
// into a small buffer inside the CommandArg. Built implicitly from the
// argument types AppendCommand accepts; a CommandArg made from a string only
// borrows it, so it must not outlive that string.
//
// Doubles: finite values use the shortest round-trip form ("0.1", "1e+300");
// infinities are written "inf" and "-inf", which the server accepts; NaN is
// written "nan", which every Valkey command taking a float rejects with an
// error reply ("ERR value is not a valid float"), so it never silently
// becomes a number. bool and char are deliberately not accepted (they would
// silently become "1" / "99"); convert them explicitly.
class CommandArg {
 public:
  CommandArg(absl::string_view s)  // NOLINT(runtime/explicit)
      : data_(s.data()), size_(s.size()) {}
  CommandArg(const std::string& s)  // NOLINT(runtime/explicit)
      : data_(s.data()), size_(s.size()) {}
  CommandArg(const char* s)  // NOLINT(runtime/explicit)
      : data_(s), size_(std::char_traits<char>::length(s)) {}
  // std::string_view, when it is not the same type as absl::string_view.
  template <typename T>
    requires(std::is_same_v<T, std::string_view> &&
             !std::is_same_v<T, absl::string_view>)
  CommandArg(T s)  // NOLINT(runtime/explicit)
      : data_(s.data()), size_(s.size()) {}
  // Raw bytes.
  CommandArg(absl::Span<const uint8_t> b)  // NOLINT(runtime/explicit)
      : data_(reinterpret_cast<const char*>(b.data())), size_(b.size()) {}
  CommandArg(std::span<const std::byte> b)  // NOLINT(runtime/explicit)
      : data_(reinterpret_cast<const char*>(b.data())), size_(b.size()) {}
  // Integers of any width and signedness, except bool and character types.
  template <std::integral T>
    requires(!std::is_same_v<T, bool> && !std::is_same_v<T, char> &&
             !std::is_same_v<T, wchar_t> && !std::is_same_v<T, char8_t> &&
             !std::is_same_v<T, char16_t> && !std::is_same_v<T, char32_t>)
  CommandArg(T v) {  // NOLINT(runtime/explicit)
    if constexpr (std::is_signed_v<T>) {
      FormatSigned(static_cast<int64_t>(v));
    } else {
      FormatUnsigned(static_cast<uint64_t>(v));
    }
  }
  CommandArg(double v) { FormatDouble(v); }  // NOLINT(runtime/explicit)
  CommandArg(float v) {  // NOLINT(runtime/explicit)
    FormatDouble(static_cast<double>(v));
  }
  CommandArg(bool) = delete;
  CommandArg(char) = delete;

  // The argument's bytes.
  absl::string_view view() const {
    return data_ != nullptr ? absl::string_view(data_, size_)
                            : absl::string_view(buf_, size_);
  }

 private:
  void FormatSigned(int64_t v);
  void FormatUnsigned(uint64_t v);
  void FormatDouble(double v);

  const char* data_ = nullptr;  // nullptr: the bytes are in buf_
  size_t size_ = 0;
  char buf_[32];  // holds a formatted number (at most 24 characters)
};

// Appends the RESP encoding of the command `args` (the command name first)
// to `out`: "*<n>\r\n" then "$<len>\r\n<bytes>\r\n" per argument. Never
// fails. An empty argument list appends "*0\r\n", which a server ignores.
void AppendCommand(std::string& out, std::initializer_list<CommandArg> args);
void AppendCommandArgs(std::string& out, absl::Span<const CommandArg> args);

// Variadic form: AppendCommand(out, "SET", key, value, "EX", 10).
template <typename... Args>
  requires(sizeof...(Args) > 0 &&
           (std::is_constructible_v<CommandArg, const Args&> && ...))
void AppendCommand(std::string& out, const Args&... args) {
  const CommandArg argv[] = {CommandArg(args)...};
  AppendCommandArgs(out, absl::Span<const CommandArg>(argv, sizeof...(args)));
}

// Span forms for commands built at run time. (Braced lists are ambiguous
// between these two; use AppendCommand for those.)
void AppendCommandArgv(std::string& out,
                       absl::Span<const absl::string_view> argv);
void AppendCommandArgv(std::string& out, absl::Span<const std::string> argv);

// Number of bytes AppendCommandArgv would append for `argv`, and
// AppendCommandArgs for `args`.
size_t EncodedCommandSize(absl::Span<const absl::string_view> argv);
size_t EncodedCommandSize(absl::Span<const CommandArg> args);
// AppendCommandArgs for a caller that has sized the command already:
// `encoded_size` must be EncodedCommandSize(args).
void AppendCommandArgs(std::string& out, absl::Span<const CommandArg> args,
                       size_t encoded_size);

namespace resp {

// RESP3 value encoders, as a server writes them. Simple strings and errors
// must not contain '\r' or '\n' (not checked: tests may want bad bytes).
void AppendSimpleString(std::string& out, absl::string_view s);  // +s
void AppendError(std::string& out, absl::string_view s);         // -s
void AppendInteger(std::string& out, int64_t v);                 // :v
void AppendBulkString(std::string& out, absl::string_view s);    // $n s
void AppendNullBulkString(std::string& out);                     // $-1 (RESP2)
void AppendNullArray(std::string& out);                          // *-1 (RESP2)
void AppendNull(std::string& out);                               // _ (RESP3)
void AppendArrayHeader(std::string& out, size_t n);  // *n, then n values
void AppendMapHeader(std::string& out, size_t n);    // %n, then n k/v pairs
void AppendSetHeader(std::string& out, size_t n);    // ~n, then n values
void AppendPushHeader(std::string& out, size_t n);   // >n, then n values
void AppendAttributeHeader(std::string& out, size_t n);  // |n, n pairs
// ,v in shortest round-trip form; "inf", "-inf", "nan" for non-finite.
void AppendDouble(std::string& out, double v);
void AppendBoolean(std::string& out, bool v);  // #t / #f
// (digits: `digits` is written as given (an optional '-', then digits).
void AppendBigNumber(std::string& out, absl::string_view digits);
// =n fmt:text; `format` must be exactly three bytes ("txt", "mkd").
void AppendVerbatim(std::string& out, absl::string_view format,
                    absl::string_view text);
void AppendBlobError(std::string& out, absl::string_view s);  // !n s

// Re-encodes a parsed value (recursively) in RESP3. Nulls become "_".
void AppendReply(std::string& out, const ReplyView& reply);

}  // namespace resp
}  // namespace valkey

#endif  // VALKEY_COMMON_RESP_WRITER_H_

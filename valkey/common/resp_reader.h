// RespReader: an incremental, I/O-free parser of RESP2 and RESP3 replies.
//
// Bytes go in with Feed() (or PrepareFeed()/CommitFeed() to receive straight
// into the reader's buffer), split anywhere; complete replies come out of
// Next(), in order. The reader does no I/O, starts no threads and keeps no
// global state. It understands every RESP3 type; see ReplyType in reply.h.
//
//   valkey::RespReader reader;
//   reader.Feed(bytes_from_socket);
//   for (;;) {
//     absl::StatusOr<std::optional<valkey::Reply>> r = reader.Next();
//     if (!r.ok()) return r.status();    // DATA_LOSS: drop the connection
//     if (!r->has_value()) break;        // need more bytes
//     Handle(std::move(**r));
//   }
//
// Errors are sticky: after the first malformed or over-limit byte, Next()
// returns the same DATA_LOSS status forever and Feed() ignores its input.
// The connection must be dropped.
//
// Attributes ('|' maps) are parsed, checked against the limits and
// discarded; the value they annotate is returned as if they were absent.
// RESP3 streamed strings and aggregates ("$?", "*?"), which servers do not
// send, are rejected as malformed.
//
// Memory: the reader keeps the unfinished reply's bytes contiguous in one
// buffer that grows geometrically; consumed bytes are dropped lazily (when
// room is needed), so a reply of n bytes costs O(n) copying however it is
// split. Everything a hostile server can make the reader hold is bounded by
// ReaderLimits — the bytes of a reply by max_reply_bytes, its 16-byte nodes
// by max_reply_elements — and no input makes it recurse.
//
// Thread-safety: a RespReader is not thread-safe; use one per connection from
// one thread at a time.

#ifndef VALKEY_COMMON_RESP_READER_H_
#define VALKEY_COMMON_RESP_READER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "valkey/common/reply.h"

namespace valkey {

// Bounds on what one reply may contain. Exceeding any of them is DATA_LOSS.
struct ReaderLimits {
  // Largest payload of a bulk string, blob error or verbatim string, and the
  // longest line of a simple string, error, double or big number.
  // Default: 512 MiB (the server's own proto-max-bulk-len default).
  uint64_t max_bulk_length = uint64_t{512} << 20;

  // Most entries in one aggregate (elements of an array, set or push; pairs
  // of a map or attribute). Nothing is allocated from a declared count, so a
  // large limit is safe. Default: 2^31 - 1.
  uint64_t max_elements = (uint64_t{1} << 31) - 1;

  // Deepest nesting of aggregates (and attributes): a top-level array is
  // depth 1, an array inside it depth 2. Default: 64 (Valkey's own replies
  // nest at most about 5 deep).
  size_t max_depth = 64;

  // Most bytes one reply may span on the wire; the reader buffers a whole
  // reply before returning it. Values above 4 GiB - 1 are treated as
  // 4 GiB - 1. Default: 2 GiB.
  uint64_t max_reply_bytes = uint64_t{2} << 30;

  // Most values one reply may hold: the reply itself and every value nested
  // in it, at any depth (a map entry is two values; attribute values count
  // while they are parsed). Each value is a 16-byte node whatever its wire
  // size, and a value can be as short as 3 bytes ("_\r\n"), so without this
  // bound a reply's nodes could take over 5x its wire size. They take at
  // most 16 x max_reply_elements bytes in the Reply (up to twice that while
  // the reply is parsed). Values above 2^32 - 1 are treated as 2^32 - 1,
  // and 0 as 1. Default: 2^27 (128 Mi values), whose nodes take 2 GiB: no
  // more than the default max_reply_bytes. When lowering max_reply_bytes,
  // lower this too (to max_reply_bytes / 16 to keep that relation).
  uint64_t max_reply_elements = uint64_t{1} << 27;

  // When the buffer empties and its capacity exceeds this, it is freed, so a
  // single huge reply does not pin memory. Default: 1 MiB.
  size_t max_idle_buffer = size_t{1} << 20;
};

class RespReader {
 public:
  RespReader() : RespReader(ReaderLimits()) {}
  explicit RespReader(const ReaderLimits& limits);
  RespReader(RespReader&&) noexcept;
  RespReader& operator=(RespReader&&) noexcept;
  RespReader(const RespReader&) = delete;
  RespReader& operator=(const RespReader&) = delete;
  ~RespReader();

  // Appends `bytes` to the input (copied). No-op after an error.
  void Feed(absl::string_view bytes);

  // Zero-copy input: returns writable space of at least `min_bytes` at the
  // end of the input buffer (possibly more: use all of it); write received
  // bytes there, then call CommitFeed(n) with the number written. The span is
  // invalidated by any other call on the reader.
  absl::Span<char> PrepareFeed(size_t min_bytes);
  // Marks the first `n` bytes of the last PrepareFeed() span as input.
  // n must not exceed that span's size.
  void CommitFeed(size_t n);

  // Parses the next reply.
  //   - a Reply: the next complete reply (its bytes are consumed);
  //   - std::nullopt: the input ends inside a reply (or is empty): Feed more;
  //   - DATA_LOSS (valkey::ProtocolError, kind kProtocol): the input is
  //     malformed or exceeds a limit; the message says what and at which
  //     byte offset of the stream. Sticky.
  // An error reply from the server ("-ERR ...") is a Reply, not a status;
  // see Reply::ToStatus().
  absl::StatusOr<std::optional<Reply>> Next();

  // Lower-level form of Next() without the StatusOr/optional wrapping.
  enum class Result { kReply, kNeedMore, kError };
  // kReply: *reply holds the next reply. kNeedMore: *reply untouched.
  // kError: status() holds the DATA_LOSS status; *reply untouched.
  Result Read(Reply* reply);

  // OK, or the sticky DATA_LOSS status once an error has occurred.
  const absl::Status& status() const { return status_; }

  // Bytes fed but not yet returned as replies.
  size_t buffered_bytes() const { return end_ - start_; }

  // Total bytes fed since construction.
  uint64_t bytes_fed() const { return base_offset_ + end_; }

  const ReaderLimits& limits() const { return limits_; }

 private:
  using Node = reply_internal::Node;

  // An aggregate whose children are still arriving.
  struct Frame {
    uint32_t node;        // index of the aggregate's node in nodes_
    bool attribute;       // discarded when complete
    uint64_t remaining;   // children still expected
  };

  enum class Step { kScalar, kAggregate, kAttribute, kNeedMore, kError };

  bool TryFastScalar(Reply* reply);
  Result Parse(Reply* reply);
  Step ParseElement(Node& node, uint64_t& count, size_t& next);
  Step ParseLength(size_t p, char type, int64_t& value, size_t& next);
  Step ParseInteger(size_t p, int64_t& value, size_t& next);
  Step FindLineEnd(size_t from, uint64_t max_len, const char* limit_name,
                   size_t& cr);
  Result NeedMore();
  // Record the sticky DATA_LOSS status; return Step::kError.
  [[gnu::cold, gnu::noinline]] Step Fail(size_t at, absl::string_view what);
  [[gnu::cold, gnu::noinline]] Step FailByte(size_t at, const char* what,
                                             char byte);
  [[gnu::cold, gnu::noinline]] Step FailLimit(size_t at, const char* what,
                                              uint64_t value,
                                              const char* limit_name,
                                              uint64_t limit);
  [[gnu::cold, gnu::noinline]] Step FailDouble(size_t from, size_t cr);
  // The value at pos_ would take the reply past max_reply_elements.
  [[gnu::cold, gnu::noinline]] Result FailElementCount();
  void BuildScalar(const Node& node, Reply* reply);
  void BuildTree(Reply* reply);
  void FinishReply();
  void MakeRoom(size_t n);

  ReaderLimits limits_;
  absl::Status status_;

  // Input: buf_[start_, end_) is unconsumed; start_ is where the reply being
  // parsed begins, pos_ where its next element begins.
  std::unique_ptr<char[]> buf_;
  size_t cap_ = 0;
  size_t start_ = 0;
  size_t pos_ = 0;
  size_t end_ = 0;
  uint64_t base_offset_ = 0;  // stream offset of buf_[0]
  // Bytes after pos_ already searched for a CR without finding one, so a
  // long line arriving in pieces is scanned once.
  size_t line_scanned_ = 0;

  // The reply being parsed: its nodes so far (string offsets relative to
  // start_), and the aggregates still open.
  std::vector<Node> nodes_;
  std::vector<Frame> stack_;
};

}  // namespace valkey

#endif  // VALKEY_COMMON_RESP_READER_H_

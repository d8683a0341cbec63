// Fuzz target for RespReader (valkey/common/resp_reader.h).
//
// Input: a small header, then the byte stream a server would send.
//   byte 0   flags:
//              bit 0    feed through PrepareFeed()/CommitFeed() (else Feed())
//              bit 1    read with Read() into one reused Reply (else Next())
//              bit 2    move the reader to a new object between feeds
//              bits 3-5 ReaderLimits profile (kLimitProfiles)
//   byte 1   number of cuts, 0-15 (low four bits)
//   then one byte per cut: the length of that feed (0-255); the rest of the
//   input is the last feed.
// RESP2 and RESP3 share one grammar in the reader (it has no protocol
// switch), so both are covered by the same stream: the seed corpus holds
// frames of every RESP2 and RESP3 type, the dictionary every type marker.
//
// Checked, beyond "no crash, no sanitizer report":
//   - splitting does not matter: the stream fed in the chosen pieces yields
//     the same replies (compared as DebugString()) as the stream fed whole,
//     and fails if and only if the whole stream fails, with the same
//     message under the default limits (but for the length of an over-long
//     line, which is what had arrived when it went over; with small limits
//     the message may name another byte or length too: a partial reply can
//     already be over a limit);
//   - errors are DATA_LOSS with kind kProtocol and sticky: Read()/Next()
//     keep returning the same status, and further Feed()/CommitFeed() input
//     is ignored (bytes_fed() stays put);
//   - bytes_fed() counts every byte fed before the error, and
//     buffered_bytes() never exceeds it;
//   - every reply is readable through the view API (each string byte read,
//     each child reached by iteration and by index, map pairs, ToStatus),
//     respects the limits it was read under, and survives Clone() and a
//     move unchanged.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "valkey/common/errors.h"
#include "valkey/common/fuzz/fuzz_check.h"
#include "valkey/common/reply.h"
#include "valkey/common/resp_reader.h"

namespace valkey {
namespace {

// Profiles 0 and 1 are the default limits (a quarter of the inputs); the
// others are small enough that a short input reaches every limit check. max_idle_buffer 0 frees the buffer at
// every reply boundary, which moves the bytes of the next one around.
ReaderLimits LimitProfile(int index) {
  ReaderLimits limits;
  switch (index) {
    case 0:
    case 1:
      break;
    case 2:
      limits.max_idle_buffer = 0;
      break;
    case 3:
      limits.max_bulk_length = 8;
      break;
    case 4:
      limits.max_elements = 3;
      break;
    case 5:
      limits.max_depth = 2;
      break;
    case 6:
      limits.max_reply_bytes = 32;
      limits.max_idle_buffer = 0;
      break;
    default:
      limits.max_bulk_length = 16;
      limits.max_elements = 4;
      limits.max_depth = 3;
      limits.max_reply_bytes = 64;
      break;
  }
  return limits;
}

bool IsDefault(const ReaderLimits& l) {
  const ReaderLimits d;
  return l.max_bulk_length == d.max_bulk_length &&
         l.max_elements == d.max_elements && l.max_depth == d.max_depth &&
         l.max_reply_bytes == d.max_reply_bytes;
}

// The error message, except the length in "line length <n> exceeds ...":
// an over-long line fails as soon as the bytes buffered exceed the limit,
// so <n> is what had arrived by then, which the split decides. (The byte
// offset and the limit must not depend on it.)
std::string StableErrorText(const absl::Status& status) {
  std::string text(status.message());
  constexpr absl::string_view kLine = "line length ";
  const size_t at = text.find(kLine);
  if (at != std::string::npos) {
    size_t end = at + kLine.size();
    while (end < text.size() && absl::ascii_isdigit(text[end])) ++end;
    text.replace(at + kLine.size(), end - at - kLine.size(), "<n>");
  }
  return text;
}

bool IsAggregateType(ReplyType t) {
  return t == ReplyType::kArray || t == ReplyType::kMap ||
         t == ReplyType::kSet || t == ReplyType::kPush;
}

// Reads every byte and child of `v` (so ASan sees any bad pointer) and
// checks the view API's own consistency and the limits. `depth` is that of
// `v`'s parent; a top-level aggregate is at depth 1.
uint64_t CheckView(ReplyView v, size_t depth, const ReaderLimits& limits) {
  uint64_t sum = static_cast<uint8_t>(v.type());
  FUZZ_CHECK(static_cast<uint8_t>(v.type()) <=
                 static_cast<uint8_t>(ReplyType::kBlobError),
             "reply type out of range");
  const absl::string_view s = v.str();
  FUZZ_CHECK(v.is_string() || s.empty(), "str() of a non-string");
  FUZZ_CHECK(s.size() <= limits.max_bulk_length, "string over the limit");
  for (char c : s) sum = sum * 31 + static_cast<uint8_t>(c);
  if (v.type() == ReplyType::kVerbatim) {
    FUZZ_CHECK(v.verbatim_format().size() == 3, "verbatim format size");
    for (char c : v.verbatim_format()) sum += static_cast<uint8_t>(c);
  }
  FUZZ_CHECK(v.ToStatus().ok() == !v.is_error(), "ToStatus() of the type");
  sum += static_cast<uint64_t>(v.integer()) + v.boolean();

  if (!IsAggregateType(v.type())) {
    FUZZ_CHECK(v.size() == 0 && v.num_children() == 0, "scalar with size");
    FUZZ_CHECK(v.begin() == v.end(), "scalar with children");
    return sum;
  }
  FUZZ_CHECK(depth + 1 <= limits.max_depth, "reply deeper than max_depth");
  FUZZ_CHECK(v.size() <= limits.max_elements, "aggregate over max_elements");
  const size_t n = v.num_children();
  FUZZ_CHECK(n == (v.type() == ReplyType::kMap ? 2 : 1) * v.size(),
             "num_children() does not match size()");
  size_t i = 0;
  for (ReplyView child : v) {
    FUZZ_CHECK(i < n, "iteration yields more than num_children()");
    const ReplyView by_index = v.child(i);
    FUZZ_CHECK(by_index.type() == child.type() &&
                   by_index.str().data() == child.str().data() &&
                   by_index.size() == child.size(),
               "child(i) differs from the i-th iterated child");
    sum += CheckView(child, depth + 1, limits);
    ++i;
  }
  FUZZ_CHECK(i == n, "iteration yields fewer than num_children()");
  FUZZ_CHECK(v.child(n).is_null(), "child past the end is not null");
  size_t pairs = 0;
  for (auto [key, value] : v.pairs()) {
    sum += static_cast<uint8_t>(key.type()) + static_cast<uint8_t>(value.type());
    ++pairs;
  }
  FUZZ_CHECK(pairs == n / 2, "pairs() count");
  return sum;
}

// Checks one reply; returns its DebugString() for the split comparison.
std::string CheckReply(Reply& reply, const ReaderLimits& limits) {
  volatile uint64_t sink = CheckView(reply.view(), 0, limits);
  (void)sink;
  std::string text = reply.DebugString();
  FUZZ_CHECK(!text.empty(), "empty DebugString()");
  FUZZ_CHECK(reply.Clone().DebugString() == text, "Clone() differs");
  Reply moved = std::move(reply);
  FUZZ_CHECK(moved.DebugString() == text, "moved reply differs");
  FUZZ_CHECK(reply.is_null() && reply.num_nodes() == 1,
             "moved-from reply is not null");
  reply = std::move(moved);
  return text;
}

// What reading a stream produced.
struct Outcome {
  std::vector<std::string> replies;
  absl::Status status;
};

// Checks the state of a reader after a DATA_LOSS error, and that it stays.
void CheckSticky(RespReader& reader, Reply& reply) {
  const absl::Status first = reader.status();
  FUZZ_CHECK(first.code() == absl::StatusCode::kDataLoss, "not DATA_LOSS");
  FUZZ_CHECK(GetErrorKind(first) == ErrorKind::kProtocol, "not kProtocol");
  const uint64_t fed = reader.bytes_fed();
  reader.Feed("+OK\r\n");
  absl::Span<char> span = reader.PrepareFeed(5);
  FUZZ_CHECK(span.size() >= 5, "PrepareFeed() span too small");
  std::memcpy(span.data(), ":1\r\n", 4);
  reader.CommitFeed(4);
  FUZZ_CHECK(reader.bytes_fed() == fed, "input accepted after an error");
  FUZZ_CHECK(reader.Read(&reply) == RespReader::Result::kError,
             "Read() recovered from an error");
  absl::StatusOr<std::optional<Reply>> next = reader.Next();
  FUZZ_CHECK(!next.ok() && next.status() == first, "Next() status changed");
  FUZZ_CHECK(reader.status() == first, "status() changed");
}

// Feeds `pieces` one after the other as `flags` say, reading after each.
Outcome ReadInPieces(const std::vector<absl::string_view>& pieces,
                     uint8_t flags, const ReaderLimits& limits) {
  const bool prepare = flags & 1;
  const bool reuse = flags & 2;
  const bool move = flags & 4;
  Outcome out;
  RespReader reader(limits);
  Reply reused;
  uint64_t fed = 0;
  for (absl::string_view piece : pieces) {
    if (prepare) {
      absl::Span<char> span = reader.PrepareFeed(piece.size());
      FUZZ_CHECK(span.size() >= piece.size(), "PrepareFeed() span too small");
      if (!piece.empty()) std::memcpy(span.data(), piece.data(), piece.size());
      // Garbage after the committed bytes must never be parsed.
      const size_t junk = std::min<size_t>(span.size() - piece.size(), 8);
      std::memset(span.data() + piece.size(), '*', junk);
      reader.CommitFeed(piece.size());
    } else {
      reader.Feed(piece);
    }
    if (reader.status().ok()) fed += piece.size();
    FUZZ_CHECK(reader.bytes_fed() == fed, "bytes_fed() is not the bytes fed");
    FUZZ_CHECK(reader.buffered_bytes() <= fed, "more buffered than fed");
    if (move) {
      RespReader other(std::move(reader));
      reader = std::move(other);
    }
    for (;;) {
      if (reuse) {
        const RespReader::Result r = reader.Read(&reused);
        if (r == RespReader::Result::kNeedMore) break;
        if (r == RespReader::Result::kError) {
          out.status = reader.status();
          CheckSticky(reader, reused);
          return out;
        }
        out.replies.push_back(CheckReply(reused, limits));
      } else {
        absl::StatusOr<std::optional<Reply>> r = reader.Next();
        if (!r.ok()) {
          FUZZ_CHECK(r.status() == reader.status(), "Next() != status()");
          out.status = r.status();
          CheckSticky(reader, reused);
          return out;
        }
        if (!r->has_value()) break;
        out.replies.push_back(CheckReply(**r, limits));
      }
    }
    FUZZ_CHECK(reader.status().ok(), "error without an error result");
  }
  return out;
}

// `input`: the header described at the top of this file, then the stream.
void FuzzRespReader(absl::string_view input) {
  if (input.size() < 2) return;
  const uint8_t flags = input[0];
  size_t cuts = input[1] & 15;
  size_t pos = 2;
  std::vector<size_t> lengths;
  for (; cuts > 0 && pos < input.size(); --cuts) {
    lengths.push_back(static_cast<uint8_t>(input[pos++]));
  }
  const absl::string_view stream = input.substr(pos);

  std::vector<absl::string_view> pieces;
  size_t from = 0;
  for (size_t len : lengths) {
    len = std::min(len, stream.size() - from);
    pieces.push_back(stream.substr(from, len));
    from += len;
  }
  pieces.push_back(stream.substr(from));

  const ReaderLimits limits = LimitProfile((flags >> 3) & 7);
  const Outcome split = ReadInPieces(pieces, flags, limits);
  // The reference: everything in one Feed(), read with Next().
  const Outcome whole = ReadInPieces({stream}, 0, limits);

  FUZZ_CHECK(split.status.ok() == whole.status.ok(),
             "the split changed whether the stream fails");
  if (IsDefault(limits)) {
    const std::string split_error = StableErrorText(split.status);
    const std::string whole_error = StableErrorText(whole.status);
    FUZZ_CHECK(split_error == whole_error,
               absl::StrCat("the split changed the error: \"", split_error,
                            "\" vs \"", whole_error, "\"")
                   .c_str());
  }
  // A limit can be hit on a partial reply, but only if the whole reply
  // exceeds it too, so the replies before the failure are the same.
  FUZZ_CHECK(split.replies == whole.replies, "the split changed the replies");
}

}  // namespace
}  // namespace valkey

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  valkey::FuzzRespReader(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}

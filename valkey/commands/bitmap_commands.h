// Bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and
// BITFIELD_RO. Part of the command table (see command_table.h): each method
// is the command's arguments plus its reply conversion, run by the executor
// `E` (Client, Pipeline, async client).
//
//   client.SetBit("seen", 7, true);
//   absl::StatusOr<int64_t> n = client.BitCount("seen");
//   absl::StatusOr<std::vector<std::optional<int64_t>>> r = client.BitField(
//       "counters", {BitFieldOp::IncrBy("u8", "#0", 1),
//                    BitFieldOp::Get("u8", "#0")});
//
// Bit offsets count from the most significant bit of the first byte. A
// missing key reads as all zero bits.
//
// Errors: INVALID_ARGUMENT (naming the command and the argument) for bad
// arguments, before anything is sent; server error replies (WRONGTYPE,
// "ERR bit offset is not an integer or out of range", ...) as their status;
// DATA_LOSS for a reply of an unexpected shape.
//
// Thread-safety: as the executor's.

#ifndef VALKEY_COMMANDS_BITMAP_COMMANDS_H_
#define VALKEY_COMMANDS_BITMAP_COMMANDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "valkey/commands/command_args.h"
#include "valkey/commands/reply_convert.h"
#include "valkey/common/errors.h"
#include "valkey/common/reply.h"

namespace valkey {

// A range of BITCOUNT / BITPOS: start and end inclusive, negative values
// counting from the end; in bytes unless `bits`.
struct BitRange {
  int64_t start = 0;
  int64_t end = -1;
  // BIT instead of BYTE.
  bool bits = false;
};

enum class BitOperation { kAnd, kOr, kXor, kNot };

// One operation of BITFIELD. `type` is "i<n>" (signed, n <= 64) or "u<n>"
// (unsigned, n <= 63); `offset` a bit offset ("100") or a multiple of the
// type's width ("#2"). Build with the factories.
struct BitFieldOp {
  enum class Kind { kGet, kSet, kIncrBy, kOverflow };
  enum class Overflow { kWrap, kSat, kFail };

  Kind kind = Kind::kGet;
  std::string type;
  std::string offset;
  int64_t value = 0;
  Overflow overflow = Overflow::kWrap;

  static BitFieldOp Get(absl::string_view type, absl::string_view offset) {
    return {Kind::kGet, std::string(type), std::string(offset), 0,
            Overflow::kWrap};
  }
  static BitFieldOp Set(absl::string_view type, absl::string_view offset,
                        int64_t value) {
    return {Kind::kSet, std::string(type), std::string(offset), value,
            Overflow::kWrap};
  }
  static BitFieldOp IncrBy(absl::string_view type, absl::string_view offset,
                           int64_t by) {
    return {Kind::kIncrBy, std::string(type), std::string(offset), by,
            Overflow::kWrap};
  }
  // OVERFLOW WRAP|SAT|FAIL: how the SET / INCRBY operations after it
  // handle overflow.
  static BitFieldOp OverflowMode(Overflow mode) {
    return {Kind::kOverflow, "", "", 0, mode};
  }
};

namespace convert {

// BITFIELD: one integer per GET/SET/INCRBY, nil where OVERFLOW FAIL
// refused an operation.
inline absl::StatusOr<std::vector<std::optional<int64_t>>>
OptionalIntegerList(const ReplyView& reply) {
  if (reply.type() != ReplyType::kArray) {
    return WrongShape("an array of integers or nil", reply);
  }
  std::vector<std::optional<int64_t>> out;
  out.reserve(reply.size());
  for (ReplyView element : reply) {
    absl::StatusOr<std::optional<int64_t>> v = OptionalInteger(element);
    if (!v.ok()) return v.status();
    out.push_back(*v);
  }
  return out;
}

}  // namespace convert

namespace internal {

inline void AppendBitRange(const std::optional<BitRange>& range,
                           CommandArgs& args) {
  if (!range.has_value()) return;
  args.push_back(range->start);
  args.push_back(range->end);
  args.push_back(range->bits ? "BIT" : "BYTE");
}

inline absl::Status CheckBitFieldOp(absl::string_view command,
                                    const BitFieldOp& op) {
  if (op.kind == BitFieldOp::Kind::kOverflow) return absl::OkStatus();
  const bool type_ok =
      op.type.size() >= 2 && (op.type[0] == 'i' || op.type[0] == 'u');
  if (!type_ok) {
    return InvalidArgumentError(absl::StrCat(
        command, ": type must be i<bits> or u<bits>, got \"", op.type, "\""));
  }
  if (op.offset.empty()) {
    return InvalidArgumentError(
        absl::StrCat(command, ": empty offset for type ", op.type));
  }
  return absl::OkStatus();
}

inline absl::Status AppendBitFieldOps(absl::string_view command,
                                      absl::Span<const BitFieldOp> ops,
                                      bool read_only, CommandArgs& args) {
  if (ops.empty()) {
    return InvalidArgumentError(
        absl::StrCat(command, ": needs at least one operation"));
  }
  args.reserve(args.size() + 4 * ops.size());
  for (const BitFieldOp& op : ops) {
    if (absl::Status s = CheckBitFieldOp(command, op); !s.ok()) return s;
    if (read_only && op.kind != BitFieldOp::Kind::kGet) {
      return InvalidArgumentError(
          absl::StrCat(command, ": only GET operations are allowed"));
    }
    switch (op.kind) {
      case BitFieldOp::Kind::kGet:
        args.push_back("GET");
        args.push_back(op.type);
        args.push_back(op.offset);
        break;
      case BitFieldOp::Kind::kSet:
        args.push_back("SET");
        args.push_back(op.type);
        args.push_back(op.offset);
        args.push_back(op.value);
        break;
      case BitFieldOp::Kind::kIncrBy:
        args.push_back("INCRBY");
        args.push_back(op.type);
        args.push_back(op.offset);
        args.push_back(op.value);
        break;
      case BitFieldOp::Kind::kOverflow:
        args.push_back("OVERFLOW");
        args.push_back(op.overflow == BitFieldOp::Overflow::kWrap  ? "WRAP"
                       : op.overflow == BitFieldOp::Overflow::kSat ? "SAT"
                                                                   : "FAIL");
        break;
    }
  }
  return absl::OkStatus();
}

}  // namespace internal

template <typename E, template <typename> class Result>
class BitmapCommands {
 public:
  // SETBIT key offset 0|1 → the bit's previous value.
  Result<bool> SetBit(absl::string_view key, int64_t offset, bool bit) {
    if (offset < 0) {
      return self().template Fail<bool>(InvalidArgumentError(
          absl::StrCat("SETBIT: offset must be >= 0, got ", offset)));
    }
    return self().template Run<bool>(&convert::Bool, "SETBIT", key, offset,
                                     int64_t{bit ? 1 : 0});
  }
  // GETBIT key offset → the bit (false beyond the end or for a missing key).
  Result<bool> GetBit(absl::string_view key, int64_t offset) {
    if (offset < 0) {
      return self().template Fail<bool>(InvalidArgumentError(
          absl::StrCat("GETBIT: offset must be >= 0, got ", offset)));
    }
    return self().template Run<bool>(&convert::Bool, "GETBIT", key, offset);
  }
  // BITCOUNT key [start end [BYTE|BIT]] → the number of set bits.
  Result<int64_t> BitCount(absl::string_view key,
                           const std::optional<BitRange>& range = {}) {
    CommandArgs args{"BITCOUNT", key};
    internal::AppendBitRange(range, args);
    return self().template RunArgs<int64_t>(&convert::Integer, args.span());
  }
  // BITPOS key bit [start end [BYTE|BIT]] → the position of the first bit
  // equal to `bit`, or -1 (see the server's rules for clear bits past the
  // end).
  Result<int64_t> BitPos(absl::string_view key, bool bit,
                         const std::optional<BitRange>& range = {}) {
    CommandArgs args{"BITPOS", key, int64_t{bit ? 1 : 0}};
    internal::AppendBitRange(range, args);
    return self().template RunArgs<int64_t>(&convert::Integer, args.span());
  }
  // BITOP AND|OR|XOR|NOT destkey key... → the length of the result in
  // bytes. INVALID_ARGUMENT: no source key, or NOT with more than one.
  Result<int64_t> BitOp(BitOperation op, absl::string_view destination,
                        absl::Span<const std::string> keys) {
    if (keys.empty() || (op == BitOperation::kNot && keys.size() != 1)) {
      return self().template Fail<int64_t>(InvalidArgumentError(
          "BITOP: needs source keys (exactly one for NOT)"));
    }
    const char* name = op == BitOperation::kAnd  ? "AND"
                       : op == BitOperation::kOr ? "OR"
                       : op == BitOperation::kXor ? "XOR"
                                                  : "NOT";
    CommandArgs args{"BITOP", name, destination};
    args.reserve(keys.size() + 3);
    for (const std::string& key : keys) args.push_back(key);
    return self().template RunArgs<int64_t>(&convert::Integer, args.span());
  }
  // BITFIELD key op... → one value per GET/SET/INCRBY (SET: the old
  // value), nullopt where OVERFLOW FAIL refused it.
  Result<std::vector<std::optional<int64_t>>> BitField(
      absl::string_view key, absl::Span<const BitFieldOp> ops) {
    using Value = std::vector<std::optional<int64_t>>;
    CommandArgs args{"BITFIELD", key};
    absl::Status s = internal::AppendBitFieldOps("BITFIELD", ops, false, args);
    if (!s.ok()) return self().template Fail<Value>(std::move(s));
    return self().template RunArgs<Value>(&convert::OptionalIntegerList,
                                          args.span());
  }
  // BITFIELD_RO key GET type offset... → one value per GET.
  // INVALID_ARGUMENT for an operation other than Get.
  Result<std::vector<int64_t>> BitFieldRo(absl::string_view key,
                                          absl::Span<const BitFieldOp> ops) {
    using Value = std::vector<int64_t>;
    CommandArgs args{"BITFIELD_RO", key};
    absl::Status s =
        internal::AppendBitFieldOps("BITFIELD_RO", ops, true, args);
    if (!s.ok()) return self().template Fail<Value>(std::move(s));
    return self().template RunArgs<Value>(&convert::IntegerList, args.span());
  }

 private:
  E& self() { return static_cast<E&>(*this); }
};

}  // namespace valkey

#endif  // VALKEY_COMMANDS_BITMAP_COMMANDS_H_

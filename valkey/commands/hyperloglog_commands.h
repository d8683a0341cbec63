// HyperLogLog commands: PFADD, PFCOUNT, PFMERGE — approximate distinct
// counts in at most 12 KiB per key (standard error 0.81%). Part of the
// command table (see command_table.h): each method is the command's
// arguments plus its reply conversion, run by the executor `E` (Client,
// Pipeline, async client).
//
//   client.PfAdd("visitors", {"alice", "bob"});
//   absl::StatusOr<int64_t> n = client.PfCount({"visitors"});  // ~2
//
// Errors: INVALID_ARGUMENT (naming the command) for bad arguments, before
// anything is sent; server error replies (WRONGTYPE, INVALIDOBJ for a key
// that is not a HyperLogLog) as their status; DATA_LOSS for a reply of an
// unexpected shape.
//
// Thread-safety: as the executor's.

#ifndef VALKEY_COMMANDS_HYPERLOGLOG_COMMANDS_H_
#define VALKEY_COMMANDS_HYPERLOGLOG_COMMANDS_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "valkey/commands/command_args.h"
#include "valkey/commands/reply_convert.h"
#include "valkey/common/errors.h"

namespace valkey {

template <typename E, template <typename> class Result>
class HyperLogLogCommands {
 public:
  // PFADD key [element ...] → whether the estimate changed (an empty
  // `elements` only creates the key).
  Result<bool> PfAdd(absl::string_view key,
                     absl::Span<const std::string> elements) {
    CommandArgs args{"PFADD", key};
    args.reserve(elements.size() + 2);
    for (const std::string& element : elements) args.push_back(element);
    return self().template RunArgs<bool>(&convert::Bool, args.span());
  }
  // PFCOUNT key... → the estimated number of distinct elements of the union
  // of the keys. INVALID_ARGUMENT: no key.
  Result<int64_t> PfCount(absl::Span<const std::string> keys) {
    if (keys.empty()) {
      return self().template Fail<int64_t>(
          InvalidArgumentError("PFCOUNT: needs at least one key"));
    }
    CommandArgs args{"PFCOUNT"};
    args.reserve(keys.size() + 1);
    for (const std::string& key : keys) args.push_back(key);
    return self().template RunArgs<int64_t>(&convert::Integer, args.span());
  }
  // PFMERGE destkey [sourcekey ...] → true; destkey becomes the union of
  // itself and the sources.
  Result<bool> PfMerge(absl::string_view destination,
                       absl::Span<const std::string> sources) {
    CommandArgs args{"PFMERGE", destination};
    args.reserve(sources.size() + 2);
    for (const std::string& key : sources) args.push_back(key);
    return self().template RunArgs<bool>(&convert::Ok, args.span());
  }

 private:
  E& self() { return static_cast<E&>(*this); }
};

}  // namespace valkey

#endif  // VALKEY_COMMANDS_HYPERLOGLOG_COMMANDS_H_

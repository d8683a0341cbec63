#include "valkey/async/cache_own_writes.h"

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "valkey/cache/cache_policy.h"

namespace valkey::async {
namespace {

// The commands whose keys are invalidated again when `next`'s reply
// arrives, before it is handed on.
struct AfterWrite {
  std::shared_ptr<LocalCache> cache;
  std::vector<CachePolicy::OwnWrite> writes;
  ReplySink next;

  static void OnReply(void* ctx, void*, absl::StatusOr<Reply> outcome) {
    std::unique_ptr<AfterWrite> self(static_cast<AfterWrite*>(ctx));
    for (const CachePolicy::OwnWrite& w : self->writes) {
      w.InvalidateIn(*self->cache);
    }
    self->next.fn(self->next.ctx, self->next.aux, std::move(outcome));
  }
};

bool Named(absl::Span<const CommandArg> args, absl::string_view name) {
  return !args.empty() && absl::EqualsIgnoreCase(args[0].view(), name);
}

}  // namespace

void CacheOwnWrites::OnSubmit(
    absl::Span<const absl::Span<const CommandArg>> commands,
    absl::Span<ReplySink> sinks) {
  // Writes queued inside an open MULTI, invalidated again at EXEC's reply.
  std::unique_ptr<AfterWrite> in_multi;
  for (size_t i = 0; i < commands.size(); ++i) {
    const absl::Span<const CommandArg> args = commands[i];
    if (Named(args, "MULTI")) {
      in_multi = std::make_unique<AfterWrite>();
      continue;
    }
    if (in_multi != nullptr && Named(args, "EXEC")) {
      if (!in_multi->writes.empty()) {
        in_multi->cache = cache_;
        in_multi->next = sinks[i];
        sinks[i] = ReplySink{&AfterWrite::OnReply, in_multi.release(), nullptr};
      }
      in_multi.reset();
      continue;
    }
    if (Named(args, "DISCARD")) {
      in_multi.reset();
      continue;
    }
    std::optional<CachePolicy::OwnWrite> write =
        CachePolicy::InvalidateOwnWrite(args, *cache_);
    if (!write.has_value()) continue;
    if (in_multi != nullptr) {
      in_multi->writes.push_back(*std::move(write));
      continue;
    }
    auto* after = new AfterWrite{cache_, {}, sinks[i]};
    after->writes.push_back(*std::move(write));
    sinks[i] = ReplySink{&AfterWrite::OnReply, after, nullptr};
  }
}

}  // namespace valkey::async

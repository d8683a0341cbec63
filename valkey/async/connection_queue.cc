// ConnectionCore, the submit queue: admission and submission on any thread,
// Flush on the loop (see connection_core.h).

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "valkey/async/connection_core.h"
#include "valkey/common/command_secrets.h"
#include "valkey/common/errors.h"
#include "valkey/common/one_reply_rule.h"
#include "valkey/common/resp_writer.h"

namespace valkey::async::internal {
namespace {

// Reads the "<c><digits>\r\n" header at `*offset` of a packed command and
// advances past it.
int64_t ReadHeader(absl::string_view packed, size_t& offset) {
  int64_t v = 0;
  size_t i = offset + 1;
  while (i < packed.size() && packed[i] != '\r') {
    v = v * 10 + (packed[i++] - '0');
  }
  offset = i + 2;
  return v;
}

// Walks the packed command at `*offset` of `packed` (a RESP array of bulk
// strings, as AppendCommand writes it), calling arg(view) for each
// argument; advances *offset past it.
template <typename F>
void ForEachArgAt(absl::string_view packed, size_t& offset, F arg) {
  if (offset >= packed.size() || packed[offset] != '*') return;
  const int64_t argc = ReadHeader(packed, offset);
  for (int64_t a = 0; a < argc && offset < packed.size(); ++a) {
    const int64_t len = ReadHeader(packed, offset);
    arg(packed.substr(offset, len));
    offset += len + 2;
  }
}

// The name of the packed command at `*offset`; advances past it.
absl::string_view CommandNameAt(absl::string_view packed, size_t& offset) {
  absl::string_view name;
  bool first = true;
  ForEachArgAt(packed, offset, [&](absl::string_view a) {
    if (first) name = a;
    first = false;
  });
  return name;
}

// Appends the arguments of the packed command at `*offset` to `out` (views
// into `packed`); advances past it.
void ArgsAt(absl::string_view packed, size_t& offset,
            std::vector<CommandArg>& out) {
  ForEachArgAt(packed, offset,
               [&](absl::string_view a) { out.emplace_back(a); });
}

}  // namespace

void ConnectionCore::Submit(absl::Span<const CommandArg> args, ReplySink sink,
                            absl::Duration extra_wait) {
  if (absl::Status refused = CheckSendable(args); !refused.ok()) {
    sink.fn(sink.ctx, sink.aux, std::move(refused));
    return;
  }
  if (async_.observer != nullptr) {
    async_.observer->OnSubmit(absl::MakeConstSpan(&args, 1),
                              absl::MakeSpan(&sink, 1));
  }
  Pending p;
  p.sink = sink;
  p.SetName(args[0].view());
  if (CommandSecrets::MayCarrySecrets(args[0].view())) {
    p.secrets =
        std::make_shared<const CommandSecrets>(CommandSecrets::Find(args));
  }
  p.timeout = ReplyTimeout(extra_wait);
  const size_t bytes = EncodedCommandSize(args);
  absl::Status refused;
  {
    absl::MutexLock lock(&mu_);
    refused = AdmitLocked(1, bytes);
    if (refused.ok()) {
      AppendCommandArgs(out_, args, bytes);
      p.bytes = static_cast<uint32_t>(bytes);
      EnqueueLocked(p);
    }
  }
  if (!refused.ok()) p.Complete(std::move(refused));
}

void ConnectionCore::SubmitPacked(absl::string_view packed,
                                  absl::Span<const ReplySink> sinks,
                                  std::optional<uint64_t> required_connects,
                                  absl::Duration extra_wait) {
  const absl::Duration timeout = ReplyTimeout(extra_wait);
  std::vector<ReplySink> observed;
  if (async_.observer != nullptr) {
    observed.assign(sinks.begin(), sinks.end());
    ObservePacked(packed, absl::MakeSpan(observed));
    sinks = observed;
  }
  absl::Status refused;
  {
    absl::MutexLock lock(&mu_);
    refused = AdmitLocked(sinks.size(), packed.size());
    if (refused.ok() && required_connects.has_value() &&
        (*required_connects != connects_.load(std::memory_order_relaxed) ||
         phase_ != Phase::kReady)) {
      refused = MakeError(absl::StatusCode::kAborted, ErrorKind::kWatch,
                          absl::StrCat("connection to ", address_,
                                       " was re-established since WATCH; the "
                                       "transaction was not sent"));
    }
    if (refused.ok()) {
      size_t offset = out_.size();
      out_.append(packed);
      for (const ReplySink& sink : sinks) {
        Pending p;
        p.sink = sink;
        const size_t start = offset;
        const absl::string_view name = CommandNameAt(out_, offset);
        p.SetName(name);
        p.bytes = static_cast<uint32_t>(offset - start);
        if (CommandSecrets::MayCarrySecrets(name)) {
          p.secrets =
              std::make_shared<const CommandSecrets>(CommandSecrets::FromPacked(
                  absl::string_view(out_).substr(start, p.bytes)));
        }
        p.timeout = timeout;
        EnqueueLocked(p);
      }
    }
  }
  if (!refused.ok()) {
    for (const ReplySink& sink : sinks) sink.fn(sink.ctx, sink.aux, refused);
  }
}

void ConnectionCore::ObservePacked(absl::string_view packed,
                                   absl::Span<ReplySink> sinks) {
  std::vector<CommandArg> all;
  std::vector<size_t> starts;
  size_t offset = 0;
  for (size_t c = 0; c < sinks.size(); ++c) {
    starts.push_back(all.size());
    ArgsAt(packed, offset, all);
  }
  std::vector<absl::Span<const CommandArg>> commands;
  for (size_t c = 0; c < sinks.size(); ++c) {
    const size_t end = c + 1 < starts.size() ? starts[c + 1] : all.size();
    commands.push_back(
        absl::MakeConstSpan(all.data() + starts[c], end - starts[c]));
  }
  async_.observer->OnSubmit(commands, sinks);
}

void ConnectionCore::SendUnanswered(absl::Span<const CommandArg> args) {
  if (args.empty()) return;
  absl::MutexLock lock(&mu_);
  if (phase_ != Phase::kReady) return;
  Pending p;
  p.no_reply = true;
  const size_t before = out_.size();
  AppendCommandArgs(out_, args);
  p.bytes = static_cast<uint32_t>(out_.size() - before);
  queued_.push_back(p);
  ScheduleFlushLocked();
}

inline absl::Duration ConnectionCore::ReplyTimeout(
    absl::Duration extra_wait) const {
  if (options_.socket_timeout == absl::InfiniteDuration() ||
      extra_wait == absl::InfiniteDuration()) {
    return absl::InfiniteDuration();
  }
  return options_.socket_timeout + extra_wait;
}

inline absl::Status ConnectionCore::AdmitLocked(size_t n, size_t bytes) {
  if (closing_) {
    return ConnectionError(
        absl::StrCat("connection to ", address_, " is closed"));
  }
  if (in_flight_.load(std::memory_order_relaxed) + static_cast<int64_t>(n) >
      async_.max_in_flight) {
    return MakeError(
        absl::StatusCode::kResourceExhausted, ErrorKind::kPoolExhausted,
        absl::StrCat("connection to ", address_, ": ", async_.max_in_flight,
                     " commands in flight already "
                     "(max_in_flight)"));
  }
  // Unsent bytes: those not yet handed to the loop, plus those the loop
  // holds because the socket has not taken them (a slow or stopped
  // server would otherwise let them grow without bound).
  const size_t queued =
      out_.size() + unsent_bytes_.load(std::memory_order_relaxed);
  if (bytes > async_.max_queued_bytes ||
      queued > async_.max_queued_bytes - bytes) {
    return MakeError(
        absl::StatusCode::kResourceExhausted, ErrorKind::kPoolExhausted,
        absl::StrCat("connection to ", address_, ": a command of ", bytes,
                     " bytes would take the ", queued,
                     " bytes not yet written past max_queued_bytes (",
                     async_.max_queued_bytes, ")"));
  }
  return absl::OkStatus();
}

inline void ConnectionCore::EnqueueLocked(const Pending& p) {
  in_flight_.fetch_add(1, std::memory_order_relaxed);
  queued_.push_back(p);
  if (p.deadline < queued_min_deadline_) queued_min_deadline_ = p.deadline;
  ScheduleFlushLocked();
}

inline void ConnectionCore::ScheduleFlushLocked() {
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  if (loop_.InLoopThread()) {
    loop_.Defer([self = shared_from_this()] { self->Flush(); });
  } else {
    loop_.Post([self = shared_from_this()] { self->Flush(); });
  }
}

void ConnectionCore::Flush() {
  absl::Time min;
  bool have_data;
  {
    absl::MutexLock lock(&mu_);
    flush_scheduled_ = false;
    if (phase_ != Phase::kReady) {
      min = queued_min_deadline_;
      have_data = false;
    } else {
      if (write_offset_ == writing_.size()) {
        writing_.clear();
        write_offset_ = 0;
      }
      bool any_expired = false;
      bool any_no_reply = false;
      for (const Pending& p : queued_) {
        any_expired |= p.expired;
        any_no_reply |= p.no_reply;
      }
      if (any_expired) {
        // Commands whose callers were already told DEADLINE_EXCEEDED are
        // not sent at all.
        size_t offset = 0;
        for (const Pending& p : queued_) {
          if (!p.expired) writing_.append(out_, offset, p.bytes);
          offset += p.bytes;
        }
        out_.clear();
      } else if (writing_.empty()) {
        writing_.swap(out_);
      } else {
        writing_.append(out_);
        out_.clear();
      }
      min = absl::InfiniteFuture();
      uint64_t moved = 0;
      const absl::Time now = absl::Now();
      if (inflight_.empty() && !any_expired && !any_no_reply) {
        // The common case when callers run in step (a batch of replies
        // resumes them all, and their next commands form the next
        // batch): the queue becomes the in-flight queue as it is, the
        // emptied in-flight ring becomes the queue. No element moves.
        for (Pending& p : queued_) {
          if (p.timeout != absl::InfiniteDuration()) {
            p.deadline = now + p.timeout;
          }
          min = std::min(min, p.deadline);
        }
        moved = queued_.size();
        inflight_.swap(queued_);
      } else {
        while (!queued_.empty()) {
          Pending p = queued_.take_front();
          if (p.no_reply) continue;
          if (p.expired) {
            in_flight_.fetch_sub(1, std::memory_order_relaxed);
            continue;
          }
          ++moved;
          if (p.timeout != absl::InfiniteDuration()) {
            p.deadline = now + p.timeout;
          }
          min = std::min(min, p.deadline);
          inflight_.push_back(std::move(p));
        }
      }
      commands_.fetch_add(moved, std::memory_order_relaxed);
      queued_min_deadline_ = absl::InfiniteFuture();
      have_data = write_offset_ < writing_.size();
      // Under mu_, so that no submitter sees out_ emptied without the
      // bytes showing up here.
      NoteUnsent();
    }
  }
  ArmDeadline(min);
  if (have_data) {
    if (absl::Status s = WriteOut(); !s.ok()) Broke(s);
  }
}

}  // namespace valkey::async::internal

// Pipeline: a batch of commands sent to the server in one write and answered
// in one read pass, optionally wrapped in MULTI ... EXEC.
//
// A Pipeline is an executor of the command table (command_table.h): every
// typed command works on it unchanged, but instead of a result it returns a
// Slot<T>, a small handle naming the command's place in the batch. Nothing
// is sent until Execute(), which checks one connection out of the client's
// pool, writes every queued command at once, reads every reply and hands
// back a PipelineResults; each slot is then read with Get():
//
//   valkey::Pipeline pipe(client);            // or {.transaction = true}
//   valkey::Slot<bool> set = pipe.Set("k", "v");
//   valkey::Slot<int64_t> n = pipe.Incr("counter");
//   valkey::Slot<valkey::Reply> raw = pipe.Command("OBJECT", "ENCODING", "k");
//   absl::StatusOr<valkey::PipelineResults> results = pipe.Execute();
//   if (!results.ok()) return results.status();   // the batch failed
//   absl::StatusOr<int64_t> value = results->Get(n);  // this command's result
//
// Arguments are encoded when a command is queued, so they need not outlive
// the call that queued them. The encoded batch lives in one buffer the
// pipeline reuses: queueing allocates nothing per command once the buffer
// and the bookkeeping vector have grown (Execute allocates the results: one
// vector, plus each reply's own storage).
//
// Errors. A server error reply is a value of its command, not a failure of
// the batch: Get() returns it, annotated with the command's index (0-based,
// in queueing order), its name and the server — "command 3 (INCR) on
// 127.0.0.1:6379: WRONGTYPE ..." — with the server's code, kind and prefix
// kept (errors.h). With PipelineOptions::raise_on_error, Execute() instead
// returns the first command error (in queueing order) as its status; the
// other commands did run. Execute() itself fails only when the batch could
// not be completed:
//   - UNAVAILABLE / DEADLINE_EXCEEDED / DATA_LOSS when the connection broke,
//     timed out or read garbage part-way; the connection is discarded (never
//     returned to the pool) and the commands may or may not have been
//     applied. Such a batch is NOT retried. The client's retry policy is
//     applied only to checking the connection out (connecting), i.e. before
//     any byte of the batch was written.
//   - whatever AcquireConnection returns (pool exhausted, connect errors
//     after the client's retries).
//
// A command rejected client-side (a bad argument: the command table calls
// Fail) is not sent. In a plain pipeline its slot holds the INVALID_ARGUMENT
// status and the other commands run. In a transaction Execute() fails with
// that status and sends nothing, just as the server refuses the whole
// transaction when it rejects a command at queueing time (EXECABORT).
//
// Transactions (PipelineOptions::transaction). The batch is sent as MULTI,
// the commands, EXEC, still in one write. The replies are +OK, one QUEUED per
// command, then EXEC's array, whose elements become the commands' results.
//   - A command refused at queueing time (wrong arity, unknown command) makes
//     the server discard the transaction: Execute() fails with the server's
//     EXECABORT status (kind kExecAbort), annotated with the refused
//     command's own error: "command 0 (SET) on ...: ERR wrong number of
//     arguments for 'set' command: EXECABORT Transaction discarded ...".
//   - An error while a command runs inside EXEC (WRONGTYPE, say) is that
//     command's value, as in a plain pipeline; the others were applied.
//   - EXEC answering nil (a WATCHed key changed, see transaction.h) fails
//     Execute() with ABORTED, kind kWatch (IsWatchError).
// Do not queue MULTI, EXEC, DISCARD or WATCH yourself.
//
// Blocking commands (BLPOP, XREAD BLOCK, ...) may be queued in a plain
// pipeline: the reply wait for each is extended by its server time-out. In a
// transaction the server never blocks them.
//
// After Execute() (successful or not) the pipeline is empty and can be
// reused; Reset() empties it without sending anything. A Slot belongs to one
// batch: Get() with a slot from another batch (or a default-constructed one)
// returns FAILED_PRECONDITION.
//
// Thread-safety: a Pipeline is used by one thread at a time (it is cheap;
// make one per thread). Its Client must outlive it. PipelineResults is
// immutable: concurrent const calls are safe.

#ifndef VALKEY_CLIENT_PIPELINE_H_
#define VALKEY_CLIENT_PIPELINE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "valkey/cache/cache_policy.h"
#include "valkey/client/client.h"
#include "valkey/client/client_cache.h"
#include "valkey/commands/command_table.h"
#include "valkey/commands/reply_convert.h"
#include "valkey/common/reply.h"
#include "valkey/common/resp_writer.h"
#include "valkey/connection/connection.h"

namespace valkey {

class Pipeline;
class PipelineResults;

namespace pipeline_internal {
// Lets Transaction() (transaction.h) run a pipeline on its watched
// connection.
class TransactionAccess;
}  // namespace pipeline_internal

// The place of one queued command in a pipeline batch, and how to convert
// its reply to T. Cheap to copy (16 bytes). Read it with
// PipelineResults::Get().
template <typename T>
class Slot {
 public:
  // A slot of no batch: Get() returns FAILED_PRECONDITION.
  Slot() = default;

  // The command's 0-based position in its batch.
  size_t index() const { return index_; }

 private:
  friend class Pipeline;
  friend class PipelineResults;
  Slot(uint32_t index, uint32_t batch, Converter<T> convert)
      : index_(index), batch_(batch), convert_(convert) {}

  uint32_t index_ = 0;
  uint32_t batch_ = 0;  // 0: no batch.
  Converter<T> convert_ = nullptr;
};

// The outcome of every command of one executed batch. Move-only.
class PipelineResults {
 public:
  PipelineResults() = default;
  PipelineResults(PipelineResults&&) noexcept = default;
  PipelineResults& operator=(PipelineResults&&) noexcept = default;

  // Number of commands in the batch.
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

  // The command's result: its reply converted to T (the conversion runs on
  // each call), or its error — the server's error reply or the client-side
  // rejection, annotated with the command's index and name — or DATA_LOSS
  // when the reply has an unexpected shape. FAILED_PRECONDITION for a slot
  // of another batch.
  template <typename T>
  absl::StatusOr<T> Get(const Slot<T>& slot) const {
    if (slot.batch_ == 0 || slot.batch_ != batch_ ||
        slot.index_ >= entries_.size()) {
      return ForeignSlot(slot.index_, slot.batch_);
    }
    const Entry& entry = entries_[slot.index_];
    if (!entry.status.ok()) return entry.status;
    // Only a client-side rejection has no converter, and it has a status.
    if (slot.convert_ == nullptr) return ForeignSlot(slot.index_, slot.batch_);
    return slot.convert_(View(slot.index_));
  }

  // OK, or the error of command `index` (as Get() would return it).
  // OUT_OF_RANGE for an index past the end.
  absl::Status status(size_t index) const;

  // The reply of command `index` without conversion, or its error as
  // status(). The view is valid while these results are alive and not moved.
  absl::StatusOr<ReplyView> reply(size_t index) const;

  // The first command error in queueing order, or OK.
  absl::Status FirstError() const;

 private:
  friend class Pipeline;

  struct Entry {
    Reply reply;          // Plain pipelines: the command's own reply.
    absl::Status status;  // Its error, or OK.
  };

  PipelineResults(uint32_t batch, size_t size);
  ReplyView View(size_t index) const {
    return exec_ != nullptr ? exec_views_[index] : entries_[index].reply.view();
  }
  absl::Status ForeignSlot(uint32_t index, uint32_t batch) const;

  uint32_t batch_ = 0;
  std::vector<Entry> entries_;
  // Transactions: EXEC's array (heap-held so views into it survive moves)
  // and, per command, its element (a null view for an errored command).
  std::unique_ptr<Reply> exec_;
  std::vector<ReplyView> exec_views_;
};

struct PipelineOptions {
  // Wrap the batch in MULTI ... EXEC. Default: false.
  bool transaction = false;
  // Execute() returns the first command error (server error reply or
  // client-side rejection) as its status instead of the results. Default:
  // false (errors are per-command values).
  bool raise_on_error = false;
};

class Pipeline : public Commands<Pipeline, Slot> {
 public:
  // A pipeline running on `client`'s pool; `client` must outlive it.
  explicit Pipeline(Client& client, PipelineOptions options = {});

  Pipeline(Pipeline&&) noexcept = default;
  Pipeline& operator=(Pipeline&&) noexcept = default;
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Queues any command; its result is the reply itself. Arguments: strings,
  // bytes, integers, doubles (CommandArg). An empty command's slot holds
  // INVALID_ARGUMENT.
  template <typename... Args>
  Slot<Reply> Command(const Args&... args) {
    const CommandArg argv[] = {CommandArg(args)...};
    return CommandArgs(absl::Span<const CommandArg>(argv, sizeof...(args)));
  }
  Slot<Reply> CommandArgs(absl::Span<const CommandArg> args) {
    return RunArgs<Reply>(&convert::Raw, args);
  }
  Slot<Reply> CommandArgv(absl::Span<const absl::string_view> argv);

  // Sends the batch and reads every reply (see the file comment). The
  // pipeline is empty afterwards, whatever the outcome. An empty pipeline
  // returns empty results without touching the network. Blocks for the
  // round trip (each reply is awaited up to the socket time-out).
  // Errors: connection errors as above; the first command error with
  // raise_on_error; in a transaction EXECABORT, ABORTED (kWatch), or the
  // client-side rejection of a queued command; FAILED_PRECONDITION when
  // called on the pipeline of a running Transaction() (it executes itself).
  absl::StatusOr<PipelineResults> Execute();

  // Drops the queued commands without sending them. Slots handed out so far
  // become invalid.
  void Reset();

  // Commands queued (including client-side rejected ones).
  size_t size() const { return queued_.size(); }
  bool empty() const { return queued_.empty(); }
  const PipelineOptions& options() const { return options_; }

  // Command-table hooks (see command_table.h): queue a command, hand back
  // its slot.
  template <typename T, typename... Args>
  Slot<T> Run(Converter<T> convert, const Args&... args) {
    const CommandArg argv[] = {CommandArg(args)...};
    return RunArgs<T>(convert,
                      absl::Span<const CommandArg>(argv, sizeof...(args)));
  }
  template <typename T>
  Slot<T> RunArgs(Converter<T> convert, absl::Span<const CommandArg> args) {
    return Slot<T>(Enqueue(args, std::nullopt), batch_, convert);
  }
  template <typename T>
  Slot<T> RunBlockingArgs(Converter<T> convert, absl::Duration server_timeout,
                          absl::Span<const CommandArg> args) {
    return Slot<T>(Enqueue(args, server_timeout), batch_, convert);
  }
  template <typename T>
  Slot<T> Fail(absl::Status status) {
    return Slot<T>(EnqueueFailure(std::move(status)), batch_, nullptr);
  }

 private:
  friend class pipeline_internal::TransactionAccess;

  // One queued command. `name_size` == 0 for a client-side rejection.
  struct Queued {
    size_t start = 0;        // The packed command's first byte in buffer_.
    size_t name_offset = 0;  // The command name's bytes in buffer_.
    uint32_t name_size = 0;
    bool blocking = false;
    absl::Duration server_timeout;  // When blocking; zero = forever.
    absl::Status failure;           // Client-side rejection, or OK.
  };

  uint32_t Enqueue(absl::Span<const CommandArg> args,
                   std::optional<absl::Duration> server_timeout);
  uint32_t EnqueueFailure(absl::Status status);
  // Starts a new batch: empties the queue, bumps batch_, keeps capacity.
  void StartBatch();
  // The (empty) results of an empty batch; starts a new batch.
  PipelineResults FinishEmpty();

  // Runs the queued batch on `conn` (checked out by the caller) and starts
  // a new batch. Marks `conn` broken on connection errors.
  absl::StatusOr<PipelineResults> ExecuteOn(Connection& conn);
  // Fill `results`; a non-OK status fails the whole batch.
  absl::Status ExecutePlain(Connection& conn, PipelineResults& results);
  absl::Status ExecuteTransaction(Connection& conn, PipelineResults& results);
  // "command 3 (INCR) on 127.0.0.1:6379".
  std::string CommandContext(size_t index, const Connection& conn) const;
  // The status for command `index`'s error reply: annotated with
  // CommandContext and scrubbed of the command's secrets.
  absl::Status CommandError(size_t index, const ReplyView& reply,
                            const Connection& conn) const;
  absl::string_view CommandName(size_t index) const;
  // Annotates a failure of the batch's I/O: `what` was being done.
  absl::Status BatchFailure(const absl::Status& status, absl::string_view what,
                            const Connection& conn) const;

  Client* client_;
  // The client's cache (null when disabled) and what the queued writes
  // removed from it: removed again once their replies are in
  // (client_cache.h, "Ordering" 5).
  ClientCache* cache_;
  std::vector<CachePolicy::OwnWrite> own_writes_;
  PipelineOptions options_;
  uint32_t batch_ = 0;
  // Set while a Transaction() callback runs: Execute() is refused.
  bool held_by_transaction_ = false;
  // Encoded commands (after "MULTI" in transaction mode), reused.
  std::string buffer_;
  std::vector<Queued> queued_;
};

}  // namespace valkey

#endif  // VALKEY_CLIENT_PIPELINE_H_

// Batches of commands sent as one unit on an async connection:
//
// Pipeline — commands queued with the typed command table (or Command()),
// written together by Send(); each has its own Future. (The connection
// already auto-pipelines everything issued in one loop turn; a Pipeline
// additionally guarantees that nothing from other callers is interleaved.)
//
//   Pipeline p = client.CreatePipeline();
//   Future<bool> set = p.Set("k", "v");
//   Future<std::optional<std::string>> get = p.Get("k");
//   p.Send();
//
// Transaction — MULTI, the queued commands, EXEC, as one unit. Each queued
// command's Future resolves with its element of EXEC's reply (converted);
// Exec() resolves with the whole EXEC reply.
//
//   Transaction tx = client.CreateTransaction();      // or lease.Multi()
//   Future<int64_t> n = tx.Incr("counter");
//   Future<Reply> all = tx.Exec();
//
// Errors: a command rejected while queuing (unknown command, wrong arity)
// makes EXEC fail with EXECABORT, and every future fails with that error.
// After lease.Watch(), a changed key makes every future fail with ABORTED
// (kWatch); a reconnect since the WATCH fails them with ABORTED too, without
// sending anything. Connection errors fail every future.
//
// Thread-safety: one thread at a time per batch. Futures resolve on the
// loop's thread. A batch not sent when destroyed fails its futures with
// CANCELLED.

#ifndef VALKEY_ASYNC_TRANSACTION_H_
#define VALKEY_ASYNC_TRANSACTION_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "valkey/async/async_executor.h"
#include "valkey/async/connection.h"
#include "valkey/async/future.h"
#include "valkey/common/command_secrets.h"
#include "valkey/common/reply.h"

namespace valkey::async {

class Pipeline : public AsyncExecutor<Pipeline> {
 public:
  explicit Pipeline(Connection& connection) : connection_(&connection) {}
  Pipeline(Pipeline&&) noexcept = default;
  Pipeline& operator=(Pipeline&&) noexcept = default;
  ~Pipeline();

  // Queues any command; its future resolves with the reply.
  template <typename... Args>
  Future<Reply> Command(const Args&... args) {
    return this->Execute(args...);
  }

  size_t size() const { return sinks_.size(); }

  // Writes every queued command as one unit; the pipeline is empty again.
  void Send();

  // AsyncExecutor hooks.
  EventLoop& loop() { return connection_->loop(); }
  void Dispatch(absl::Span<const CommandArg> args, ReplySink sink,
                std::optional<absl::Duration> server_timeout);

 private:
  Connection* connection_;
  std::string packed_;
  std::vector<ReplySink> sinks_;
};

class Transaction : public AsyncExecutor<Transaction> {
 public:
  // `required_connects`: see Connection::SubmitPacked (set after WATCH).
  explicit Transaction(Connection& connection,
                       std::optional<uint64_t> required_connects = {});
  Transaction(Transaction&&) noexcept = default;
  Transaction& operator=(Transaction&&) noexcept = default;
  ~Transaction();

  template <typename... Args>
  Future<Reply> Command(const Args&... args) {
    return this->Execute(args...);
  }

  size_t size() const { return sinks_.size(); }

  // Sends MULTI, the commands and EXEC. The future holds EXEC's reply (an
  // array with one element per command); errors as in the file comment.
  Future<Reply> Exec();

  // AsyncExecutor hooks.
  EventLoop& loop() { return connection_->loop(); }
  void Dispatch(absl::Span<const CommandArg> args, ReplySink sink,
                std::optional<absl::Duration> server_timeout);

 private:
  Connection* connection_;
  std::optional<uint64_t> required_connects_;
  std::string packed_;
  std::vector<ReplySink> sinks_;
  // secrets_[i]: what to scrub from command i's EXEC element when it
  // carries a secret (CONFIG SET requirepass, ...). Grown only up to the
  // last such command; empty for ordinary transactions.
  std::vector<std::shared_ptr<const CommandSecrets>> secrets_;
};

}  // namespace valkey::async

#endif  // VALKEY_ASYNC_TRANSACTION_H_

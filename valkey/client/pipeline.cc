#include "valkey/client/pipeline.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "valkey/common/command_secrets.h"
#include "valkey/common/errors.h"
#include "valkey/common/one_reply_rule.h"
#include "valkey/connection/connection_pool.h"

namespace valkey {
namespace {

constexpr size_t kNone = static_cast<size_t>(-1);

// How long to wait for the reply of a blocking command the server may hold
// for `server_timeout` (zero: forever).
absl::Time BlockingDeadline(const Connection& conn,
                            absl::Duration server_timeout) {
  const absl::Duration socket = conn.connector().options().socket_timeout;
  if (server_timeout <= absl::ZeroDuration() ||
      socket == absl::InfiniteDuration()) {
    return absl::InfiniteFuture();
  }
  return absl::Now() + socket + server_timeout;
}

}  // namespace

// PipelineResults.

PipelineResults::PipelineResults(uint32_t batch, size_t size)
    : batch_(batch), entries_(size) {}

absl::Status PipelineResults::ForeignSlot(uint32_t index,
                                          uint32_t batch) const {
  if (batch == 0) {
    return absl::FailedPreconditionError(
        "pipeline slot is empty (default-constructed)");
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "pipeline slot ", index, " belongs to another batch (slot batch ", batch,
      ", results batch ", batch_, " of ", entries_.size(), " commands)"));
}

absl::Status PipelineResults::status(size_t index) const {
  if (index >= entries_.size()) {
    return absl::OutOfRangeError(absl::StrCat(
        "pipeline command ", index, " out of range (", entries_.size(),
        " commands)"));
  }
  return entries_[index].status;
}

absl::StatusOr<ReplyView> PipelineResults::reply(size_t index) const {
  absl::Status s = status(index);
  if (!s.ok()) return s;
  return View(index);
}

absl::Status PipelineResults::FirstError() const {
  for (const Entry& entry : entries_) {
    if (!entry.status.ok()) return entry.status;
  }
  return absl::OkStatus();
}

// Pipeline: queueing.

Pipeline::Pipeline(Client& client, PipelineOptions options)
    : client_(&client),
      cache_(client_internal::CacheOf(client)),
      options_(options) {
  StartBatch();
}

void Pipeline::StartBatch() {
  queued_.clear();
  own_writes_.clear();
  buffer_.clear();
  if (options_.transaction) AppendCommand(buffer_, "MULTI");
  // Batch 0 means "no batch" to a Slot, so skip it on wrap-around.
  if (++batch_ == 0) batch_ = 1;
}

void Pipeline::Reset() { StartBatch(); }

PipelineResults Pipeline::FinishEmpty() {
  PipelineResults results(batch_, 0);
  StartBatch();
  return results;
}

uint32_t Pipeline::Enqueue(absl::Span<const CommandArg> args,
                           std::optional<absl::Duration> server_timeout) {
  if (absl::Status refused = CheckSendable(args); !refused.ok()) {
    return EnqueueFailure(std::move(refused));
  }
  if (cache_ != nullptr) {
    std::optional<CachePolicy::OwnWrite> write = cache_->BeforeOwnWrite(args);
    if (write.has_value()) own_writes_.push_back(*std::move(write));
  }
  const size_t start = buffer_.size();
  AppendCommandArgs(buffer_, args);
  // "*<argc>\r\n$<len>\r\n<name>\r\n...": the name follows the second CRLF.
  const size_t first_crlf = buffer_.find("\r\n", start);
  const size_t name_offset = buffer_.find("\r\n", first_crlf + 2) + 2;
  Queued& q = queued_.emplace_back();
  q.start = start;
  q.name_offset = name_offset;
  q.name_size = static_cast<uint32_t>(args[0].view().size());
  if (server_timeout.has_value()) {
    q.blocking = true;
    q.server_timeout = *server_timeout;
  }
  return static_cast<uint32_t>(queued_.size() - 1);
}

uint32_t Pipeline::EnqueueFailure(absl::Status status) {
  Queued& q = queued_.emplace_back();
  q.failure = std::move(status);
  return static_cast<uint32_t>(queued_.size() - 1);
}

Slot<Reply> Pipeline::CommandArgv(absl::Span<const absl::string_view> argv) {
  absl::InlinedVector<CommandArg, 8> args(argv.begin(), argv.end());
  return CommandArgs(args);
}

absl::string_view Pipeline::CommandName(size_t index) const {
  const Queued& q = queued_[index];
  return absl::string_view(buffer_).substr(q.name_offset, q.name_size);
}

std::string Pipeline::CommandContext(size_t index,
                                     const Connection& conn) const {
  return absl::StrCat("command ", index, " (",
                      absl::AsciiStrToUpper(CommandName(index)), ") on ",
                      conn.address());
}

absl::Status Pipeline::CommandError(size_t index, const ReplyView& reply,
                                    const Connection& conn) const {
  CommandSecrets secrets;
  if (CommandSecrets::MayCarrySecrets(CommandName(index))) {
    secrets = CommandSecrets::FromPacked(
        absl::string_view(buffer_).substr(queued_[index].start));
  }
  return CommandErrorStatus(reply, secrets, CommandContext(index, conn));
}

absl::Status Pipeline::BatchFailure(const absl::Status& status,
                                    absl::string_view what,
                                    const Connection& conn) const {
  return Annotate(status,
                  absl::StrCat(options_.transaction ? "transaction" : "pipeline",
                               " of ", queued_.size(), " commands on ",
                               conn.address(), ", ", what));
}

// Pipeline: execution.

absl::StatusOr<PipelineResults> Pipeline::Execute() {
  if (held_by_transaction_) {
    return absl::FailedPreconditionError(
        "Execute() called on the pipeline of a running Transaction(); "
        "Transaction() executes it when the callback returns");
  }
  if (queued_.empty()) return FinishEmpty();
  // Only the checkout is retried: nothing of the batch was written yet.
  absl::StatusOr<PooledConnection> conn =
      client_->retry().Call([this] { return client_->AcquireConnection(); });
  if (!conn.ok()) {
    StartBatch();
    return conn.status();
  }
  absl::StatusOr<PipelineResults> results = ExecuteOn(**conn);
  if ((*conn)->broken()) conn->Discard();
  return results;
}

absl::StatusOr<PipelineResults> Pipeline::ExecuteOn(Connection& conn) {
  PipelineResults results(batch_, queued_.size());
  absl::Status status;
  if (options_.transaction) {
    // A rejected command fails the whole transaction before anything is
    // sent, as the server would refuse it (EXECABORT).
    for (size_t i = 0; i < queued_.size() && status.ok(); ++i) {
      if (!queued_[i].failure.ok()) {
        status = Annotate(queued_[i].failure,
                          absl::StrCat("transaction not sent: command ", i));
      }
    }
    if (status.ok()) status = ExecuteTransaction(conn, results);
  } else {
    status = ExecutePlain(conn, results);
  }
  for (const CachePolicy::OwnWrite& write : own_writes_) {
    cache_->AfterOwnWrite(write);
  }
  StartBatch();
  if (!status.ok()) return status;
  if (options_.raise_on_error) {
    absl::Status first = results.FirstError();
    if (!first.ok()) return first;
  }
  return results;
}

absl::Status Pipeline::ExecutePlain(Connection& conn,
                                    PipelineResults& results) {
  if (!buffer_.empty()) {
    // One reply per command sent (one_reply_rule.h): counted, so the pool
    // knows the connection is in step once they are all read.
    int replies = 0;
    for (const Queued& q : queued_) replies += q.failure.ok() ? 1 : 0;
    absl::Status sent = conn.Send(buffer_, replies);
    if (!sent.ok()) return BatchFailure(sent, "sending", conn);
  }
  for (size_t i = 0; i < queued_.size(); ++i) {
    const Queued& q = queued_[i];
    PipelineResults::Entry& entry = results.entries_[i];
    if (!q.failure.ok()) {
      entry.status = Annotate(q.failure, absl::StrCat("command ", i));
      continue;
    }
    absl::StatusOr<Reply> reply =
        q.blocking ? conn.ReadReply(BlockingDeadline(conn, q.server_timeout))
                   : conn.ReadReply();
    if (!reply.ok()) {
      return BatchFailure(
          reply.status(),
          absl::StrCat("reading the reply to command ", i, " (",
                       absl::AsciiStrToUpper(CommandName(i)), ")"),
          conn);
    }
    if (reply->is_error()) {
      entry.status = CommandError(i, reply->view(), conn);
    } else {
      entry.reply = *std::move(reply);
    }
  }
  return absl::OkStatus();
}

absl::Status Pipeline::ExecuteTransaction(Connection& conn,
                                          PipelineResults& results) {
  const size_t n = queued_.size();
  AppendCommand(buffer_, "EXEC");
  // MULTI, every command (each answers QUEUED or an error), EXEC.
  absl::Status sent = conn.Send(buffer_, static_cast<int>(n) + 2);
  if (!sent.ok()) return BatchFailure(sent, "sending", conn);

  // Every reply is read, whatever came before, so the connection stays in
  // step: +OK, one QUEUED (or a refusal) per command, then EXEC's.
  absl::StatusOr<Reply> multi = conn.ReadReply();
  if (!multi.ok()) {
    return BatchFailure(multi.status(), "reading the reply to MULTI", conn);
  }
  size_t first_refused = kNone;
  size_t accepted = 0;
  for (size_t i = 0; i < n; ++i) {
    absl::StatusOr<Reply> queued = conn.ReadReply();
    if (!queued.ok()) {
      return BatchFailure(
          queued.status(),
          absl::StrCat("reading the QUEUED reply to command ", i, " (",
                       absl::AsciiStrToUpper(CommandName(i)), ")"),
          conn);
    }
    if (queued->is_error()) {
      results.entries_[i].status = CommandError(i, queued->view(), conn);
      if (first_refused == kNone) first_refused = i;
    } else {
      ++accepted;
    }
  }
  absl::StatusOr<Reply> exec = conn.ReadReply();
  if (!exec.ok()) {
    return BatchFailure(exec.status(), "reading the reply to EXEC", conn);
  }

  if (multi->is_error()) {
    return Annotate(multi->ToStatus(), absl::StrCat("MULTI on ", conn.address()));
  }
  if (exec->is_error()) {
    // EXECABORT: the server discarded the transaction because it refused a
    // command; name that command and its own error.
    if (first_refused != kNone) {
      return Annotate(exec->ToStatus(),
                      results.entries_[first_refused].status.message());
    }
    return Annotate(exec->ToStatus(), absl::StrCat("EXEC on ", conn.address()));
  }
  if (exec->is_null()) {
    return WatchError(absl::StrCat(
        "EXEC on ", conn.address(),
        ": transaction aborted because a watched key changed"));
  }
  if ((exec->type() != ReplyType::kArray && exec->type() != ReplyType::kSet) ||
      exec->size() != accepted) {
    conn.Disconnect();
    return ProtocolError(absl::StrCat(
        "EXEC on ", conn.address(), ": expected an array of ", accepted,
        " replies, got ", ReplyTypeName(exec->type()), " of ", exec->size()));
  }

  results.exec_ = std::make_unique<Reply>(*std::move(exec));
  results.exec_views_.resize(n);
  ReplyView::Iterator element = results.exec_->begin();
  for (size_t i = 0; i < n; ++i) {
    PipelineResults::Entry& entry = results.entries_[i];
    if (!entry.status.ok()) continue;  // Refused at queueing time.
    const ReplyView view = *element;
    ++element;
    if (view.is_error()) {
      entry.status = CommandError(i, view, conn);
    } else {
      results.exec_views_[i] = view;
    }
  }
  return absl::OkStatus();
}

}  // namespace valkey

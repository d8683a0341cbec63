#include "valkey/async/transaction.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "valkey/commands/reply_convert.h"
#include "valkey/common/errors.h"
#include "valkey/common/one_reply_rule.h"
#include "valkey/common/resp_writer.h"

namespace valkey::async {
namespace {

void FailSinks(absl::Span<const ReplySink> sinks, const absl::Status& status) {
  for (const ReplySink& sink : sinks) sink.fn(sink.ctx, sink.aux, status);
}

// Queues one command of a batch (Pipeline and Transaction alike).
void Queue(absl::Span<const CommandArg> args, ReplySink sink,
           std::string& packed, std::vector<ReplySink>& sinks) {
  if (absl::Status refused = CheckSendable(args); !refused.ok()) {
    sink.fn(sink.ctx, sink.aux, std::move(refused));
    return;
  }
  AppendCommandArgs(packed, args);
  sinks.push_back(sink);
}

// What MULTI, the QUEUED replies and EXEC share: the callers' sinks, the
// first queuing error, and the future of EXEC itself.
struct ExecState {
  std::vector<ReplySink> sinks;
  std::vector<std::shared_ptr<const CommandSecrets>> secrets;  // See .h.
  absl::Status queue_error;
  Future<Reply> exec_future;
  ReplySink exec_sink;
};

// MULTI's and each command's reply: "+OK" / "+QUEUED", or an error that
// aborts the transaction (EXEC will then say EXECABORT).
void OnQueued(void* ctx, void*, absl::StatusOr<Reply> outcome) {
  auto* state = static_cast<ExecState*>(ctx);
  if (!outcome.ok() && state->queue_error.ok()) {
    state->queue_error = outcome.status();
  }
}

void OnExec(void* ctx, void*, absl::StatusOr<Reply> outcome) {
  std::unique_ptr<ExecState> state(static_cast<ExecState*>(ctx));
  absl::Status failed;
  if (!outcome.ok()) {
    failed = outcome.status();
    if (!state->queue_error.ok() &&
        failed.message().find("EXECABORT") != absl::string_view::npos) {
      failed = Annotate(failed, state->queue_error.message());
    }
  } else if (outcome->view().is_null()) {
    failed = WatchError("EXEC: a watched key changed; nothing was executed");
  } else if (outcome->view().size() != state->sinks.size()) {
    failed = ProtocolError(absl::StrCat("EXEC returned ",
                                        outcome->view().size(), " replies for ",
                                        state->sinks.size(), " commands"));
  }
  if (!failed.ok()) {
    FailSinks(state->sinks, failed);
    state->exec_sink.fn(state->exec_sink.ctx, state->exec_sink.aux, failed);
    return;
  }
  const ReplyView all = outcome->view();
  for (size_t i = 0; i < state->sinks.size(); ++i) {
    const ReplyView element = all[i];
    const ReplySink& sink = state->sinks[i];
    if (element.is_error()) {
      const CommandSecrets none;
      const CommandSecrets& secrets =
          i < state->secrets.size() && state->secrets[i] != nullptr
              ? *state->secrets[i]
              : none;
      sink.fn(sink.ctx, sink.aux, CommandErrorStatus(element, secrets, ""));
    } else {
      sink.fn(sink.ctx, sink.aux, convert::Raw(element));
    }
  }
  state->exec_sink.fn(state->exec_sink.ctx, state->exec_sink.aux,
                      *std::move(outcome));
}

}  // namespace

Pipeline::~Pipeline() {
  FailSinks(sinks_, absl::CancelledError("pipeline destroyed before Send()"));
}

void Pipeline::Dispatch(absl::Span<const CommandArg> args, ReplySink sink,
                        std::optional<absl::Duration>) {
  Queue(args, sink, packed_, sinks_);
}

void Pipeline::Send() {
  if (sinks_.empty()) return;
  connection_->SubmitPacked(packed_, sinks_);
  packed_.clear();
  sinks_.clear();
}

Transaction::Transaction(Connection& connection,
                         std::optional<uint64_t> required_connects)
    : connection_(&connection), required_connects_(required_connects) {}

Transaction::~Transaction() {
  FailSinks(sinks_,
            absl::CancelledError("transaction destroyed before Exec()"));
}

void Transaction::Dispatch(absl::Span<const CommandArg> args, ReplySink sink,
                           std::optional<absl::Duration>) {
  // Errors while queuing are scrubbed by the connection; an error inside
  // EXEC's reply is judged here, so remember this command's secrets.
  if (!args.empty() && CommandSecrets::MayCarrySecrets(args[0].view())) {
    secrets_.resize(sinks_.size());
    secrets_.push_back(
        std::make_shared<const CommandSecrets>(CommandSecrets::Find(args)));
  }
  Queue(args, sink, packed_, sinks_);
}

Future<Reply> Transaction::Exec() {
  auto state = std::make_unique<ExecState>();
  state->exec_sink = MakeReplySink(loop(), &state->exec_future);
  Future<Reply> result = std::move(state->exec_future);
  state->sinks = std::move(sinks_);
  sinks_.clear();
  state->secrets = std::move(secrets_);
  secrets_.clear();

  std::string packed;
  packed.reserve(packed_.size() + 32);
  AppendCommand(packed, "MULTI");
  packed.append(packed_);
  AppendCommand(packed, "EXEC");
  packed_.clear();

  ExecState* raw = state.release();  // Freed by OnExec (always called last).
  std::vector<ReplySink> wire;
  wire.reserve(raw->sinks.size() + 2);
  for (size_t i = 0; i < raw->sinks.size() + 1; ++i) {
    wire.push_back(ReplySink{&OnQueued, raw, nullptr});
  }
  wire.push_back(ReplySink{&OnExec, raw, nullptr});
  connection_->SubmitPacked(packed, wire, required_connects_);
  return result;
}

}  // namespace valkey::async

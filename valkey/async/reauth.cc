#include "valkey/async/reauth.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "valkey/common/errors.h"

namespace valkey::async {
namespace {

struct ReauthCall {
  std::function<void(absl::Status)> done;
  std::string who;  // " as 'user'", for messages.
};

void OnReauthReply(void* ctx, void*, absl::StatusOr<Reply> outcome) {
  std::unique_ptr<ReauthCall> call(static_cast<ReauthCall*>(ctx));
  if (outcome.ok()) {
    call->done(absl::OkStatus());
    return;
  }
  // The connection scrubbed the password from the server's text already
  // (AUTH is a command that carries a secret, command_secrets.h).
  call->done(Annotate(outcome.status(),
                      absl::StrCat("re-authenticate", call->who)));
}

}  // namespace

void SubmitReauth(Connection& connection, const HandshakePlan& plan,
                  std::function<void(absl::Status)> done) {
  auto* call = new ReauthCall{
      std::move(done),
      plan.username().empty() ? std::string()
                              : absl::StrCat(" as '", plan.username(), "'")};
  const ReplySink sink{&OnReauthReply, call, nullptr};
  connection.SubmitPacked(plan.bytes(), absl::MakeConstSpan(&sink, 1));
}

ReauthTally::ReauthTally(const EventLoop& loop, int expected,
                         ReauthResult initial)
    : outstanding_(expected), result_(std::move(initial)), promise_(&loop) {
  future_ = promise_.GetFuture();
  absl::MutexLock lock(&mu_);
  MaybeResolveLocked();
}

void ReauthTally::Add(const absl::Status& outcome) {
  absl::MutexLock lock(&mu_);
  result_.Record(outcome);
  --outstanding_;
  MaybeResolveLocked();
}

void ReauthTally::AddAll(const ReauthResult& result) {
  absl::MutexLock lock(&mu_);
  result_.Merge(result);
  --outstanding_;
  MaybeResolveLocked();
}

void ReauthTally::MaybeResolveLocked() {
  if (outstanding_ == 0) promise_.Set(result_);
}

}  // namespace valkey::async

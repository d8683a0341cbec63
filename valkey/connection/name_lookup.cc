#include "valkey/connection/name_lookup.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>

#include <memory>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "valkey/common/errors.h"

namespace valkey::internal {
namespace {

LookupResult LookUpName(absl::string_view host, int port) {
  return ResolveTcp(host, port);
}

// Runs `fn` on a new detached thread. False if none could be started.
bool RunDetached(absl::AnyInvocable<void() &&> fn) {
  using Task = absl::AnyInvocable<void() &&>;
  auto* task = new Task(std::move(fn));
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) != 0) {
    delete task;
    return false;
  }
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  // getaddrinfo needs little stack; keep the helper small.
  pthread_attr_setstacksize(&attr, 256 * 1024);
  pthread_t thread;
  const int rc = pthread_create(
      &thread, &attr,
      [](void* arg) -> void* {
        std::unique_ptr<Task> t(static_cast<Task*>(arg));
        std::move (*t)();
        return nullptr;
      },
      task);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    delete task;
    return false;
  }
  return true;
}

absl::Status NoThread(absl::string_view host, int port) {
  return ConnectionError(absl::StrCat("connect to ", FormatHostPort(host, port),
                                      ": cannot start a name lookup thread"));
}

}  // namespace

bool IsNumericHost(absl::string_view host) {
  const std::string z(host);
  in6_addr v6;
  in_addr v4;
  return inet_pton(AF_INET, z.c_str(), &v4) == 1 ||
         inet_pton(AF_INET6, z.c_str(), &v6) == 1;
}

LookupResult LookUpTcpBefore(absl::string_view host, int port,
                             absl::Time deadline) {
  if (IsNumericHost(host)) return ResolveTcp(host, port);
  // Shared with the helper, which may outlive this call.
  struct Pending {
    absl::Mutex mu;
    std::optional<LookupResult> result ABSL_GUARDED_BY(mu);
  };
  auto pending = std::make_shared<Pending>();
  if (!RunDetached([pending, name = std::string(host), port]() mutable {
        LookupResult r = LookUpName(name, port);
        absl::MutexLock lock(&pending->mu);
        pending->result = std::move(r);
      })) {
    return NoThread(host, port);
  }
  absl::MutexLock lock(&pending->mu);
  const auto answered = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(pending->mu) {
    return pending->result.has_value();
  };
  if (!pending->mu.AwaitWithDeadline(absl::Condition(&answered), deadline)) {
    return TimeoutError(absl::StrCat("connect to ", FormatHostPort(host, port),
                                     ": name lookup got no answer within the "
                                     "connect time-out"));
  }
  return *std::move(pending->result);
}

void LookUpTcpInBackground(std::string host, int port,
                           absl::AnyInvocable<void(LookupResult) &&> done) {
  if (IsNumericHost(host)) {
    std::move(done)(ResolveTcp(host, port));
    return;
  }
  // `done` moves into the helper only if it starts; otherwise it is still
  // ours to call.
  auto shared = std::make_shared<absl::AnyInvocable<void(LookupResult) &&>>(
      std::move(done));
  if (!RunDetached([shared, host, port]() mutable {
        std::move (*shared)(LookUpName(host, port));
      })) {
    std::move (*shared)(NoThread(host, port));
  }
}

}  // namespace valkey::internal

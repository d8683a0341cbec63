#include "valkey/connection/name_lookup.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <memory>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "valkey/common/errors.h"
#include "valkey/connection/detached_thread.h"

namespace valkey::internal {
namespace {

LookupResult LookUpName(absl::string_view host, int port) {
  return ResolveTcp(host, port);
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

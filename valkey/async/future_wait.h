// WaitOrHang: a test's blocking wait for an async Future that turns a hang
// into a failed assertion instead of a test that never ends.
//
//   absl::StatusOr<ReauthResult> r = WaitOrHang(client->ReauthenticateAll());
//   ASSERT_THAT(r, IsOk());   // INTERNAL "hung: ..." if it never resolved
//
// Thread-safety: call it from a thread that is not the future's event loop
// (as Future::Get).

#ifndef VALKEY_ASYNC_FUTURE_WAIT_H_
#define VALKEY_ASYNC_FUTURE_WAIT_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "valkey/async/future.h"

namespace valkey::testing {

// Generous: only a hang reaches it, never a slow machine.
inline constexpr absl::Duration kFuturePatience = absl::Seconds(30);

// The future's outcome, or INTERNAL "hung: the future did not resolve" when
// it is still pending after `patience`. Blocks for at most `patience`.
template <typename T>
async::FutureResultT<T> WaitOrHang(async::Future<T>&& future,
                                   absl::Duration patience = kFuturePatience) {
  async::FutureResultT<T> result = future.Get(patience);
  if (future.valid()) {
    return absl::InternalError("hung: the future did not resolve");
  }
  return result;
}

}  // namespace valkey::testing

#endif  // VALKEY_ASYNC_FUTURE_WAIT_H_

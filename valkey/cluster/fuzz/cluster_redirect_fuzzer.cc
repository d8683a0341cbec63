// Fuzz target for ParseRedirect(), RedirectFromStatus() and ActionFor()
// (valkey/cluster/redirect.h).
//
// Input: the text of an error reply, as is.
//
// Checked, beyond "no crash, no sanitizer report":
//   - a parsed redirect has a slot in [0, 16383] and a port in 1..65535,
//     and printing it back ("MOVED <slot> <host>:<port>") parses to the
//     same redirect;
//   - the status ServerError() makes of the text gives the same redirect
//     through RedirectFromStatus(), also after Annotate();
//   - ActionFor() of that status is kFollowMoved/kFollowAsk exactly when
//     RedirectFromStatus() succeeds.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "valkey/cluster/key_slot.h"
#include "valkey/cluster/redirect.h"
#include "valkey/common/errors.h"
#include "valkey/common/fuzz/fuzz_check.h"

namespace valkey {
namespace cluster {
namespace {

void FuzzOne(absl::string_view text) {
  const std::optional<Redirect> r = ParseRedirect(text);
  if (r.has_value()) {
    FUZZ_CHECK(r->slot >= 0 && r->slot < kNumSlots, "slot out of range");
    FUZZ_CHECK(r->to.port >= 1 && r->to.port <= 65535, "port out of range");
    // Bracket a host that would otherwise be read differently.
    const absl::string_view host = r->to.host;
    const bool bracket =
        !host.empty() && (host.find(':') != host.npos || host.front() == '[');
    const std::string again = absl::StrCat(
        r->kind == Redirect::kMoved ? "MOVED " : "ASK ", r->slot, " ",
        bracket ? "[" : "", host, bracket ? "]" : "", ":", r->to.port);
    FUZZ_CHECK(ParseRedirect(again) == r, again.c_str());
  }
  const absl::Status status = ServerError(text);
  const absl::StatusOr<Redirect> from_status = RedirectFromStatus(status);
  if (r.has_value()) {
    FUZZ_CHECK(from_status.ok() && *from_status == *r,
               "status lost the redirect");
    const absl::StatusOr<Redirect> annotated =
        RedirectFromStatus(Annotate(status, "GET ASK 1 h:2"));
    FUZZ_CHECK(annotated.ok() && *annotated == *r, "annotation broke it");
  }
  const ClusterErrorAction action = ActionFor(status);
  const bool follows = action == ClusterErrorAction::kFollowMoved ||
                       action == ClusterErrorAction::kFollowAsk;
  FUZZ_CHECK(follows == from_status.ok(), "ActionFor disagrees");
}

}  // namespace
}  // namespace cluster
}  // namespace valkey

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  valkey::cluster::FuzzOne(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}

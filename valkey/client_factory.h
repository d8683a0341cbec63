// CreateClient: the client a configuration describes, whichever kind of
// deployment it names. Client::Create (blocking and async) connects to the
// configured server and knows nothing of Sentinel, so that the client
// packages do not depend on the Sentinel package built on top of them; this
// factory, above both, makes the choice:
//
//   - a `sentinel` block (or a valkey+sentinel:// URL): a client of the
//     service's current master, MasterFor(sentinel.service_name, options)
//     (valkey/sentinel/sentinel_client.h, async_sentinel.h);
//   - otherwise: Client::Create(options).
//
//   absl::StatusOr<std::unique_ptr<valkey::Client>> client =
//       valkey::CreateClientFromUrl("valkey+sentinel://127.0.0.1:26379/mymaster");
//
// Cluster configurations (a `cluster` block, valkey+cluster:// URLs) make a
// different type: see valkey/cluster/cluster_config.h.
//
// Errors: INVALID_ARGUMENT naming the bad field or URL part; as
// Client::Create and MasterFor otherwise. No connection is opened by the
// blocking client until the first command; the async one starts connecting.

#ifndef VALKEY_CLIENT_FACTORY_H_
#define VALKEY_CLIENT_FACTORY_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "valkey/async/client.h"
#include "valkey/async/event_loop.h"
#include "valkey/client/client.h"
#include "valkey/common/config.h"
#include "valkey/common/config.pb.h"

namespace valkey {

absl::StatusOr<std::unique_ptr<Client>> CreateClient(ClientOptions options);
absl::StatusOr<std::unique_ptr<Client>> CreateClient(
    const ClientConfig& config);
absl::StatusOr<std::unique_ptr<Client>> CreateClientFromUrl(
    absl::string_view url);

namespace async {

absl::StatusOr<std::unique_ptr<Client>> CreateClient(EventLoop& loop,
                                                     ClientOptions options,
                                                     AsyncOptions async = {});
absl::StatusOr<std::unique_ptr<Client>> CreateClient(
    EventLoop& loop, const ClientConfig& config);
absl::StatusOr<std::unique_ptr<Client>> CreateClientFromUrl(
    EventLoop& loop, absl::string_view url);

}  // namespace async
}  // namespace valkey

#endif  // VALKEY_CLIENT_FACTORY_H_

#include "valkey/client_factory.h"

#include <string>
#include <utility>

#include "valkey/common/url.h"
#include "valkey/sentinel/async_sentinel.h"
#include "valkey/sentinel/sentinel_client.h"

namespace valkey {

absl::StatusOr<std::unique_ptr<Client>> CreateClient(ClientOptions options) {
  if (options.sentinel.has_value()) {
    const std::string service = options.sentinel->service_name;
    return MasterFor(service, std::move(options));
  }
  return Client::Create(std::move(options));
}

absl::StatusOr<std::unique_ptr<Client>> CreateClient(
    const ClientConfig& config) {
  absl::StatusOr<ClientOptions> options = ToClientOptions(config);
  if (!options.ok()) return options.status();
  return CreateClient(*std::move(options));
}

absl::StatusOr<std::unique_ptr<Client>> CreateClientFromUrl(
    absl::string_view url) {
  absl::StatusOr<ClientConfig> config = ParseUrl(url);
  if (!config.ok()) return config.status();
  return CreateClient(*config);
}

namespace async {

absl::StatusOr<std::unique_ptr<Client>> CreateClient(EventLoop& loop,
                                                     ClientOptions options,
                                                     AsyncOptions async) {
  if (options.sentinel.has_value()) {
    const std::string service = options.sentinel->service_name;
    return MasterFor(loop, service, std::move(options), std::move(async));
  }
  return Client::Create(loop, std::move(options), std::move(async));
}

absl::StatusOr<std::unique_ptr<Client>> CreateClient(
    EventLoop& loop, const ClientConfig& config) {
  absl::StatusOr<ClientOptions> options = ToClientOptions(config);
  if (!options.ok()) return options.status();
  return CreateClient(loop, *std::move(options), AsyncOptionsOf(config));
}

absl::StatusOr<std::unique_ptr<Client>> CreateClientFromUrl(
    EventLoop& loop, absl::string_view url) {
  absl::StatusOr<ClientConfig> config = ParseUrl(url);
  if (!config.ok()) return config.status();
  return CreateClient(loop, *config);
}

}  // namespace async
}  // namespace valkey

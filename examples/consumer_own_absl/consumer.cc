// examples/consumer's program, built in a workspace that defines its own
// @com_google_absl (see WORKSPACE and own_abseil.bzl). It also prints which
// Abseil it was built with: the marker header exists only in this
// workspace's definition of @com_google_absl.
//
//   consumer <config.textproto> [key] [value]
//
// Loads a valkey.ClientConfig text proto, creates a ConnectionPool from it,
// runs SET key value and GET key, and prints both replies. Exits 1 with the
// status on any failure.
#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "valkey/common/config.h"
#include "valkey/connection/connection_pool.h"
#include "valkey_cpp_consumer_marker/marker.h"

namespace {

absl::Status Run(const char* config_path, const std::string& key,
                 const std::string& value) {
  absl::StatusOr<valkey::ClientConfig> config =
      valkey::LoadConfigFile(config_path);
  if (!config.ok()) return config.status();
  absl::StatusOr<valkey::ClientOptions> options =
      valkey::ToClientOptions(*config);
  if (!options.ok()) return options.status();

  absl::StatusOr<std::unique_ptr<valkey::ConnectionPool>> pool =
      valkey::ConnectionPool::Create(options->connection, options->pool);
  if (!pool.ok()) return pool.status();
  absl::StatusOr<valkey::PooledConnection> conn = (*pool)->Acquire();
  if (!conn.ok()) return conn.status();

  absl::StatusOr<valkey::Reply> set = (*conn)->Execute("SET", key, value);
  if (!set.ok()) return set.status();
  std::printf("SET %s -> %s\n", key.c_str(), std::string(set->str()).c_str());

  absl::StatusOr<valkey::Reply> get = (*conn)->Execute("GET", key);
  if (!get.ok()) return get.status();
  if (get->is_null()) {
    return absl::NotFoundError("GET " + key + " returned nil after SET");
  }
  std::printf("GET %s -> %s\n", key.c_str(), std::string(get->str()).c_str());
  if (get->str() != value) {
    return absl::InternalError("GET " + key + " returned a different value");
  }
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    std::fprintf(stderr, "usage: %s <config.textproto> [key] [value]\n",
                 argv[0]);
    return 2;
  }
  std::printf("abseil: %s (this workspace's own @com_google_absl)\n",
              VALKEY_CPP_CONSUMER_ABSEIL_SOURCE);
  const std::string key = argc > 2 ? argv[2] : "valkey-cpp:consumer";
  const std::string value = argc > 3 ? argv[3] : "hello from a consumer";
  absl::Status status = Run(argv[1], key, value);
  if (!status.ok()) {
    std::fprintf(stderr, "consumer: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}

// BenchTarget: the server a benchmark talks to — one it starts itself on
// loopback (through //testing) or the one named by --url — plus the flags
// every benchmark binary shares (--url=, --count=), taken out of argv
// before Google Benchmark sees it.

#ifndef VALKEY_BENCHMARKS_BENCH_TARGET_H_
#define VALKEY_BENCHMARKS_BENCH_TARGET_H_

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "testing/valkey_server.h"
#include "valkey/common/config.h"
#include "valkey/common/url.h"

namespace valkey::bench {

struct BenchFlags {
  std::string url;    // --url=: use this server instead of starting one.
  std::string count;  // --count=<who>/<case>:<n>: callgrind mode.
};

// Removes --url= and --count= from argv (so benchmark::Initialize does not
// reject them) and returns their values.
inline BenchFlags TakeBenchFlags(int& argc, char** argv) {
  BenchFlags flags;
  for (int i = 1; i < argc; ++i) {
    std::string* into = nullptr;
    size_t skip = 0;
    if (std::strncmp(argv[i], "--url=", 6) == 0) {
      into = &flags.url;
      skip = 6;
    } else if (std::strncmp(argv[i], "--count=", 8) == 0) {
      into = &flags.count;
      skip = 8;
    }
    if (into == nullptr) continue;
    *into = argv[i] + skip;
    argv[i] = argv[--argc];
    --i;
  }
  return flags;
}

class BenchTarget {
 public:
  // Starts a valkey-server when `url` is empty, else parses the URL.
  // Prints the reason and returns null on failure.
  static std::unique_ptr<BenchTarget> Open(const std::string& url) {
    auto target = std::unique_ptr<BenchTarget>(new BenchTarget());
    if (url.empty()) {
      auto started = testing::ValkeyServer::Start();
      if (!started.ok()) {
        std::fprintf(stderr, "cannot start valkey-server: %s\n",
                     started.status().ToString().c_str());
        return nullptr;
      }
      target->server_ = *std::move(started);
      target->options_.host = "127.0.0.1";
      target->options_.port = target->server_->port();
      return target;
    }
    absl::StatusOr<ClientConfig> config = ParseUrl(url);
    absl::StatusOr<ConnectionOptions> options =
        config.ok() ? ToConnectionOptions(config->connection())
                    : absl::StatusOr<ConnectionOptions>(config.status());
    if (!options.ok()) {
      std::fprintf(stderr, "--url: %s\n", options.status().ToString().c_str());
      return nullptr;
    }
    target->options_ = *std::move(options);
    return target;
  }

  const ConnectionOptions& options() const { return options_; }

 private:
  BenchTarget() = default;

  std::unique_ptr<testing::ValkeyServer> server_;  // Null with --url.
  ConnectionOptions options_;
};

}  // namespace valkey::bench

#endif  // VALKEY_BENCHMARKS_BENCH_TARGET_H_

// Quickstart: the sync client in one page — SET/GET, a pipeline, a WATCH
// transaction and pub/sub, printing what it does.
//
//   bazel run //examples:quickstart                 # starts a throwaway server
//   VALKEY_URL=valkey://127.0.0.1:6379 bazel run //examples:quickstart
//
// Without VALKEY_URL it starts a valkey-server of its own on a free loopback
// port (through the //testing fixture, hence testonly) and stops it at exit.

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "testing/valkey_server.h"
#include "valkey/client/client.h"
#include "valkey/client/pipeline.h"
#include "valkey/client/pubsub.h"
#include "valkey/client/transaction.h"

namespace {

absl::Status Quickstart(const std::string& url) {
  std::printf("connecting to %s\n", url.c_str());
  absl::StatusOr<std::unique_ptr<valkey::Client>> made =
      valkey::Client::FromUrl(url);
  if (!made.ok()) return made.status();
  valkey::Client& client = **made;

  // 1. Typed commands.
  absl::StatusOr<bool> set =
      client.Set("greeting", "hello", {.ttl = absl::Minutes(5)});
  if (!set.ok()) return set.status();
  absl::StatusOr<std::optional<std::string>> got = client.Get("greeting");
  if (!got.ok()) return got.status();
  std::printf("SET greeting hello EX 300 -> %s; GET greeting -> %s\n",
              *set ? "OK" : "not set", got->value_or("(nil)").c_str());

  // 2. A pipeline: three commands, one round trip, typed results.
  valkey::Pipeline pipe(client);
  valkey::Slot<int64_t> hits = pipe.Incr("page:hits");
  valkey::Slot<int64_t> more = pipe.IncrBy("page:hits", 10);
  valkey::Slot<std::optional<std::string>> again = pipe.Get("greeting");
  absl::StatusOr<valkey::PipelineResults> results = pipe.Execute();
  if (!results.ok()) return results.status();
  std::printf("pipeline: INCR -> %lld, INCRBY 10 -> %lld, GET -> %s\n",
              static_cast<long long>(results->Get(hits).value_or(-1)),
              static_cast<long long>(results->Get(more).value_or(-1)),
              results->Get(again).value_or(std::nullopt).value_or("(nil)").c_str());

  // 3. A transaction: read the balance under WATCH, write it back +10.
  valkey::Slot<bool> written;
  absl::StatusOr<valkey::PipelineResults> tx = valkey::Transaction(
      client,
      [&](valkey::TransactionContext& t) -> absl::Status {
        absl::StatusOr<std::optional<std::string>> balance = t.Get("balance");
        if (!balance.ok()) return balance.status();
        int64_t value = 0;
        if (balance->has_value() && !absl::SimpleAtoi(**balance, &value)) {
          return absl::FailedPreconditionError("balance is not a number");
        }
        written = t.multi().Set("balance", absl::StrCat(value + 10));
        return absl::OkStatus();
      },
      {"balance"}, {.max_tries = 5});
  if (!tx.ok()) return tx.status();
  absl::StatusOr<std::optional<std::string>> balance = client.Get("balance");
  if (!balance.ok()) return balance.status();
  std::printf("transaction: WATCH balance, MULTI, SET, EXEC -> balance = %s\n",
              balance->value_or("(nil)").c_str());

  // 4. Pub/sub: subscribe, publish, receive.
  absl::StatusOr<std::unique_ptr<valkey::PubSub>> pubsub =
      valkey::PubSub::Create(client);
  if (!pubsub.ok()) return pubsub.status();
  if (absl::Status s = (*pubsub)->Subscribe("news"); !s.ok()) return s;
  absl::StatusOr<int64_t> receivers = client.Publish("news", "valkey-cpp says hi");
  if (!receivers.ok()) return receivers.status();
  std::printf("PUBLISH news -> %lld receiver(s)\n",
              static_cast<long long>(*receivers));
  for (int i = 0; i < 3; ++i) {  // A subscribe confirmation comes first.
    absl::StatusOr<std::optional<valkey::PubSub::Message>> message =
        (*pubsub)->GetMessage(absl::Seconds(2));
    if (!message.ok()) return message.status();
    if (!message->has_value()) break;
    if ((*message)->is_confirmation()) continue;
    std::printf("received on %s: %s\n", (*message)->channel.c_str(),
                (*message)->payload.c_str());
    break;
  }
  (*pubsub)->Close();
  return absl::OkStatus();
}

}  // namespace

int main() {
  std::unique_ptr<valkey::testing::ValkeyServer> server;
  std::string url;
  if (const char* env = std::getenv("VALKEY_URL"); env != nullptr && *env) {
    url = env;
  } else {
    absl::StatusOr<std::unique_ptr<valkey::testing::ValkeyServer>> started =
        valkey::testing::ValkeyServer::Start();
    if (!started.ok()) {
      std::fprintf(stderr, "quickstart: cannot start valkey-server: %s\n",
                   started.status().ToString().c_str());
      return 2;
    }
    server = *std::move(started);
    url = absl::StrCat("valkey://127.0.0.1:", server->port());
    std::printf("started a throwaway valkey-server (pid %d)\n",
                static_cast<int>(server->pid()));
  }
  absl::Status status = Quickstart(url);
  if (!status.ok()) {
    std::fprintf(stderr, "quickstart: %s\n", status.ToString().c_str());
    return 1;
  }
  std::printf("done\n");
  return 0;
}

// Quickstart: the sync client in one page — SET/GET, a pipeline, a WATCH
// transaction and pub/sub — then the async client: many concurrent commands
// on one connection, and a coroutine. It prints what it does.
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
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "testing/valkey_server.h"
#include "valkey/async/client.h"
#include "valkey/async/event_loop.h"
#include "valkey/async/future.h"
#include "valkey/client/client.h"
#include "valkey/client/pipeline.h"
#include "valkey/client/pubsub.h"
#include "valkey/client/transaction.h"
#include "valkey/client_factory.h"

namespace {

absl::Status Quickstart(const std::string& url) {
  std::printf("connecting to %s\n", url.c_str());
  absl::StatusOr<std::unique_ptr<valkey::Client>> made =
      valkey::CreateClientFromUrl(url);
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

// A coroutine: runs on the event loop, suspends at each co_await.
valkey::async::Task<int64_t> CountVisits(valkey::async::Client& client) {
  absl::StatusOr<int64_t> first = co_await client.Incr("visits");
  if (!first.ok()) co_return first.status();
  co_return co_await client.IncrBy("visits", 10);
}

absl::Status AsyncQuickstart(const std::string& url) {
  // One event loop on a thread of its own; one multiplexed connection.
  absl::StatusOr<std::unique_ptr<valkey::async::EventLoopThread>> loop =
      valkey::async::EventLoopThread::Start();
  if (!loop.ok()) return loop.status();
  absl::StatusOr<std::unique_ptr<valkey::async::Client>> made =
      valkey::async::CreateClientFromUrl((*loop)->loop(), url);
  if (!made.ok()) return made.status();
  valkey::async::Client& client = **made;

  // 5. A thousand commands in flight at once: they share the connection and
  // go out in a few writes (auto-pipelining).
  std::vector<valkey::async::Future<bool>> sets;
  for (int i = 0; i < 1000; ++i) {
    sets.push_back(client.Set(absl::StrCat("item:", i), absl::StrCat(i)));
  }
  for (valkey::async::Future<bool>& f : sets) {
    absl::StatusOr<bool> ok = f.Get();
    if (!ok.ok()) return ok.status();
  }
  const valkey::async::Connection::Stats stats = client.connection().stats();
  std::printf("async: 1000 SETs in flight together -> %llu writes for %llu "
              "commands\n",
              static_cast<unsigned long long>(stats.writes),
              static_cast<unsigned long long>(stats.commands));

  // 6. A coroutine, waited for from this (non-loop) thread.
  absl::StatusOr<int64_t> visits = CountVisits(client).Get();
  if (!visits.ok()) return visits.status();
  std::printf("async coroutine: INCR visits, INCRBY visits 10 -> %lld\n",
              static_cast<long long>(*visits));
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
  if (status.ok()) status = AsyncQuickstart(url);
  if (!status.ok()) {
    std::fprintf(stderr, "quickstart: %s\n", status.ToString().c_str());
    return 1;
  }
  std::printf("done\n");
  return 0;
}

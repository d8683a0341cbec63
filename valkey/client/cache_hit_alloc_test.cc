// Heap allocations of client-side cache hits, counted by replacing the
// global operator new in this test binary (a count, not a timing): a hit
// through the typed Client::Get allocates its returned value and nothing
// else; one through Execute, whose reply of a 16-byte value lives inside
// the Reply object (reply.h), allocates nothing. A miss is allowed more
// (it registers a fill with the keys it reads).

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "testing/valkey_server.h"
#include "valkey/client/client.h"
#include "valkey/common/config.h"

namespace {

// Allocations made by this thread while `counting` is set. Per thread: the
// cache's reader thread and the pool may allocate on their own schedule
// (PINGs, reconnects), and only the caller's work is measured.
thread_local bool counting = false;
thread_local long allocations = 0;

void* Allocate(std::size_t size) {
  if (counting) ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}

}  // namespace

void* operator new(std::size_t size) { return Allocate(size); }
void* operator new[](std::size_t size) { return Allocate(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  if (counting) ++allocations;
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  if (counting) ++allocations;
  return std::malloc(size == 0 ? 1 : size);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace valkey {
namespace {

using ::valkey::testing::ValkeyServer;

// Allocations made by `f` on this thread.
template <typename F>
long CountAllocations(F&& f) {
  allocations = 0;
  counting = true;
  f();
  counting = false;
  return allocations;
}

class CacheHitAllocTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = ValkeyServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    ClientOptions options;
    options.connection.host = "127.0.0.1";
    options.connection.port = server_->port();
    options.connection.protocol = 3;
    options.connection.socket_timeout = absl::Seconds(5);
    options.cache.enabled = true;
    auto client = Client::Create(options);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
    ASSERT_TRUE(client_->Set(kKey, kValue).ok());
  }

  static constexpr char kKey[] = "alloc:key";
  const std::string kValue = std::string(16, 'v');
  std::unique_ptr<ValkeyServer> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(CacheHitAllocTest, TypedGetHitAllocatesOnlyItsValue) {
  // The miss that fills the entry (and opens the tracking connection).
  auto first = client_->Get(kKey);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->value_or("<nil>"), kValue);
  constexpr long kHits = 1000;
  bool all_ok = true;
  const long n = CountAllocations([&] {
    for (long i = 0; i < kHits; ++i) {
      absl::StatusOr<std::optional<std::string>> v = client_->Get(kKey);
      all_ok = all_ok && v.ok() && v->has_value() && **v == kValue;
    }
  });
  EXPECT_TRUE(all_ok);
  EXPECT_EQ(client_->cache_stats().hits, kHits);
  // Each value is 16 bytes, one more than std::string keeps inline.
  EXPECT_LE(n, kHits) << "allocations per hit: "
                      << static_cast<double>(n) / kHits;
}

TEST_F(CacheHitAllocTest, ExecuteHitOfAShortValueAllocatesNothing) {
  ASSERT_TRUE(client_->Execute("GET", kKey).ok());  // The miss.
  constexpr long kHits = 1000;
  bool all_ok = true;
  const long n = CountAllocations([&] {
    for (long i = 0; i < kHits; ++i) {
      // Any case of the name reads the same entry.
      absl::StatusOr<Reply> r = client_->Execute(i % 2 ? "get" : "GET", kKey);
      all_ok = all_ok && r.ok() && r->str() == kValue;
    }
  });
  EXPECT_TRUE(all_ok);
  EXPECT_EQ(client_->cache_stats().hits, kHits);
  EXPECT_EQ(n, 0) << "allocations per hit: "
                  << static_cast<double>(n) / kHits;
}

}  // namespace
}  // namespace valkey

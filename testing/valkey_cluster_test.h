// A gtest fixture base for suites that share one real Valkey Cluster
// (ValkeyCluster: 3 primaries + 3 replicas on loopback) across their tests:
// started once per suite, stopped after it, and checked before each test.
//
//   class MyClusterTest
//       : public valkey::testing::ValkeyClusterTest<MyClusterTest> {};
//   TEST_F(MyClusterTest, Works) {
//     options.seeds = cluster_->seed_addresses();
//     ...cluster_->node(0).port()...
//   }
//
// A suite that needs a differently started cluster (TLS, passwords, ACL
// users) defines `static ValkeyCluster::Options StartOptions()`; the
// template parameter (the suite itself) gives every suite its own cluster
// pointer. A suite that overrides SetUp() calls this class's SetUp() first.
//
// A cluster that does not start fails every test of the suite with the
// reason (never a skip): a missing valkey-server binary is a failure.

#ifndef VALKEY_TESTING_VALKEY_CLUSTER_TEST_H_
#define VALKEY_TESTING_VALKEY_CLUSTER_TEST_H_

#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "testing/valkey_cluster.h"

namespace valkey::testing {

template <typename Suite>
class ValkeyClusterTest : public ::testing::Test {
 protected:
  // Default: a plain cluster (no TLS, no password).
  static ValkeyCluster::Options StartOptions() { return {}; }

  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<ValkeyCluster>> cluster =
        ValkeyCluster::Start(Suite::StartOptions());
    if (!cluster.ok()) {
      ADD_FAILURE() << "cluster did not start: " << cluster.status();
      return;
    }
    cluster_ = cluster->release();
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(cluster_, nullptr) << "the suite's cluster did not start";
  }

  static inline ValkeyCluster* cluster_ = nullptr;
};

}  // namespace valkey::testing

#endif  // VALKEY_TESTING_VALKEY_CLUSTER_TEST_H_

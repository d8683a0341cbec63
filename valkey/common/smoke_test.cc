#include <openssl/ssl.h>
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
TEST(Smoke, Works) {
  EXPECT_TRUE(absl::OkStatus().ok());
  SSL_CTX* ctx = SSL_CTX_new(TLS_method());
  ASSERT_NE(ctx, nullptr);
  SSL_CTX_free(ctx);
#ifndef OPENSSL_IS_BORINGSSL
  FAIL() << "not boringssl";
#endif
}

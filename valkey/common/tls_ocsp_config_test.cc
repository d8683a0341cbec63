// The OCSP options of TlsConfig (ocsp, ocsp_fail_open,
// ocsp_responder_timeout): defaults, conversion, validation errors naming
// the field, and the URL query parameters that set them.

#include <string>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status/status_matchers.h"
#include "valkey/common/config.h"
#include "valkey/common/config.pb.h"
#include "valkey/common/errors.h"
#include "valkey/common/url.h"

namespace valkey {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::valkey::testing::StatusIs;

absl::StatusOr<TlsOptions> Convert(const std::string& tls_text) {
  absl::StatusOr<ClientConfig> config =
      ParseConfigText(absl::StrCat("connection { tls { ", tls_text, " } }"));
  if (!config.ok()) return config.status();
  absl::StatusOr<ConnectionOptions> c =
      ToConnectionOptions(config->connection());
  if (!c.ok()) return c.status();
  return c->tls;
}

absl::StatusOr<TlsOptions> FromUrl(const std::string& url) {
  absl::StatusOr<ClientConfig> config = ParseUrl(url);
  if (!config.ok()) return config.status();
  absl::StatusOr<ClientOptions> options = ToClientOptions(*config);
  if (!options.ok()) return options.status();
  return options->connection.tls;
}

TEST(TlsOcspConfigTest, OffByDefaultFailClosedWithTwoSecondTimeout) {
  ASSERT_OK_AND_ASSIGN(TlsOptions tls, Convert(""));
  EXPECT_EQ(tls.ocsp, TlsOptions::Ocsp::kOff);
  EXPECT_FALSE(tls.ocsp_fail_open);
  EXPECT_EQ(tls.ocsp_responder_timeout, absl::Seconds(2));
}

TEST(TlsOcspConfigTest, ModesFailOpenAndTimeoutConvert) {
  ASSERT_OK_AND_ASSIGN(TlsOptions stapled, Convert("ocsp: OCSP_STAPLED"));
  EXPECT_EQ(stapled.ocsp, TlsOptions::Ocsp::kStapled);
  EXPECT_FALSE(stapled.ocsp_fail_open);
  ASSERT_OK_AND_ASSIGN(TlsOptions responder,
                       Convert("ocsp: OCSP_RESPONDER ocsp_fail_open: true "
                               "ocsp_responder_timeout { nanos: 500000000 }"));
  EXPECT_EQ(responder.ocsp, TlsOptions::Ocsp::kResponder);
  EXPECT_TRUE(responder.ocsp_fail_open);
  EXPECT_EQ(responder.ocsp_responder_timeout, absl::Milliseconds(500));
  ASSERT_OK_AND_ASSIGN(TlsOptions off, Convert("ocsp: OCSP_OFF"));
  EXPECT_EQ(off.ocsp, TlsOptions::Ocsp::kOff);
}

TEST(TlsOcspConfigTest, InvalidCombinationsNameTheField) {
  EXPECT_THAT(Convert("verify_mode: VERIFY_NONE ocsp: OCSP_STAPLED"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("tls.ocsp"), HasSubstr("VERIFY_NONE"))));
  EXPECT_THAT(Convert("ocsp_fail_open: true"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("tls.ocsp_fail_open")));
  EXPECT_THAT(
      Convert("ocsp: OCSP_STAPLED ocsp_responder_timeout { seconds: 1 }"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("tls.ocsp_responder_timeout")));
  EXPECT_THAT(Convert("ocsp: OCSP_RESPONDER ocsp_responder_timeout {}"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("tls.ocsp_responder_timeout"),
                             HasSubstr("must be > 0"))));
  EXPECT_THAT(Convert("ocsp: 7"), StatusIs(absl::StatusCode::kInvalidArgument,
                                           HasSubstr("tls.ocsp")));
  absl::Status s = Convert("ocsp_fail_open: false").status();
  EXPECT_EQ(GetErrorKind(s), ErrorKind::kInvalidArgument) << s;
}

TEST(TlsOcspConfigTest, UrlParameters) {
  ASSERT_OK_AND_ASSIGN(
      TlsOptions tls,
      FromUrl("valkeys://h?ssl_ocsp=responder&ssl_ocsp_fail_open=true"
              "&ssl_ocsp_timeout=0.25"));
  EXPECT_EQ(tls.ocsp, TlsOptions::Ocsp::kResponder);
  EXPECT_TRUE(tls.ocsp_fail_open);
  EXPECT_EQ(tls.ocsp_responder_timeout, absl::Milliseconds(250));
  ASSERT_OK_AND_ASSIGN(tls, FromUrl("valkeys://h?ssl_ocsp=STAPLED"));
  EXPECT_EQ(tls.ocsp, TlsOptions::Ocsp::kStapled);
  // The reference client's switches.
  ASSERT_OK_AND_ASSIGN(tls, FromUrl("valkeys://h?ssl_validate_ocsp=true"));
  EXPECT_EQ(tls.ocsp, TlsOptions::Ocsp::kResponder);
  ASSERT_OK_AND_ASSIGN(tls,
                       FromUrl("valkeys://h?ssl_validate_ocsp_stapled=true"));
  EXPECT_EQ(tls.ocsp, TlsOptions::Ocsp::kStapled);
  ASSERT_OK_AND_ASSIGN(tls, FromUrl("valkeys://h?ssl_validate_ocsp=false"));
  EXPECT_EQ(tls.ocsp, TlsOptions::Ocsp::kOff);
}

TEST(TlsOcspConfigTest, BadUrlParametersAreNamed) {
  EXPECT_THAT(FromUrl("valkeys://h?ssl_ocsp=maybe"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("ssl_ocsp"),
                             HasSubstr("off, stapled, responder"))));
  EXPECT_THAT(FromUrl("valkeys://h?ssl_ocsp=stapled&ssl_ocsp_timeout=0"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("ssl_ocsp_timeout")));
  EXPECT_THAT(FromUrl("valkeys://h?ssl_ocsp_fail_open=true"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("ocsp_fail_open")));
  EXPECT_THAT(FromUrl("valkey://h?ssl_ocsp=stapled"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("TLS options need")));
}

}  // namespace
}  // namespace valkey

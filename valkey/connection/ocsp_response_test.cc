// ParseOcspResponse against responses made by `openssl ocsp`, and against
// malformed DER: every truncation, trailing bytes, wrong tags, refused
// response statuses and impossible times give DATA_LOSS, never a crash.

#include "valkey/connection/ocsp_response.h"

#include <openssl/nid.h>

#include <optional>
#include <string>

#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/ocsp_pki.h"
#include "testing/status/status_matchers.h"
#include "valkey/common/errors.h"
#include "valkey/connection/ocsp_test_util.h"

namespace valkey {
namespace {

using ::testing::HasSubstr;
using ::valkey::ocsp_test::MakeTempDir;
using ::valkey::ocsp_test::ReadFile;
using ::valkey::testing::OcspPki;
using ::valkey::testing::StatusIs;

class OcspResponseTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string dir = MakeTempDir();
    ASSERT_FALSE(dir.empty());
    absl::StatusOr<OcspPki> pki = OcspPki::Mint(dir, /*responder_port=*/9);
    ASSERT_TRUE(pki.ok()) << pki.status();
    pki_ = new OcspPki(*std::move(pki));
    for (const auto& [cert, out] :
         {std::pair{pki_->good_cert, "good.der"},
          std::pair{pki_->revoked_cert, "revoked.der"},
          std::pair{pki_->unknown_cert, "unknown.der"}}) {
      ASSERT_THAT(pki_->MakeResponse(cert, pki_->ocsp_cert, pki_->ocsp_key, 60,
                                     dir + "/" + out),
                  ::valkey::testing::IsOk());
    }
    ASSERT_THAT(
        pki_->MakeResponse(pki_->good_cert, pki_->ocsp_cert, pki_->ocsp_key, 60,
                           dir + "/sha256.der", "sha256"),
        ::valkey::testing::IsOk());
  }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }
  static std::string Der(const std::string& name) {
    return ReadFile(pki_->dir + "/" + name);
  }

  static OcspPki* pki_;
};

OcspPki* OcspResponseTest::pki_ = nullptr;

TEST_F(OcspResponseTest, GoodResponseFromOpensslParses) {
  ASSERT_OK_AND_ASSIGN(OcspResponse r, ParseOcspResponse(Der("good.der")));
  ASSERT_EQ(r.responses.size(), 1u);
  const OcspSingleResponse& single = r.responses[0];
  EXPECT_EQ(single.status, OcspCertStatus::kGood);
  EXPECT_EQ(single.cert_id.hash_nid, NID_sha1);
  EXPECT_EQ(single.cert_id.issuer_name_hash.size(), 20u);
  EXPECT_EQ(single.cert_id.issuer_key_hash.size(), 20u);
  // INTEGER 0x1001.
  EXPECT_EQ(single.cert_id.serial_der, std::string("\x02\x02\x10\x01", 4));
  ASSERT_TRUE(single.next_update.has_value());
  EXPECT_EQ(*single.next_update - single.this_update, absl::Minutes(60));
  EXPECT_LE(single.this_update, absl::Now() + absl::Minutes(1));
  EXPECT_FALSE(r.responder_name_der.empty());  // openssl signs byName.
  EXPECT_FALSE(r.signature.empty());
  EXPECT_FALSE(r.signature_algorithm_oid.empty());
  ASSERT_EQ(r.certs.size(), 1u);  // The responder certificate.
  EXPECT_FALSE(r.tbs_response_data.empty());
}

TEST_F(OcspResponseTest, RevokedAndUnknownStatusesParse) {
  ASSERT_OK_AND_ASSIGN(OcspResponse revoked,
                       ParseOcspResponse(Der("revoked.der")));
  ASSERT_EQ(revoked.responses.size(), 1u);
  EXPECT_EQ(revoked.responses[0].status, OcspCertStatus::kRevoked);
  EXPECT_EQ(revoked.responses[0].revocation_time,
            absl::FromCivil(absl::CivilSecond(2024, 1, 1, 0, 0, 0),
                            absl::UTCTimeZone()));
  ASSERT_OK_AND_ASSIGN(OcspResponse unknown,
                       ParseOcspResponse(Der("unknown.der")));
  EXPECT_EQ(unknown.responses[0].status, OcspCertStatus::kUnknown);
}

TEST_F(OcspResponseTest, Sha256CertIdParses) {
  ASSERT_OK_AND_ASSIGN(OcspResponse r, ParseOcspResponse(Der("sha256.der")));
  EXPECT_EQ(r.responses[0].cert_id.hash_nid, NID_sha256);
  EXPECT_EQ(r.responses[0].cert_id.issuer_key_hash.size(), 32u);
}

TEST_F(OcspResponseTest, EveryTruncationIsDataLoss) {
  const std::string der = Der("good.der");
  for (size_t n = 0; n < der.size(); ++n) {
    EXPECT_THAT(ParseOcspResponse(der.substr(0, n)),
                StatusIs(absl::StatusCode::kDataLoss, HasSubstr("OCSP")))
        << "prefix of " << n << " bytes";
  }
}

TEST_F(OcspResponseTest, TrailingBytesAndGarbageAreDataLoss) {
  EXPECT_THAT(ParseOcspResponse(Der("good.der") + "x"),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(ParseOcspResponse("this is not DER at all"),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("malformed OCSPResponse")));
  EXPECT_THAT(ParseOcspResponse(""), StatusIs(absl::StatusCode::kDataLoss));
  // Every single-byte corruption: an error or a parse, never a crash.
  std::string der = Der("revoked.der");
  for (size_t i = 0; i < der.size(); ++i) {
    std::string bad = der;
    bad[i] = static_cast<char>(bad[i] ^ 0x41);
    absl::StatusOr<OcspResponse> r = ParseOcspResponse(bad);
    if (!r.ok()) {
      EXPECT_EQ(GetErrorKind(r.status()), ErrorKind::kProtocol) << r.status();
    }
  }
}

TEST_F(OcspResponseTest, UnsuccessfulResponseStatusIsNamed) {
  // OCSPResponse { responseStatus tryLater(3) }, no responseBytes.
  EXPECT_THAT(ParseOcspResponse(std::string("\x30\x03\x0a\x01\x03", 5)),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("tryLater")));
  EXPECT_THAT(ParseOcspResponse(std::string("\x30\x03\x0a\x01\x06", 5)),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("unauthorized")));
  // successful(0) without responseBytes.
  EXPECT_THAT(
      ParseOcspResponse(std::string("\x30\x03\x0a\x01\x00", 5)),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("responseBytes")));
}

TEST(GeneralizedTimeTest, AcceptsOnlyRfc5280Form) {
  EXPECT_EQ(ParseGeneralizedTime("20240229235959Z"),
            absl::FromCivil(absl::CivilSecond(2024, 2, 29, 23, 59, 59),
                            absl::UTCTimeZone()));
  for (const char* bad :
       {"", "2024022923595Z", "20240229235959", "20240229235959+0100",
        "20240229235959.5Z", "20230229000000Z", "20241301000000Z",
        "20240101240000Z", "20240101006000Z", "2024010100000aZ"}) {
    EXPECT_EQ(ParseGeneralizedTime(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace valkey

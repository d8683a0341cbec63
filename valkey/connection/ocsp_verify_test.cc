// VerifyOcspResponse against responses made by `openssl ocsp`: the status
// of a response signed by a delegated responder or the CA itself, with
// SHA-1 and SHA-256 certificate ids; refusal of wrong signers, responses
// about another certificate, tampered signatures, expired and future
// responses, and garbage.

#include "valkey/connection/ocsp_verify.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/ocsp_pki.h"
#include "testing/status/status_matchers.h"
#include "valkey/common/errors.h"
#include "valkey/connection/ocsp_test_util.h"

namespace valkey {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::valkey::ocsp_test::LoadCert;
using ::valkey::ocsp_test::MakeTempDir;
using ::valkey::ocsp_test::ReadFile;
using ::valkey::ocsp_test::X509Ptr;
using ::valkey::testing::IsOk;
using ::valkey::testing::OcspPki;
using ::valkey::testing::StatusIs;

class OcspVerifyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string dir = MakeTempDir();
    ASSERT_FALSE(dir.empty());
    absl::StatusOr<OcspPki> pki = OcspPki::Mint(dir, /*responder_port=*/9);
    ASSERT_TRUE(pki.ok()) << pki.status();
    pki_ = new OcspPki(*std::move(pki));
    const OcspPki& p = *pki_;
    struct Made {
      std::string cert, signer, key, out, digest;
      int minutes;
    };
    for (const Made& m : std::initializer_list<Made>{
             {p.good_cert, p.ocsp_cert, p.ocsp_key, "good.der", "sha1", 60},
             {p.good_cert, p.ocsp_cert, p.ocsp_key, "sha256.der", "sha256", 60},
             {p.good_cert, p.ca_cert, p.ca_key, "by_ca.der", "sha1", 60},
             {p.good_cert, p.rogue_cert, p.rogue_key, "rogue.der", "sha1", 60},
             {p.good_cert, p.other_ca_cert, p.other_ca_key, "other_ca.der",
              "sha1", 60},
             {p.good_cert, p.ocsp_cert, p.ocsp_key, "short.der", "sha1", 1},
             {p.revoked_cert, p.ocsp_cert, p.ocsp_key, "revoked.der", "sha1",
              60},
             {p.unknown_cert, p.ocsp_cert, p.ocsp_key, "unknown.der", "sha1",
              60},
         }) {
      ASSERT_THAT(p.MakeResponse(m.cert, m.signer, m.key, m.minutes,
                                 dir + "/" + m.out, m.digest),
                  IsOk());
    }
  }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }

  void SetUp() override {
    ca_ = LoadCert(pki_->ca_cert);
    good_ = LoadCert(pki_->good_cert);
    revoked_ = LoadCert(pki_->revoked_cert);
    unknown_ = LoadCert(pki_->unknown_cert);
    ASSERT_NE(ca_, nullptr);
    ASSERT_NE(good_, nullptr);
    ASSERT_NE(revoked_, nullptr);
    ASSERT_NE(unknown_, nullptr);
  }

  static std::string Der(const std::string& name) {
    return ReadFile(pki_->dir + "/" + name);
  }

  static OcspPki* pki_;
  X509Ptr ca_, good_, revoked_, unknown_;
};

OcspPki* OcspVerifyTest::pki_ = nullptr;

TEST_F(OcspVerifyTest, GoodFromDelegatedResponderWithSha1AndSha256Ids) {
  for (const char* name : {"good.der", "sha256.der"}) {
    SCOPED_TRACE(name);
    ASSERT_OK_AND_ASSIGN(
        OcspSingleResponse r,
        VerifyOcspResponse(Der(name), good_.get(), ca_.get(), absl::Now()));
    EXPECT_EQ(r.status, OcspCertStatus::kGood);
  }
}

TEST_F(OcspVerifyTest, GoodSignedByTheIssuerItself) {
  ASSERT_OK_AND_ASSIGN(OcspSingleResponse r,
                       VerifyOcspResponse(Der("by_ca.der"), good_.get(),
                                          ca_.get(), absl::Now()));
  EXPECT_EQ(r.status, OcspCertStatus::kGood);
}

TEST_F(OcspVerifyTest, RevokedAndUnknownAreReportedAsSuch) {
  ASSERT_OK_AND_ASSIGN(OcspSingleResponse revoked,
                       VerifyOcspResponse(Der("revoked.der"), revoked_.get(),
                                          ca_.get(), absl::Now()));
  EXPECT_EQ(revoked.status, OcspCertStatus::kRevoked);
  ASSERT_OK_AND_ASSIGN(OcspSingleResponse unknown,
                       VerifyOcspResponse(Der("unknown.der"), unknown_.get(),
                                          ca_.get(), absl::Now()));
  EXPECT_EQ(unknown.status, OcspCertStatus::kUnknown);
}

TEST_F(OcspVerifyTest, WrongSignersAreRefused) {
  // Issued by the CA but without the OCSPSigning extended key usage.
  EXPECT_THAT(
      VerifyOcspResponse(Der("rogue.der"), good_.get(), ca_.get(), absl::Now()),
      StatusIs(absl::StatusCode::kUnavailable, HasSubstr("OCSPSigning")));
  // An unrelated CA, sending its own certificate along.
  EXPECT_THAT(
      VerifyOcspResponse(Der("other_ca.der"), good_.get(), ca_.get(),
                         absl::Now()),
      StatusIs(absl::StatusCode::kUnavailable, HasSubstr("did not issue")));
}

TEST_F(OcspVerifyTest, ResponseAboutAnotherCertificateIsRefused) {
  EXPECT_THAT(VerifyOcspResponse(Der("good.der"), revoked_.get(), ca_.get(),
                                 absl::Now()),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr("not about the server certificate"),
                             HasSubstr("1002"))));
}

TEST_F(OcspVerifyTest, TamperedResponseFailsTheSignature) {
  std::string der = Der("revoked.der");
  // Turn "revoked" ([1] constructed, 0xa1) into "good" ([0] primitive,
  // 0x80 with length 0) is not a same-length edit; flip a bit of the
  // revocation time instead, inside the signed bytes.
  const size_t at = der.find("20240101000000Z");
  ASSERT_NE(at, std::string::npos);
  der[at + 3] = '5';  // 2025.
  EXPECT_THAT(VerifyOcspResponse(der, revoked_.get(), ca_.get(), absl::Now()),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("signature does not verify")));
}

TEST_F(OcspVerifyTest, ExpiredAndFutureResponsesAreRefused) {
  const std::string der = Der("short.der");  // nextUpdate = thisUpdate + 1 min.
  ASSERT_OK_AND_ASSIGN(
      OcspSingleResponse fresh,
      VerifyOcspResponse(der, good_.get(), ca_.get(), absl::Now()));
  // Past nextUpdate plus the allowed clock skew.
  EXPECT_THAT(VerifyOcspResponse(
                  der, good_.get(), ca_.get(),
                  *fresh.next_update + kOcspClockSkew + absl::Seconds(1)),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("expired")));
  // Before thisUpdate minus the skew.
  EXPECT_THAT(
      VerifyOcspResponse(der, good_.get(), ca_.get(),
                         fresh.this_update - kOcspClockSkew - absl::Seconds(1)),
      StatusIs(absl::StatusCode::kUnavailable, HasSubstr("in the future")));
  // Within the skew on both ends.
  EXPECT_THAT(VerifyOcspResponse(der, good_.get(), ca_.get(),
                                 fresh.this_update - absl::Minutes(4)),
              IsOk());
  EXPECT_THAT(VerifyOcspResponse(der, good_.get(), ca_.get(),
                                 *fresh.next_update + absl::Minutes(4)),
              IsOk());
}

TEST_F(OcspVerifyTest, GarbageIsAParseError) {
  EXPECT_THAT(
      VerifyOcspResponse("garbage", good_.get(), ca_.get(), absl::Now()),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("malformed")));
}

TEST_F(OcspVerifyTest, SerialHexNamesTheCertificate) {
  EXPECT_EQ(SerialHex(revoked_.get()), "1002");
}

}  // namespace
}  // namespace valkey

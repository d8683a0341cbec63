#include "testing/ocsp_pki.h"

#include <cstdlib>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "testing/subprocess.h"

namespace valkey::testing {
namespace {

constexpr char kLeafExtensions[] =
    "basicConstraints = critical, CA:FALSE\n"
    "keyUsage = critical, digitalSignature, keyEncipherment\n"
    "extendedKeyUsage = serverAuth\n"
    "subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1\n";

constexpr char kResponderExtensions[] =
    "basicConstraints = critical, CA:FALSE\n"
    "keyUsage = critical, digitalSignature\n"
    "extendedKeyUsage = critical, OCSPSigning\n";

constexpr char kSubCaExtensions[] =
    "basicConstraints = critical, CA:TRUE\n"
    "keyUsage = critical, keyCertSign, cRLSign\n";

constexpr char kRogueExtensions[] =
    "basicConstraints = critical, CA:FALSE\n"
    "keyUsage = critical, digitalSignature\n"
    "extendedKeyUsage = serverAuth\n";

absl::Status WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

class Minter {
 public:
  Minter(std::string openssl, std::string dir)
      : openssl_(std::move(openssl)), dir_(std::move(dir)) {}

  std::string Path(const std::string& name) const {
    return absl::StrCat(dir_, "/", name);
  }

  absl::Status Ca(const std::string& name, const std::string& cn) {
    return Run({"req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                Path(name + ".key"), "-out", Path(name + ".crt"), "-days", "2",
                "-subj", "/O=valkey-cpp OCSP tests/CN=" + cn, "-addext",
                "basicConstraints=critical,CA:TRUE", "-addext",
                "keyUsage=critical,keyCertSign,cRLSign"});
  }

  // `<name>.crt` / `<name>.key` issued by `ca` with serial `serial` (hex).
  absl::Status Cert(const std::string& name, const std::string& cn,
                    const std::string& serial, const std::string& ca,
                    const std::string& extensions) {
    const std::string ext = Path(name + ".ext");
    if (absl::Status s = WriteFile(ext, extensions); !s.ok()) return s;
    if (absl::Status s =
            Run({"req", "-new", "-newkey", "ec", "-pkeyopt",
                 "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                 Path(name + ".key"), "-out", Path(name + ".csr"), "-subj",
                 "/O=valkey-cpp OCSP tests/CN=" + cn});
        !s.ok()) {
      return s;
    }
    return Run({"x509", "-req", "-in", Path(name + ".csr"), "-CA",
                Path(ca + ".crt"), "-CAkey", Path(ca + ".key"), "-set_serial",
                "0x" + serial, "-days", "2", "-out", Path(name + ".crt"),
                "-extfile", ext});
  }

  absl::Status Run(std::vector<std::string> args) {
    args.insert(args.begin(), openssl_);
    return RunCommand(args, absl::Seconds(30)).status();
  }

 private:
  std::string openssl_;
  std::string dir_;
};

}  // namespace

absl::StatusOr<OcspPki> OcspPki::Mint(const std::string& dir,
                                      int responder_port) {
  const char* env = getenv("OPENSSL_BIN");
  const std::string openssl =
      FindExecutable(env != nullptr && *env != '\0' ? env : "openssl");
  if (openssl.empty()) {
    return absl::FailedPreconditionError(
        "the openssl command line tool is needed for OCSP tests; install it "
        "with tools/setup.sh (Debian package `openssl`) or set OPENSSL_BIN");
  }
  Minter m(openssl, dir);
  const std::string aia = absl::StrCat(
      "authorityInfoAccess = OCSP;URI:http://127.0.0.1:", responder_port, "\n");
  absl::Status s = m.Ca("ca", "valkey-cpp OCSP test CA");
  if (s.ok()) s = m.Ca("other_ca", "valkey-cpp other OCSP test CA");
  if (s.ok())
    s = m.Cert("ocsp", "responder", "2001", "ca", kResponderExtensions);
  if (s.ok()) s = m.Cert("rogue", "rogue", "2002", "ca", kRogueExtensions);
  const std::string leaf = std::string(kLeafExtensions) + aia;
  if (s.ok()) s = m.Cert("good", "localhost", "1001", "ca", leaf);
  if (s.ok()) s = m.Cert("revoked", "localhost", "1002", "ca", leaf);
  if (s.ok()) s = m.Cert("unknown", "localhost", "1003", "ca", leaf);
  if (s.ok()) s = m.Cert("no_aia", "localhost", "1004", "ca", kLeafExtensions);
  if (s.ok()) {
    s = m.Cert("sub_ca", "valkey-cpp OCSP test intermediate CA", "3001", "ca",
               kSubCaExtensions);
  }
  if (s.ok()) s = m.Cert("sub_good", "localhost", "1005", "sub_ca", leaf);
  // index.txt: status, expiry, revocation time, serial, file, subject.
  const std::string subject = "/O=valkey-cpp OCSP tests/CN=localhost";
  if (s.ok()) {
    s = WriteFile(
        m.Path("index.txt"),
        absl::StrCat("V\t301231000000Z\t\t1001\tunknown\t", subject, "\n",
                     "R\t301231000000Z\t240101000000Z\t1002\t", "unknown\t",
                     subject, "\n", "V\t301231000000Z\t\t1004\tunknown\t",
                     subject, "\n", "V\t301231000000Z\t\t1005\tunknown\t",
                     subject, "\n"));
  }
  // Several certificates share the subject CN=localhost.
  if (s.ok()) s = WriteFile(m.Path("index.txt.attr"), "unique_subject = no\n");
  if (!s.ok()) {
    return absl::Status(s.code(), absl::StrCat("minting OCSP test PKI in ", dir,
                                               ": ", s.message()));
  }
  OcspPki p;
  p.openssl = openssl;
  p.dir = dir;
  p.responder_port = responder_port;
  p.index = m.Path("index.txt");
  auto pair = [&](const std::string& name, std::string* cert,
                  std::string* key) {
    *cert = m.Path(name + ".crt");
    *key = m.Path(name + ".key");
  };
  pair("ca", &p.ca_cert, &p.ca_key);
  pair("other_ca", &p.other_ca_cert, &p.other_ca_key);
  pair("ocsp", &p.ocsp_cert, &p.ocsp_key);
  pair("rogue", &p.rogue_cert, &p.rogue_key);
  pair("good", &p.good_cert, &p.good_key);
  pair("revoked", &p.revoked_cert, &p.revoked_key);
  pair("unknown", &p.unknown_cert, &p.unknown_key);
  pair("no_aia", &p.no_aia_cert, &p.no_aia_key);
  pair("sub_ca", &p.sub_ca_cert, &p.sub_ca_key);
  pair("sub_good", &p.sub_good_cert, &p.sub_good_key);
  return p;
}

absl::Status OcspPki::MakeResponse(const std::string& cert,
                                   const std::string& signer_cert,
                                   const std::string& signer_key,
                                   int valid_minutes, const std::string& out,
                                   const std::string& digest,
                                   const std::string& issuer) const {
  const std::string& issuer_cert = issuer.empty() ? ca_cert : issuer;
  absl::StatusOr<std::string> r = RunCommand(
      {openssl, "ocsp", "-index", index, "-rsigner", signer_cert, "-rkey",
       signer_key, "-CA", issuer_cert, "-issuer", issuer_cert, "-" + digest,
       "-cert", cert, "-respout", out, "-nmin", absl::StrCat(valid_minutes)},
      absl::Seconds(30));
  return r.status();
}

std::vector<std::string> OcspPki::ResponderArgv(
    const std::string& signer_cert, const std::string& signer_key) const {
  return {openssl,    "ocsp",      "-index",
          index,      "-port",     absl::StrCat(responder_port),
          "-rsigner", signer_cert, "-rkey",
          signer_key, "-CA",       ca_cert,
          "-ndays",   "1"};
}

}  // namespace valkey::testing

#include "testing/tls_certs.h"

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "testing/subprocess.h"

namespace valkey::testing {
namespace {

constexpr char kServerExtensions[] =
    "basicConstraints = critical, CA:FALSE\n"
    "keyUsage = critical, digitalSignature, keyEncipherment\n"
    "extendedKeyUsage = serverAuth\n"
    "subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1\n";

constexpr char kClientExtensions[] =
    "basicConstraints = critical, CA:FALSE\n"
    "keyUsage = critical, digitalSignature, keyEncipherment\n"
    "extendedKeyUsage = clientAuth\n";

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

  // Self-signed CA `<name>.crt` / `<name>.key`.
  absl::Status Ca(const std::string& name, const std::string& cn) {
    return Run({"req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                Path(name + ".key"), "-out", Path(name + ".crt"), "-days", "2",
                "-subj", "/O=valkey-cpp tests/CN=" + cn, "-addext",
                "basicConstraints=critical,CA:TRUE", "-addext",
                "keyUsage=critical,keyCertSign,cRLSign"});
  }

  // Leaf `<name>.crt` / `<name>.key` signed by CA `<ca>`.
  absl::Status Leaf(const std::string& name, const std::string& cn,
                    const std::string& ca, const char* extensions) {
    const std::string ext = Path(name + ".ext");
    if (absl::Status s = WriteFile(ext, extensions); !s.ok()) return s;
    if (absl::Status s =
            Run({"req", "-new", "-newkey", "ec", "-pkeyopt",
                 "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                 Path(name + ".key"), "-out", Path(name + ".csr"), "-subj",
                 "/O=valkey-cpp tests/CN=" + cn});
        !s.ok()) {
      return s;
    }
    return Run({"x509", "-req", "-in", Path(name + ".csr"), "-CA",
                Path(ca + ".crt"), "-CAkey", Path(ca + ".key"), "-set_serial",
                absl::StrCat(++serial_), "-days", "2", "-out",
                Path(name + ".crt"), "-extfile", ext});
  }

 private:
  absl::Status Run(std::vector<std::string> args) {
    args.insert(args.begin(), openssl_);
    return RunCommand(args, absl::Seconds(30)).status();
  }

  std::string openssl_;
  std::string dir_;
  int serial_ = 1000;
};

}  // namespace

absl::StatusOr<TlsCerts> TlsCerts::Mint(const std::string& dir) {
  const char* env = getenv("OPENSSL_BIN");
  const std::string openssl =
      FindExecutable(env != nullptr && *env != '\0' ? env : "openssl");
  if (openssl.empty()) {
    return absl::FailedPreconditionError(
        "the openssl command line tool is needed to mint test certificates; "
        "install it with tools/setup.sh (Debian package `openssl`) or set "
        "OPENSSL_BIN");
  }
  Minter m(openssl, dir);
  absl::Status s = m.Ca("ca", "valkey-cpp test CA");
  if (s.ok()) s = m.Leaf("server", "localhost", "ca", kServerExtensions);
  if (s.ok()) {
    s = m.Leaf("client", "valkey-test-client", "ca", kClientExtensions);
  }
  if (s.ok()) s = m.Ca("other_ca", "valkey-cpp other test CA");
  if (s.ok()) {
    s = m.Leaf("other_client", "valkey-test-client", "other_ca",
               kClientExtensions);
  }
  if (s.ok()) {
    s = m.Leaf("other_server", "localhost", "other_ca", kServerExtensions);
  }
  if (!s.ok()) {
    return absl::Status(s.code(), absl::StrCat("minting test certificates in ",
                                               dir, ": ", s.message()));
  }
  TlsCerts c;
  c.dir = dir;
  c.ca_cert = m.Path("ca.crt");
  c.ca_key = m.Path("ca.key");
  c.server_cert = m.Path("server.crt");
  c.server_key = m.Path("server.key");
  c.client_cert = m.Path("client.crt");
  c.client_key = m.Path("client.key");
  c.other_ca_cert = m.Path("other_ca.crt");
  c.other_ca_key = m.Path("other_ca.key");
  c.other_client_cert = m.Path("other_client.crt");
  c.other_client_key = m.Path("other_client.key");
  c.other_server_cert = m.Path("other_server.crt");
  c.other_server_key = m.Path("other_server.key");
  return c;
}

}  // namespace valkey::testing

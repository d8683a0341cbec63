#include "valkey/connection/tls_context.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "valkey/common/errors.h"

namespace valkey {
namespace {

std::string TakeSslError() {
  const uint32_t code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  return buf;
}

absl::Status OptionError(absl::string_view option, absl::string_view what) {
  return InvalidArgumentError(
      absl::StrCat("tls.", option, ": ", what, ": ", TakeSslError()));
}

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

BioPtr MemBio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// PEM password callback: the password is handed over only while a key loads.
int PasswordCallback(char* buf, int size, int /*rwflag*/, void* userdata) {
  const std::string* password = static_cast<const std::string*>(userdata);
  if (password == nullptr || password->empty() ||
      password->size() > static_cast<size_t>(size)) {
    return -1;
  }
  std::memcpy(buf, password->data(), password->size());
  return static_cast<int>(password->size());
}

absl::Status AddCaPem(SSL_CTX* ctx, const std::string& pem) {
  BioPtr bio = MemBio(pem);
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  int added = 0;
  for (;;) {
    X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (cert == nullptr) break;
    const int ok = X509_STORE_add_cert(store, cert);
    X509_free(cert);
    if (ok != 1) return OptionError("ca_pem", "cannot add certificate");
    ++added;
  }
  ERR_clear_error();  // The loop ends on an expected "no start line".
  if (added == 0) {
    return InvalidArgumentError("tls.ca_pem: no PEM certificate found");
  }
  return absl::OkStatus();
}

absl::Status UseCertificatePem(SSL_CTX* ctx, const std::string& pem) {
  BioPtr bio = MemBio(pem);
  X509* leaf = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
  if (leaf == nullptr) return OptionError("cert_pem", "no PEM certificate");
  const int ok = SSL_CTX_use_certificate(ctx, leaf);
  X509_free(leaf);
  if (ok != 1) return OptionError("cert_pem", "cannot use certificate");
  for (;;) {  // The rest of the chain.
    X509* extra = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (extra == nullptr) break;
    if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) {
      X509_free(extra);
      return OptionError("cert_pem", "cannot add chain certificate");
    }
  }
  ERR_clear_error();
  return absl::OkStatus();
}

absl::Status UsePrivateKey(SSL_CTX* ctx, const TlsOptions& options) {
  const bool from_file = !options.key_file.empty();
  const std::string option = from_file ? "key_file" : "key_pem";
  BioPtr bio = from_file ? BioPtr(BIO_new_file(options.key_file.c_str(), "r"))
                         : MemBio(options.key_pem);
  if (bio == nullptr) {
    return OptionError(option,
                       absl::StrCat("cannot open '", options.key_file, "'"));
  }
  EVP_PKEY* key = PEM_read_bio_PrivateKey(
      bio.get(), nullptr, PasswordCallback,
      const_cast<std::string*>(&options.key_password));
  if (key == nullptr) {
    // Never show the key or its password; say which knob to check.
    const std::string where =
        from_file ? absl::StrCat("'", options.key_file, "'") : "the PEM";
    return OptionError(
        option, absl::StrCat("cannot read the private key in ", where,
                             options.key_password.empty()
                                 ? " (is it encrypted? set key_password)"
                                 : " (wrong key_password?)"));
  }
  const int ok = SSL_CTX_use_PrivateKey(ctx, key);
  EVP_PKEY_free(key);
  if (ok != 1) return OptionError(option, "cannot use the private key");
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return OptionError(option, "the private key does not match the certificate");
  }
  return absl::OkStatus();
}

absl::Status Configure(SSL_CTX* ctx, const TlsOptions& options) {
  const uint16_t min_version = options.min_version == TlsOptions::Version::kTls13
                                   ? TLS1_3_VERSION
                                   : TLS1_2_VERSION;
  if (SSL_CTX_set_min_proto_version(ctx, min_version) != 1) {
    return OptionError("min_version", "not supported");
  }
  if (!options.ciphers.empty() &&
      SSL_CTX_set_strict_cipher_list(ctx, options.ciphers.c_str()) != 1) {
    return OptionError("ciphers",
                       absl::StrCat("invalid cipher list '", options.ciphers,
                                    "'"));
  }

  const bool verify = options.verify != TlsOptions::Verify::kNone;
  SSL_CTX_set_verify(ctx, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  if (verify) {
    if (options.use_system_trust_store &&
        SSL_CTX_set_default_verify_paths(ctx) != 1) {
      ERR_clear_error();  // No system store is not fatal when CAs are given.
    }
    if (!options.ca_file.empty() &&
        SSL_CTX_load_verify_locations(ctx, options.ca_file.c_str(), nullptr) !=
            1) {
      return OptionError("ca_file", absl::StrCat("cannot load CA file '",
                                                 options.ca_file, "'"));
    }
    if (!options.ca_path.empty() &&
        SSL_CTX_load_verify_locations(ctx, nullptr, options.ca_path.c_str()) !=
            1) {
      return OptionError("ca_path", absl::StrCat("cannot use CA directory '",
                                                 options.ca_path, "'"));
    }
    if (!options.ca_pem.empty()) {
      if (absl::Status s = AddCaPem(ctx, options.ca_pem); !s.ok()) return s;
    }
  }

  if (!options.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, options.cert_file.c_str()) !=
        1) {
      return OptionError("cert_file", absl::StrCat("cannot load certificate '",
                                                   options.cert_file, "'"));
    }
  } else if (!options.cert_pem.empty()) {
    if (absl::Status s = UseCertificatePem(ctx, options.cert_pem); !s.ok()) {
      return s;
    }
  }
  const bool has_cert = !options.cert_file.empty() || !options.cert_pem.empty();
  const bool has_key = !options.key_file.empty() || !options.key_pem.empty();
  if (has_cert != has_key) {
    return InvalidArgumentError(
        "tls: a client certificate needs its private key and the other way "
        "round (cert_file/cert_pem with key_file/key_pem)");
  }
  if (has_key) {
    if (absl::Status s = UsePrivateKey(ctx, options); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

TlsContext::TlsContext(SSL_CTX* ctx, TlsOptions options)
    : ctx_(ctx), options_(std::move(options)) {}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

absl::StatusOr<std::shared_ptr<const TlsContext>> TlsContext::Create(
    const TlsOptions& options) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) {
    return TlsError(absl::StrCat("cannot create a TLS context: ",
                                 TakeSslError()));
  }
  if (absl::Status s = Configure(ctx, options); !s.ok()) {
    SSL_CTX_free(ctx);
    return s;
  }
  // Sessions only need the verification settings; drop the secrets.
  TlsOptions kept = options;
  kept.key_pem.clear();
  kept.key_password.clear();
  return std::shared_ptr<const TlsContext>(new TlsContext(ctx, std::move(kept)));
}

}  // namespace valkey

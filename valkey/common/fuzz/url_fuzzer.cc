// Fuzz target for ParseUrl() and ApplyUrl() (valkey/common/url.h).
//
// Input: the URL, as is.
//
// Checked, beyond "no crash, no sanitizer report":
//   - every error is INVALID_ARGUMENT with kind kInvalidArgument;
//   - a parsed config passes ValidateConfig() and converts with
//     ToClientOptions() (a URL only holds inline secrets, so conversion
//     reads nothing and must not find what validation missed);
//   - ApplyUrl() over an empty config gives exactly ParseUrl()'s config, and
//     fails exactly when ParseUrl() does;
//   - ApplyUrl() over a config with every part set either succeeds with a
//     valid config or leaves that config unchanged;
//   - no password reaches a message: the URL is parsed again with each
//     password (user info, and the password, ssl_password and
//     sentinel_password options) replaced by a marker, and no error message
//     may contain the marker.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "valkey/common/config.h"
#include "valkey/common/config.pb.h"
#include "valkey/common/errors.h"
#include "valkey/common/fuzz/fuzz_check.h"
#include "valkey/common/url.h"

namespace valkey {
namespace {

constexpr absl::string_view kMarker = "Pw7qMarker";

void CheckError(const absl::Status& s) {
  FUZZ_CHECK(s.code() == absl::StatusCode::kInvalidArgument,
             s.ToString().c_str());
  FUZZ_CHECK(GetErrorKind(s) == ErrorKind::kInvalidArgument,
             s.ToString().c_str());
}

// A valid config with something in every part ApplyUrl() merges or
// replaces. (No host or port: they cannot go with `sentinel`, and ApplyUrl()
// always replaces the address.)
const ClientConfig& FullConfig() {
  static const ClientConfig* const config = [] {
    absl::StatusOr<ClientConfig> c = ParseConfigText(R"pb(
      connection {
        db: 3
        username: "config-user"
        password { value: "config-password" }
        client_name: "config-name"
        socket_timeout { seconds: 2 }
        keepalive { idle { seconds: 30 } }
        tls { ca_file: "/ca.pem" server_name: "config-sni" }
        retry { retries: 2 }
      }
      pool { max_connections: 7 }
      sentinel {
        sentinels { host: "s1" port: 26380 }
        service_name: "config-service"
      }
      cache { enabled: true max_entries: 9 }
      async { max_in_flight: 100 }
    )pb");
    FUZZ_CHECK(c.ok(), c.status().ToString().c_str());
    return new ClientConfig(*std::move(c));
  }();
  return *config;
}

// `url` with its passwords replaced by kMarker, following the splitting
// rules of url.cc; nullopt when the URL holds no password or the marker
// already appears elsewhere (a message may then echo it legitimately).
std::optional<std::string> WithMarkedPasswords(absl::string_view url) {
  if (absl::StrContains(url, kMarker)) return std::nullopt;
  const size_t colon = url.find(':');
  if (colon == absl::string_view::npos) return std::nullopt;
  std::string out(url.substr(0, colon + 1));
  absl::string_view rest = url.substr(colon + 1);
  int replaced = 0;
  if (absl::ConsumePrefix(&rest, "//")) {
    out += "//";
    const size_t end = rest.find_first_of("/?");
    absl::string_view authority = rest.substr(0, end);
    rest = end == absl::string_view::npos ? absl::string_view()
                                          : rest.substr(end);
    const size_t at = authority.rfind('@');
    const size_t c = authority.substr(0, at).find(':');
    if (at != absl::string_view::npos && c != absl::string_view::npos) {
      absl::StrAppend(&out, authority.substr(0, c + 1), kMarker,
                      authority.substr(at));
      ++replaced;
    } else {
      absl::StrAppend(&out, authority);
    }
  }
  const size_t q = rest.find('?');
  if (q == absl::string_view::npos) {
    absl::StrAppend(&out, rest);
  } else {
    absl::StrAppend(&out, rest.substr(0, q + 1));
    std::vector<std::string> items;
    for (absl::string_view item : absl::StrSplit(rest.substr(q + 1), '&')) {
      const size_t eq = item.find('=');
      const absl::string_view key = item.substr(0, eq);
      if (eq != absl::string_view::npos &&
          (key == "password" || key == "ssl_password" ||
           key == "sentinel_password")) {
        items.push_back(absl::StrCat(key, "=", kMarker));
        ++replaced;
      } else {
        items.emplace_back(item);
      }
    }
    absl::StrAppend(&out, absl::StrJoin(items, "&"));
  }
  if (replaced == 0) return std::nullopt;
  return out;
}

void FuzzUrl(absl::string_view url) {
  absl::StatusOr<ClientConfig> parsed = ParseUrl(url);
  ClientConfig applied;
  const absl::Status apply_status = ApplyUrl(url, &applied);
  FUZZ_CHECK(parsed.ok() == apply_status.ok(),
             "ApplyUrl() over an empty config disagrees with ParseUrl()");
  if (parsed.ok()) {
    FUZZ_CHECK(ValidateConfig(*parsed).ok(), "parsed config is invalid");
    absl::StatusOr<ClientOptions> options = ToClientOptions(*parsed);
    FUZZ_CHECK(options.ok(), options.status().ToString().c_str());
    FUZZ_CHECK(applied.DebugString() == parsed->DebugString(),
               "ApplyUrl() over an empty config differs from ParseUrl()");
  } else {
    CheckError(parsed.status());
    CheckError(apply_status);
  }

  ClientConfig full = FullConfig();
  const absl::Status merged = ApplyUrl(url, &full);
  if (merged.ok()) {
    FUZZ_CHECK(ValidateConfig(full).ok(), "merged config is invalid");
  } else {
    CheckError(merged);
    static const std::string* const unchanged =
        new std::string(FullConfig().DebugString());
    FUZZ_CHECK(full.DebugString() == *unchanged,
               "a failed ApplyUrl() changed the config");
  }

  if (std::optional<std::string> marked = WithMarkedPasswords(url)) {
    for (const absl::Status& s :
         {ParseUrl(*marked).status(), ApplyUrl(*marked, &full)}) {
      FUZZ_CHECK(!absl::StrContains(s.message(), kMarker),
                 s.ToString().c_str());
    }
  }
}

}  // namespace
}  // namespace valkey

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  valkey::FuzzUrl(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}

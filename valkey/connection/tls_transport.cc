#include "valkey/connection/tls_transport.h"

#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "valkey/common/errors.h"
#include "valkey/connection/tls_session.h"

namespace valkey {
namespace {

class TlsTransport final : public Transport {
 public:
  TlsTransport(std::unique_ptr<Transport> inner,
               std::unique_ptr<TlsSession> session)
      : inner_(std::move(inner)), session_(std::move(session)) {}

  ~TlsTransport() override { Close(); }

  // Drives the handshake to completion.
  absl::Status Handshake(absl::Time deadline) {
    for (;;) {
      absl::StatusOr<TlsSession::Progress> p = session_->Handshake();
      if (!p.ok()) return p.status();
      if (absl::Status s = Flush(deadline); !s.ok()) return s;
      if (*p == TlsSession::Progress::kDone) return absl::OkStatus();
      if (*p == TlsSession::Progress::kWantRead) {
        if (absl::Status s = Fill(deadline); !s.ok()) return s;
      }
    }
  }

  absl::Status Write(absl::string_view data, absl::Time deadline) override {
    if (closed_) return Closed();
    while (!data.empty()) {
      size_t written = 0;
      absl::StatusOr<TlsSession::Progress> p = session_->Write(data, &written);
      if (!p.ok()) return Fail(p.status());
      data.remove_prefix(written);
      if (absl::Status s = Flush(deadline); !s.ok()) return Fail(s);
      if (*p == TlsSession::Progress::kWantRead) {
        // Renegotiation-style reads are not expected from a server, but
        // honour them rather than spin.
        if (absl::Status s = Fill(deadline); !s.ok()) return Fail(s);
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<size_t> Read(char* buffer, size_t size,
                              absl::Time deadline) override {
    if (closed_) return Closed();
    if (!plaintext_.empty()) return TakePlaintext(buffer, size);
    for (;;) {
      size_t got = 0;
      absl::StatusOr<TlsSession::Progress> p =
          session_->Read(buffer, size, &got);
      if (!p.ok()) return Fail(p.status());
      if (got > 0) return got;
      if (absl::Status s = Flush(deadline); !s.ok()) return Fail(s);
      if (*p != TlsSession::Progress::kWantWrite) {
        if (absl::Status s = Fill(deadline); !s.ok()) return Fail(s);
      }
    }
  }

  bool Readable() override {
    if (closed_) return false;
    if (!plaintext_.empty() || session_->HasBufferedPlaintext()) return true;
    // Ciphertext may be only a TLS control record (a TLS 1.3 session ticket,
    // say) that carries no application data: decrypt what is there now and
    // keep the plaintext for the next Read.
    while (inner_->Readable()) {
      absl::Status filled = Fill(absl::InfinitePast());
      if (!filled.ok()) return true;  // EOF or error: Read reports it.
      char buf[4096];
      for (;;) {
        size_t got = 0;
        absl::StatusOr<TlsSession::Progress> p =
            session_->Read(buf, sizeof(buf), &got);
        if (!p.ok()) return true;
        if (got == 0) break;
        plaintext_.append(buf, got);
      }
      if (!plaintext_.empty()) return true;
    }
    return false;
  }

  void Close() override {
    if (closed_) return;
    closed_ = true;
    inner_->Close();
  }

  int fd() const override { return closed_ ? -1 : inner_->fd(); }
  const std::string& peer() const override { return inner_->peer(); }

 private:
  // Sends every ciphertext byte the session has queued.
  absl::Status Flush(absl::Time deadline) {
    absl::string_view out = session_->PendingOutput();
    if (out.empty()) return absl::OkStatus();
    absl::Status s = inner_->Write(out, deadline);
    if (s.ok()) session_->ConsumeOutput(out.size());
    return s;
  }

  // Reads ciphertext from the network into the session (blocking until
  // `deadline` for at least one byte).
  absl::Status Fill(absl::Time deadline) {
    char buf[16384];
    const size_t room = std::min(sizeof(buf), session_->InputCapacity());
    if (room == 0) return absl::OkStatus();
    absl::StatusOr<size_t> n = inner_->Read(buf, room, deadline);
    if (!n.ok()) return n.status();
    session_->FeedInput(absl::string_view(buf, *n));
    return absl::OkStatus();
  }

  size_t TakePlaintext(char* buffer, size_t size) {
    const size_t n = std::min(size, plaintext_.size());
    std::memcpy(buffer, plaintext_.data(), n);
    plaintext_.erase(0, n);
    return n;
  }

  absl::Status Fail(absl::Status s) {
    // A TLS stream cannot resume after an error.
    if (!IsTimeout(s)) Close();
    return s;
  }

  absl::Status Closed() const {
    return ConnectionError(
        absl::StrCat("TLS connection to ", inner_->peer(), " is closed"));
  }

  std::unique_ptr<Transport> inner_;
  std::unique_ptr<TlsSession> session_;
  std::string plaintext_;  // Decrypted by Readable(), not yet returned.
  bool closed_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Transport>> ConnectTls(
    std::unique_ptr<Transport> inner,
    std::shared_ptr<const TlsContext> context, absl::string_view host,
    absl::Time deadline) {
  std::string peer = inner->peer();
  absl::StatusOr<std::unique_ptr<TlsSession>> session =
      TlsSession::Create(std::move(context), host, peer);
  if (!session.ok()) return session.status();
  auto transport =
      std::make_unique<TlsTransport>(std::move(inner), std::move(*session));
  if (absl::Status s = transport->Handshake(deadline); !s.ok()) return s;
  return transport;
}

}  // namespace valkey

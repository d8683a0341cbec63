// ConnectionCore, socket traffic once connected: writes, reads, TLS records,
// reply dispatch (see connection_core.h).

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "valkey/async/connection_core.h"
#include "valkey/common/command_secrets.h"
#include "valkey/common/errors.h"

namespace valkey::async::internal {
namespace {

constexpr size_t kReadChunk = 64 * 1024;

// AsyncOptions::write_during_dispatch splits only batches of at least twice
// this: below it the extra send() costs more than the overlap gains
// (measured in docs/benchmarks.md, "Writing during dispatch").
constexpr size_t kMinDispatchWrite = 16;

}  // namespace

void ConnectionCore::OnSocketEvent(uint32_t events) {
  switch (phase_on_loop_) {
    case Phase::kConnecting:
      return OnConnectFinished();
    case Phase::kTls:
      if (responder_query_running_) {
        // Only a hang-up or an error can arrive (no interest is set):
        // the server is gone, whatever the responder says.
        return AttemptFailed(ConnectionError(absl::StrCat(
            "connect to ", target_,
            ": connection closed while the OCSP responder was asked")));
      }
      if (events & (EventLoop::kReadable | EventLoop::kError)) {
        if (absl::Status s = ReceiveCiphertext(); !s.ok()) {
          return AttemptFailed(s);
        }
      }
      if (events & EventLoop::kWritable) {
        if (absl::Status s = SendCiphertext(); !s.ok()) {
          return AttemptFailed(s);
        }
      }
      return AdvanceTls();
    case Phase::kHandshake:
    case Phase::kReady:
      if (events & EventLoop::kWritable) {
        if (absl::Status s = WriteOut(); !s.ok()) return Broke(s);
      }
      if (events & (EventLoop::kReadable | EventLoop::kError)) ReadIn();
      return;
    default:
      return;
  }
}

absl::Status ConnectionCore::WriteOut() {
  if (tls_session_ != nullptr) {
    while (write_offset_ < writing_.size()) {
      size_t taken = 0;
      absl::StatusOr<TlsSession::Progress> p = tls_session_->Write(
          absl::string_view(writing_).substr(write_offset_), &taken);
      if (!p.ok()) return p.status();
      write_offset_ += taken;
      if (absl::Status s = SendCiphertext(); !s.ok()) return s;
      if (taken == 0) break;  // Session full until ciphertext drains.
    }
    const bool more = write_offset_ < writing_.size() ||
                      !tls_session_->PendingOutput().empty();
    SetInterest(EventLoop::kReadable | (more ? EventLoop::kWritable : 0));
    NoteUnsent();
    return absl::OkStatus();
  }
  while (write_offset_ < writing_.size()) {
    const ssize_t n = ::send(fd_, writing_.data() + write_offset_,
                             writing_.size() - write_offset_, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return ErrnoError(errno, absl::StrCat("write to ", address_));
    }
    writes_.fetch_add(1, std::memory_order_relaxed);
    write_offset_ += static_cast<size_t>(n);
  }
  const bool more = write_offset_ < writing_.size();
  if (!more) {
    writing_.clear();
    write_offset_ = 0;
  }
  SetInterest(EventLoop::kReadable | (more ? EventLoop::kWritable : 0));
  NoteUnsent();
  return absl::OkStatus();
}

absl::Status ConnectionCore::SendCiphertext() {
  for (;;) {
    absl::string_view out = tls_session_->PendingOutput();
    if (out.empty()) return absl::OkStatus();
    const ssize_t n = ::send(fd_, out.data(), out.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return absl::OkStatus();
      return ErrnoError(errno, absl::StrCat("write to ", address_));
    }
    writes_.fetch_add(1, std::memory_order_relaxed);
    tls_session_->ConsumeOutput(static_cast<size_t>(n));
  }
}

absl::Status ConnectionCore::ReceiveCiphertext() {
  char buf[16 * 1024];
  for (;;) {
    const size_t room = std::min(sizeof(buf), tls_session_->InputCapacity());
    if (room == 0) return absl::OkStatus();
    const ssize_t n = ::recv(fd_, buf, room, 0);
    if (n > 0) {
      tls_session_->FeedInput(absl::string_view(buf, n));
      if (static_cast<size_t>(n) < room) return absl::OkStatus();
      continue;
    }
    if (n == 0) {
      return ConnectionError(absl::StrCat("read from ", address_,
                                          ": connection closed by "
                                          "server"));
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return absl::OkStatus();
    return ErrnoError(errno, absl::StrCat("read from ", address_));
  }
}

inline void ConnectionCore::ReadIn() {
  absl::Status s = tls_session_ != nullptr ? ReadTls() : ReadPlain();
  // Replies that arrived before an error are still delivered.
  if (!Dispatch()) return;
  if (!s.ok()) Broke(s);
}

inline absl::Status ConnectionCore::ReadPlain() {
  for (int rounds = 0; rounds < 4; ++rounds) {
    absl::Span<char> space = reader_.PrepareFeed(kReadChunk);
    const ssize_t n = ::recv(fd_, space.data(), space.size(), 0);
    if (n > 0) {
      reader_.CommitFeed(static_cast<size_t>(n));
      if (static_cast<size_t>(n) < space.size()) return absl::OkStatus();
      continue;
    }
    reader_.CommitFeed(0);
    if (n == 0) {
      return ConnectionError(absl::StrCat("read from ", address_,
                                          ": connection closed by server"));
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return absl::OkStatus();
    return ErrnoError(errno, absl::StrCat("read from ", address_));
  }
  return absl::OkStatus();
}

inline absl::Status ConnectionCore::ReadTls() {
  absl::Status received = ReceiveCiphertext();
  for (;;) {
    absl::Span<char> space = reader_.PrepareFeed(kReadChunk);
    size_t got = 0;
    absl::StatusOr<TlsSession::Progress> p =
        tls_session_->Read(space.data(), space.size(), &got);
    reader_.CommitFeed(got);
    if (!p.ok()) return p.status();
    if (got == 0) break;
  }
  // The session may have produced output (key updates).
  if (absl::Status s = SendCiphertext(); !s.ok()) return s;
  return received;
}

inline bool ConnectionCore::Dispatch() {
  // With a deep queue, what the callers of the first half of these replies
  // issue is written as soon as they have issued it, so the server runs it
  // while the loop resumes the rest (AsyncOptions::write_during_dispatch).
  // 0: written at the end of the loop's turn, all together.
  size_t write_after = 0;
  if (async_.write_during_dispatch &&
      inflight_.size() >= 2 * kMinDispatchWrite) {
    write_after = inflight_.size() / 2;
  }
  size_t completed = 0;
  Reply reply;
  for (;;) {
    const RespReader::Result r = reader_.Read(&reply);
    if (r == RespReader::Result::kNeedMore) return true;
    if (r == RespReader::Result::kError) {
      Broke(reader_.status());
      return false;
    }
    if (phase_on_loop_ == Phase::kHandshake) {
      if (!OnHandshakeReply(reply)) return false;
      continue;
    }
    if (reply.type() == ReplyType::kPush) {
      if (async_.on_push) async_.on_push(std::move(reply));
      continue;
    }
    if (inflight_.empty()) {
      if (async_.push_unmatched_replies && async_.on_push) {
        async_.on_push(std::move(reply));
        continue;
      }
      Broke(ProtocolError(absl::StrCat("read from ", address_,
                                       ": a reply arrived that no command "
                                       "awaits")));
      return false;
    }
    Pending p = inflight_.take_front();
    in_flight_.fetch_sub(1, std::memory_order_relaxed);
    if (p.expired) continue;
    if (reply.is_error() && async_.drop_on_readonly &&
        absl::StartsWith(reply.view().str(), "READONLY")) {
      // The master was demoted: fail as a connection error (retryable)
      // and reconnect, which asks where the master is now.
      const absl::Status demoted = ConnectionError(
          absl::StrCat(absl::AsciiStrToUpper(p.Name()), " on ", target_,
                       ": the server is no longer a master (",
                       p.Secrets().Scrub(reply.view().str()), ")"));
      p.Complete(demoted);
      if (phase_on_loop_ == Phase::kReady) Lost(demoted);
      return false;
    }
    if (reply.is_error()) {
      p.Complete(CommandErrorStatus(
          reply.view(), p.Secrets(),
          absl::StrCat(absl::AsciiStrToUpper(p.Name()), " on ", address_)));
    } else {
      p.Complete(std::move(reply));
    }
    if (phase_on_loop_ != Phase::kReady) return false;  // Closed by a sink.
    if (++completed == write_after) {
      Flush();
      if (phase_on_loop_ != Phase::kReady) return false;  // The write failed.
    }
  }
}

void ConnectionCore::Broke(absl::Status error) {
  if (phase_on_loop_ == Phase::kReady) {
    Lost(Annotate(error, absl::StrCat("connection to ", address_, " lost")));
  } else if (phase_on_loop_ != Phase::kBackoff &&
             phase_on_loop_ != Phase::kClosed) {
    AttemptFailed(error);
  }
}

void ConnectionCore::CloseSocket() {
  if (fd_ >= 0) {
    loop_.Unwatch(fd_);
    ::close(fd_);
    fd_ = -1;
  }
  interest_ = 0;
  tls_session_.reset();
  responder_query_running_ = false;
}

}  // namespace valkey::async::internal

// FaultProxy: a loopback TCP proxy between a client under test and a real
// server, which the test steers to inject network faults.
//
// The proxy listens on 127.0.0.1 on a free port. Each accepted connection is
// paired with a new connection to the upstream server, and bytes are copied
// both ways. At any moment the test can switch the proxy to:
//
//   - pass through          (the default; PassThrough() / Resume()),
//   - delay                 every chunk is held for D before it is forwarded,
//                           in one or both directions; order is kept,
//   - blackhole             connections are accepted and read, but nothing is
//                           forwarded or answered (see Blackhole()),
//   - refuse                the listening socket is closed, so new connects
//                           get "connection refused" (RefuseConnections()),
//
// and trigger one-off faults:
//
//   - CutAll()              resets every current connection now,
//   - CutAfterReplyBytes(n) forwards n more server->client bytes, then closes
//                           the client side of the connection carrying them,
//   - CutEachConnectionAfterReplyBytes(n)
//                           the same limit for every connection separately.
//
// Example:
//
//   absl::StatusOr<std::unique_ptr<valkey::testing::FaultProxy>> proxy =
//       valkey::testing::FaultProxy::Start("127.0.0.1", server_port);
//   ASSERT_TRUE(proxy.ok()) << proxy.status();
//   Client client((*proxy)->host(), (*proxy)->port());
//   (*proxy)->Blackhole();
//   EXPECT_TRUE(valkey::IsTimeout(client.Get("k").status()));
//   ASSERT_TRUE((*proxy)->Resume().ok());
//
// All sockets are served by one background thread running a poll() loop;
// sockets are non-blocking, per-direction buffers are bounded (a full buffer
// stops reading from that side, so TCP back-pressure reaches the sender), and
// the thread sleeps in poll() until a socket is ready, a delayed chunk falls
// due, or a control call wakes it. Only loopback addresses are used, on both
// sides.
//
// Every control call is synchronous: when it returns, the background thread
// has applied it (after CutAll() returns, the connections are closed; after
// Blackhole() returns, no further byte is forwarded). The calls wait for the
// background thread for at most a few seconds; they never hang.
//
// Thread-safety: all public member functions are thread-safe and may be
// called concurrently from any thread. Destroying the proxy stops the
// background thread and closes every socket it owns (connections are reset)
// before the destructor returns.

#ifndef VALKEY_TESTING_FAULT_PROXY_H_
#define VALKEY_TESTING_FAULT_PROXY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace valkey::testing {

class FaultProxy {
 public:
  // Which way bytes travel through the proxy.
  enum class Direction : uint8_t {
    kClientToServer,  // Requests.
    kServerToClient,  // Replies.
    kBoth,
  };

  // A snapshot of the proxy's counters (see Stats()).
  struct Stats {
    // Client connections accepted since Start().
    int64_t connections_accepted = 0;
    // Client connections currently open (accepted and not yet closed).
    int64_t connections_active = 0;
    // Connections the proxy closed on purpose: CutAll() and the
    // cut-after-reply-bytes triggers. Not counted: closes caused by a peer or
    // by a failed upstream connect.
    int64_t connections_cut = 0;
    // Bytes forwarded, i.e. written to the server / to the client. Bytes
    // held by a delay or a blackhole are counted once they are written.
    int64_t bytes_client_to_server = 0;
    int64_t bytes_server_to_client = 0;
  };

  // Starts a proxy listening on 127.0.0.1 on a free port, forwarding to
  // `upstream_host`:`upstream_port`. `upstream_host` must be a loopback
  // address: "localhost", an address in 127.0.0.0/8, or "::1".
  //
  // Returns the running proxy; InvalidArgument (kind kInvalidArgument) for a
  // host that is not loopback or a port outside 1..65535; UNAVAILABLE (kind
  // kConnection) when the listening socket or the eventfd cannot be
  // created. The
  // upstream is not contacted here: each accepted connection connects to it
  // separately, and a failed upstream connect resets that client connection.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<FaultProxy>> Start(
      std::string upstream_host, int upstream_port);

  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  // Stops the background thread and resets every connection. Blocks until
  // the thread has exited.
  ~FaultProxy();

  // The address clients connect to: always "127.0.0.1".
  std::string host() const { return "127.0.0.1"; }
  // The listening port, fixed for the proxy's lifetime (RefuseConnections()
  // and Resume() keep it).
  int port() const { return port_; }

  // Returns to plain forwarding: clears the delays, the blackhole, both cut
  // triggers and the refusal (listening again on the same port). Data held
  // by a blackhole is then forwarded, in order, so an existing connection
  // sees it late, like a healed network partition; chunks read under a
  // delay keep the due time they were read with.
  //
  // Returns OK, or UNAVAILABLE when listening on the port again failed (only
  // possible after RefuseConnections(); the proxy then stays refusing), or
  // DEADLINE_EXCEEDED if the background thread did not respond in time.
  [[nodiscard]] absl::Status Resume();
  // Same as Resume().
  [[nodiscard]] absl::Status PassThrough() { return Resume(); }

  // Holds every chunk read from then on for `delay` before forwarding it, in
  // `direction` (kBoth sets both; a single direction leaves the other one
  // as it was). A zero or negative delay clears it. Chunks already queued
  // keep the delay they were read with, and order within a direction is
  // always kept. An end-of-stream is delayed like data.
  void SetDelay(absl::Duration delay, Direction direction = Direction::kBoth);

  // Holds the server's replies on some connections only: those whose client
  // has sent `marker` (e.g. "TRACKING"; matched within one read of the
  // client's bytes, so keep it short). From the read that carries it, every
  // chunk the server sends on such a connection is held for `delay` (or the
  // SetDelay() server-to-client delay, if longer) before it is forwarded;
  // other connections are not affected. Models one slow connection among
  // several to the same server. An empty marker or a zero delay clears it;
  // Resume() clears it too. Connections already marked stay marked.
  void DelayRepliesOnConnectionsSending(std::string marker,
                                        absl::Duration delay);

  // Starts blackholing: the proxy keeps accepting connections and reading
  // from both sides (until a side's bounded buffer is full), but forwards
  // nothing and writes nothing to anyone, on new and existing connections
  // alike. A connection accepted while blackholed is not connected upstream
  // until the blackhole ends. A peer's end-of-stream is held like data; a
  // reset from either peer still closes that connection (resetting the other
  // side). Resume() forwards what was held.
  void Blackhole();

  // Closes every current connection now, on both sides, with a reset
  // (SO_LINGER 0): the client sees ECONNRESET (or end-of-stream). Data held
  // for those connections is dropped. The current mode is unchanged, so new
  // connections are served as before.
  void CutAll();

  // One-shot, counted over all connections: forwards exactly `n` more bytes
  // of server->client data (counted from this call), then closes the client
  // side of the connection that carried the n-th byte, with a normal close
  // (the client reads those bytes, then end-of-stream) and resets its server
  // side. With n == 0, the next connection about to forward a reply byte is
  // closed before forwarding any. After firing, the trigger disarms itself;
  // other connections and later ones pass through. A new call replaces an
  // armed trigger; Resume() disarms it.
  void CutAfterReplyBytes(int64_t n);

  // Like CutAfterReplyBytes(), but for every connection separately and until
  // Resume(): each current connection may forward `n` more server->client
  // bytes from this call, each later connection `n` bytes from its start;
  // then it is closed the same way.
  void CutEachConnectionAfterReplyBytes(int64_t n);

  // Stops accepting: closes the listening socket (keeping the port reserved
  // by a bound, non-listening socket), so new connects fail with
  // ECONNREFUSED; connects still waiting in the accept queue are reset.
  // Existing connections are untouched. Resume() listens again on the same
  // port.
  //
  // Returns OK, or UNAVAILABLE when the port could not be reserved (another
  // socket took it in the instant it was free; connects are refused all the
  // same, but Resume() will then have to bind it again and may fail), or
  // DEADLINE_EXCEEDED if the background thread did not respond in time.
  [[nodiscard]] absl::Status RefuseConnections();

  // Returns the counters. The snapshot is taken after the background thread
  // has finished its current step, so it includes every byte a client has
  // already received through the proxy. A close by a peer is noticed
  // asynchronously: poll `connections_active` with a deadline.
  Stats GetStats();

 private:
  // The background thread's state and poll loop (fault_proxy.cc).
  class Loop;

  FaultProxy(int port, std::unique_ptr<Loop> loop);

  // Publishes the configuration changed under `mu_`: bumps the request
  // epoch, wakes the loop and waits (at most kControlTimeout) until the loop
  // has applied it. Returns true when applied, false on time-out.
  bool Commit() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const int port_;
  std::unique_ptr<Loop> loop_;
  std::thread thread_;

  // Configuration written by the control calls and read by the loop.
  absl::Mutex mu_;
  struct Config {
    absl::Duration delay_c2s = absl::ZeroDuration();
    absl::Duration delay_s2c = absl::ZeroDuration();
    std::string marker;  // DelayRepliesOnConnectionsSending.
    absl::Duration marked_delay = absl::ZeroDuration();
    bool blackhole = false;
    bool refuse = false;
    bool stop = false;
    // Generations: the loop acts once per increment.
    uint64_t cut_all_gen = 0;
    uint64_t global_cut_gen = 0;
    int64_t global_cut_bytes = -1;  // -1: disarmed.
    uint64_t per_conn_cut_gen = 0;
    int64_t per_conn_cut_bytes = -1;  // -1: disarmed.
  };
  Config config_ ABSL_GUARDED_BY(mu_);
  uint64_t requested_epoch_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t applied_epoch_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status listener_status_ ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace valkey::testing

#endif  // VALKEY_TESTING_FAULT_PROXY_H_

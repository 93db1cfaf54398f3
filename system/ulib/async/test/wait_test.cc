// Waits: firing, cancelling, re-arming, peer closed, many at once, an echo
// server and client on one loop, shutdown with pending waits.
#include <mica/async/loop.h>
#include <mica/cpp/objects.h>
#include <string.h>

#include "system/ulib/async/test/test.h"

using mica::async::Loop;
using mica::async::WaitId;

namespace {

struct Result {
  int calls = 0;
  mica_status_t status = 1;
  mica_signals_t observed = 0;
};

mica::async::WaitHandler Record(Result* r) {
  return [r](mica_status_t status, mica_signals_t observed) {
    r->calls++;
    r->status = status;
    r->observed = observed;
  };
}

}  // namespace

TEST(wait_on_event_fires) {
  Loop loop;
  mica::Event ev;
  CHECK_OK(mica::Event::Create(0, &ev));
  Result r;
  WaitId id = 0;
  CHECK_OK(loop.BeginWait(ev.get(), MICA_SIGNAL_SIGNALED, Record(&r), &id));
  CHECK(id != 0);
  CHECK_EQ(loop.pending_waits(), 1);
  CHECK_OK(loop.RunUntilIdle());
  CHECK_EQ(r.calls, 0);  // not signaled yet
  CHECK_OK(ev.signal(0, MICA_SIGNAL_SIGNALED | MICA_SIGNAL_USER0));
  CHECK_OK(loop.RunOnce(MICA_TIME_INFINITE));
  CHECK_EQ(r.calls, 1);
  CHECK_OK(r.status);
  CHECK_EQ(r.observed, MICA_SIGNAL_SIGNALED | MICA_SIGNAL_USER0);
  CHECK_EQ(loop.pending_waits(), 0);
  // One-shot: nothing more arrives.
  CHECK_OK(loop.RunUntilIdle());
  CHECK_EQ(r.calls, 1);
  CHECK_EQ(loop.CancelWait(id), MICA_ERR_NOT_FOUND);
}

TEST(wait_already_asserted_fires_at_once) {
  Loop loop;
  mica::Event ev;
  CHECK_OK(mica::Event::Create(0, &ev));
  CHECK_OK(ev.signal(0, MICA_SIGNAL_SIGNALED));
  Result r;
  CHECK_OK(loop.BeginWait(ev.get(), MICA_SIGNAL_SIGNALED, Record(&r)));
  CHECK_OK(loop.RunUntilIdle());
  CHECK_EQ(r.calls, 1);
  CHECK_OK(r.status);
  CHECK_EQ(r.observed, MICA_SIGNAL_SIGNALED);
}

TEST(wait_on_channel_readable) {
  Loop loop;
  mica::Channel a, b;
  CHECK_OK(mica::Channel::Create(0, &a, &b));
  Result r;
  CHECK_OK(loop.BeginWait(b.get(), MICA_SIGNAL_READABLE, Record(&r)));
  CHECK_OK(a.write(0, "ping", 4, nullptr, 0));
  CHECK_OK(loop.RunUntilIdle());
  CHECK_EQ(r.calls, 1);
  CHECK(r.observed & MICA_SIGNAL_READABLE);
  CHECK(r.observed & MICA_SIGNAL_WRITABLE);
}

TEST(cancelled_wait_never_runs) {
  Loop loop;
  mica::Event ev;
  CHECK_OK(mica::Event::Create(0, &ev));
  Result r;
  WaitId id = 0;
  CHECK_OK(loop.BeginWait(ev.get(), MICA_SIGNAL_SIGNALED, Record(&r), &id));
  CHECK_OK(loop.CancelWait(id));
  CHECK_EQ(loop.pending_waits(), 0);
  CHECK_EQ(loop.CancelWait(id), MICA_ERR_NOT_FOUND);
  CHECK_OK(ev.signal(0, MICA_SIGNAL_SIGNALED));
  CHECK_OK(loop.RunUntilIdle());
  CHECK_EQ(r.calls, 0);
  // The kernel registration is gone too: cancelling it again finds nothing.
  CHECK_EQ(loop.port().cancel(ev, id), MICA_ERR_NOT_FOUND);
}

TEST(cancel_after_packet_queued) {
  Loop loop;
  mica::Event ev;
  CHECK_OK(mica::Event::Create(0, &ev));
  Result r;
  WaitId id = 0;
  CHECK_OK(loop.BeginWait(ev.get(), MICA_SIGNAL_SIGNALED, Record(&r), &id));
  CHECK_OK(ev.signal(0, MICA_SIGNAL_SIGNALED));  // the packet is queued now
  CHECK_OK(loop.CancelWait(id));
  CHECK_OK(loop.RunUntilIdle());
  CHECK_EQ(r.calls, 0);
}

TEST(cancel_from_another_handler) {
  Loop loop;
  mica::Event e1, e2;
  CHECK_OK(mica::Event::Create(0, &e1));
  CHECK_OK(mica::Event::Create(0, &e2));
  Result r2;
  WaitId id2 = 0;
  mica_status_t cancel = 1;
  CHECK_OK(loop.BeginWait(e1.get(), MICA_SIGNAL_SIGNALED,
                          [&](mica_status_t, mica_signals_t) { cancel = loop.CancelWait(id2); }));
  CHECK_OK(loop.BeginWait(e2.get(), MICA_SIGNAL_SIGNALED, Record(&r2), &id2));
  // Both fire; the first handler cancels the second, whose packet is queued.
  CHECK_OK(e1.signal(0, MICA_SIGNAL_SIGNALED));
  CHECK_OK(e2.signal(0, MICA_SIGNAL_SIGNALED));
  CHECK_OK(loop.RunUntilIdle());
  CHECK_OK(cancel);
  CHECK_EQ(r2.calls, 0);
  CHECK_EQ(loop.pending_waits(), 0);
}

TEST(rearmed_wait_fires_each_time) {
  Loop loop;
  mica::Event ev;
  CHECK_OK(mica::Event::Create(0, &ev));
  int fired = 0;
  mica_status_t rearm = MICA_OK;
  struct Handler {
    Loop* loop;
    mica::Event* ev;
    int* fired;
    mica_status_t* rearm;
    void operator()(mica_status_t status, mica_signals_t observed) {
      (*fired)++;
      ev->signal(MICA_SIGNAL_SIGNALED, 0);  // consume the signal
      if (*fired < 5) {
        *rearm = loop->BeginWait(ev->get(), MICA_SIGNAL_SIGNALED, Handler(*this));
        if (*rearm == MICA_OK) {
          ev->signal(0, MICA_SIGNAL_SIGNALED);
        }
      }
    }
  };
  CHECK_OK(loop.BeginWait(ev.get(), MICA_SIGNAL_SIGNALED, Handler{&loop, &ev, &fired, &rearm}));
  CHECK_OK(ev.signal(0, MICA_SIGNAL_SIGNALED));
  CHECK_OK(loop.RunUntilIdle());
  CHECK_OK(rearm);
  CHECK_EQ(fired, 5);
  CHECK_EQ(loop.pending_waits(), 0);
}

TEST(peer_closed_fires) {
  Loop loop;
  mica::Channel a, b;
  CHECK_OK(mica::Channel::Create(0, &a, &b));
  Result r;
  CHECK_OK(loop.BeginWait(b.get(), MICA_SIGNAL_PEER_CLOSED, Record(&r)));
  a.reset();
  CHECK_OK(loop.RunOnce(MICA_TIME_INFINITE));
  CHECK_EQ(r.calls, 1);
  CHECK_OK(r.status);
  CHECK(r.observed & MICA_SIGNAL_PEER_CLOSED);
  mica::EventPair p, q;
  CHECK_OK(mica::EventPair::Create(0, &p, &q));
  Result r2;
  CHECK_OK(loop.BeginWait(q.get(), MICA_SIGNAL_PEER_CLOSED | MICA_SIGNAL_SIGNALED, Record(&r2)));
  p.reset();
  CHECK_OK(loop.RunUntilIdle());
  CHECK_EQ(r2.calls, 1);
  CHECK_EQ(r2.observed & MICA_SIGNAL_PEER_CLOSED, MICA_SIGNAL_PEER_CLOSED);
}

TEST(wait_errors_leave_nothing_pending) {
  Loop loop;
  Result r;
  CHECK_EQ(loop.BeginWait(MICA_HANDLE_INVALID, MICA_SIGNAL_SIGNALED, Record(&r)),
           MICA_ERR_BAD_HANDLE);
  mica::Event ev;
  CHECK_OK(mica::Event::Create(0, &ev));
  CHECK_EQ(loop.BeginWait(ev.get(), 0, Record(&r)), MICA_ERR_INVALID_ARGS);
  CHECK_EQ(loop.BeginWait(ev.get(), MICA_SIGNAL_SIGNALED, nullptr), MICA_ERR_INVALID_ARGS);
  mica::Event no_wait;
  CHECK_OK(ev.duplicate(MICA_RIGHT_TRANSFER, &no_wait));
  CHECK_EQ(loop.BeginWait(no_wait.get(), MICA_SIGNAL_SIGNALED, Record(&r)), MICA_ERR_ACCESS_DENIED);
  CHECK_EQ(loop.pending_waits(), 0);
  CHECK_EQ(loop.CancelWait(0), MICA_ERR_NOT_FOUND);
  CHECK_EQ(loop.CancelWait(0x0000000700000001ull), MICA_ERR_NOT_FOUND);
  CHECK_EQ(loop.CancelWait(~0ull), MICA_ERR_NOT_FOUND);
  CHECK_OK(ev.signal(0, MICA_SIGNAL_SIGNALED));
  CHECK_OK(loop.RunUntilIdle());
  CHECK_EQ(r.calls, 0);
}

TEST(many_concurrent_waits_100_channels) {
  constexpr int kN = 100;
  Loop loop;
  static mica::Channel ends[kN][2];
  int got[kN];
  int total = 0;
  for (int i = 0; i < kN; i++) {
    got[i] = 0;
    CHECK_OK(mica::Channel::Create(0, &ends[i][0], &ends[i][1]));
    CHECK_OK(loop.BeginWait(
        ends[i][1].get(), MICA_SIGNAL_READABLE, [&, i](mica_status_t s, mica_signals_t observed) {
          uint32_t v = 0, n = 0;
          if (s == MICA_OK &&
              ends[i][1].read(0, &v, nullptr, sizeof(v), 0, &n, nullptr) == MICA_OK &&
              n == sizeof(v) && v == static_cast<uint32_t>(i)) {
            got[i]++;
          }
          total++;
        }));
  }
  CHECK_EQ(loop.pending_waits(), kN);
  // In reverse order: each handler must match its own channel.
  for (int i = kN - 1; i >= 0; i--) {
    uint32_t v = static_cast<uint32_t>(i);
    CHECK_OK(ends[i][0].write(0, &v, sizeof(v), nullptr, 0));
  }
  CHECK_OK(loop.RunUntilIdle());
  CHECK_EQ(total, kN);
  for (int i = 0; i < kN; i++) {
    CHECK_EQ(got[i], 1);
  }
  CHECK_EQ(loop.pending_waits(), 0);
  for (int i = 0; i < kN; i++) {
    ends[i][0].reset();
    ends[i][1].reset();
  }
}

namespace {

// The echo server: reads a message, writes it back with each byte + 1, and
// re-arms; stops at PEER_CLOSED.
struct EchoServer {
  Loop* loop;
  mica::Channel* ch;
  int* served;
  bool* saw_close;
  void operator()(mica_status_t s, mica_signals_t observed) {
    if (s != MICA_OK) {
      return;
    }
    if (observed & MICA_SIGNAL_READABLE) {
      uint8_t buf[64];
      uint32_t n = 0;
      if (ch->read(0, buf, nullptr, sizeof(buf), 0, &n, nullptr) == MICA_OK) {
        for (uint32_t i = 0; i < n; i++) {
          buf[i]++;
        }
        ch->write(0, buf, n, nullptr, 0);
        (*served)++;
      }
    } else if (observed & MICA_SIGNAL_PEER_CLOSED) {
      *saw_close = true;
      return;
    }
    loop->BeginWait(ch->get(), MICA_SIGNAL_READABLE | MICA_SIGNAL_PEER_CLOSED, EchoServer(*this));
  }
};

struct EchoClient {
  Loop* loop;
  mica::Channel* ch;
  int* round;
  int* bad;
  static constexpr int kRounds = 20;
  mica_status_t Send() const {
    uint8_t msg[8];
    memset(msg, *round, sizeof(msg));
    return ch->write(0, msg, sizeof(msg), nullptr, 0);
  }
  void operator()(mica_status_t s, mica_signals_t observed) {
    uint8_t buf[64];
    uint32_t n = 0;
    if (s != MICA_OK || ch->read(0, buf, nullptr, sizeof(buf), 0, &n, nullptr) != MICA_OK ||
        n != 8) {
      (*bad)++;
      loop->Quit();
      return;
    }
    for (uint32_t i = 0; i < n; i++) {
      if (buf[i] != static_cast<uint8_t>(*round + 1)) {
        (*bad)++;
      }
    }
    if (++*round == kRounds) {
      ch->reset();  // the server sees PEER_CLOSED
      loop->PostTask([l = loop] { l->Quit(); });
      return;
    }
    if (Send() != MICA_OK) {
      (*bad)++;
    }
    loop->BeginWait(ch->get(), MICA_SIGNAL_READABLE, EchoClient(*this));
  }
};

}  // namespace

TEST(echo_server_and_client_on_one_loop) {
  Loop loop;
  mica::Channel client, server;
  CHECK_OK(mica::Channel::Create(0, &client, &server));
  int served = 0, round = 0, bad = 0;
  bool saw_close = false;
  CHECK_OK(loop.BeginWait(server.get(), MICA_SIGNAL_READABLE | MICA_SIGNAL_PEER_CLOSED,
                          EchoServer{&loop, &server, &served, &saw_close}));
  EchoClient c{&loop, &client, &round, &bad};
  CHECK_OK(loop.BeginWait(client.get(), MICA_SIGNAL_READABLE, EchoClient(c)));
  CHECK_OK(c.Send());
  CHECK_EQ(loop.Run(), MICA_ERR_CANCELED);
  loop.ResetQuit();
  CHECK_OK(loop.RunUntilIdle());  // the server's PEER_CLOSED
  CHECK_EQ(bad, 0);
  CHECK_EQ(round, EchoClient::kRounds);
  CHECK_EQ(served, EchoClient::kRounds);
  CHECK(saw_close);
  CHECK_EQ(loop.pending_waits(), 0);
}

TEST(shutdown_cancels_pending_waits_and_closes_port) {
  mica::Event e1, e2;
  mica::Channel a, b;
  CHECK_OK(mica::Event::Create(0, &e1));
  CHECK_OK(mica::Event::Create(0, &e2));
  CHECK_OK(mica::Channel::Create(0, &a, &b));
  Result r[3];
  WaitId ids[3] = {};
  int refused_rearm = 0;
  mica::Port port;  // a second handle to the loop's port
  {
    Loop loop;
    CHECK_OK(loop.port().duplicate(MICA_RIGHT_SAME_RIGHTS, &port));
    CHECK_EQ(async_test::HandleCount(port.get()), 2);
    CHECK_OK(loop.BeginWait(e1.get(), MICA_SIGNAL_SIGNALED, Record(&r[0]), &ids[0]));
    CHECK_OK(loop.BeginWait(e2.get(), MICA_SIGNAL_SIGNALED, Record(&r[1]), &ids[1]));
    CHECK_OK(loop.BeginWait(b.get(), MICA_SIGNAL_READABLE, Record(&r[2]), &ids[2]));
    // A handler's attempt to re-arm during shutdown is refused.
    CHECK_OK(loop.BeginWait(a.get(), MICA_SIGNAL_READABLE, [&](mica_status_t s, mica_signals_t) {
      if (s == MICA_ERR_CANCELED &&
          loop.BeginWait(a.get(), MICA_SIGNAL_READABLE, [](mica_status_t, mica_signals_t) {}) ==
              MICA_ERR_BAD_STATE) {
        refused_rearm++;
      }
    }));
    CHECK_EQ(loop.pending_waits(), 4);
  }
  for (int i = 0; i < 3; i++) {
    CHECK_EQ(r[i].calls, 1);
    CHECK_EQ(r[i].status, MICA_ERR_CANCELED);
    CHECK_EQ(r[i].observed, 0);
  }
  CHECK_EQ(refused_rearm, 1);
  // The loop closed its port handle, and no registration is left in the
  // kernel (each would hold the port object alive until its source fired).
  CHECK_EQ(async_test::HandleCount(port.get()), 1);
  CHECK_EQ(port.cancel(e1, ids[0]), MICA_ERR_NOT_FOUND);
  CHECK_EQ(port.cancel(e2, ids[1]), MICA_ERR_NOT_FOUND);
  CHECK_EQ(port.cancel(b, ids[2]), MICA_ERR_NOT_FOUND);
  // Nothing fires any more: no packet reaches the port.
  CHECK_OK(e1.signal(0, MICA_SIGNAL_SIGNALED));
  CHECK_OK(a.write(0, "x", 1, nullptr, 0));
  mica_port_packet_t packet;
  CHECK_EQ(port.wait(0, &packet), MICA_ERR_TIMED_OUT);
  CHECK_EQ(r[0].calls, 1);
}

TEST(loop_handles_do_not_leak) {
  mica::Event ev;
  CHECK_OK(mica::Event::Create(0, &ev));
  for (int i = 0; i < 50; i++) {
    mica::Port port;
    WaitId id = 0;
    {
      Loop loop;
      CHECK_OK(loop.port().duplicate(MICA_RIGHT_SAME_RIGHTS, &port));
      CHECK_OK(loop.BeginWait(
          ev.get(), MICA_SIGNAL_SIGNALED, [](mica_status_t, mica_signals_t) {}, &id));
      CHECK_OK(loop.PostTask([] {}));
      CHECK_OK(loop.PostTaskAfter([] {}, 1000000000));
    }
    CHECK_EQ(async_test::HandleCount(port.get()), 1);
    CHECK_EQ(port.cancel(ev, id), MICA_ERR_NOT_FOUND);
  }
  CHECK_EQ(async_test::HandleCount(ev.get()), 1);
}

TEST(handle_closed_while_waiting_is_cancelled_at_shutdown) {
  Result r;
  WaitId id = 0;
  {
    Loop loop;
    mica::Event ev;
    CHECK_OK(mica::Event::Create(0, &ev));
    CHECK_OK(loop.BeginWait(ev.get(), MICA_SIGNAL_SIGNALED, Record(&r), &id));
    // The kernel drops the registration silently with the last handle.
    ev.reset();
    CHECK_OK(loop.RunUntilIdle());
    CHECK_EQ(r.calls, 0);
    CHECK_EQ(loop.pending_waits(), 1);
  }
  CHECK_EQ(r.calls, 1);
  CHECK_EQ(r.status, MICA_ERR_CANCELED);
  // CancelWait also drops such a wait.
  Loop loop;
  mica::Event ev;
  CHECK_OK(mica::Event::Create(0, &ev));
  Result r2;
  CHECK_OK(loop.BeginWait(ev.get(), MICA_SIGNAL_SIGNALED, Record(&r2), &id));
  ev.reset();
  CHECK_OK(loop.CancelWait(id));
  CHECK_EQ(loop.pending_waits(), 0);
  loop.Shutdown();
  CHECK_EQ(r2.calls, 0);
}

TEST(waits_and_tasks_interleave) {
  Loop loop;
  mica::Event ev;
  CHECK_OK(mica::Event::Create(0, &ev));
  int step = 0;
  bool ok = true;
  // A task signals the event; the wait's handler posts a delayed task that
  // quits the loop.
  CHECK_OK(loop.BeginWait(ev.get(), MICA_SIGNAL_SIGNALED, [&](mica_status_t s, mica_signals_t) {
    ok = ok && s == MICA_OK && step == 1;
    step = 2;
    loop.PostTaskAfter(
        [&] {
          ok = ok && step == 2;
          step = 3;
          loop.Quit();
        },
        5 * 1000000);
  }));
  CHECK_OK(loop.PostTask([&] {
    ok = ok && step == 0;
    step = 1;
    ev.signal(0, MICA_SIGNAL_SIGNALED);
  }));
  CHECK_EQ(loop.Run(), MICA_ERR_CANCELED);
  CHECK(ok);
  CHECK_EQ(step, 3);
}

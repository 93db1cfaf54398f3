// Repeating (edge-triggered) waits: BeginRepeatingWait runs its handler
// once per rising edge and stays pending; cancelling from inside its own
// handler, from another handler, and at shutdown.
#include <mica/async/loop.h>
#include <mica/cpp/objects.h>
#include <string.h>

#include "system/ulib/async/test/test.h"

using mica::async::Loop;
using mica::async::WaitId;

namespace {

// Counts its calls; destroyed once (checked through *destroyed).
struct Counter {
  int* calls;
  int* destroyed;
  mica_status_t* last;
  Counter(int* c, int* d, mica_status_t* l) : calls(c), destroyed(d), last(l) {}
  Counter(Counter&& o) noexcept : calls(o.calls), destroyed(o.destroyed), last(o.last) {
    o.destroyed = nullptr;
  }
  ~Counter() {
    if (destroyed != nullptr) {
      ++*destroyed;
    }
  }
  void operator()(mica_status_t status, mica_signals_t) {
    ++*calls;
    *last = status;
  }
};

}  // namespace

TEST(repeating_wait_fires_on_each_edge_and_stays) {
  Loop loop;
  mica::Event ev;
  CHECK_OK(mica::Event::Create(0, &ev));
  int calls = 0, destroyed = 0;
  mica_status_t last = 1;
  WaitId id = 0;
  CHECK_OK(loop.BeginRepeatingWait(ev.get(), MICA_SIGNAL_SIGNALED,
                                   Counter(&calls, &destroyed, &last), &id));
  CHECK_OK(loop.RunUntilIdle());
  CHECK_EQ(calls, 0);
  for (int i = 1; i <= 20; i++) {
    CHECK_OK(ev.signal(0, MICA_SIGNAL_SIGNALED));
    CHECK_OK(loop.RunUntilIdle());
    CHECK_EQ(calls, i);
    CHECK_OK(last);
    CHECK_EQ(loop.pending_waits(), 1);
    // Still up: no edge, no call.
    CHECK_OK(ev.signal(0, MICA_SIGNAL_SIGNALED | MICA_SIGNAL_USER0));
    CHECK_OK(loop.RunUntilIdle());
    CHECK_EQ(calls, i);
    CHECK_OK(ev.signal(MICA_SIGNAL_SIGNALED | MICA_SIGNAL_USER0, 0));
  }
  CHECK_EQ(destroyed, 0);
  CHECK_OK(loop.CancelWait(id));
  CHECK_EQ(destroyed, 1);
  CHECK_EQ(loop.pending_waits(), 0);
  CHECK_OK(ev.signal(0, MICA_SIGNAL_SIGNALED));
  CHECK_OK(loop.RunUntilIdle());
  CHECK_EQ(calls, 20);
  CHECK_EQ(loop.CancelWait(id), MICA_ERR_NOT_FOUND);
}

// Edges while the packet waits in the port make one call.
TEST(repeating_wait_edges_coalesce) {
  Loop loop;
  mica::Event ev;
  CHECK_OK(mica::Event::Create(0, &ev));
  int calls = 0, destroyed = 0;
  mica_status_t last = 1;
  CHECK_OK(
      loop.BeginRepeatingWait(ev.get(), MICA_SIGNAL_SIGNALED, Counter(&calls, &destroyed, &last)));
  for (int i = 0; i < 5; i++) {
    CHECK_OK(ev.signal(0, MICA_SIGNAL_SIGNALED));
    CHECK_OK(ev.signal(MICA_SIGNAL_SIGNALED, 0));
  }
  CHECK_OK(loop.RunUntilIdle());
  CHECK_EQ(calls, 1);
}

// The handler drains a channel until SHOULD_WAIT; later messages make new
// calls; a handler that does not drain hears nothing more until it does.
TEST(repeating_wait_channel_drain) {
  Loop loop;
  mica::Channel a, b;
  CHECK_OK(mica::Channel::Create(0, &a, &b));
  int calls = 0, read = 0;
  bool drain = true;
  CHECK_OK(
      loop.BeginRepeatingWait(b.get(), MICA_SIGNAL_READABLE, [&](mica_status_t, mica_signals_t) {
        calls++;
        char buf[8];
        uint32_t n = 0;
        while (b.read(0, buf, nullptr, sizeof(buf), 0, &n, nullptr) == MICA_OK) {
          read++;
          if (!drain) {
            break;
          }
        }
      }));
  for (int round = 1; round <= 4; round++) {
    for (int m = 0; m < round; m++) {
      CHECK_OK(a.write(0, "msg", 3, nullptr, 0));
    }
    CHECK_OK(loop.RunUntilIdle());
    CHECK_EQ(calls, round);
  }
  CHECK_EQ(read, 1 + 2 + 3 + 4);
  drain = false;
  CHECK_OK(a.write(0, "msg", 3, nullptr, 0));
  CHECK_OK(a.write(0, "msg", 3, nullptr, 0));
  CHECK_OK(loop.RunUntilIdle());
  CHECK_EQ(calls, 5);
  CHECK_EQ(read, 11);  // one left: READABLE stays up, no new edge
  CHECK_OK(a.write(0, "msg", 3, nullptr, 0));
  CHECK_OK(loop.RunUntilIdle());
  CHECK_EQ(calls, 5);
}

// A handler that cancels its own wait: destroyed once, after it returns;
// no further calls. Re-registering from the handler works.
TEST(repeating_wait_cancels_itself) {
  Loop loop;
  mica::Event ev;
  CHECK_OK(mica::Event::Create(0, &ev));
  int calls = 0, again = 0;
  WaitId id = 0;
  struct SelfCancel {
    Loop* loop;
    WaitId* id;
    int* calls;
    int* again;
    mica_handle_t ev;
    void operator()(mica_status_t status, mica_signals_t) {
      if (status != MICA_OK) {
        return;
      }
      ++*calls;
      CHECK_OK(loop->CancelWait(*id));
      CHECK_EQ(loop->CancelWait(*id), MICA_ERR_NOT_FOUND);
      // A new one: must not be confused with this, nor take this running
      // handler's slot (its state is read below, after the registration).
      int* a = again;
      CHECK_OK(
          loop->BeginRepeatingWait(ev, MICA_SIGNAL_USER1, [a](mica_status_t s, mica_signals_t) {
            if (s == MICA_OK) {
              ++*a;
            }
          }));
      // (Had the slot been reused, the new handler's pointer would sit
      // where `loop` is.)
      CHECK(static_cast<void*>(loop) != static_cast<void*>(a));
      CHECK_EQ(*calls, 1);
    }
  };
  CHECK_OK(loop.BeginRepeatingWait(ev.get(), MICA_SIGNAL_SIGNALED,
                                   SelfCancel{&loop, &id, &calls, &again, ev.get()}, &id));
  CHECK_OK(ev.signal(0, MICA_SIGNAL_SIGNALED));
  CHECK_OK(loop.RunUntilIdle());
  CHECK_EQ(calls, 1);
  CHECK_EQ(loop.pending_waits(), 1);  // the new one
  CHECK_OK(ev.signal(MICA_SIGNAL_SIGNALED, 0));
  CHECK_OK(ev.signal(0, MICA_SIGNAL_SIGNALED | MICA_SIGNAL_USER1));
  CHECK_OK(loop.RunUntilIdle());
  CHECK_EQ(calls, 1);
  CHECK_EQ(again, 1);
}

// Cancelled by another handler while its packet is queued: never runs.
TEST(repeating_wait_cancelled_by_another_handler) {
  Loop loop;
  mica::Event e1, e2;
  CHECK_OK(mica::Event::Create(0, &e1));
  CHECK_OK(mica::Event::Create(0, &e2));
  int calls = 0, destroyed = 0;
  mica_status_t last = 1;
  WaitId id2 = 0;
  mica_status_t cancel = 1;
  CHECK_OK(loop.BeginWait(e1.get(), MICA_SIGNAL_SIGNALED,
                          [&](mica_status_t, mica_signals_t) { cancel = loop.CancelWait(id2); }));
  CHECK_OK(loop.BeginRepeatingWait(e2.get(), MICA_SIGNAL_SIGNALED,
                                   Counter(&calls, &destroyed, &last), &id2));
  CHECK_OK(e1.signal(0, MICA_SIGNAL_SIGNALED));
  CHECK_OK(e2.signal(0, MICA_SIGNAL_SIGNALED));
  CHECK_OK(loop.RunUntilIdle());
  CHECK_OK(cancel);
  CHECK_EQ(calls, 0);
  CHECK_EQ(destroyed, 1);
  CHECK_EQ(loop.pending_waits(), 0);
}

// Shutdown runs a pending repeating wait's handler once with CANCELED.
TEST(repeating_wait_shutdown) {
  int calls = 0, destroyed = 0;
  mica_status_t last = 1;
  mica::Event ev;
  CHECK_OK(mica::Event::Create(0, &ev));
  {
    Loop loop;
    CHECK_OK(loop.BeginRepeatingWait(ev.get(), MICA_SIGNAL_SIGNALED,
                                     Counter(&calls, &destroyed, &last)));
    CHECK_OK(ev.signal(0, MICA_SIGNAL_SIGNALED));
    CHECK_OK(loop.RunUntilIdle());
    CHECK_EQ(calls, 1);
    loop.Shutdown();
    CHECK_EQ(calls, 2);
    CHECK_EQ(last, MICA_ERR_CANCELED);
    CHECK_EQ(destroyed, 1);
  }
  CHECK_EQ(calls, 2);
}

// Errors of object_wait_async come back and leave nothing pending.
TEST(repeating_wait_errors) {
  Loop loop;
  int calls = 0, destroyed = 0;
  mica_status_t last = 1;
  CHECK_EQ(loop.BeginRepeatingWait(MICA_HANDLE_INVALID, MICA_SIGNAL_SIGNALED,
                                   Counter(&calls, &destroyed, &last)),
           MICA_ERR_BAD_HANDLE);
  CHECK_EQ(loop.BeginRepeatingWait(loop.port().get(), MICA_SIGNAL_READABLE,
                                   Counter(&calls, &destroyed, &last)),
           MICA_ERR_NOT_SUPPORTED);
  CHECK_EQ(loop.pending_waits(), 0);
  CHECK_EQ(destroyed, 2);
  CHECK_EQ(calls, 0);
}

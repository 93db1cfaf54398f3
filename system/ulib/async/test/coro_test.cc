// C++20 coroutines on the loop (<mica/async/coro.h>).
#include <mica/async/coro.h>
#include <mica/cpp/objects.h>

#include "system/ulib/async/test/test.h"

using mica::async::Coro;
using mica::async::Loop;
using mica::async::WaitResult;

namespace {

constexpr mica_duration_t kMs = 1000000;

struct WaitOutcome {
  bool started = false;
  bool finished = false;
  WaitResult result = {1, 0};
};

Coro WaitOnce(Loop& loop, mica_handle_t h, mica_signals_t signals, WaitOutcome* out) {
  out->started = true;
  out->result = co_await loop.Wait(h, signals);
  out->finished = true;
}

}  // namespace

TEST(coro_wait_resumes_with_signals) {
  Loop loop;
  mica::Event ev;
  CHECK_OK(mica::Event::Create(0, &ev));
  WaitOutcome out;
  WaitOnce(loop, ev.get(), MICA_SIGNAL_SIGNALED, &out);
  CHECK(out.started);
  CHECK(!out.finished);
  CHECK_EQ(loop.pending_waits(), 1);
  CHECK_OK(ev.signal(0, MICA_SIGNAL_SIGNALED | MICA_SIGNAL_USER1));
  CHECK_OK(loop.RunUntilIdle());
  CHECK(out.finished);
  CHECK_OK(out.result.status);
  CHECK_EQ(out.result.observed, MICA_SIGNAL_SIGNALED | MICA_SIGNAL_USER1);
}

TEST(coro_wait_error_does_not_suspend) {
  Loop loop;
  WaitOutcome out;
  WaitOnce(loop, MICA_HANDLE_INVALID, MICA_SIGNAL_SIGNALED, &out);
  CHECK(out.finished);
  CHECK_EQ(out.result.status, MICA_ERR_BAD_HANDLE);
  CHECK_EQ(loop.pending_waits(), 0);
}

namespace {

// Reads `count` messages with co_await and answers each with its bytes + 1.
Coro EchoServer(Loop& loop, mica::Channel& ch, int count, int* served) {
  while (*served < count) {
    WaitResult r = co_await loop.Wait(ch.get(), MICA_SIGNAL_READABLE | MICA_SIGNAL_PEER_CLOSED);
    if (r.status != MICA_OK || !(r.observed & MICA_SIGNAL_READABLE)) {
      co_return;
    }
    uint8_t buf[16];
    uint32_t n = 0;
    if (ch.read(0, buf, nullptr, sizeof(buf), 0, &n, nullptr) != MICA_OK) {
      co_return;
    }
    for (uint32_t i = 0; i < n; i++) {
      buf[i]++;
    }
    ch.write(0, buf, n, nullptr, 0);
    (*served)++;
  }
}

Coro EchoClient(Loop& loop, mica::Channel& ch, int count, int* good) {
  for (int i = 0; i < count; i++) {
    uint8_t b = static_cast<uint8_t>(i);
    if (ch.write(0, &b, 1, nullptr, 0) != MICA_OK) {
      break;
    }
    WaitResult r = co_await loop.Wait(ch.get(), MICA_SIGNAL_READABLE);
    uint8_t reply = 0;
    uint32_t n = 0;
    if (r.status != MICA_OK || ch.read(0, &reply, nullptr, 1, 0, &n, nullptr) != MICA_OK ||
        n != 1 || reply != static_cast<uint8_t>(i + 1)) {
      break;
    }
    (*good)++;
  }
  loop.Quit();
}

}  // namespace

TEST(coro_echo_server_and_client) {
  Loop loop;
  mica::Channel a, b;
  CHECK_OK(mica::Channel::Create(0, &a, &b));
  int served = 0, good = 0;
  EchoServer(loop, b, 10, &served);
  EchoClient(loop, a, 10, &good);
  CHECK_EQ(loop.Run(), MICA_ERR_CANCELED);
  CHECK_EQ(good, 10);
  CHECK_EQ(served, 10);
  CHECK_EQ(loop.pending_waits(), 0);
}

namespace {

Coro SleepThenRecord(Loop& loop, mica_time_t deadline, mica_time_t* woke, mica_status_t* status) {
  *status = co_await loop.Sleep(deadline);
  *woke = Loop::Now();
  loop.Quit();
}

}  // namespace

TEST(coro_sleep_not_before_deadline) {
  Loop loop;
  mica_time_t deadline = Loop::Now() + 20 * kMs;
  mica_time_t woke = 0;
  mica_status_t status = 1;
  SleepThenRecord(loop, deadline, &woke, &status);
  CHECK_EQ(woke, 0);
  CHECK_EQ(loop.Run(), MICA_ERR_CANCELED);
  CHECK_OK(status);
  CHECK_GE(woke, deadline);
}

namespace {

Coro YieldingWorker(Loop& loop, int id, int rounds, int* log, int* n) {
  for (int i = 0; i < rounds; i++) {
    log[(*n)++] = id;
    if (co_await loop.Yield() != MICA_OK) {
      co_return;
    }
  }
}

}  // namespace

TEST(coro_yield_interleaves_in_fifo_order) {
  Loop loop;
  int log[8];
  int n = 0;
  YieldingWorker(loop, 1, 4, log, &n);
  YieldingWorker(loop, 2, 4, log, &n);
  CHECK_OK(loop.RunUntilIdle());
  CHECK_EQ(n, 8);
  for (int i = 0; i < 8; i++) {
    CHECK_EQ(log[i], 1 + (i % 2));
  }
}

namespace {

Coro SleepOutcome(Loop& loop, mica_time_t deadline, mica_status_t* status, bool* finished) {
  *status = co_await loop.Sleep(deadline);
  // After shutdown every further co_await fails at once.
  if (co_await loop.Yield() == MICA_ERR_BAD_STATE) {
    *finished = true;
  }
}

}  // namespace

TEST(coro_shutdown_resumes_suspended_coroutines_with_canceled) {
  mica::Event ev;
  CHECK_OK(mica::Event::Create(0, &ev));
  WaitOutcome wait;
  mica_status_t slept = 1, yielded = 1;
  bool sleep_finished = false, yield_finished = false;
  {
    Loop loop;
    WaitOnce(loop, ev.get(), MICA_SIGNAL_SIGNALED, &wait);
    SleepOutcome(loop, Loop::Now() + 60000 * kMs, &slept, &sleep_finished);
    // Suspended on a queued (not yet run) task.
    [](Loop& l, mica_status_t* st, bool* fin) -> Coro {
      *st = co_await l.Yield();
      *fin = true;
    }(loop, &yielded, &yield_finished);
    CHECK(!wait.finished);
    CHECK_EQ(loop.pending_tasks(), 2);
  }
  CHECK(wait.finished);
  CHECK_EQ(wait.result.status, MICA_ERR_CANCELED);
  CHECK_EQ(slept, MICA_ERR_CANCELED);
  CHECK(sleep_finished);
  CHECK_EQ(yielded, MICA_ERR_CANCELED);
  CHECK(yield_finished);
}

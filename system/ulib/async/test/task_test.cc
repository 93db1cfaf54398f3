// Tasks, delayed tasks, Run/RunOnce/RunUntilIdle/Quit, InlineFunction.
#include <mica/async/loop.h>
#include <mica/cpp/objects.h>

#include "system/ulib/async/test/test.h"

using mica::async::InlineFunction;
using mica::async::Loop;

namespace {

constexpr mica_duration_t kMs = 1000000;

}  // namespace

TEST(tasks_run_in_fifo_order) {
  Loop loop;
  CHECK_OK(loop.status());
  int order[10];
  int n = 0;
  for (int i = 0; i < 10; i++) {
    CHECK_OK(loop.PostTask([&, i] { order[n++] = i; }));
  }
  CHECK_EQ(loop.pending_tasks(), 10);
  CHECK_OK(loop.RunUntilIdle());
  CHECK_EQ(n, 10);
  for (int i = 0; i < 10; i++) {
    CHECK_EQ(order[i], i);
  }
  CHECK_EQ(loop.pending_tasks(), 0);
}

TEST(run_until_idle_with_nothing_returns_ok) {
  Loop loop;
  mica_time_t start = Loop::Now();
  CHECK_OK(loop.RunUntilIdle());
  CHECK_OK(loop.RunUntilIdle());
  // It never blocks: well under a second even on a slow emulator.
  CHECK(Loop::Now() - start < 1000 * kMs);
}

TEST(run_until_idle_runs_work_handlers_add) {
  Loop loop;
  int ran = 0;
  // A chain: each task posts the next one, 100 deep.
  struct Chain {
    Loop* loop;
    int* ran;
    void operator()() {
      if (++*ran < 100) {
        loop->PostTask(Chain{loop, ran});
      }
    }
  };
  CHECK_OK(loop.PostTask(Chain{&loop, &ran}));
  CHECK_OK(loop.RunUntilIdle());
  CHECK_EQ(ran, 100);
  CHECK_EQ(loop.pending_tasks(), 0);
}

TEST(run_until_idle_leaves_future_delayed_tasks) {
  Loop loop;
  bool ran = false;
  CHECK_OK(loop.PostTaskAfter([&] { ran = true; }, 10000 * kMs));
  CHECK_OK(loop.RunUntilIdle());
  CHECK(!ran);
  CHECK_EQ(loop.pending_tasks(), 1);
}

TEST(run_once_times_out_at_deadline) {
  Loop loop;
  mica_time_t deadline = Loop::Now() + 20 * kMs;
  CHECK_EQ(loop.RunOnce(deadline), MICA_ERR_TIMED_OUT);
  CHECK_GE(Loop::Now(), deadline);
}

TEST(run_once_runs_one_task) {
  Loop loop;
  int ran = 0;
  CHECK_OK(loop.PostTask([&] { ran++; }));
  CHECK_OK(loop.PostTask([&] { ran++; }));
  CHECK_OK(loop.RunOnce(MICA_TIME_INFINITE));
  CHECK_EQ(ran, 1);
  CHECK_OK(loop.RunOnce(MICA_TIME_INFINITE));
  CHECK_EQ(ran, 2);
  CHECK_EQ(loop.RunOnce(MICA_TIME_INFINITE_PAST), MICA_ERR_TIMED_OUT);
}

TEST(delayed_task_not_before_deadline) {
  Loop loop;
  mica_time_t deadline = Loop::Now() + 30 * kMs;
  mica_time_t ran_at = 0;
  CHECK_OK(loop.PostDelayedTask(
      [&] {
        ran_at = Loop::Now();
        loop.Quit();
      },
      deadline));
  CHECK_EQ(loop.Run(), MICA_ERR_CANCELED);
  CHECK(ran_at != 0);
  CHECK_GE(ran_at, deadline);
}

TEST(delayed_tasks_run_in_deadline_order) {
  Loop loop;
  mica_time_t base = Loop::Now() + 20 * kMs;
  int order[6];
  int n = 0;
  // Posted out of order; equal deadlines run in posting order.
  const int offsets[6] = {30, 10, 20, 10, 0, 30};
  const int expect[6] = {4, 1, 3, 2, 0, 5};
  for (int i = 0; i < 6; i++) {
    CHECK_OK(loop.PostDelayedTask([&, i] { order[n++] = i; }, base + offsets[i] * kMs));
  }
  while (n < 6) {
    CHECK_OK(loop.RunOnce(MICA_TIME_INFINITE));
  }
  for (int i = 0; i < 6; i++) {
    CHECK_EQ(order[i], expect[i]);
  }
  CHECK_GE(Loop::Now(), base + 30 * kMs);
}

TEST(immediate_tasks_run_before_future_delayed_tasks) {
  Loop loop;
  int order[3];
  int n = 0;
  CHECK_OK(loop.PostTaskAfter([&] { order[n++] = 2; }, 20 * kMs));
  CHECK_OK(loop.PostTask([&] { order[n++] = 0; }));
  CHECK_OK(loop.PostTask([&] { order[n++] = 1; }));
  while (n < 3) {
    CHECK_OK(loop.RunOnce(MICA_TIME_INFINITE));
  }
  CHECK_EQ(order[0], 0);
  CHECK_EQ(order[1], 1);
  CHECK_EQ(order[2], 2);
}

TEST(past_deadline_runs_at_once) {
  Loop loop;
  bool ran = false;
  CHECK_OK(loop.PostDelayedTask([&] { ran = true; }, 0));
  CHECK_OK(loop.RunUntilIdle());
  CHECK(ran);
}

TEST(quit_from_handler_stops_run) {
  Loop loop;
  int ran = 0;
  CHECK_OK(loop.PostTask([&] { ran++; }));
  CHECK_OK(loop.PostTask([&] {
    ran++;
    loop.Quit();
  }));
  CHECK_OK(loop.PostTask([&] { ran++; }));
  CHECK_EQ(loop.Run(), MICA_ERR_CANCELED);
  CHECK_EQ(ran, 2);
  CHECK(loop.quitting());
  CHECK_EQ(loop.RunUntilIdle(), MICA_ERR_CANCELED);
  CHECK_EQ(loop.RunOnce(MICA_TIME_INFINITE), MICA_ERR_CANCELED);
  CHECK_EQ(ran, 2);
  loop.ResetQuit();
  CHECK_OK(loop.RunUntilIdle());
  CHECK_EQ(ran, 3);
}

namespace {

struct Poster {
  Loop* loop;
  int count;
  int* seen;  // seen[i] = order in which task i ran
  int* next;  // the loop thread's counter
  mica_status_t status = MICA_OK;
};

int PostFromThread(void* arg) {
  auto* p = static_cast<Poster*>(arg);
  for (int i = 0; i < p->count; i++) {
    int* seen = p->seen;
    int* next = p->next;
    mica_status_t s = p->loop->PostTask([seen, next, i] { seen[i] = (*next)++; });
    if (s != MICA_OK) {
      p->status = s;
      break;
    }
  }
  Loop* loop = p->loop;
  loop->PostTask([loop] { loop->Quit(); });
  return 0;
}

}  // namespace

TEST(tasks_posted_from_another_thread) {
  Loop loop;
  constexpr int kCount = 200;
  static int seen[kCount];
  int next = 0;
  for (int i = 0; i < kCount; i++) {
    seen[i] = -1;
  }
  Poster p{&loop, kCount, seen, &next};
  async_test::Thread t;
  CHECK_OK(async_test::StartThread(&t, PostFromThread, &p));
  mica_status_t run = loop.Run();
  async_test::JoinThread(&t);
  CHECK_EQ(run, MICA_ERR_CANCELED);
  CHECK_OK(p.status);
  CHECK_EQ(next, kCount);
  for (int i = 0; i < kCount; i++) {
    CHECK_EQ(seen[i], i);  // FIFO across threads
  }
}

namespace {

struct LateTimer {
  Loop* loop;
  mica_time_t deadline = 0;
  mica_time_t ran_at = 0;
};

int PostEarlierTimer(void* arg) {
  auto* lt = static_cast<LateTimer*>(arg);
  mica_nanosleep(Loop::Now() + 10 * kMs);
  lt->deadline = Loop::Now() + 10 * kMs;
  lt->loop->PostDelayedTask(
      [lt] {
        lt->ran_at = Loop::Now();
        lt->loop->Quit();
      },
      lt->deadline);
  return 0;
}

}  // namespace

TEST(delayed_task_from_other_thread_wakes_blocked_loop) {
  Loop loop;
  // The loop blocks on a far deadline; a nearer one posted later must
  // shorten the wait.
  bool far_ran = false;
  CHECK_OK(loop.PostTaskAfter([&] { far_ran = true; }, 60000 * kMs));
  LateTimer lt{&loop};
  async_test::Thread t;
  CHECK_OK(async_test::StartThread(&t, PostEarlierTimer, &lt));
  mica_time_t start = Loop::Now();
  mica_status_t run = loop.Run();
  async_test::JoinThread(&t);
  CHECK_EQ(run, MICA_ERR_CANCELED);
  CHECK(!far_ran);
  CHECK(lt.ran_at != 0);
  CHECK_GE(lt.ran_at, lt.deadline);
  CHECK(Loop::Now() - start < 30000 * kMs);
}

namespace {

int QuitLater(void* arg) {
  mica_nanosleep(Loop::Now() + 10 * kMs);
  static_cast<Loop*>(arg)->Quit();
  return 0;
}

}  // namespace

TEST(quit_from_other_thread_wakes_run) {
  Loop loop;
  async_test::Thread t;
  CHECK_OK(async_test::StartThread(&t, QuitLater, &loop));
  mica_status_t run = loop.Run();
  async_test::JoinThread(&t);
  CHECK_EQ(run, MICA_ERR_CANCELED);
}

namespace {

struct Counted {
  int* destroyed;
  explicit Counted(int* d) : destroyed(d) {}
  Counted(Counted&& o) noexcept : destroyed(o.destroyed) { o.destroyed = nullptr; }
  ~Counted() {
    if (destroyed != nullptr) {
      (*destroyed)++;
    }
  }
};

}  // namespace

TEST(shutdown_destroys_queued_tasks_without_running_them) {
  int destroyed = 0;
  int ran = 0;
  {
    Loop loop;
    CHECK_OK(loop.PostTask([c = Counted(&destroyed), &ran] { ran++; }));
    CHECK_OK(loop.PostTaskAfter([c = Counted(&destroyed), &ran] { ran++; }, 1000 * kMs));
    CHECK_EQ(destroyed, 0);
  }
  CHECK_EQ(ran, 0);
  CHECK_EQ(destroyed, 2);
}

TEST(calls_after_shutdown_fail) {
  Loop loop;
  loop.Shutdown();
  loop.Shutdown();  // idempotent
  CHECK_EQ(loop.PostTask([] {}), MICA_ERR_BAD_STATE);
  CHECK_EQ(loop.PostTaskAfter([] {}, 0), MICA_ERR_BAD_STATE);
  mica_handle_t ev = MICA_HANDLE_INVALID;
  CHECK_OK(mica_event_create(0, &ev));
  CHECK_EQ(loop.BeginWait(ev, MICA_SIGNAL_SIGNALED, [](mica_status_t, mica_signals_t) {}),
           MICA_ERR_BAD_STATE);
  mica_handle_close(ev);
  CHECK_EQ(loop.Run(), MICA_ERR_BAD_STATE);
  CHECK_EQ(loop.RunOnce(0), MICA_ERR_BAD_STATE);
  CHECK_EQ(loop.RunUntilIdle(), MICA_ERR_BAD_STATE);
  CHECK(!loop.port().is_valid());
}

TEST(empty_task_is_rejected) {
  Loop loop;
  CHECK_EQ(loop.PostTask(nullptr), MICA_ERR_INVALID_ARGS);
  CHECK_EQ(loop.PostDelayedTask(nullptr, 0), MICA_ERR_INVALID_ARGS);
  CHECK_EQ(loop.pending_tasks(), 0);
}

TEST(inline_function_storage) {
  int hits = 0;
  InlineFunction<int(int)> small = [&hits](int x) {
    hits++;
    return x + 1;
  };
  CHECK(small.is_inline());
  CHECK_EQ(small(1), 2);
  struct Big {
    char bytes[200];
  } big = {};
  big.bytes[199] = 7;
  InlineFunction<int(int)> large = [big](int x) { return x + big.bytes[199]; };
  CHECK(!large.is_inline());
  CHECK_EQ(large(1), 8);
  InlineFunction<int(int)> moved = std::move(small);
  CHECK(!small);
  CHECK(moved);
  CHECK_EQ(moved(5), 6);
  CHECK_EQ(hits, 2);
  moved = std::move(large);
  CHECK_EQ(moved(2), 9);
  int destroyed = 0;
  {
    InlineFunction<void()> f = [c = Counted(&destroyed)] {};
    InlineFunction<void()> g = std::move(f);
    CHECK_EQ(destroyed, 0);
  }
  CHECK_EQ(destroyed, 1);
}

TEST(steady_state_dispatch_does_not_allocate) {
  Loop loop;
  mica::Event ev;
  CHECK_OK(mica::Event::Create(0, &ev));
  int fired = 0, ran = 0;
  auto cycle = [&]() -> mica_status_t {
    mica_status_t s =
        loop.BeginWait(ev.get(), MICA_SIGNAL_SIGNALED, [&](mica_status_t, mica_signals_t) {
          fired++;
          ev.signal(MICA_SIGNAL_SIGNALED, 0);
        });
    if (s == MICA_OK) {
      s = ev.signal(0, MICA_SIGNAL_SIGNALED);
    }
    if (s == MICA_OK) {
      s = loop.PostTask([&] { ran++; });
    }
    if (s == MICA_OK) {
      s = loop.PostDelayedTask([&] { ran++; }, 0);
    }
    return s == MICA_OK ? loop.RunUntilIdle() : s;
  };
  // Warm up: the free lists and the heap array reach their peak.
  for (int i = 0; i < 10; i++) {
    CHECK_OK(cycle());
  }
  size_t before = loop.allocations();
  CHECK_GE(before, 1);  // the counter counts
  for (int i = 0; i < 1000; i++) {
    CHECK_OK(cycle());
  }
  CHECK_EQ(fired, 1010);
  CHECK_EQ(ran, 2020);
  CHECK_EQ(loop.allocations(), before);
  // A burst of 100 queued tasks grows the pool once; repeating it does not.
  for (int round = 0; round < 3; round++) {
    for (int i = 0; i < 100; i++) {
      CHECK_OK(loop.PostTask([&] { ran++; }));
    }
    CHECK_OK(loop.RunUntilIdle());
    if (round == 0) {
      before = loop.allocations();
    }
  }
  CHECK_EQ(loop.allocations(), before);
  CHECK_EQ(ran, 2320);
}

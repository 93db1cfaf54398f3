// C++20 coroutines on a mica::async::Loop (system/ulib/README.md, "The async
// loop"):
//
//   mica::async::Coro Serve(mica::async::Loop& loop, mica::Channel& ch) {
//     for (;;) {
//       auto [status, observed] = co_await loop.Wait(ch.get(), MICA_SIGNAL_READABLE);
//       if (status != MICA_OK) co_return;       // MICA_ERR_CANCELED at shutdown
//       ...
//       co_await loop.Sleep(loop.Now() + 1'000'000);
//     }
//   }
//
// A Coro starts at once and runs until its first co_await; the loop resumes
// it (from a wait handler or a task) on the loop's thread, and its frame is
// freed when it returns. Use coroutines from the loop's thread only.
//
//   co_await loop.Wait(handle, signals)  -> WaitResult{status, observed}: a
//       one-shot BeginWait. An error of BeginWait comes back at once
//       without suspending.
//   co_await loop.Sleep(deadline)        -> mica_status_t: MICA_OK after a
//       delayed task at `deadline` ran.
//   co_await loop.Yield()                -> mica_status_t: MICA_OK after a
//       task posted behind the queued ones ran.
// At Shutdown every suspended coroutine is resumed once with
// MICA_ERR_CANCELED; later co_awaits return MICA_ERR_BAD_STATE at once, so
// a coroutine that returns on errors always finishes.
#pragma once

#include <mica/async/loop.h>

#include <coroutine>
#include <utility>

namespace mica::async {

// A fire-and-forget coroutine: the return type of a coroutine that runs on
// a loop.
class Coro {
 public:
  struct promise_type {
    Coro get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { __builtin_trap(); }
  };
};

struct WaitResult {
  mica_status_t status;
  mica_signals_t observed;
};

class [[nodiscard]] WaitAwaitable {
 public:
  WaitAwaitable(Loop* loop, mica_handle_t object, mica_signals_t signals)
      : loop_(loop), object_(object), signals_(signals) {}
  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> coro) {
    // After a successful BeginWait the handler may run (and this awaiter
    // be gone) at any time: touch nothing of *this afterwards.
    mica_status_t s = loop_->BeginWait(object_, signals_,
                                       [this, coro](mica_status_t status, mica_signals_t observed) {
                                         result_ = {status, observed};
                                         coro.resume();
                                       });
    if (s != MICA_OK) {
      result_ = {s, 0};
      return false;
    }
    return true;
  }
  WaitResult await_resume() const noexcept { return result_; }

 private:
  Loop* loop_;
  mica_handle_t object_;
  mica_signals_t signals_;
  WaitResult result_ = {MICA_ERR_BAD_STATE, 0};
};

class [[nodiscard]] TaskAwaitable {
 public:
  // `deadline` MICA_TIME_INFINITE_PAST: PostTask (Yield), else
  // PostDelayedTask.
  TaskAwaitable(Loop* loop, mica_time_t deadline) : loop_(loop), deadline_(deadline) {}
  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> coro) {
    Resumer resumer(coro, this);
    mica_status_t s = deadline_ == MICA_TIME_INFINITE_PAST
                          ? loop_->PostTask(std::move(resumer))
                          : loop_->PostDelayedTask(std::move(resumer), deadline_);
    if (s != MICA_OK) {
      status_ = s;
      return false;
    }
    armed_ = true;
    return true;
  }
  mica_status_t await_resume() const noexcept { return status_; }

 private:
  // The task: resumes the coroutine with MICA_OK when run, with
  // MICA_ERR_CANCELED when destroyed unrun after the post succeeded (loop
  // shutdown).
  class Resumer {
   public:
    Resumer(std::coroutine_handle<> coro, TaskAwaitable* owner) : coro_(coro), owner_(owner) {}
    Resumer(Resumer&& other) noexcept
        : coro_(std::exchange(other.coro_, nullptr)), owner_(other.owner_) {}
    Resumer& operator=(Resumer&&) = delete;
    ~Resumer() {
      if (coro_ && owner_->armed_) {
        owner_->status_ = MICA_ERR_CANCELED;
        std::exchange(coro_, nullptr).resume();
      }
    }
    void operator()() {
      owner_->status_ = MICA_OK;
      std::exchange(coro_, nullptr).resume();
    }

   private:
    std::coroutine_handle<> coro_;
    TaskAwaitable* owner_;
  };

  Loop* loop_;
  mica_time_t deadline_;
  bool armed_ = false;
  mica_status_t status_ = MICA_ERR_BAD_STATE;
};

inline WaitAwaitable Loop::Wait(mica_handle_t object, mica_signals_t signals) {
  return WaitAwaitable(this, object, signals);
}
inline TaskAwaitable Loop::Sleep(mica_time_t deadline) {
  // A deadline of INFINITE_PAST would mean Yield; any past one runs at once.
  return TaskAwaitable(this, deadline == MICA_TIME_INFINITE_PAST ? 0 : deadline);
}
inline TaskAwaitable Loop::Yield() {
  return TaskAwaitable(this, MICA_TIME_INFINITE_PAST);
}

}  // namespace mica::async

// mica::async::Loop: a dispatch loop over one port (system/ulib/README.md,
// "The async loop").
//
// One thread runs the loop (Run, RunOnce, RunUntilIdle); it calls, one at a
// time and never with a lock held:
//   - wait handlers: BeginWait registers a one-shot object_wait_async on the
//     loop's port; when the signals assert, the handler gets MICA_OK and the
//     observed signals. Re-arm by calling BeginWait again (from the handler
//     if you like). CancelWait removes a pending wait (port_cancel) and its
//     handler never runs. When the loop shuts down, every pending handler
//     runs once with MICA_ERR_CANCELED and observed 0.
//     BeginRepeatingWait registers a repeating, edge-triggered wait
//     (object_wait_async with MICA_WAIT_ASYNC_REPEATING): its handler runs
//     once per packet, i.e. after one of the signals rose, and the wait
//     stays pending (no system call to re-arm it) until CancelWait or
//     shutdown. The handler must deal with the condition until it is gone
//     (read a channel until MICA_ERR_SHOULD_WAIT), or make sure it is dealt
//     with later (post a task): a signal that stays asserted makes no new
//     packet. A handler may cancel its own wait; it is destroyed once it
//     returns. (A repeating handler runs in place, in its wait slot, which
//     is not reused while it runs: no move of the handler per packet.)
//     BeginMessageWait is a repeating wait on a channel whose packets can
//     bring the channel's next message with them (MICA_WAIT_ASYNC_READ):
//     the loop waits with port_reply_wait, which reads the message into
//     the loop's buffer in the same system call; the handler takes it with
//     TakeMessage (and owns its handles). A handler that gets no message
//     (none was read: it did not fit, or none was queued) reads the
//     channel itself, as for BeginRepeatingWait. After a message, the
//     `observed` signals are the channel's after the read: READABLE
//     means more are queued, and no packet comes for them until the
//     handler has emptied the queue. A message read with a packet whose
//     wait another thread cancelled meanwhile is dropped (its handles
//     closed); cancel message waits from the loop's thread.
//   - deferred writes: a handler on the loop's thread may hand one channel
//     write (a reply, usually) to DeferWrite: the loop writes it with its
//     next port wait, in the same port_reply_wait system call (a reply to
//     a channel_call then switches straight to the caller). RunOnce and
//     RunUntilIdle write what is still deferred before they return, Run
//     when it ends; FlushWrite writes it at once (before anything else is
//     written on that channel or it is closed: writes must stay in
//     order). A handler that blocks after deferring a write calls
//     FlushCurrentWrite first (the IDL's synchronous clients do).
//   - tasks: PostTask queues a function; tasks run in FIFO order.
//     PostDelayedTask runs one no earlier than a deadline of the monotonic
//     clock (ties in posting order). The loop keeps the deadlines in a
//     min-heap and uses the earliest as its port_wait deadline: no kernel
//     timer is involved. Tasks still queued at shutdown are destroyed
//     without running.
// PostTask, PostDelayedTask, BeginWait, CancelWait and Quit may be called
// from any thread; the loop's state is guarded by a runtime mutex
// (mica_rt_mutex_t) and a posting thread wakes a blocked loop with one user
// packet (at most one is ever queued).
//
// Memory: handlers and tasks are InlineFunctions (function.h): a callable of
// up to 48 bytes is stored inline. Task nodes and wait slots come from free
// lists that only grow to the peak number in use, so dispatching a packet
// or a task allocates nothing in the steady state.
//
// A wait whose handle is closed (or sent away in a message) while it is
// pending is removed by the kernel without a packet (docs/syscalls.md,
// handle_close): its handler then runs only at shutdown
// (MICA_ERR_CANCELED), unless CancelWait drops it first. Cancel a wait
// before closing its handle.
//
// Coroutines: <mica/async/coro.h> (co_await loop.Wait/Sleep/Yield).
#pragma once

#include <mica/async/function.h>
#include <mica/cpp/objects.h>
#include <mica/rt/thread.h>
#include <mica/syscalls.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/lib/thread_annotations.h"

namespace mica::async {

// A task: runs once on the loop's thread.
using Task = InlineFunction<void()>;
// A wait handler: `status` is MICA_OK (the wait fired; `observed` holds the
// object's signals when it did) or MICA_ERR_CANCELED (the loop shut down;
// `observed` is 0).
using WaitHandler = InlineFunction<void(mica_status_t status, mica_signals_t observed)>;
class WaitAwaitable;
class TaskAwaitable;

// Names a pending wait (never 0): the slot index and a 32-bit generation,
// so an id comes back only after its slot has been reused 2^32 times.
using WaitId = uint64_t;

// mica_rt_mutex_t with thread-safety annotations.
class CAPABILITY("mutex") Mutex {
 public:
  void Lock() ACQUIRE() { mica_rt_mutex_lock(&mutex_); }
  void Unlock() RELEASE() { mica_rt_mutex_unlock(&mutex_); }

 private:
  mica_rt_mutex_t mutex_ = MICA_RT_MUTEX_INIT;
};

class SCOPED_CAPABILITY MutexGuard {
 public:
  explicit MutexGuard(Mutex& m) ACQUIRE(m) : mutex_(m) { m.Lock(); }
  ~MutexGuard() RELEASE() { mutex_.Unlock(); }
  MutexGuard(const MutexGuard&) = delete;
  MutexGuard& operator=(const MutexGuard&) = delete;

 private:
  Mutex& mutex_;
};

class Loop {
 public:
  // Creates the port; status() says whether that worked. Every call on a
  // loop whose status() is not MICA_OK returns MICA_ERR_BAD_STATE.
  Loop();
  // Shutdown().
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  mica_status_t status() const { return init_status_; }
  // The loop's port (for the loop's own use; do not wait on it).
  const Port& port() const { return port_; }

  // The monotonic clock.
  static mica_time_t Now();

  // Dispatches until Quit: returns MICA_ERR_CANCELED once quitting, or the
  // error of port_wait. Runs on one thread at a time.
  mica_status_t Run();
  // Dispatches at most one wait handler or task, waiting for one until
  // `deadline`: MICA_OK (one ran), MICA_ERR_TIMED_OUT (none by the
  // deadline), MICA_ERR_CANCELED (quitting), or the error of port_wait.
  mica_status_t RunOnce(mica_time_t deadline);
  // Dispatches everything that is ready without blocking, including work
  // that handlers add, until nothing is: MICA_OK, or MICA_ERR_CANCELED if
  // quitting. Delayed tasks whose deadline has not passed do not run.
  mica_status_t RunUntilIdle();
  // Makes Run/RunOnce/RunUntilIdle return MICA_ERR_CANCELED after the
  // current handler; any thread. Stays in effect until ResetQuit.
  void Quit();
  void ResetQuit();
  bool quitting() const;

  // Cancels every pending wait (their handlers run with
  // MICA_ERR_CANCELED), destroys the queued tasks and closes the port.
  // Afterwards every call returns MICA_ERR_BAD_STATE. Call it from the
  // loop's thread, not from a handler. Idempotent.
  void Shutdown();

  // Waits for any of `signals` on `object` (which needs MICA_RIGHT_WAIT).
  // On success the wait's id goes to *id (may be null). Errors: those of
  // object_wait_async (the handler is then destroyed, never called),
  // MICA_ERR_INVALID_ARGS for an empty handler, MICA_ERR_BAD_STATE after
  // Shutdown.
  mica_status_t BeginWait(mica_handle_t object, mica_signals_t signals, WaitHandler handler,
                          WaitId* id = nullptr);
  // A repeating, edge-triggered wait (see the top); the same errors.
  mica_status_t BeginRepeatingWait(mica_handle_t object, mica_signals_t signals,
                                   WaitHandler handler, WaitId* id = nullptr);
  // A repeating wait on a channel (with READ and WAIT) whose packets bring
  // its next message (see the top; TakeMessage). `signals` must include
  // MICA_CHANNEL_READABLE. The first one allocates the loop's read buffer
  // (MICA_CHANNEL_MAX_MSG_BYTES, touched only as far as messages reach).
  mica_status_t BeginMessageWait(mica_handle_t channel, mica_signals_t signals, WaitHandler handler,
                                 WaitId* id = nullptr);
  // A message read with the packet being dispatched.
  struct Message {
    uint8_t* bytes;
    uint32_t num_bytes;
    mica_handle_t* handles;
    uint32_t num_handles;
  };
  // In a message wait's handler: the message that came with its packet, if
  // one did (true, once; the buffers stay valid until the handler returns
  // and the handles are the caller's). Handles of a message nobody takes
  // are closed when the handler returns.
  bool TakeMessage(Message* out);
  // Runs on the loop's thread with the status of a deferred write that
  // failed, and the context given with it (a plain function and pointer:
  // a reply per message must not cost a callable's construction).
  using WriteErrorHandler = void (*)(void* context, mica_status_t status);
  // Loop thread only: writes the message on `channel` with the loop's next
  // port wait (see the top). The handles are consumed. A write already
  // deferred is written first. on_error(context, status) (`on_error` may be
  // null) runs if the write fails, unless FlushWrite wrote it.
  mica_status_t DeferWrite(mica_handle_t channel, const void* bytes, uint32_t num_bytes,
                           const mica_handle_t* handles, uint32_t num_handles,
                           WriteErrorHandler on_error, void* context);
  // Loop thread only: writes the deferred write now if it is for `channel`
  // (MICA_HANDLE_INVALID: whichever channel), and returns its status
  // (MICA_OK if there was none; `on_error` does not run).
  mica_status_t FlushWrite(mica_handle_t channel);
  // FlushWrite(MICA_HANDLE_INVALID) on the loop whose packet handler runs
  // on this thread, if any. Call it before blocking in a handler after a
  // deferred write (the IDL's synchronous calls do): the reply otherwise
  // waits for the handler to return, and a peer that needs it to answer
  // the blocking call would wait for ever.
  static void FlushCurrentWrite() {
    if (Loop* loop = dispatching_) [[unlikely]] {
      static_cast<void>(loop->FlushWrite(MICA_HANDLE_INVALID));
    }
  }

  // Removes a pending wait: MICA_OK, and its handler is destroyed without
  // running (a repeating wait's handler that is running is destroyed when it
  // returns); MICA_ERR_NOT_FOUND if `id` is not pending (it fired, was
  // cancelled, or never was).
  mica_status_t CancelWait(WaitId id);

  // Queues `task` behind the other queued tasks. MICA_ERR_BAD_STATE after
  // Shutdown, MICA_ERR_INVALID_ARGS for an empty task, or an error of
  // port_queue if the loop could not be woken (the task is not queued).
  mica_status_t PostTask(Task task);
  // Queues `task` to run no earlier than `deadline` (monotonic).
  mica_status_t PostDelayedTask(Task task, mica_time_t deadline);
  // PostDelayedTask(task, Now() + delay).
  mica_status_t PostTaskAfter(Task task, mica_duration_t delay);

  // Coroutine awaitables (defined in <mica/async/coro.h>, which callers
  // include): co_await loop.Wait(handle, signals), loop.Sleep(deadline),
  // loop.Yield().
  WaitAwaitable Wait(mica_handle_t object, mica_signals_t signals);
  TaskAwaitable Sleep(mica_time_t deadline);
  TaskAwaitable Yield();

  // Waits pending in the loop, and tasks (immediate and delayed) queued.
  size_t pending_waits() const;
  size_t pending_tasks() const;
  // How many times the loop allocated memory for its own bookkeeping (task
  // nodes, wait slots, array growth); flat once the loop has seen its peak
  // load. Callables too big to be stored inline are not counted.
  size_t allocations() const;

 private:
  struct TaskNode;
  struct WaitSlot;

  mica_status_t CheckUsableLocked() const REQUIRES(mutex_);
  mica_status_t WakeLocked() REQUIRES(mutex_);
  TaskNode* NewTaskNodeLocked(Task task) REQUIRES(mutex_);
  void FreeTaskNodeLocked(TaskNode* node) REQUIRES(mutex_);
  void MoveDueTimersLocked(mica_time_t now) REQUIRES(mutex_);
  void HeapPushLocked(TaskNode* node) REQUIRES(mutex_);
  TaskNode* HeapPopLocked() REQUIRES(mutex_);
  WaitSlot* SlotForLocked(WaitId id) REQUIRES(mutex_);
  void FreeSlotLocked(uint32_t index) REQUIRES(mutex_);
  mica_status_t AddWait(mica_handle_t object, mica_signals_t signals, uint32_t options,
                        WaitHandler handler, WaitId* id);
  // Runs a repeating wait's handler for `packet`; it stays registered.
  void RunRepeating(const mica_port_packet_t& packet, WaitSlot* slot) REQUIRES(mutex_);
  // Runs the handler of a signal packet; false for a wake or stale packet.
  bool DispatchPacket(const mica_port_packet_t& packet);
  // RunOnce without writing what is deferred before it returns.
  mica_status_t RunOnceDeferring(mica_time_t deadline);
  // The port wait: port_reply_wait with the deferred write and the read
  // buffer, or port_wait.
  mica_status_t WaitPort(mica_handle_t port, mica_time_t deadline, uint8_t* buffer,
                         mica_port_packet_t* packet);
  // Closes the handles of a message no handler took.
  void DropMessage();

  mica_status_t init_status_ = MICA_ERR_BAD_STATE;
  Port port_;  // valid until Shutdown

  mutable Mutex mutex_;
  bool shut_down_ GUARDED_BY(mutex_) = false;
  bool quit_ GUARDED_BY(mutex_) = false;
  bool wake_queued_ GUARDED_BY(mutex_) = false;

  // Ready tasks, FIFO.
  TaskNode* ready_head_ GUARDED_BY(mutex_) = nullptr;
  TaskNode* ready_tail_ GUARDED_BY(mutex_) = nullptr;
  size_t ready_count_ GUARDED_BY(mutex_) = 0;
  // Delayed tasks: a binary min-heap by (deadline, seq).
  TaskNode** heap_ GUARDED_BY(mutex_) = nullptr;
  size_t heap_size_ GUARDED_BY(mutex_) = 0;
  size_t heap_capacity_ GUARDED_BY(mutex_) = 0;
  uint64_t next_seq_ GUARDED_BY(mutex_) = 0;
  TaskNode* free_tasks_ GUARDED_BY(mutex_) = nullptr;

  // Wait slots (stable addresses); free ones chained by index.
  WaitSlot** slots_ GUARDED_BY(mutex_) = nullptr;
  size_t slot_count_ GUARDED_BY(mutex_) = 0;
  size_t slot_capacity_ GUARDED_BY(mutex_) = 0;
  uint32_t free_slot_ GUARDED_BY(mutex_);
  size_t pending_waits_ GUARDED_BY(mutex_) = 0;
  size_t allocations_ GUARDED_BY(mutex_) = 0;

  // The loop whose packet handler runs on this thread (FlushCurrentWrite).
  static constinit thread_local Loop* dispatching_;

  // Loop-thread state (no lock): the message read with the packet being
  // dispatched, its buffers, and the deferred write.
  // MICA_CHANNEL_MAX_MSG_BYTES, allocated by the first BeginMessageWait
  // (under the lock) and kept until the loop is destroyed.
  uint8_t* read_bytes_ GUARDED_BY(mutex_) = nullptr;
  mica_handle_t read_handles_[MICA_CHANNEL_MAX_MSG_HANDLES];
  bool message_ready_ = false;  // a message is in the buffers, not taken
  bool reading_ = false;        // the buffers are in use (nested RunOnce: no reads)
  uint8_t* message_buffer_ = nullptr;
  uint32_t message_bytes_ = 0;
  uint32_t message_handles_ = 0;
  struct Deferred {
    mica_handle_t channel = MICA_HANDLE_INVALID;  // none pending
    uint8_t* bytes = nullptr;                     // capacity bytes
    uint32_t capacity = 0;
    uint32_t num_bytes = 0;
    uint32_t num_handles = 0;
    mica_handle_t handles[MICA_CHANNEL_MAX_MSG_HANDLES];
    WriteErrorHandler on_error = nullptr;
    void* context = nullptr;
  };
  Deferred deferred_;
};

}  // namespace mica::async

// mica::async::Loop (include/mica/async/loop.h).
#include <mica/async/loop.h>
#include <stdlib.h>
#include <string.h>

#include <utility>

namespace mica::async {

namespace {

// The key of the wake packet; wait keys are (generation << 32) | (index + 1)
// and never 0.
constexpr uint64_t kWakeKey = 0;
constexpr uint32_t kNoSlot = UINT32_MAX;

WaitId MakeWaitId(uint32_t index, uint32_t generation) {
  return (static_cast<uint64_t>(generation) << 32) | (static_cast<uint64_t>(index) + 1);
}

// Grows a malloc'ed array of pointers to hold `needed` entries (doubling).
template <typename T>
bool GrowArray(T*** array, size_t* capacity, size_t needed, size_t* allocations) {
  if (needed <= *capacity) {
    return true;
  }
  size_t cap = *capacity == 0 ? 16 : *capacity * 2;
  while (cap < needed) {
    cap *= 2;
  }
  void* p = realloc(*array, cap * sizeof(T*));
  if (p == nullptr) {
    return false;
  }
  *array = static_cast<T**>(p);
  *capacity = cap;
  ++*allocations;
  return true;
}

}  // namespace

struct Loop::TaskNode {
  TaskNode* next = nullptr;
  mica_time_t deadline = 0;
  uint64_t seq = 0;
  Task fn;
};

struct Loop::WaitSlot {
  uint32_t generation = 1;
  uint32_t next_free = kNoSlot;
  bool pending = false;
  bool repeating = false;
  // A repeating wait's handler is running (in place, without the lock): a
  // CancelWait meanwhile only ends the registration; the slot and the
  // handler are freed once the handler returns.
  bool running = false;
  mica_handle_t object = MICA_HANDLE_INVALID;
  WaitHandler handler;
};

Loop::Loop() : free_slot_(kNoSlot) {
  init_status_ = Port::Create(0, &port_);
}

Loop::~Loop() {
  Shutdown();
  static_cast<void>(FlushWrite(MICA_HANDLE_INVALID));  // deferred after Shutdown
  MutexGuard guard(mutex_);
  while (TaskNode* n = free_tasks_) {
    free_tasks_ = n->next;
    delete n;
  }
  for (size_t i = 0; i < slot_count_; i++) {
    delete slots_[i];
  }
  free(slots_);
  free(heap_);
  free(read_bytes_);
  free(deferred_.bytes);
  slots_ = nullptr;
  heap_ = nullptr;
  read_bytes_ = nullptr;
  deferred_.bytes = nullptr;
}

mica_time_t Loop::Now() {
  mica_time_t now = 0;
  mica_clock_get_monotonic(&now);
  return now;
}

mica_status_t Loop::CheckUsableLocked() const {
  return init_status_ == MICA_OK && !shut_down_ ? MICA_OK : MICA_ERR_BAD_STATE;
}

mica_status_t Loop::WakeLocked() {
  if (wake_queued_) {
    return MICA_OK;
  }
  mica_port_packet_t packet = {};
  packet.key = kWakeKey;
  packet.type = MICA_PKT_TYPE_USER;
  mica_status_t s = port_.queue(packet);
  if (s == MICA_OK) {
    wake_queued_ = true;
  }
  return s;
}

// ---- Tasks ----------------------------------------------------------------

Loop::TaskNode* Loop::NewTaskNodeLocked(Task task) {
  TaskNode* node = free_tasks_;
  if (node != nullptr) {
    free_tasks_ = node->next;
    node->next = nullptr;
  } else {
    node = new TaskNode;
    allocations_++;
  }
  node->fn = std::move(task);
  node->seq = next_seq_++;
  return node;
}

void Loop::FreeTaskNodeLocked(TaskNode* node) {
  node->next = free_tasks_;
  free_tasks_ = node;
}

void Loop::HeapPushLocked(TaskNode* node) {
  size_t i = heap_size_++;
  heap_[i] = node;
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    TaskNode* p = heap_[parent];
    if (p->deadline < node->deadline || (p->deadline == node->deadline && p->seq < node->seq)) {
      break;
    }
    heap_[i] = p;
    heap_[parent] = node;
    i = parent;
  }
}

Loop::TaskNode* Loop::HeapPopLocked() {
  TaskNode* top = heap_[0];
  TaskNode* last = heap_[--heap_size_];
  size_t i = 0;
  auto less = [](const TaskNode* a, const TaskNode* b) {
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
  };
  if (heap_size_ > 0) {
    heap_[0] = last;
    for (;;) {
      size_t l = 2 * i + 1, r = l + 1, m = i;
      if (l < heap_size_ && less(heap_[l], heap_[m])) {
        m = l;
      }
      if (r < heap_size_ && less(heap_[r], heap_[m])) {
        m = r;
      }
      if (m == i) {
        break;
      }
      TaskNode* t = heap_[i];
      heap_[i] = heap_[m];
      heap_[m] = t;
      i = m;
    }
  }
  return top;
}

void Loop::MoveDueTimersLocked(mica_time_t now) {
  while (heap_size_ > 0 && heap_[0]->deadline <= now) {
    TaskNode* node = HeapPopLocked();
    node->next = nullptr;
    if (ready_tail_ != nullptr) {
      ready_tail_->next = node;
    } else {
      ready_head_ = node;
    }
    ready_tail_ = node;
    ready_count_++;
  }
}

mica_status_t Loop::PostTask(Task task) {
  MutexGuard guard(mutex_);
  mica_status_t s = CheckUsableLocked();
  if (s == MICA_OK && !task) {
    s = MICA_ERR_INVALID_ARGS;
  }
  if (s == MICA_OK) {
    s = WakeLocked();
  }
  if (s != MICA_OK) {
    return s;
  }
  TaskNode* node = NewTaskNodeLocked(std::move(task));
  if (ready_tail_ != nullptr) {
    ready_tail_->next = node;
  } else {
    ready_head_ = node;
  }
  ready_tail_ = node;
  ready_count_++;
  return MICA_OK;
}

mica_status_t Loop::PostDelayedTask(Task task, mica_time_t deadline) {
  MutexGuard guard(mutex_);
  mica_status_t s = CheckUsableLocked();
  if (s != MICA_OK) {
    return s;
  }
  if (!task) {
    return MICA_ERR_INVALID_ARGS;
  }
  if (!GrowArray(&heap_, &heap_capacity_, heap_size_ + 1, &allocations_)) {
    return MICA_ERR_NO_MEMORY;
  }
  TaskNode* node = NewTaskNodeLocked(std::move(task));
  node->deadline = deadline;
  HeapPushLocked(node);
  // A new earliest deadline: a blocked loop must shorten its port_wait.
  if (heap_[0] == node) {
    s = WakeLocked();
    if (s != MICA_OK) {
      HeapPopLocked();
      task = std::move(node->fn);  // destroyed after the lock is released
      FreeTaskNodeLocked(node);
      return s;
    }
  }
  return MICA_OK;
}

mica_status_t Loop::PostTaskAfter(Task task, mica_duration_t delay) {
  return PostDelayedTask(std::move(task), Now() + delay);
}

size_t Loop::pending_tasks() const {
  MutexGuard guard(mutex_);
  return ready_count_ + heap_size_;
}

// ---- Waits ----------------------------------------------------------------

Loop::WaitSlot* Loop::SlotForLocked(WaitId id) {
  uint64_t low = id & 0xffffffffu;
  if (low == 0 || low > slot_count_) {
    return nullptr;
  }
  WaitSlot* slot = slots_[low - 1];
  if (!slot->pending || slot->generation != static_cast<uint32_t>(id >> 32)) {
    return nullptr;
  }
  return slot;
}

void Loop::FreeSlotLocked(uint32_t index) {
  WaitSlot* slot = slots_[index];
  slot->pending = false;
  slot->repeating = false;
  slot->object = MICA_HANDLE_INVALID;
  if (++slot->generation == 0) {
    slot->generation = 1;
  }
  slot->next_free = free_slot_;
  free_slot_ = index;
}

mica_status_t Loop::BeginWait(mica_handle_t object, mica_signals_t signals, WaitHandler handler,
                              WaitId* id) {
  return AddWait(object, signals, 0, std::move(handler), id);
}

mica_status_t Loop::BeginRepeatingWait(mica_handle_t object, mica_signals_t signals,
                                       WaitHandler handler, WaitId* id) {
  return AddWait(object, signals, MICA_WAIT_ASYNC_REPEATING, std::move(handler), id);
}

mica_status_t Loop::BeginMessageWait(mica_handle_t channel, mica_signals_t signals,
                                     WaitHandler handler, WaitId* id) {
  return AddWait(channel, signals, MICA_WAIT_ASYNC_REPEATING | MICA_WAIT_ASYNC_READ,
                 std::move(handler), id);
}

bool Loop::TakeMessage(Message* out) {
  if (!message_ready_) {
    return false;
  }
  message_ready_ = false;
  // The buffer pointer is fixed once allocated (read on this thread, which
  // saw it allocated before the read that filled it).
  out->bytes = message_buffer_;
  out->num_bytes = message_bytes_;
  out->handles = read_handles_;
  out->num_handles = message_handles_;
  return true;
}

void Loop::DropMessage() {
  if (!message_ready_) {
    return;
  }
  message_ready_ = false;
  for (uint32_t i = 0; i < message_handles_; i++) {
    mica_handle_close(read_handles_[i]);
  }
}

mica_status_t Loop::DeferWrite(mica_handle_t channel, const void* bytes, uint32_t num_bytes,
                               const mica_handle_t* handles, uint32_t num_handles,
                               WriteErrorHandler on_error, void* context) {
  mica_status_t s = MICA_OK;
  if (num_handles > MICA_CHANNEL_MAX_MSG_HANDLES || num_bytes > MICA_CHANNEL_MAX_MSG_BYTES) {
    s = MICA_ERR_OUT_OF_RANGE;
  } else if (deferred_.channel != MICA_HANDLE_INVALID) {
    // One at a time, in order: the earlier one goes now. Its error, if any,
    // is reported as the deferral would have.
    WriteErrorHandler earlier = deferred_.on_error;
    void* earlier_context = deferred_.context;
    mica_status_t e = FlushWrite(MICA_HANDLE_INVALID);
    if (e != MICA_OK && earlier != nullptr) {
      earlier(earlier_context, e);
    }
  }
  if (s == MICA_OK && num_bytes > deferred_.capacity) {
    uint32_t cap = deferred_.capacity == 0 ? 256 : deferred_.capacity;
    while (cap < num_bytes) {
      cap *= 2;
    }
    void* p = realloc(deferred_.bytes, cap);
    if (p == nullptr) {
      s = MICA_ERR_NO_MEMORY;
    } else {
      deferred_.bytes = static_cast<uint8_t*>(p);
      deferred_.capacity = cap;
    }
  }
  if (s != MICA_OK) {
    // Consumed on failure too, as by channel_write.
    for (uint32_t i = 0; i < num_handles && i < MICA_CHANNEL_MAX_MSG_HANDLES; i++) {
      mica_handle_close(handles[i]);
    }
    return s;
  }
  if (num_bytes != 0) {
    memcpy(deferred_.bytes, bytes, num_bytes);
  }
  for (uint32_t i = 0; i < num_handles; i++) {
    deferred_.handles[i] = handles[i];
  }
  deferred_.num_bytes = num_bytes;
  deferred_.num_handles = num_handles;
  deferred_.channel = channel;
  deferred_.on_error = on_error;
  deferred_.context = context;
  return MICA_OK;
}

constinit thread_local Loop* Loop::dispatching_ = nullptr;

mica_status_t Loop::FlushWrite(mica_handle_t channel) {
  if (deferred_.channel == MICA_HANDLE_INVALID ||
      (channel != MICA_HANDLE_INVALID && channel != deferred_.channel)) {
    return MICA_OK;
  }
  mica_handle_t ch = deferred_.channel;
  deferred_.channel = MICA_HANDLE_INVALID;
  deferred_.on_error = nullptr;
  return mica_channel_write(ch, 0, deferred_.bytes, deferred_.num_bytes, deferred_.handles,
                            deferred_.num_handles);
}

mica_status_t Loop::AddWait(mica_handle_t object, mica_signals_t signals, uint32_t options,
                            WaitHandler handler, WaitId* id) {
  MutexGuard guard(mutex_);
  mica_status_t s = CheckUsableLocked();
  if (s != MICA_OK) {
    return s;
  }
  if (!handler) {
    return MICA_ERR_INVALID_ARGS;
  }
  if ((options & MICA_WAIT_ASYNC_READ) != 0 && read_bytes_ == nullptr) {
    read_bytes_ = static_cast<uint8_t*>(malloc(MICA_CHANNEL_MAX_MSG_BYTES));
    if (read_bytes_ == nullptr) {
      return MICA_ERR_NO_MEMORY;
    }
    allocations_++;
  }
  uint32_t index = free_slot_;
  if (index != kNoSlot) {
    free_slot_ = slots_[index]->next_free;
  } else {
    if (slot_count_ >= kNoSlot - 1 ||
        !GrowArray(&slots_, &slot_capacity_, slot_count_ + 1, &allocations_)) {
      return MICA_ERR_NO_MEMORY;
    }
    slots_[slot_count_] = new WaitSlot;
    allocations_++;
    index = static_cast<uint32_t>(slot_count_++);
  }
  WaitSlot* slot = slots_[index];
  WaitId key = MakeWaitId(index, slot->generation);
  // The packet cannot be dispatched before the slot is filled in: dispatch
  // takes mutex_, held here.
  s = mica_object_wait_async(object, port_.get(), key, signals, options);
  if (s != MICA_OK) {
    FreeSlotLocked(index);
    return s;  // `handler` is destroyed by the caller, after the lock
  }
  slot->pending = true;
  slot->repeating = options != 0;
  slot->object = object;
  slot->handler = std::move(handler);
  pending_waits_++;
  if (id != nullptr) {
    *id = key;
  }
  return MICA_OK;
}

mica_status_t Loop::CancelWait(WaitId id) {
  WaitHandler doomed;  // destroyed after the lock is released
  MutexGuard guard(mutex_);
  if (CheckUsableLocked() != MICA_OK) {
    return MICA_ERR_BAD_STATE;
  }
  WaitSlot* slot = SlotForLocked(id);
  if (slot == nullptr) {
    return MICA_ERR_NOT_FOUND;
  }
  // Removes the registration or its queued packet. NOT_FOUND or BAD_HANDLE
  // here mean the kernel already dropped it (the packet is being dispatched
  // and will find the slot freed, or the object's handle was closed).
  mica_port_cancel(port_.get(), slot->object, id);
  pending_waits_--;
  if (slot->running) {
    slot->pending = false;  // RunRepeating frees it when the handler returns
    return MICA_OK;
  }
  doomed = std::move(slot->handler);
  FreeSlotLocked(static_cast<uint32_t>((id & 0xffffffffu) - 1));
  return MICA_OK;
}

size_t Loop::allocations() const {
  MutexGuard guard(mutex_);
  return allocations_;
}

size_t Loop::pending_waits() const {
  MutexGuard guard(mutex_);
  return pending_waits_;
}

// ---- Dispatch -------------------------------------------------------------

bool Loop::DispatchPacket(const mica_port_packet_t& packet) {
  WaitHandler handler;
  {
    MutexGuard guard(mutex_);
    if (packet.type == MICA_PKT_TYPE_USER && packet.key == kWakeKey) {
      wake_queued_ = false;
      return false;
    }
    if (packet.type != MICA_PKT_TYPE_SIGNAL) {
      return false;
    }
    WaitSlot* slot = SlotForLocked(packet.key);
    if (slot == nullptr) {
      return false;  // cancelled after port_wait took it
    }
    if (slot->repeating) {
      RunRepeating(packet, slot);
      return true;
    }
    handler = std::move(slot->handler);
    FreeSlotLocked(static_cast<uint32_t>((packet.key & 0xffffffffu) - 1));
    pending_waits_--;
  }
  handler(packet.status, packet.signal.observed);
  return true;
}

void Loop::RunRepeating(const mica_port_packet_t& packet, WaitSlot* slot) {
  // The handler runs in place (slots never move), without the lock. It may
  // cancel its own wait: CancelWait sees `running` and leaves the slot and
  // the handler alone, so nothing can reuse or destroy them meanwhile.
  slot->running = true;
  mutex_.Unlock();
  slot->handler(packet.status, packet.signal.observed);
  mutex_.Lock();
  slot->running = false;
  if (slot->pending) {
    return;  // still registered
  }
  WaitHandler handler = std::move(slot->handler);
  FreeSlotLocked(static_cast<uint32_t>((packet.key & 0xffffffffu) - 1));
  mutex_.Unlock();
  handler.reset();  // after the lock: its destructor may call the loop
  mutex_.Lock();
}

mica_status_t Loop::WaitPort(mica_handle_t port, mica_time_t deadline, uint8_t* buffer,
                             mica_port_packet_t* packet) {
  if (deferred_.channel == MICA_HANDLE_INVALID && buffer == nullptr) {
    return mica_port_wait(port, deadline, packet);
  }
  for (;;) {
    mica_handle_t channel = deferred_.channel;
    mica_channel_call_args_t args{deferred_.bytes,
                                  deferred_.handles,
                                  buffer,
                                  read_handles_,
                                  deferred_.num_bytes,
                                  deferred_.num_handles,
                                  buffer != nullptr ? MICA_CHANNEL_MAX_MSG_BYTES : 0,
                                  buffer != nullptr ? MICA_CHANNEL_MAX_MSG_HANDLES : 0};
    uint32_t num_bytes = 0;
    uint32_t num_handles = 0;
    mica_status_t s =
        mica_port_reply_wait(port, deadline, channel, &args, packet, &num_bytes, &num_handles);
    if (channel != MICA_HANDLE_INVALID) {
      deferred_.channel = MICA_HANDLE_INVALID;  // written, or its handles consumed
      WriteErrorHandler on_error = deferred_.on_error;
      deferred_.on_error = nullptr;
      if (s != MICA_OK && s != MICA_ERR_TIMED_OUT && s != MICA_ERR_CANCELED) {
        // The write failed (nothing was waited for): report it, then wait.
        if (on_error != nullptr) {
          on_error(deferred_.context, s);
        }
        continue;
      }
    }
    if (s == MICA_OK && packet->type == MICA_PKT_TYPE_MESSAGE) {
      packet->type = MICA_PKT_TYPE_SIGNAL;  // dispatched as one, with the message
      message_ready_ = true;
      message_buffer_ = buffer;
      message_bytes_ = num_bytes;
      message_handles_ = num_handles;
    }
    return s;
  }
}

mica_status_t Loop::RunOnce(mica_time_t deadline) {
  mica_status_t s = RunOnceDeferring(deadline);
  mica_status_t w = FlushWrite(MICA_HANDLE_INVALID);
  static_cast<void>(w);  // a reply whose caller went away: nobody to tell
  return s;
}

mica_status_t Loop::RunOnceDeferring(mica_time_t deadline) {
  for (;;) {
    mica_time_t wait_until;
    bool for_timer = false;
    mica_handle_t port;
    uint8_t* read_buffer;
    {
      MutexGuard guard(mutex_);
      if (CheckUsableLocked() != MICA_OK) {
        return MICA_ERR_BAD_STATE;
      }
      if (quit_) {
        return MICA_ERR_CANCELED;
      }
      if (heap_size_ > 0) {
        MoveDueTimersLocked(Now());  // (a system call: only with timers)
      }
      port = port_.get();
      read_buffer = reading_ ? nullptr : read_bytes_;
      if (ready_count_ > 0) {
        wait_until = MICA_TIME_INFINITE_PAST;  // only poll: tasks are ready
      } else {
        wait_until = deadline;
        if (heap_size_ > 0 && heap_[0]->deadline < deadline) {
          wait_until = heap_[0]->deadline;
          for_timer = true;
        }
      }
    }
    mica_port_packet_t packet;
    mica_status_t s = WaitPort(port, wait_until, read_buffer, &packet);
    if (s == MICA_OK) {
      // While a handler may hold the message, a nested RunOnce must not
      // read into the buffer.
      bool outer = reading_;
      reading_ = reading_ || message_ready_;
      Loop* outer_loop = dispatching_;
      dispatching_ = this;
      bool ran = DispatchPacket(packet);
      dispatching_ = outer_loop;
      DropMessage();
      reading_ = outer;
      if (ran) {
        return MICA_OK;
      }
      continue;
    }
    if (s != MICA_ERR_TIMED_OUT) {
      return s;
    }
    Task task;
    {
      MutexGuard guard(mutex_);
      TaskNode* node = ready_head_;
      if (node != nullptr) {
        ready_head_ = node->next;
        if (ready_head_ == nullptr) {
          ready_tail_ = nullptr;
        }
        ready_count_--;
        task = std::move(node->fn);
        FreeTaskNodeLocked(node);
      }
    }
    if (task) {
      task();
      return MICA_OK;
    }
    if (!for_timer) {
      return MICA_ERR_TIMED_OUT;
    }
  }
}

mica_status_t Loop::Run() {
  for (;;) {
    mica_status_t s = RunOnceDeferring(MICA_TIME_INFINITE);
    if (s != MICA_OK) {
      static_cast<void>(FlushWrite(MICA_HANDLE_INVALID));
      return s;
    }
  }
}

mica_status_t Loop::RunUntilIdle() {
  for (;;) {
    mica_status_t s = RunOnceDeferring(MICA_TIME_INFINITE_PAST);
    if (s != MICA_OK) {
      // (A write deferred by the last handler went with the last poll.)
      static_cast<void>(FlushWrite(MICA_HANDLE_INVALID));
      return s == MICA_ERR_TIMED_OUT ? MICA_OK : s;
    }
  }
}

void Loop::Quit() {
  MutexGuard guard(mutex_);
  quit_ = true;
  if (CheckUsableLocked() == MICA_OK) {
    // If the wake packet cannot be queued (no memory) the loop still sees
    // quit_ before its next port_wait.
    static_cast<void>(WakeLocked());
  }
}

void Loop::ResetQuit() {
  MutexGuard guard(mutex_);
  quit_ = false;
}

bool Loop::quitting() const {
  MutexGuard guard(mutex_);
  return quit_;
}

// ---- Shutdown -------------------------------------------------------------

void Loop::Shutdown() {
  static_cast<void>(FlushWrite(MICA_HANDLE_INVALID));
  size_t slots;
  {
    MutexGuard guard(mutex_);
    if (shut_down_) {
      return;
    }
    shut_down_ = true;
    slots = slot_count_;
  }
  // Pending waits: cancel in the kernel (a registration would otherwise keep
  // the port object alive until its source fired or died), then run the
  // handler with CANCELED, without the lock.
  for (size_t i = 0; i < slots; i++) {
    WaitHandler handler;
    {
      MutexGuard guard(mutex_);
      WaitSlot* slot = slots_[i];
      if (!slot->pending) {
        continue;
      }
      mica_port_cancel(port_.get(), slot->object,
                       MakeWaitId(static_cast<uint32_t>(i), slot->generation));
      handler = std::move(slot->handler);
      FreeSlotLocked(static_cast<uint32_t>(i));
      pending_waits_--;
    }
    handler(MICA_ERR_CANCELED, 0);
  }
  // Queued tasks are destroyed without running; their destructors may call
  // into the loop, so not under the lock.
  TaskNode* doomed = nullptr;
  {
    MutexGuard guard(mutex_);
    doomed = ready_head_;
    ready_head_ = ready_tail_ = nullptr;
    ready_count_ = 0;
    while (heap_size_ > 0) {
      TaskNode* n = heap_[--heap_size_];
      n->next = doomed;
      doomed = n;
    }
    port_.reset();
  }
  while (doomed != nullptr) {
    TaskNode* next = doomed->next;
    doomed->fn.reset();
    {
      MutexGuard guard(mutex_);
      FreeTaskNodeLocked(doomed);
    }
    doomed = next;
  }
}

}  // namespace mica::async

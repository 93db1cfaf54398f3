#include "kernel/object/dispatcher.h"

#include <string.h>

#include "kernel/object/channel_gc.h"
#include "kernel/object/port.h"
#include "kernel/sched/sched.h"

Dispatcher::Dispatcher(mica_obj_type_t type, mica_signals_t initial)
    : type_(type), koid_(mica::core::AllocateKoid()), signals_(initial) {}

Dispatcher::~Dispatcher() {
  CancelAsyncWaits(nullptr, 0);
}

mica_signals_t Dispatcher::signals() const {
  IrqGuard guard(lock_);
  return signals_.signals();
}

void Dispatcher::UpdateSignals(mica_signals_t clear, mica_signals_t set) {
  IrqGuard guard(lock_);
  signals_.UpdateSignals(clear, set);
}

mica::Status Dispatcher::SignalPeer(mica_signals_t, mica_signals_t) {
  return mica::Status::kNotSupported;
}

namespace {

// A thread waiting in WaitOne: fired by the signal state's notification.
struct WaitObserver : HandleObserver {
  explicit WaitObserver(mica_signals_t want)
      : HandleObserver(
            want,
            [](SignalObserver* self, mica::core::Signals) {
              auto* w = static_cast<WaitObserver*>(self);
              w->fired.store(true, mica::kRelaxed);
              w->queue.WakeAll();
              return true;  // remove: a wait fires once
            },
            [](HandleObserver* self) {
              auto* w = static_cast<WaitObserver*>(self);
              w->canceled.store(true, mica::kRelaxed);
              w->fired.store(true, mica::kRelaxed);
              w->queue.WakeAll();
            }) {}
  sched::WaitQueue queue;
  mica::Atomic<bool> fired;
  mica::Atomic<bool> canceled;
};

}  // namespace

namespace {

// Bits of Dispatcher::through_handles_ and through_owners_.
uint64_t OwnerBit(const void* owner) {
  return uint64_t{1} << ((reinterpret_cast<uintptr_t>(owner) * 0x9e3779b97f4a7c15ull) >> 58);
}
uint64_t HandleBit(const void* owner, uint32_t handle) {
  return uint64_t{1} << (((reinterpret_cast<uintptr_t>(owner) ^ handle) * 0x9e3779b97f4a7c15ull) >>
                         58);
}

}  // namespace

void Dispatcher::NoteThroughLocked(const WaitThrough& through) {
  if (through.owner != nullptr) {
    through_owners_ |= OwnerBit(through.owner);
    through_handles_ |= HandleBit(through.owner, through.handle);
  }
}

mica::Status Dispatcher::WaitOne(mica_signals_t want, uint64_t deadline, mica_signals_t* observed,
                                 WaitThrough through) {
  WaitObserver waiter(want);
  waiter.through = through;
  {
    IrqGuard guard(lock_);
    if ((signals_.signals() & want) != 0) {
      *observed = signals_.signals();
      return mica::Status::kOk;
    }
    signals_.AddObserver(&waiter);
    NoteThroughLocked(through);
  }
  mica::Status s = waiter.queue.BlockWhile(
      [](const void* w) {
        return !static_cast<const WaitObserver*>(w)->fired.load(mica::kRelaxed);
      },
      &waiter, deadline);
  IrqGuard guard(lock_);
  if (waiter.observing()) {
    signals_.RemoveObserver(&waiter);
  }
  *observed = signals_.signals();
  if (waiter.canceled.load(mica::kRelaxed)) {
    return mica::Status::kCanceled;
  }
  if (s == mica::Status::kOk || (*observed & want) != 0) {
    return mica::Status::kOk;
  }
  return s;
}

namespace {

// One observer per object of a wait_many, all pointing at one shared state.
struct ManyWaitShared {
  sched::WaitQueue queue;
  mica::Atomic<bool> fired;
  mica::Atomic<bool> canceled;
};

struct ManyWaitObserver : HandleObserver {
  ManyWaitObserver()
      : HandleObserver(
            0,
            [](SignalObserver* self, mica::core::Signals) {
              auto* w = static_cast<ManyWaitObserver*>(self);
              w->shared->fired.store(true, mica::kRelaxed);
              w->shared->queue.WakeAll();
              return true;
            },
            [](HandleObserver* self) {
              auto* w = static_cast<ManyWaitObserver*>(self);
              w->shared->canceled.store(true, mica::kRelaxed);
              w->shared->fired.store(true, mica::kRelaxed);
              w->shared->queue.WakeAll();
            }) {}
  ManyWaitShared* shared = nullptr;
};

}  // namespace

mica::Status Dispatcher::WaitMany(const mica::RefPtr<Dispatcher>* objects,
                                  const mica_signals_t* want, size_t n, uint64_t deadline,
                                  mica_signals_t* seen, const WaitThrough* through) {
  constexpr size_t kMax = 64;
  if (n > kMax) {
    return mica::Status::kOutOfRange;
  }
  ManyWaitShared shared;
  ManyWaitObserver observers[kMax];
  bool satisfied = false;
  size_t registered = 0;
  for (size_t i = 0; i < n && !satisfied; i++) {
    Dispatcher* d = objects[i].get();
    observers[i].shared = &shared;
    observers[i].set_trigger_mask(want[i]);
    if (through != nullptr) {
      observers[i].through = through[i];
    }
    IrqGuard guard(d->lock_);
    if ((d->signals_.signals() & want[i]) != 0) {
      satisfied = true;
    } else {
      d->signals_.AddObserver(&observers[i]);
      d->NoteThroughLocked(observers[i].through);
      registered = i + 1;
    }
  }
  mica::Status s = mica::Status::kOk;
  if (!satisfied) {
    s = shared.queue.BlockWhile(
        [](const void* x) {
          return !static_cast<const ManyWaitShared*>(x)->fired.load(mica::kRelaxed);
        },
        &shared, deadline);
  }
  bool any = false;
  for (size_t i = 0; i < n; i++) {
    Dispatcher* d = objects[i].get();
    IrqGuard guard(d->lock_);
    if (i < registered && observers[i].observing()) {
      d->signals_.RemoveObserver(&observers[i]);
    }
    seen[i] = d->signals_.signals();
    any = any || (seen[i] & want[i]) != 0;
  }
  if (shared.canceled.load(mica::kRelaxed)) {
    return mica::Status::kCanceled;
  }
  if (any) {
    return mica::Status::kOk;
  }
  return s == mica::Status::kOk ? mica::Status::kTimedOut : s;
}

void Dispatcher::AddAsyncWait(AsyncWait* wait) {
  IrqGuard guard(lock_);
  NoteThroughLocked(wait->through);
  async_waits_.push_back(wait);
  // Fires at once if already satisfied: it then removes itself from
  // async_waits_ and may already be freed (a port without handles drops
  // it), so it is not touched after.
  (void)signals_.AddObserver(wait);
}

void Dispatcher::AsyncWaitFiredLocked(AsyncWait* wait) {
  if (wait->source_node.InContainer()) {
    async_waits_.remove(wait);
  }
}

size_t Dispatcher::CancelAsyncWaits(const PortDispatcher* port, uint64_t key) {
  mica::List<AsyncWaitLink, &AsyncWaitLink::source_node> cancelled;
  {
    IrqGuard guard(lock_);
    for (auto it = async_waits_.begin(); it != async_waits_.end();) {
      auto* w = static_cast<AsyncWait*>(&*it);
      ++it;
      if (port == nullptr || (w->port.get() == port && w->key == key)) {
        async_waits_.remove(w);
        signals_.RemoveObserver(w);
        cancelled.push_back(w);
      }
    }
  }
  size_t n = 0;
  while (AsyncWaitLink* l = cancelled.pop_front()) {
    delete static_cast<AsyncWait*>(l);  // drops its port reference
    n++;
  }
  return n;
}

void Dispatcher::CancelWaitsThrough(const void* owner, uint32_t handle) {
  mica::List<AsyncWaitLink, &AsyncWaitLink::source_node> cancelled;
  {
    IrqGuard guard(lock_);
    // Nothing to walk unless a wait may have been made through it.
    bool maybe = owner != nullptr && (handle == WaitThrough::kAnyHandle
                                          ? (through_owners_ & OwnerBit(owner)) != 0
                                          : (through_handles_ & HandleBit(owner, handle)) != 0);
    if (maybe) {
      for (auto it = async_waits_.begin(); it != async_waits_.end();) {
        auto* w = static_cast<AsyncWait*>(&*it);
        ++it;
        if (w->through.Matches(owner, handle)) {
          async_waits_.remove(w);
          signals_.RemoveObserver(w);
          cancelled.push_back(w);
        }
      }
      // What is left are threads waiting (wait_one, wait_many) and the
      // other async waits (every one an observer): the summary is rebuilt
      // from them.
      uint64_t handles = 0, owners = 0;
      signals_.RemoveObserversIf([&](mica::core::SignalObserver* o) {
        auto* h = static_cast<HandleObserver*>(o);
        if (h->on_cancel == nullptr || !h->through.Matches(owner, handle)) {
          if (h->through.owner != nullptr) {
            owners |= OwnerBit(h->through.owner);
            handles |= HandleBit(h->through.owner, h->through.handle);
          }
          return false;
        }
        h->on_cancel(h);
        return true;
      });
      through_handles_ = handles;
      through_owners_ = owners;
    }
  }
  while (AsyncWaitLink* l = cancelled.pop_front()) {
    delete static_cast<AsyncWait*>(l);  // drops its port reference
  }
  OnHandleClosed(owner, handle);
}

void Dispatcher::AddHandleRef() {
  handle_count_.fetch_add(1, mica::kRelaxed);
}

void Dispatcher::RemoveHandleRef() {
  uint32_t old = handle_count_.fetch_sub(1, mica::kAcqRel);
  MICA_DEBUG_ASSERT_MSG(old != 0, "RemoveHandleRef without a handle");
  if (old == 1) {
    ZeroHandles();
  } else {
    OnHandleReleased(old - 1);
  }
}

void Dispatcher::ZeroHandles() {
  sched::DeferredQueue& q = sched::Current()->deferred;
  if (q.draining) {
    // An outer RemoveHandleRef on this thread is running a reaction (this
    // object's handle was in what it released): queue, holding a
    // reference, for its loop.
    AddRef();
    q.push_back(this);
    return;
  }
  q.draining = true;
  // Nobody can cancel or observe this object's async waits any more.
  CancelAsyncWaits(nullptr, 0);
  OnZeroHandles();
  while (sched::DeferredNode* n = q.pop_front()) {
    Dispatcher* d = FromDeferred(n);
    d->CancelAsyncWaits(nullptr, 0);
    d->OnZeroHandles();
    // Dropping the queue's reference may destroy the object; anything its
    // destructor releases is queued as well.
    if (d->Release()) {
      delete d;
    }
  }
  q.draining = false;
  // Collections wait for the end of a chain (ChannelGc::MaybeCollect).
  ChannelGc::MaybeCollect();
}

void Dispatcher::GetName(char out[MICA_MAX_NAME_LEN]) const {
  IrqGuard guard(lock_);
  memcpy(out, name_, MICA_MAX_NAME_LEN);
}

void Dispatcher::SetName(const char* name, size_t len) {
  IrqGuard guard(lock_);
  if (len >= MICA_MAX_NAME_LEN) {
    len = MICA_MAX_NAME_LEN - 1;
  }
  memset(name_, 0, sizeof(name_));
  memcpy(name_, name, len);
}

HandleEntry MakeHandle(mica::RefPtr<Dispatcher> object) {
  HandleEntry e;
  e.koid = object->koid();
  e.rights = object->default_rights();
  e.object = mica::Move(object);
  return e;
}

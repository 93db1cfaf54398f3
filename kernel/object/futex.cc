#include "kernel/object/futex.h"

#include "kernel/arch/arm64/user_ptr.h"
#include "kernel/base/irq_spinlock.h"
#include "kernel/lib/list.h"
#include "kernel/sched/sched.h"

namespace futex {
namespace {

struct Waiter {
  mica::ListNode node;
  Process* process;
  uint64_t addr;
  sched::WaitQueue queue;
  mica::Atomic<bool> woken;
};

struct Bucket {
  IrqSpinLock lock ACQUIRED_BEFORE(sched::g_sched_lock);
  mica::List<Waiter, &Waiter::node> waiters GUARDED_BY(lock);
};

constexpr uint32_t kBuckets = 64;
Bucket g_buckets[kBuckets];

Bucket& BucketFor(Process* p, uint64_t addr) {
  uint64_t h = (reinterpret_cast<uint64_t>(p) >> 4) ^ (addr >> 2);
  h *= 0x9e3779b97f4a7c15ull;
  return g_buckets[h >> 58];
}

// Wakes up to `count` waiters of (p, addr) in `b`; lock held.
uint32_t WakeLocked(Bucket& b, Process* p, uint64_t addr, uint32_t count) REQUIRES(b.lock) {
  uint32_t n = 0;
  for (auto it = b.waiters.begin(); it != b.waiters.end() && n < count;) {
    Waiter* w = &*it;
    ++it;
    if (w->process == p && w->addr == addr) {
      b.waiters.remove(w);
      w->woken.store(true, mica::kRelaxed);
      w->queue.WakeAll();
      n++;
    }
  }
  return n;
}

}  // namespace

mica::Status Wait(Process* p, user_in_ptr<const mica_futex_t> word, int32_t expected,
                  uint64_t deadline) {
  uint64_t addr = word.addr();  // the key
  if ((addr & 3) != 0) {
    return mica::Status::kInvalidArgs;
  }
  Bucket& b = BucketFor(p, addr);
  Waiter w;
  w.process = p;
  w.addr = addr;
  {
    IrqGuard g(b.lock);
    mica_futex_t value;
    mica::Status s = word.copy_from_user(&value);
    if (s != mica::Status::kOk) {
      return s;
    }
    if (value != expected) {
      return mica::Status::kBadState;
    }
    b.waiters.push_back(&w);
  }
  mica::Status s = w.queue.BlockWhile(
      [](const void* x) { return !static_cast<const Waiter*>(x)->woken.load(mica::kRelaxed); }, &w,
      deadline);
  IrqGuard g(b.lock);
  if (w.node.InContainer()) {
    b.waiters.remove(&w);  // timed out, not woken
  }
  return w.woken.load(mica::kRelaxed) ? mica::Status::kOk : s;
}

uint32_t Wake(Process* p, uint64_t addr, uint32_t count) {
  Bucket& b = BucketFor(p, addr);
  IrqGuard g(b.lock);
  return WakeLocked(b, p, addr, count);
}

// Holds one or two bucket locks chosen at run time (in address order), which
// the static analysis cannot follow.
mica::Status Requeue(Process* p, user_in_ptr<const mica_futex_t> word, int32_t expected,
                     uint32_t wake_count, user_in_ptr<const mica_futex_t> target_word,
                     uint32_t requeue_count)
    NO_THREAD_SAFETY_ANALYSIS {  // one or two locks chosen at run time (above)
  uint64_t addr = word.addr(), target = target_word.addr();  // the keys
  if ((addr & 3) != 0 || (target & 3) != 0 || addr == target || !arch::IsUserRange(target, 4)) {
    return mica::Status::kInvalidArgs;
  }
  Bucket& from = BucketFor(p, addr);
  Bucket& to = BucketFor(p, target);
  // Take both bucket locks in address order.
  Bucket* first = &from < &to ? &from : &to;
  Bucket* second = &from < &to ? &to : &from;
  IrqGuard g1(first->lock);
  if (second != first) {
    second->lock.raw().Acquire();
  }
  mica_futex_t value;
  mica::Status s = word.copy_from_user(&value);
  if (s == mica::Status::kOk && value != expected) {
    s = mica::Status::kBadState;
  }
  if (s == mica::Status::kOk) {
    WakeLocked(from, p, addr, wake_count);
    uint32_t moved = 0;
    for (auto it = from.waiters.begin(); it != from.waiters.end() && moved < requeue_count;) {
      Waiter* w = &*it;
      ++it;
      if (w->process == p && w->addr == addr) {
        from.waiters.remove(w);
        w->addr = target;
        to.waiters.push_back(w);
        moved++;
      }
    }
  }
  if (second != first) {
    second->lock.raw().Release();
  }
  return s;
}

void WakeAll(Process* p) {
  for (Bucket& b : g_buckets) {
    IrqGuard g(b.lock);
    for (auto it = b.waiters.begin(); it != b.waiters.end();) {
      Waiter* w = &*it;
      ++it;
      if (w->process == p) {
        b.waiters.remove(w);
        w->woken.store(true, mica::kRelaxed);
        w->queue.WakeAll();
      }
    }
  }
}

}  // namespace futex

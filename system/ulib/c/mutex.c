// Futex mutexes, and picolibc's retargetable locks on top of them.
//
// The mutex is the three-state futex mutex of Drepper, "Futexes Are Tricky"
// (2011), mutex #2: 0 unlocked, 1 locked, 2 locked with possible waiters.
// An uncontended lock/unlock is one atomic each and no syscall.
#include <mica/rt/thread.h>
#include <mica/syscalls.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/lock.h>

#include "system/ulib/c/internal.h"

static int32_t cas(mica_futex_t* p, int32_t expected, int32_t desired) {
  __atomic_compare_exchange_n(p, &expected, desired, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
  return expected;  // the value seen
}

void mica_rt_mutex_lock(mica_rt_mutex_t* m) {
  int32_t c = cas(&m->futex, 0, 1);
  if (c == 0) {
    return;
  }
  // Contended: mark "waiters" and sleep until the holder hands over. If the
  // kernel cannot wait (the futex call fails), this degrades to spinning,
  // which is still correct.
  if (c != 2) {
    c = __atomic_exchange_n(&m->futex, 2, __ATOMIC_ACQUIRE);
  }
  while (c != 0) {
    mica_futex_wait(&m->futex, 2, MICA_TIME_INFINITE);
    c = __atomic_exchange_n(&m->futex, 2, __ATOMIC_ACQUIRE);
  }
}

int mica_rt_mutex_trylock(mica_rt_mutex_t* m) {
  return cas(&m->futex, 0, 1) == 0;
}

void mica_rt_mutex_unlock(mica_rt_mutex_t* m) {
  if (__atomic_exchange_n(&m->futex, 0, __ATOMIC_RELEASE) == 2) {
    mica_futex_wake(&m->futex, 1);
  }
}

// ---- picolibc locks (<sys/lock.h>, _RETARGETABLE_LOCKING) -----------------
//
// struct __lock is ours to define. A lock is recursive or not by which
// functions use it; the owner and depth fields serve the recursive ones.
// Threads are told apart by their thread pointer (TPIDR_EL0), which is
// unique among live threads.

struct __lock {
  mica_rt_mutex_t mutex;
  uintptr_t owner;  // thread pointer of the holder (recursive use only)
  uint32_t depth;
};

// The libc-wide recursive lock picolibc's malloc, atexit, time zone and
// environment code take (__LIBC_LOCK in <sys/lock.h>).
struct __lock __lock___libc_recursive_mutex;

static uintptr_t self_tp(void) {
  uintptr_t tp;
  __asm__("mrs %0, tpidr_el0" : "=r"(tp));
  return tp;
}

void __retarget_lock_init(_LOCK_T* lock) {
  *lock = calloc(1, sizeof(struct __lock));
  // On allocation failure the lock stays NULL and every operation on it
  // below is a no-op: the stream it protects works single-threaded.
}

void __retarget_lock_init_recursive(_LOCK_T* lock) {
  __retarget_lock_init(lock);
}

void __retarget_lock_close(_LOCK_T lock) {
  if (lock != &__lock___libc_recursive_mutex) {
    free(lock);
  }
}

void __retarget_lock_close_recursive(_LOCK_T lock) {
  __retarget_lock_close(lock);
}

void __retarget_lock_acquire(_LOCK_T lock) {
  if (lock != NULL) {
    mica_rt_mutex_lock(&lock->mutex);
  }
}

int __retarget_lock_try_acquire(_LOCK_T lock) {
  return lock == NULL || mica_rt_mutex_trylock(&lock->mutex);
}

void __retarget_lock_release(_LOCK_T lock) {
  if (lock != NULL) {
    mica_rt_mutex_unlock(&lock->mutex);
  }
}

void __retarget_lock_acquire_recursive(_LOCK_T lock) {
  if (lock == NULL) {
    return;
  }
  uintptr_t me = self_tp();
  // Only this thread can have stored `me`, so a relaxed read suffices to
  // recognise re-entry; other values just mean "not us".
  if (__atomic_load_n(&lock->owner, __ATOMIC_RELAXED) == me) {
    lock->depth++;
    return;
  }
  mica_rt_mutex_lock(&lock->mutex);
  __atomic_store_n(&lock->owner, me, __ATOMIC_RELAXED);
  lock->depth = 1;
}

int __retarget_lock_try_acquire_recursive(_LOCK_T lock) {
  if (lock == NULL) {
    return 1;
  }
  uintptr_t me = self_tp();
  if (__atomic_load_n(&lock->owner, __ATOMIC_RELAXED) == me) {
    lock->depth++;
    return 1;
  }
  if (!mica_rt_mutex_trylock(&lock->mutex)) {
    return 0;
  }
  __atomic_store_n(&lock->owner, me, __ATOMIC_RELAXED);
  lock->depth = 1;
  return 1;
}

void __retarget_lock_release_recursive(_LOCK_T lock) {
  if (lock == NULL) {
    return;
  }
  if (--lock->depth == 0) {
    __atomic_store_n(&lock->owner, 0, __ATOMIC_RELAXED);
    mica_rt_mutex_unlock(&lock->mutex);
  }
}

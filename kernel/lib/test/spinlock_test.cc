#include "kernel/lib/spinlock.h"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace {

using mica::Guard;
using mica::SpinLock;

TEST(SpinLock, AcquireRelease) {
  SpinLock lock;
  EXPECT_FALSE(lock.IsHeld());
  lock.Acquire();
  EXPECT_TRUE(lock.IsHeld());
  lock.AssertHeld();
  lock.Release();
  EXPECT_FALSE(lock.IsHeld());
}

// Tries the lock while holding it, which the static analysis rejects.
void TryAcquireSequence() NO_THREAD_SAFETY_ANALYSIS {
  SpinLock lock;
  ASSERT_TRUE(lock.TryAcquire());
  EXPECT_TRUE(lock.IsHeld());
  EXPECT_FALSE(lock.TryAcquire());
  lock.Release();
  EXPECT_FALSE(lock.IsHeld());
  ASSERT_TRUE(lock.TryAcquire());
  lock.Release();
}

TEST(SpinLock, TryAcquire) {
  TryAcquireSequence();
}

TEST(SpinLock, GuardScopesAndEarlyRelease) {
  SpinLock lock;
  {
    Guard<SpinLock> guard(&lock);
    EXPECT_TRUE(lock.IsHeld());
  }
  EXPECT_FALSE(lock.IsHeld());
  {
    Guard<SpinLock> guard(&lock);
    guard.Release();
    EXPECT_FALSE(lock.IsHeld());
  }
  EXPECT_FALSE(lock.IsHeld());
}

// A counter protected by the lock, to check the annotations compile and the
// lock provides mutual exclusion.
struct Counter {
  SpinLock lock;
  uint64_t value GUARDED_BY(lock) = 0;
  uint64_t shadow GUARDED_BY(lock) = 0;
  void Increment() {
    Guard<SpinLock> guard(&lock);
    // Non-atomic read-modify-write of two fields: a lost update or a torn
    // pair shows a broken lock.
    uint64_t v = value;
    shadow = v + 1;
    value = v + 1;
  }
  bool TryIncrement() {
    if (!lock.TryAcquire()) {
      return false;
    }
    value++;
    shadow++;
    lock.Release();
    return true;
  }
};

TEST(SpinLock, MutualExclusionUnderContention) {
  Counter c;
  constexpr int kThreads = 4;
  constexpr int kIters = 50000;
  std::atomic<uint64_t> tried{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&] {
      uint64_t mine = 0;
      for (int i = 0; i < kIters; i++) {
        c.Increment();
        if (c.TryIncrement()) {
          mine++;
        }
      }
      tried += mine;
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  Guard<SpinLock> guard(&c.lock);
  EXPECT_EQ(c.value, uint64_t{kThreads} * kIters + tried.load());
  EXPECT_EQ(c.shadow, c.value);
}

uint32_t g_fake_cpu = 0;
uint32_t FakeCpuId() {
  return g_fake_cpu;
}

TEST(SpinLock, HolderCpuHook) {
  SpinLock::SetCpuIdHook(&FakeCpuId);
  SpinLock lock;
  g_fake_cpu = 2;
  lock.Acquire();
  EXPECT_EQ(lock.holder_cpu(), 2u);
  EXPECT_TRUE(lock.IsHeld());
  g_fake_cpu = 1;
  EXPECT_FALSE(lock.IsHeld());  // held, but by CPU 2
  g_fake_cpu = 2;
  lock.Release();
  EXPECT_EQ(lock.holder_cpu(), SpinLock::kNoHolder);
  SpinLock::SetCpuIdHook(nullptr);
}

// A CPU per host thread, for the test below.
thread_local uint32_t t_fake_cpu = 0;
uint32_t ThreadFakeCpuId() {
  return t_fake_cpu;
}

// The lock word names its holder, so a waiter must never write it while
// the lock is held (a waiter that swapped its own value in would make the
// holder's release look like another CPU's, and steal the holder's name).
TEST(SpinLock, WaitersLeaveTheHolderRecorded) NO_THREAD_SAFETY_ANALYSIS {
  SpinLock::SetCpuIdHook(&ThreadFakeCpuId);
  SpinLock lock;
  t_fake_cpu = 1;
  lock.Acquire();
  std::atomic<int> started{0};
  std::atomic<bool> acquired{false};
  std::vector<std::thread> waiters;
  for (uint32_t cpu = 2; cpu < 5; cpu++) {
    waiters.emplace_back([&, cpu]() NO_THREAD_SAFETY_ANALYSIS {
      t_fake_cpu = cpu;
      started.fetch_add(1);
      lock.Acquire();
      EXPECT_EQ(lock.holder_cpu(), cpu);
      acquired.store(true);
      lock.Release();
    });
  }
  while (started.load() < 3) {
    std::this_thread::yield();
  }
  for (int i = 0; i < 2000; i++) {
    EXPECT_EQ(lock.holder_cpu(), 1u);
    std::this_thread::yield();
  }
  EXPECT_FALSE(acquired.load());
  EXPECT_TRUE(lock.IsHeld());
  lock.Release();  // asserts if a waiter overwrote the word
  for (auto& t : waiters) {
    t.join();
  }
  EXPECT_TRUE(acquired.load());
  EXPECT_EQ(lock.holder_cpu(), SpinLock::kNoHolder);
  SpinLock::SetCpuIdHook(nullptr);
}

// Deliberately wrong, so the analysis is off.
void ReleaseFreeLock() NO_THREAD_SAFETY_ANALYSIS {
  SpinLock lock;
  lock.Release();
}

TEST(SpinLockDeathTest, ReleaseUnheldAsserts) {
  EXPECT_DEATH(ReleaseFreeLock(), "not held");
}

// A lock released by a CPU other than its holder (a double release on some
// path) would let two CPUs into the critical section: it must assert.
void ReleaseFromOtherCpu() NO_THREAD_SAFETY_ANALYSIS {
  SpinLock::SetCpuIdHook(&FakeCpuId);
  SpinLock lock;
  g_fake_cpu = 0;
  lock.Acquire();
  g_fake_cpu = 3;
  lock.Release();
}

TEST(SpinLockDeathTest, ReleaseByAnotherCpuAsserts) {
  EXPECT_DEATH(ReleaseFromOtherCpu(), "held by another CPU");
}

// Taking a lock the same CPU already holds would spin forever.
void AcquireTwice() NO_THREAD_SAFETY_ANALYSIS {
  SpinLock::SetCpuIdHook(&FakeCpuId);
  SpinLock lock;
  g_fake_cpu = 1;
  lock.Acquire();
  lock.Acquire();
}

TEST(SpinLockDeathTest, RecursiveAcquireAsserts) {
  EXPECT_DEATH(AcquireTwice(), "already holds");
}

TEST(SpinLockDeathTest, AssertHeldOnFreeLock) {
  EXPECT_DEATH(
      {
        SpinLock lock;
        lock.AssertHeld();
      },
      "SpinLock not held");
}

}  // namespace

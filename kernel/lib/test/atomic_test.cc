#include "kernel/lib/atomic.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace {

TEST(Atomic, LoadStoreExchange) {
  mica::Atomic<uint32_t> a(5);
  EXPECT_EQ(a.load(mica::kRelaxed), 5u);
  a.store(7, mica::kRelease);
  EXPECT_EQ(a.load(mica::kAcquire), 7u);
  EXPECT_EQ(a.exchange(9, mica::kAcqRel), 7u);
  EXPECT_EQ(a.load(mica::kSeqCst), 9u);
}

TEST(Atomic, DefaultIsZeroAndConstantInitialised) {
  static constinit mica::Atomic<uint64_t> global;
  EXPECT_EQ(global.load(mica::kRelaxed), 0u);
  static constinit mica::Atomic<bool> flag(true);
  EXPECT_TRUE(flag.load(mica::kRelaxed));
}

TEST(Atomic, ReadModifyWritesReturnTheOldValue) {
  mica::Atomic<uint64_t> a(0b1010);
  EXPECT_EQ(a.fetch_add(3, mica::kRelaxed), 0b1010u);
  EXPECT_EQ(a.fetch_sub(3, mica::kRelaxed), 0b1101u);
  EXPECT_EQ(a.fetch_or(0b0101, mica::kRelaxed), 0b1010u);
  EXPECT_EQ(a.fetch_and(0b0011, mica::kRelaxed), 0b1111u);
  EXPECT_EQ(a.load(mica::kRelaxed), 0b0011u);
}

TEST(Atomic, CompareExchangeUpdatesExpectedOnFailure) {
  mica::Atomic<int> a(1);
  int expected = 2;
  EXPECT_FALSE(a.compare_exchange_strong(&expected, 3, mica::kAcqRel, mica::kAcquire));
  EXPECT_EQ(expected, 1);
  EXPECT_TRUE(a.compare_exchange_strong(&expected, 3, mica::kAcqRel, mica::kAcquire));
  EXPECT_EQ(a.load(mica::kRelaxed), 3);
  // A weak exchange may fail spuriously; retried it succeeds.
  expected = 3;
  while (!a.compare_exchange_weak(&expected, 4, mica::kRelaxed, mica::kRelaxed)) {
    ASSERT_EQ(expected, 3);
  }
  EXPECT_EQ(a.load(mica::kRelaxed), 4);
}

TEST(Atomic, PointersAndBools) {
  int x = 0, y = 0;
  mica::Atomic<int*> p(&x);
  EXPECT_EQ(p.exchange(&y, mica::kRelaxed), &x);
  EXPECT_EQ(p.load(mica::kRelaxed), &y);
  mica::Atomic<bool> b;
  EXPECT_FALSE(b.exchange(true, mica::kRelaxed));
  EXPECT_TRUE(b.load(mica::kRelaxed));
}

TEST(Atomic, ConcurrentIncrementsAreNotLost) {
  mica::Atomic<uint64_t> counter;
  constexpr int kThreads = 4, kEach = 100000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; i++) {
        counter.fetch_add(1, mica::kRelaxed);
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(counter.load(mica::kRelaxed), uint64_t{kThreads} * kEach);
}

}  // namespace

namespace {

TEST(AtomicRef, OperatesOnThePlainValue) {
  uintptr_t word = 1;
  mica::AtomicRef<uintptr_t> ref(word);
  EXPECT_EQ(ref.fetch_add(2, mica::kRelaxed), 1u);
  EXPECT_EQ(word, 3u);
  ref.store(7, mica::kRelease);
  EXPECT_EQ(word, 7u);
  EXPECT_EQ(mica::AtomicRef<uintptr_t>(word).load(mica::kAcquire), 7u);
  uintptr_t expected = 7;
  EXPECT_TRUE(ref.compare_exchange_strong(&expected, 0, mica::kAcqRel, mica::kAcquire));
  EXPECT_EQ(word, 0u);
  mica::AtomicFence(mica::kSeqCst);
}

TEST(AtomicRef, ConcurrentIncrementsThroughRefsAreNotLost) {
  uint32_t counter = 0;
  constexpr int kThreads = 4, kEach = 100000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; i++) {
        mica::AtomicRef<uint32_t>(counter).fetch_add(1, mica::kRelaxed);
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(counter, uint32_t{kThreads} * kEach);
}

}  // namespace

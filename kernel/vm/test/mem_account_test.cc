// Host tests of MemAccount: limits along a chain, roll back, lifetime, and
// concurrent charges that never pass a limit.
#include "kernel/vm/mem_account.h"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace {

using mica::MemAccount;

TEST(MemAccountTest, ChargesUpToTheLimitAndNoFurther) {
  MemAccount a(nullptr);
  EXPECT_EQ(a.limit(), MemAccount::kUnlimited);
  a.SetLimit(1000);
  EXPECT_TRUE(a.Charge(600));
  EXPECT_TRUE(a.Charge(400));
  EXPECT_EQ(a.used(), 1000u);
  EXPECT_FALSE(a.Charge(1));
  EXPECT_EQ(a.used(), 1000u);
  EXPECT_EQ(a.failures(), 1u);
  EXPECT_EQ(a.Uncharge(400), nullptr);
  EXPECT_TRUE(a.Charge(1));
  EXPECT_EQ(a.used(), 601u);
  EXPECT_EQ(a.peak(), 1000u);
  EXPECT_EQ(a.Uncharge(601), nullptr);  // open: does not die at 0
  EXPECT_EQ(a.used(), 0u);
  EXPECT_EQ(a.Close(), &a);
}

TEST(MemAccountTest, OversizedChargesFail) {
  MemAccount a(nullptr);
  EXPECT_FALSE(a.Charge(MemAccount::kMaxCharge + 1));
  EXPECT_FALSE(a.Charge(~uint64_t{0}));
  EXPECT_EQ(a.used(), 0u);
  EXPECT_TRUE(a.Charge(MemAccount::kMaxCharge));
  EXPECT_EQ(a.Uncharge(MemAccount::kMaxCharge), nullptr);
  EXPECT_EQ(a.Close(), &a);
}

TEST(MemAccountTest, AParentLimitBindsItsChildrenTogether) {
  MemAccount top(nullptr);
  top.SetLimit(1000);
  MemAccount a(&top), b(&top);
  a.SetLimit(800);
  EXPECT_TRUE(a.Charge(700));
  EXPECT_FALSE(b.Charge(301));  // the parent refuses: nothing charged anywhere
  EXPECT_EQ(b.used(), 0u);
  EXPECT_EQ(top.used(), 700u);
  EXPECT_EQ(top.failures(), 1u);
  EXPECT_EQ(b.failures(), 0u);
  EXPECT_TRUE(b.Charge(300));
  EXPECT_EQ(top.used(), 1000u);
  EXPECT_FALSE(a.Charge(50));  // the parent again, though a has room
  EXPECT_EQ(a.used(), 700u);
  EXPECT_EQ(a.Uncharge(700), nullptr);
  EXPECT_FALSE(a.Charge(801));  // a's own limit
  EXPECT_EQ(a.failures(), 1u);
  EXPECT_EQ(top.used(), 300u);
  EXPECT_EQ(b.Uncharge(300), nullptr);
  EXPECT_EQ(a.Close(), &a);
  EXPECT_EQ(b.Close(), &b);
  EXPECT_EQ(top.Close(), &top);
}

TEST(MemAccountTest, LoweringTheLimitBelowUseRefusesLaterCharges) {
  MemAccount a(nullptr);
  EXPECT_TRUE(a.Charge(500));
  a.SetLimit(100);
  EXPECT_EQ(a.used(), 500u);
  EXPECT_FALSE(a.Charge(1));
  EXPECT_EQ(a.Uncharge(450), nullptr);
  EXPECT_TRUE(a.Charge(50));
  EXPECT_EQ(a.Uncharge(100), nullptr);
  EXPECT_EQ(a.Close(), &a);
}

TEST(MemAccountTest, AClosedAccountDiesWithItsLastCharge) {
  MemAccount top(nullptr);
  MemAccount child(&top);
  ASSERT_TRUE(top.Charge(sizeof(MemAccount)));  // the child's own cost, as kmem charges it
  ASSERT_TRUE(child.Charge(10));
  ASSERT_TRUE(child.Charge(20));
  EXPECT_EQ(top.used(), sizeof(MemAccount) + 30);
  EXPECT_EQ(child.Close(), nullptr);  // still charged
  EXPECT_FALSE(child.open());
  EXPECT_EQ(child.Uncharge(10), nullptr);
  EXPECT_EQ(child.Uncharge(20), &child);
  EXPECT_EQ(top.used(), sizeof(MemAccount));
  EXPECT_EQ(top.Close(), nullptr);  // the child's cost keeps it
  EXPECT_EQ(top.Uncharge(sizeof(MemAccount)), &top);
}

TEST(MemAccountTest, ConcurrentChargesNeverPassTheLimits) {
  constexpr uint64_t kLimit = 100000;
  MemAccount top(nullptr);
  top.SetLimit(kLimit);
  MemAccount a(&top), b(&top);
  a.SetLimit(kLimit / 2);
  std::atomic<uint64_t> charged_a{0}, charged_b{0};
  std::atomic<bool> over{false};
  auto worker = [&](MemAccount* acct, std::atomic<uint64_t>* mine, unsigned seed) {
    std::vector<uint64_t> held;
    for (int i = 0; i < 20000; i++) {
      seed = seed * 1103515245 + 12345;
      uint64_t n = 1 + (seed >> 16) % 997;
      if ((seed >> 8) % 4 == 0 && !held.empty()) {
        (void)acct->Uncharge(held.back());
        *mine -= held.back();
        held.pop_back();
      } else if (acct->Charge(n)) {
        held.push_back(n);
        *mine += n;
      }
      if (top.used() > kLimit || a.used() > kLimit / 2) {
        over = true;
      }
    }
    for (uint64_t n : held) {
      (void)acct->Uncharge(n);
      *mine -= n;
    }
  };
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < 4; i++) {
    threads.emplace_back(worker, i % 2 == 0 ? &a : &b, i % 2 == 0 ? &charged_a : &charged_b, i + 1);
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_FALSE(over.load());
  EXPECT_EQ(charged_a.load(), 0u);
  EXPECT_EQ(a.used(), 0u);
  EXPECT_EQ(b.used(), 0u);
  EXPECT_EQ(top.used(), 0u);
  EXPECT_LE(top.peak(), kLimit);
  EXPECT_LE(a.peak(), kLimit / 2);
  EXPECT_GT(a.failures() + top.failures(), 0u);
  EXPECT_EQ(a.Close(), &a);
  EXPECT_EQ(b.Close(), &b);
  EXPECT_EQ(top.Close(), &top);
}

TEST(MemAccountDeathTest, UnchargingMoreThanChargedAsserts) {
  MemAccount a(nullptr);
  ASSERT_TRUE(a.Charge(10));
  EXPECT_DEATH((void)a.Uncharge(11), "uncharging more");
}

TEST(MemAccountDeathTest, ClosingTwiceAsserts) {
  MemAccount a(nullptr);
  ASSERT_TRUE(a.Charge(1));
  EXPECT_EQ(a.Close(), nullptr);
  EXPECT_DEATH((void)a.Close(), "closing an account twice");
}

}  // namespace

// mica::AllocChecker (kernel/lib/alloc_checker.h): a failed allocation is
// reported and runs no constructor; an unchecked result is caught.
#include "kernel/lib/alloc_checker.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace {

// This binary's memory behind `new (ac)`: malloc, or a failure on demand.
bool g_fail_next = false;
int g_allocations = 0;

struct Counted {
  static inline int constructed = 0;
  Counted() { constructed++; }
  int value = 42;
};

}  // namespace

void* mica::AllocCheckerAllocate(size_t size) noexcept {
  g_allocations++;
  if (g_fail_next) {
    g_fail_next = false;
    return nullptr;
  }
  return std::malloc(size);
}

namespace {

TEST(AllocChecker, SuccessConstructsAndChecksTrue) {
  Counted::constructed = 0;
  mica::AllocChecker ac;
  auto* c = new (ac) Counted();
  ASSERT_TRUE(ac.check());
  EXPECT_EQ(Counted::constructed, 1);
  EXPECT_EQ(c->value, 42);
  c->~Counted();
  std::free(c);
}

TEST(AllocChecker, FailureRunsNoConstructorAndChecksFalse) {
  Counted::constructed = 0;
  g_fail_next = true;
  mica::AllocChecker ac;
  auto* c = new (ac) Counted();
  EXPECT_FALSE(ac.check());
  EXPECT_EQ(c, nullptr);
  EXPECT_EQ(Counted::constructed, 0);
}

TEST(AllocChecker, ArraysToo) {
  g_fail_next = true;
  mica::AllocChecker ac;
  auto* a = new (ac) int[16];
  EXPECT_FALSE(ac.check());
  EXPECT_EQ(a, nullptr);
  auto* b = new (ac) int[16];
  ASSERT_TRUE(ac.check());
  std::free(b);
}

TEST(AllocChecker, ReusableAfterEachCheck) {
  mica::AllocChecker ac;
  for (int i = 0; i < 3; i++) {
    g_fail_next = i == 1;
    auto* c = new (ac) Counted();
    EXPECT_EQ(ac.check(), i != 1);
    if (c != nullptr) {
      c->~Counted();
      std::free(c);
    }
  }
}

TEST(AllocCheckerDeathTest, UncheckedResultIsCaughtEvenOnSuccess) {
  EXPECT_DEATH(
      {
        mica::AllocChecker ac;
        auto* c = new (ac) Counted();
        (void)c;  // never checked: the destructor must stop the program
      },
      "never checked");
}

TEST(AllocCheckerDeathTest, ArmedTwiceWithoutCheckIsCaught) {
  EXPECT_DEATH(
      {
        mica::AllocChecker ac;
        (void)new (ac) Counted();
        (void)new (ac) Counted();
      },
      "never checked");
}

}  // namespace

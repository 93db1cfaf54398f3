#include "kernel/object/core/bti_ledger.h"

#include <gtest/gtest.h>

namespace mica::core {
namespace {

TEST(BtiLedger, GroupsAreDisjoint) {
  BtiLedger l(100, 10);
  ASSERT_TRUE(l.Reserve(5));
  ASSERT_TRUE(l.Reserve(7));
  EXPECT_EQ(l.pinned_pages(), 12u);
  EXPECT_EQ(l.pinned_pmts(), 2u);
  l.Quarantine(7);
  EXPECT_EQ(l.pinned_pages(), 5u);
  EXPECT_EQ(l.pinned_pmts(), 1u);
  EXPECT_EQ(l.quarantined_pages(), 7u);
  EXPECT_EQ(l.quarantined_pmts(), 1u);
  l.Unpin(5);
  l.Release(7);
  EXPECT_EQ(l.pinned_pages() + l.quarantined_pages(), 0u);
  EXPECT_EQ(l.pinned_pmts() + l.quarantined_pmts(), 0u);
}

// The page limit holds for every split between pinned and quarantined,
// up to and exactly at the limit, and a refusal changes nothing.
TEST(BtiLedger, PageLimitCountsBothGroups) {
  constexpr uint64_t kMax = 64;
  for (uint64_t quarantined = 0; quarantined <= kMax; quarantined += 8) {
    for (uint64_t want = 0; want <= kMax + 1; want++) {
      BtiLedger l(kMax, 1000);
      if (quarantined > 0) {
        ASSERT_TRUE(l.Reserve(quarantined));
        l.Quarantine(quarantined);
      }
      bool fits = quarantined + want <= kMax;
      EXPECT_EQ(l.Reserve(want), fits) << quarantined << " + " << want;
      EXPECT_EQ(l.pinned_pages(), fits ? want : 0u);
      EXPECT_EQ(l.quarantined_pages(), quarantined);
    }
  }
}

TEST(BtiLedger, PmtLimitCountsBothGroups) {
  BtiLedger l(1000, 4);
  for (int i = 0; i < 4; i++)
    ASSERT_TRUE(l.Reserve(1));
  EXPECT_FALSE(l.Reserve(1));
  l.Quarantine(1);
  l.Quarantine(1);
  EXPECT_FALSE(l.Reserve(1));  // quarantined PMTs still count
  l.Release(1);
  EXPECT_TRUE(l.Reserve(1));
  EXPECT_FALSE(l.Reserve(1));
  l.Unpin(1);
  EXPECT_TRUE(l.Reserve(1));
}

TEST(BtiLedger, HugeRequestsDoNotOverflow) {
  BtiLedger l(100, 10);
  ASSERT_TRUE(l.Reserve(60));
  EXPECT_FALSE(l.Reserve(UINT64_MAX));
  EXPECT_FALSE(l.Reserve(UINT64_MAX - 30));
  EXPECT_FALSE(l.Reserve(41));
  EXPECT_TRUE(l.Reserve(40));
}

}  // namespace
}  // namespace mica::core

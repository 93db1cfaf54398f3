// ControllerGroups (controller_groups.h): keys grouped by controller
// phandle for every mix of controllers, and every refusal.
#include "drivers/input/gpio-keys/controller_groups.h"

#include <gtest/gtest.h>

namespace mica::drivers::gpio_keys {
namespace {

TEST(ControllerGroups, KeysOfOneControllerMakeOneGroup) {
  ControllerGroups g;
  for (uint32_t k = 0; k < ControllerGroups::kMaxKeys; k++) {
    ASSERT_EQ(g.Add(k, 0x8005), Status::kOk);
  }
  ASSERT_EQ(g.count(), 1u);
  EXPECT_EQ(g.phandle(0), 0x8005u);
  ASSERT_EQ(g.key_count(0), ControllerGroups::kMaxKeys);
  for (uint32_t k = 0; k < ControllerGroups::kMaxKeys; k++) {
    EXPECT_EQ(g.key(0, k), k);
  }
}

// Every assignment of 8 keys to 1..kMaxControllers controllers (keys
// interleaved by key % controllers, and in runs): each group holds exactly
// its controller's keys, in order, groups in first-seen order.
TEST(ControllerGroups, InterleavedAndRunsOfControllers) {
  for (uint32_t controllers = 1; controllers <= ControllerGroups::kMaxControllers; controllers++) {
    for (bool runs : {false, true}) {
      ControllerGroups g;
      constexpr uint32_t kKeys = 8;
      auto owner = [&](uint32_t k) { return runs ? k * controllers / kKeys : k % controllers; };
      for (uint32_t k = 0; k < kKeys; k++) {
        ASSERT_EQ(g.Add(k, 0x100 + owner(k)), Status::kOk);
      }
      ASSERT_EQ(g.count(), controllers);
      uint32_t seen = 0;
      for (uint32_t c = 0; c < controllers; c++) {
        EXPECT_EQ(g.phandle(c), 0x100 + c);
        uint32_t last = 0;
        for (uint32_t i = 0; i < g.key_count(c); i++) {
          uint32_t k = g.key(c, i);
          EXPECT_EQ(owner(k), c);
          EXPECT_TRUE(i == 0 || k > last);
          last = k;
          seen++;
        }
      }
      EXPECT_EQ(seen, kKeys);
    }
  }
}

TEST(ControllerGroups, NoPhandleOrKeyOutOfRangeIsRefusedAndChangesNothing) {
  ControllerGroups g;
  ASSERT_EQ(g.Add(0, 7), Status::kOk);
  for (uint32_t bad : {0u, 0xffffffffu}) {
    EXPECT_EQ(g.Add(1, bad), Status::kInvalidArgs);
  }
  for (uint32_t key : {ControllerGroups::kMaxKeys, ControllerGroups::kMaxKeys + 1, ~0u}) {
    EXPECT_EQ(g.Add(key, 7), Status::kInvalidArgs);
  }
  ASSERT_EQ(g.count(), 1u);
  EXPECT_EQ(g.key_count(0), 1u);
}

TEST(ControllerGroups, OneControllerTooManyIsRefused) {
  ControllerGroups g;
  for (uint32_t c = 0; c < ControllerGroups::kMaxControllers; c++) {
    ASSERT_EQ(g.Add(c, 10 + c), Status::kOk);
  }
  EXPECT_EQ(g.Add(ControllerGroups::kMaxControllers, 99), Status::kInvalidArgs);
  EXPECT_EQ(g.count(), ControllerGroups::kMaxControllers);
  // A known controller still takes keys.
  EXPECT_EQ(g.Add(ControllerGroups::kMaxControllers, 10), Status::kOk);
  EXPECT_EQ(g.key_count(0), 2u);
}

TEST(ControllerGroups, OneKeyTooManyInAllIsRefused) {
  ControllerGroups g;
  for (uint32_t k = 0; k < ControllerGroups::kMaxKeys; k++) {
    ASSERT_EQ(g.Add(k, 1 + k % 2), Status::kOk);
  }
  EXPECT_EQ(g.Add(0, 1), Status::kInvalidArgs);
  EXPECT_EQ(g.Add(0, 3), Status::kInvalidArgs);
  EXPECT_EQ(g.count(), 2u);
  EXPECT_EQ(g.key_count(0) + g.key_count(1), ControllerGroups::kMaxKeys);
}

}  // namespace
}  // namespace mica::drivers::gpio_keys

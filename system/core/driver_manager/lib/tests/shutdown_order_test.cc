// StopInOrder (shutdown_order.h): for every node tree and set of links,
// every running node is stopped once, after all its running children and
// consumers; cycles fall back to depth order.
#include "system/core/driver_manager/lib/shutdown_order.h"

#include <gtest/gtest.h>

#include <vector>

namespace dm {
namespace {

constexpr uint32_t kNone = ~uint32_t{0};

struct FakeNode {
  uint32_t parent = kNone;
  uint32_t depth = 0;
  bool running = true;
  std::vector<uint32_t> providers;
};

struct FakeGraph {
  std::vector<FakeNode> nodes;
  uint32_t count() const { return static_cast<uint32_t>(nodes.size()); }
  bool running(uint32_t i) const { return nodes[i].running; }
  uint32_t parent(uint32_t i) const { return nodes[i].parent; }
  uint32_t depth(uint32_t i) const { return nodes[i].depth; }
  uint32_t provider_count(uint32_t i) const {
    return static_cast<uint32_t>(nodes[i].providers.size());
  }
  uint32_t provider(uint32_t i, uint32_t k) const { return nodes[i].providers[k]; }
};

std::vector<uint32_t> Order(const FakeGraph& g, uint32_t* unordered) {
  std::vector<uint32_t> order;
  bool pending[64] = {};
  *unordered = StopInOrder(g, pending, [&order](uint32_t i) { order.push_back(i); });
  return order;
}

// Every running node exactly once, none other; each after every running
// child and consumer of it.
void ExpectDependentsFirst(const FakeGraph& g, const std::vector<uint32_t>& order) {
  std::vector<int> at(g.count(), -1);
  for (size_t k = 0; k < order.size(); k++) {
    ASSERT_LT(order[k], g.count());
    ASSERT_EQ(at[order[k]], -1) << "node " << order[k] << " stopped twice";
    at[order[k]] = static_cast<int>(k);
  }
  for (uint32_t i = 0; i < g.count(); i++) {
    EXPECT_EQ(at[i] >= 0, g.nodes[i].running) << "node " << i;
    if (!g.nodes[i].running) {
      continue;
    }
    uint32_t p = g.nodes[i].parent;
    if (p < g.count() && g.nodes[p].running) {
      EXPECT_LT(at[i], at[p]) << "child " << i << " after parent " << p;
    }
    for (uint32_t q : g.nodes[i].providers) {
      if (q < g.count() && q != i && g.nodes[q].running) {
        EXPECT_LT(at[i], at[q]) << "consumer " << i << " after provider " << q;
      }
    }
  }
}

// QEMU virt's default set: root (not running), gpio-keys (2), pl061 (3),
// pl031 (4), pl011 (5), all depth 1; gpio-keys opened pl061's service.
TEST(ShutdownOrder, VirtGpioKeysStopsBeforeItsController) {
  FakeGraph g;
  g.nodes.resize(6);
  g.nodes[0].running = false;
  g.nodes[1].running = false;
  for (uint32_t i = 1; i < 6; i++) {
    g.nodes[i].parent = 0;
    g.nodes[i].depth = 1;
  }
  g.nodes[2].providers = {3};
  uint32_t unordered = 0;
  std::vector<uint32_t> order = Order(g, &unordered);
  EXPECT_EQ(order, (std::vector<uint32_t>{5, 4, 2, 3}));
  EXPECT_EQ(unordered, 0u);
}

// Random forests (a parent has a lower index, as in the tree walk) with
// random links from a consumer to a provider of lower index: every
// constraint points from a higher index to a lower one, so there is no
// cycle, but depth order and link order disagree freely. Some nodes are
// not running (their links and children still count for nothing).
TEST(ShutdownOrder, RandomTreesAndAcyclicLinks) {
  uint32_t seed = 12345;
  auto next = [&seed](uint32_t n) {
    seed = seed * 1103515245u + 12345u;
    return (seed >> 16) % n;
  };
  for (int round = 0; round < 1000; round++) {
    FakeGraph g;
    uint32_t n = 1 + next(40);
    g.nodes.resize(n);
    for (uint32_t i = 0; i < n; i++) {
      if (i > 0 && next(4) != 0) {
        g.nodes[i].parent = next(i);
        g.nodes[i].depth = g.nodes[g.nodes[i].parent].depth + 1;
      }
      g.nodes[i].running = next(5) != 0;
      for (uint32_t k = i > 0 ? next(4) : 0; k > 0; k--) {
        g.nodes[i].providers.push_back(next(i));
      }
    }
    uint32_t unordered = 0;
    std::vector<uint32_t> order = Order(g, &unordered);
    EXPECT_EQ(unordered, 0u);
    ExpectDependentsFirst(g, order);
  }
}

TEST(ShutdownOrder, ACycleIsStoppedByDepthAndLogged) {
  FakeGraph g;
  g.nodes.resize(4);
  for (uint32_t i = 1; i < 4; i++) {
    g.nodes[i].parent = 0;
    g.nodes[i].depth = 1;
  }
  g.nodes[1].providers = {2};
  g.nodes[2].providers = {1};
  uint32_t unordered = 0;
  std::vector<uint32_t> order = Order(g, &unordered);
  // 3 is free; 1 and 2 wait for each other, and 0 for them: stopped by
  // depth, the later first.
  EXPECT_EQ(order, (std::vector<uint32_t>{3, 2, 1, 0}));
  EXPECT_EQ(unordered, 3u);
}

TEST(ShutdownOrder, SelfLinksOutOfRangeIndicesAndNothingRunning) {
  FakeGraph g;
  g.nodes.resize(3);
  g.nodes[0].providers = {0, 7, kNone};
  g.nodes[1].parent = 99;
  g.nodes[2].providers = {0};
  uint32_t unordered = 0;
  std::vector<uint32_t> order = Order(g, &unordered);
  EXPECT_EQ(order, (std::vector<uint32_t>{2, 1, 0}));
  EXPECT_EQ(unordered, 0u);
  for (FakeNode& n : g.nodes) {
    n.running = false;
  }
  EXPECT_TRUE(Order(g, &unordered).empty());
  EXPECT_EQ(unordered, 0u);
}

// A long chain of consumers (each consuming the next) at one depth, in the
// worst index order: one node per pass, still all in order.
TEST(ShutdownOrder, LongChainAgainstIndexOrder) {
  FakeGraph g;
  g.nodes.resize(32);
  for (uint32_t i = 0; i + 1 < 32; i++) {
    g.nodes[i].providers = {i + 1};
  }
  uint32_t unordered = 0;
  std::vector<uint32_t> order = Order(g, &unordered);
  ASSERT_EQ(order.size(), 32u);
  for (uint32_t k = 0; k < 32; k++) {
    EXPECT_EQ(order[k], k);
  }
  EXPECT_EQ(unordered, 0u);
}

}  // namespace
}  // namespace dm

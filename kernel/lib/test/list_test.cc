#include "kernel/lib/list.h"

#include <list>
#include <memory>
#include <random>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

namespace {

struct Item {
  explicit Item(int v) : value(v) {}
  virtual ~Item() = default;  // polymorphic: the node is not at offset 0
  int value;
  mica::ListNode a_node;
  mica::ListNode b_node;
};

using ListA = mica::List<Item, &Item::a_node>;
using ListB = mica::List<Item, &Item::b_node>;

std::vector<int> Values(const ListA& l) {
  std::vector<int> v;
  for (const Item& i : l) {
    v.push_back(i.value);
  }
  return v;
}

TEST(List, EmptyList) {
  ListA l;
  EXPECT_TRUE(l.empty());
  EXPECT_EQ(l.size(), 0u);
  EXPECT_EQ(l.front(), nullptr);
  EXPECT_EQ(l.back(), nullptr);
  EXPECT_EQ(l.pop_front(), nullptr);
  EXPECT_EQ(l.pop_back(), nullptr);
  EXPECT_TRUE(l.begin() == l.end());
}

TEST(List, PushPopOrder) {
  Item a(1), b(2), c(3);
  ListA l;
  l.push_back(&b);
  l.push_front(&a);
  l.push_back(&c);
  EXPECT_EQ(Values(l), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(l.size(), 3u);
  EXPECT_EQ(l.front(), &a);
  EXPECT_EQ(l.back(), &c);
  EXPECT_TRUE(a.a_node.InContainer());
  EXPECT_FALSE(a.b_node.InContainer());
  EXPECT_EQ(l.next(&a), &b);
  EXPECT_EQ(l.next(&c), nullptr);
  EXPECT_EQ(l.prev(&a), nullptr);
  EXPECT_EQ(l.prev(&c), &b);
  EXPECT_EQ(l.pop_front(), &a);
  EXPECT_FALSE(a.a_node.InContainer());
  EXPECT_EQ(l.pop_back(), &c);
  EXPECT_EQ(l.pop_back(), &b);
  EXPECT_TRUE(l.empty());
}

TEST(List, InsertRemoveErase) {
  Item a(1), b(2), c(3), d(4);
  ListA l;
  l.push_back(&a);
  l.push_back(&d);
  l.insert_before(&d, &c);
  l.insert_after(&a, &b);
  EXPECT_EQ(Values(l), (std::vector<int>{1, 2, 3, 4}));
  l.remove(&b);
  EXPECT_EQ(Values(l), (std::vector<int>{1, 3, 4}));
  EXPECT_FALSE(b.a_node.InContainer());
  for (auto it = l.begin(); it != l.end();) {
    it = it->value == 3 ? l.erase(it) : ++it;
  }
  EXPECT_EQ(Values(l), (std::vector<int>{1, 4}));
  l.insert(l.end(), &b);
  l.insert(l.begin(), &c);
  EXPECT_EQ(Values(l), (std::vector<int>{3, 1, 4, 2}));
  l.clear();
  EXPECT_TRUE(l.empty());
  EXPECT_FALSE(a.a_node.InContainer());
  EXPECT_FALSE(c.a_node.InContainer());
}

TEST(List, ElementOnTwoLists) {
  Item a(1), b(2);
  ListA la;
  ListB lb;
  la.push_back(&a);
  la.push_back(&b);
  lb.push_back(&b);
  lb.push_back(&a);
  EXPECT_EQ(la.front(), &a);
  EXPECT_EQ(lb.front(), &b);
  la.remove(&a);
  EXPECT_EQ(lb.back(), &a);
  lb.clear();
  la.clear();
}

TEST(List, RandomAgainstStdList) {
  std::mt19937 rng(7);
  std::vector<std::unique_ptr<Item>> items;
  for (int i = 0; i < 64; i++) {
    items.push_back(std::make_unique<Item>(i));
  }
  ListA l;
  std::list<int> model;
  for (int step = 0; step < 20000; step++) {
    Item* it = items[rng() % items.size()].get();
    switch (rng() % 4) {
      case 0:
        if (!it->a_node.InContainer()) {
          l.push_front(it);
          model.push_front(it->value);
        }
        break;
      case 1:
        if (!it->a_node.InContainer()) {
          l.push_back(it);
          model.push_back(it->value);
        }
        break;
      case 2:
        if (it->a_node.InContainer()) {
          l.remove(it);
          model.remove(it->value);
        }
        break;
      case 3:
        if (Item* f = l.pop_front()) {
          ASSERT_EQ(f->value, model.front());
          model.pop_front();
        }
        break;
    }
    ASSERT_EQ(l.size(), model.size());
  }
  EXPECT_EQ(Values(l), std::vector<int>(model.begin(), model.end()));
  l.clear();
}

TEST(ListDeathTest, DoubleInsertAsserts) {
  EXPECT_DEATH(
      {
        Item a(1);
        ListA l;
        l.push_back(&a);
        l.push_back(&a);
      },
      "already in a container");
}

TEST(ListDeathTest, RemoveOfUnlinkedAsserts) {
  EXPECT_DEATH(
      {
        Item a(1);
        ListA l;
        l.remove(&a);
      },
      "not linked");
}

TEST(List, TriviallyDestructible) {
  // Kernel globals holding lists need no destructor registration.
  static_assert(std::is_trivially_destructible_v<ListA>);
}

}  // namespace

#include "kernel/lib/ref_counted.h"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace {

int g_destroyed = 0;

class Base : public mica::RefCounted<Base> {
 public:
  virtual ~Base() { g_destroyed++; }
  int value = 0;
};

class Derived : public Base {
 public:
  int extra = 7;
};

TEST(RefPtr, AdoptAndLastRelease) {
  g_destroyed = 0;
  {
    mica::RefPtr<Base> p = mica::AdoptRef(new Base);
    EXPECT_EQ(p->ref_count_debug(), 1);
    {
      mica::RefPtr<Base> q = p;
      EXPECT_EQ(p->ref_count_debug(), 2);
      EXPECT_TRUE(q == p);
    }
    EXPECT_EQ(p->ref_count_debug(), 1);
    EXPECT_EQ(g_destroyed, 0);
  }
  EXPECT_EQ(g_destroyed, 1);
}

TEST(RefPtr, MoveDoesNotTouchCount) {
  g_destroyed = 0;
  mica::RefPtr<Base> p = mica::AdoptRef(new Base);
  mica::RefPtr<Base> q = mica::Move(p);
  EXPECT_FALSE(p);
  EXPECT_TRUE(p == nullptr);
  EXPECT_EQ(q->ref_count_debug(), 1);
  p = q;
  EXPECT_EQ(q->ref_count_debug(), 2);
  p = nullptr;
  q = mica::Move(q);  // self-move leaves it intact
  EXPECT_EQ(q->ref_count_debug(), 1);
  q.reset();
  EXPECT_EQ(g_destroyed, 1);
}

TEST(RefPtr, DerivedToBase) {
  g_destroyed = 0;
  mica::RefPtr<Derived> d = mica::AdoptRef(new Derived);
  mica::RefPtr<Base> b = d;
  EXPECT_EQ(b->ref_count_debug(), 2);
  mica::RefPtr<Base> b2 = mica::Move(d);
  EXPECT_FALSE(d);
  EXPECT_EQ(b2->ref_count_debug(), 2);
  b.reset();
  b2.reset();
  EXPECT_EQ(g_destroyed, 1);
}

TEST(RefPtr, RawPointerAddsReferenceAndLeakRef) {
  g_destroyed = 0;
  mica::RefPtr<Base> p = mica::AdoptRef(new Base);
  Base* raw = p.get();
  mica::RefPtr<Base> q(raw);
  EXPECT_EQ(raw->ref_count_debug(), 2);
  Base* leaked = q.leak_ref();
  EXPECT_EQ(raw->ref_count_debug(), 2);
  EXPECT_FALSE(raw->Release());  // drop the leaked reference by hand
  p.reset();
  EXPECT_EQ(g_destroyed, 1);
  (void)leaked;
}

TEST(RefPtr, AdoptNull) {
  mica::RefPtr<Base> p = mica::AdoptRef<Base>(nullptr);
  EXPECT_FALSE(p);
}

TEST(RefPtr, ConcurrentCopiesDestroyOnce) {
  g_destroyed = 0;
  mica::RefPtr<Base> p = mica::AdoptRef(new Base);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([copy = p]() mutable {
      for (int i = 0; i < 10000; i++) {
        mica::RefPtr<Base> a = copy;
        mica::RefPtr<Base> b = mica::Move(a);
      }
    });
  }
  p.reset();
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(g_destroyed, 1);
}

TEST(RefCountedDeathTest, AdoptTwiceAsserts) {
  EXPECT_DEATH(
      {
        Base* b = new Base;
        mica::RefPtr<Base> p = mica::AdoptRef(b);
        mica::RefPtr<Base> q = mica::AdoptRef(b);
      },
      "AdoptRef on a shared object");
}

TEST(RefCountedDeathTest, AddRefAfterDeathAsserts) {
  EXPECT_DEATH(
      {
        Base b;
        EXPECT_TRUE(b.Release());
        b.AddRef();
      },
      "no references");
}

}  // namespace

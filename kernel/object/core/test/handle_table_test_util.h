// Shared by the HandleTable test files: a reference-counted test object that
// counts live instances, and the fixture that checks nothing leaks.
#pragma once

#include <gtest/gtest.h>

#include "kernel/lib/ref_counted.h"
#include "kernel/object/core/handle_table.h"
#include "kernel/object/core/test/test_allocator.h"

namespace mica::core {
namespace {

using test::TestHeap;

int g_alive = 0;

struct Obj;
using Table = HandleTable<Obj>;

// When set, a dying object calls into this table: that deadlocks (the
// SpinLock is not recursive) if the table ever drops a reference while
// holding its lock.
Table* g_reenter = nullptr;

struct Obj : RefCounted<Obj> {
  explicit Obj(int id) : id(id) { __atomic_fetch_add(&g_alive, 1, __ATOMIC_RELAXED); }
  ~Obj();
  int id;
};

using Entry = HandleEntry<Obj>;

Obj::~Obj() {
  if (g_reenter != nullptr) {
    (void)g_reenter->count();
  }
  __atomic_fetch_sub(&g_alive, 1, __ATOMIC_RELAXED);
}

Entry MakeEntry(int id, Rights rights = 0xff) {
  return Entry{AdoptRef(new Obj(id)), static_cast<Koid>(kFirstKoid + id), rights};
}

class HandleTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    g_alive = 0;
    g_reenter = nullptr;
  }
  void TearDown() override {
    EXPECT_EQ(g_alive, 0) << "objects leaked";
    TestHeap::ExpectNoLeaks();
  }
  const Allocator* heap() { return TestHeap::allocator(); }
};

}  // namespace
}  // namespace mica::core

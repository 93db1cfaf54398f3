// Shared by the HandleTable test files: a reference-counted test object that
// counts live instances, and the fixture that checks nothing leaks.
#pragma once

#include <gtest/gtest.h>

#include "kernel/lib/atomic.h"
#include "kernel/lib/ref_counted.h"
#include "kernel/object/core/handle_table.h"
#include "kernel/object/core/test/test_allocator.h"

namespace mica::core {
namespace {

using test::TestHeap;

mica::Atomic<int> g_alive;  // objects alive (stress tests: from many threads)

struct Obj;
using Table = HandleTable<Obj>;

// When set, a dying object calls into this table: that deadlocks (the
// SpinLock is not recursive) if the table ever drops a reference while
// holding its lock.
Table* g_reenter = nullptr;

struct Obj : RefCounted<Obj> {
  explicit Obj(int id) : id(id) { g_alive.fetch_add(1, mica::kRelaxed); }
  ~Obj();
  int id;
};

using Entry = HandleEntry<Obj>;

Obj::~Obj() {
  if (g_reenter != nullptr) {
    (void)g_reenter->count();
  }
  g_alive.fetch_sub(1, mica::kRelaxed);
}

Entry MakeEntry(int id, Rights rights = 0xff) {
  return Entry{AdoptRef(new Obj(id)), static_cast<Koid>(kFirstKoid + id), rights};
}

class HandleTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    g_alive.store(0, mica::kRelaxed);
    g_reenter = nullptr;
  }
  void TearDown() override {
    EXPECT_EQ(g_alive.load(mica::kRelaxed), 0) << "objects leaked";
    TestHeap::ExpectNoLeaks();
  }
  const Allocator* heap() { return TestHeap::allocator(); }
};

}  // namespace
}  // namespace mica::core

#include "kernel/object/core/test/test_allocator.h"

#include <stdlib.h>
#include <string.h>

#include <map>
#include <mutex>

#include <gtest/gtest.h>

namespace mica::core::test {
namespace {

std::mutex g_mu;
std::map<void*, size_t> g_live_map;
std::map<void*, size_t>* const g_live = &g_live_map;
size_t g_live_bytes = 0;
size_t g_total = 0;
long g_budget = -1;

void* Alloc(size_t size, size_t align) {
  std::lock_guard<std::mutex> l(g_mu);
  if (g_budget == 0) {
    return nullptr;
  }
  if (g_budget > 0) {
    --g_budget;
  }
  EXPECT_TRUE(align != 0 && (align & (align - 1)) == 0) << "alignment " << align;
  if (align < sizeof(void*)) {
    align = sizeof(void*);
  }
  size_t rounded = (size + align - 1) / align * align;
  void* p = aligned_alloc(align, rounded == 0 ? align : rounded);
  // Fill with garbage so that structures relying on zeroed memory fail.
  memset(p, 0xa5, rounded);
  (*g_live)[p] = size;
  g_live_bytes += size;
  ++g_total;
  return p;
}

void Free(void* p) {
  std::lock_guard<std::mutex> l(g_mu);
  auto it = g_live->find(p);
  if (it == g_live->end()) {
    ADD_FAILURE() << "free of a pointer the test allocator never returned: " << p;
    return;
  }
  g_live_bytes -= it->second;
  g_live->erase(it);
  free(p);
}

const Allocator kAllocator{&Alloc, &Free};

}  // namespace

const Allocator* TestHeap::allocator() {
  return &kAllocator;
}

size_t TestHeap::live() {
  std::lock_guard<std::mutex> l(g_mu);
  return g_live->size();
}

size_t TestHeap::live_bytes() {
  std::lock_guard<std::mutex> l(g_mu);
  return g_live_bytes;
}

size_t TestHeap::total_allocs() {
  std::lock_guard<std::mutex> l(g_mu);
  return g_total;
}

void TestHeap::FailAfter(long n) {
  std::lock_guard<std::mutex> l(g_mu);
  g_budget = n;
}

void TestHeap::ExpectNoLeaks() {
  std::lock_guard<std::mutex> l(g_mu);
  EXPECT_EQ(g_live->size(), 0u) << "allocations still live";
  EXPECT_EQ(g_live_bytes, 0u);
  g_budget = -1;
}

}  // namespace mica::core::test

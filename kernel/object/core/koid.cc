#include "kernel/object/core/koid.h"

#include "kernel/lib/assert.h"

namespace mica::core {

Koid KoidAllocator::Allocate() {
  Koid id = next_.fetch_add(1, mica::kRelaxed);
  // The counter would wrap to 0 (and then reuse ids) after 2^64 allocations.
  MICA_ASSERT_MSG(id != kInvalidKoid, "koid space exhausted");
  return id;
}

namespace {
constinit KoidAllocator g_koids(kFirstKoid);
}  // namespace

Koid AllocateKoid() {
  return g_koids.Allocate();
}

}  // namespace mica::core

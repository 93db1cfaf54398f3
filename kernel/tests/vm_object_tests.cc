// In-kernel tests of the VM objects: copy-on-write sharing seen from the
// page tables, and that VMAR trees and VMO clones give back every page and
// every byte of heap they took.
#include <mica/types.h>

#include "kernel/arch/arm64/user_page_table.h"
#include "kernel/base/memory.h"
#include "kernel/object/object_type.h"
#include "kernel/object/process.h"
#include "kernel/object/vmar.h"
#include "kernel/object/vmo.h"
#include "kernel/tests/ktest.h"

// Checks that go on after a failure (the scenarios must clean up).
#define VEXPECT(cond) (void)ctx->Check((cond), #cond, __FILE__, __LINE__)
#define VEXPECT_EQ(a, b)                                                                         \
  (void)ctx->CheckEq(static_cast<uint64_t>(a), static_cast<uint64_t>(b), #a " == " #b, __FILE__, \
                     __LINE__)

namespace {

constexpr uint64_t kPage = arch::kPageSize;
constexpr uint32_t kRw = arch::kPermRead | arch::kPermWrite;

// Pages not in use by anything: free in the PMM or held by the heap for
// its own reuse.
uint64_t Unused() {
  kmem::Stats s = kmem::GetStats();
  return s.free_pages + s.heap_pages;
}

uint64_t MapRw(VmarDispatcher* vmar, mica::RefPtr<VmoDispatcher> vmo, uint64_t len) {
  VmarDispatcher::MapRequest req;
  req.vmo = mica::Move(vmo);
  req.len = len;
  req.perms = kRw;
  req.max_perms = kRw;
  uint64_t addr = 0;
  return vmar->Map(mica::Move(req), &addr) == mica::Status::kOk ? addr : 0;
}

struct Pte {
  uint64_t pa = 0;
  uint32_t perms = 0;
  bool mapped = false;
};

Pte Query(Process* p, uint64_t va) {
  Pte pte;
  pte.mapped = p->aspace().Query(va, &pte.pa, &pte.perms);
  return pte;
}

// Runs the scenario of the COW test; its checks go to `ctx`.
void CowScenario(ktest::Context* ctx) {
  Process* p = Process::Create("ktest-vm", /*auto_reap=*/false);
  if (!ctx->Check(p != nullptr, "Process::Create", __FILE__, __LINE__)) {
    return;
  }
  auto* root = As<VmarDispatcher>(p->root_vmar().get());
  mica::RefPtr<VmarDispatcher> sub;
  VEXPECT_EQ(static_cast<int>(
                 root->Allocate(MICA_VM_CAN_MAP_READ | MICA_VM_CAN_MAP_WRITE, 0, 64 * kPage, &sub)),
             0);
  mica::RefPtr<VmoDispatcher> parent;
  VEXPECT_EQ(static_cast<int>(VmoDispatcher::Create(4 * kPage, 0, &parent)), 0);
  if (!sub || !parent) {
    delete p;
    return;
  }
  uint64_t pm = MapRw(sub.get(), parent, 4 * kPage);
  VEXPECT(pm != 0);
  // Written before the clone: a private writable page.
  VEXPECT(root->HandlePageFault(pm, true, false) == mica::Status::kOk);
  Pte before = Query(p, pm);
  VEXPECT(before.mapped && (before.perms & arch::kPermWrite));

  mica::RefPtr<VmoDispatcher> child, grandchild;
  VEXPECT_EQ(
      static_cast<int>(parent->CreateChild(MICA_VMO_CHILD_COPY_ON_WRITE, 0, 4 * kPage, &child)), 0);
  VEXPECT_EQ(
      static_cast<int>(child->CreateChild(MICA_VMO_CHILD_COPY_ON_WRITE, 0, 8 * kPage, &grandchild)),
      0);
  if (!child || !grandchild) {
    (void)sub->Destroy();
    delete p;
    return;
  }
  // The parent's writable mapping of the now shared page is gone.
  VEXPECT(!Query(p, pm).mapped);
  uint64_t cm = MapRw(sub.get(), child, 4 * kPage);
  uint64_t gm = MapRw(sub.get(), grandchild, 8 * kPage);
  VEXPECT(cm != 0 && gm != 0);
  // Reads map the one shared page read-only everywhere.
  VEXPECT(root->HandlePageFault(pm, false, false) == mica::Status::kOk);
  VEXPECT(root->HandlePageFault(cm, false, false) == mica::Status::kOk);
  VEXPECT(root->HandlePageFault(gm, false, false) == mica::Status::kOk);
  Pte pp = Query(p, pm), cp = Query(p, cm), gp = Query(p, gm);
  VEXPECT_EQ(pp.pa, before.pa);
  VEXPECT_EQ(cp.pa, before.pa);
  VEXPECT_EQ(gp.pa, before.pa);
  VEXPECT_EQ(pp.perms & arch::kPermWrite, 0u);
  VEXPECT_EQ(cp.perms & arch::kPermWrite, 0u);
  // A write in the child copies: a new page, writable; the others keep the
  // old one.
  VEXPECT(root->HandlePageFault(cm, true, false) == mica::Status::kOk);
  cp = Query(p, cm);
  VEXPECT(cp.pa != before.pa && (cp.perms & arch::kPermWrite));
  VEXPECT_EQ(Query(p, pm).pa, before.pa);
  // A write in the parent copies too (the grandchild still holds it).
  VEXPECT(root->HandlePageFault(pm, true, false) == mica::Status::kOk);
  pp = Query(p, pm);
  VEXPECT(pp.pa != before.pa && pp.pa != cp.pa);
  // Now only the grandchild holds the old page: its write takes it over.
  VEXPECT(root->HandlePageFault(gm, true, false) == mica::Status::kOk);
  gp = Query(p, gm);
  VEXPECT_EQ(gp.pa, before.pa);
  VEXPECT(gp.perms & arch::kPermWrite);
  // Uncommitted pages of the grandchild past the parent's end: fresh.
  VEXPECT(root->HandlePageFault(gm + 6 * kPage, true, false) == mica::Status::kOk);
  VEXPECT_EQ(grandchild->Info().committed_bytes, 2 * kPage);

  // Destroying the sub-region unmaps everything in it.
  VEXPECT_EQ(static_cast<int>(sub->Destroy()), 0);
  VEXPECT(!Query(p, pm).mapped && !Query(p, cm).mapped && !Query(p, gm).mapped);
  VEXPECT_EQ(static_cast<int>(sub->Destroy()), static_cast<int>(mica::Status::kBadState));
  VEXPECT(root->HandlePageFault(pm, false, false) == mica::Status::kNotFound);
  // The parent goes first, then the rest.
  parent.reset();
  VEXPECT_EQ(child->Info().committed_bytes, kPage);
  sub.reset();
  child.reset();
  grandchild.reset();
  delete p;
}

}  // namespace

KTEST(vm_cow_sharing_and_no_leaks) {
  // Warm the heap's size classes first so that the counts below compare
  // like with like.
  CowScenario(ctx);
  uint64_t unused = Unused();
  uint64_t heap = kmem::GetStats().heap_bytes_in_use;
  CowScenario(ctx);
  VEXPECT_EQ(Unused(), unused);
  VEXPECT_EQ(kmem::GetStats().heap_bytes_in_use, heap);
}

// A process's VMAR tree with live sub-regions and mappings, torn down by
// the process's end: everything comes back.
KTEST(vm_process_teardown_frees_tree) {
  auto scenario = [](ktest::Context* ctx) {
    Process* p = Process::Create("ktest-vm2", /*auto_reap=*/false);
    if (!ctx->Check(p != nullptr, "Process::Create", __FILE__, __LINE__)) {
      return;
    }
    auto* root = As<VmarDispatcher>(p->root_vmar().get());
    mica::RefPtr<VmarDispatcher> a, b;
    (void)root->Allocate(MICA_VM_CAN_MAP_READ | MICA_VM_CAN_MAP_WRITE, 0, 32 * kPage, &a);
    if (a) {
      (void)a->Allocate(MICA_VM_CAN_MAP_READ | MICA_VM_CAN_MAP_WRITE, 0, 8 * kPage, &b);
    }
    mica::RefPtr<VmoDispatcher> vmo;
    (void)VmoDispatcher::Create(8 * kPage, 0, &vmo);
    if (a && b && vmo) {
      uint64_t m1 = MapRw(b.get(), vmo, 8 * kPage);
      uint64_t m2 = MapRw(root, vmo, 8 * kPage);
      VEXPECT(m1 != 0 && m2 != 0);
      for (uint64_t i = 0; i < 8; i++) {
        VEXPECT(root->HandlePageFault(m1 + i * kPage, true, false) == mica::Status::kOk);
        VEXPECT(root->HandlePageFault(m2 + i * kPage, false, false) == mica::Status::kOk);
      }
      VEXPECT_EQ(Query(p, m1).pa, Query(p, m2).pa);
    }
    // Our references outlive the process: the regions are dead then.
    delete p;
    if (b) {
      VEXPECT_EQ(static_cast<int>(b->Destroy()), static_cast<int>(mica::Status::kBadState));
    }
  };
  scenario(ctx);
  uint64_t unused = Unused();
  uint64_t heap = kmem::GetStats().heap_bytes_in_use;
  scenario(ctx);
  VEXPECT_EQ(Unused(), unused);
  VEXPECT_EQ(kmem::GetStats().heap_bytes_in_use, heap);
}

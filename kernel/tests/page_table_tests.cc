// In-kernel tests of page-table reclaim (R1 bug 4): a user page table frees
// each table page that no longer maps anything (Unmap, a failed Map) and
// every page it took when it goes.
#include "kernel/arch/arm64/user_page_table.h"
#include "kernel/base/memory.h"
#include "kernel/tests/ktest.h"

namespace {

constexpr uint64_t kMiB2 = 2ull << 20;
constexpr uint64_t kGiB = 1ull << 30;
constexpr uint32_t kRW = arch::kPermRead | arch::kPermWrite;

uint64_t FreeAndHeap() {
  kmem::Stats s = kmem::GetStats();
  return s.free_pages + s.heap_pages;
}

}  // namespace

// The table count follows the pages mapped: a level-3 table per 2 MiB block
// in use, a level-2 table per GiB, and nothing but the root once empty.
KTEST(user_page_table_frees_empty_tables) {
  uint64_t before = FreeAndHeap();
  {
    arch::UserPageTable pt;
    KEXPECT(pt.Init() == mica::Status::kOk);
    uint64_t pa;
    KEXPECT(kmem::AllocPage(&pa));
    KEXPECT_EQ(pt.table_pages(), 1u);
    KEXPECT(pt.Map(kGiB + 0x1000, &pa, 1, kRW) == mica::Status::kOk);
    KEXPECT(pt.Map(kGiB + 0x2000, &pa, 1, kRW) == mica::Status::kOk);
    KEXPECT_EQ(pt.table_pages(), 3u);
    KEXPECT(pt.Map(kGiB + 5 * kMiB2, &pa, 1, kRW) == mica::Status::kOk);
    KEXPECT_EQ(pt.table_pages(), 4u);
    KEXPECT(pt.Map(7 * kGiB, &pa, 1, kRW) == mica::Status::kOk);
    KEXPECT_EQ(pt.table_pages(), 6u);
    // One of two pages of a table: the table stays.
    KEXPECT_EQ(pt.Unmap(kGiB + 0x1000, 1), 1u);
    KEXPECT_EQ(pt.table_pages(), 6u);
    // Its last page: the level-3 table goes, its level-2 table stays.
    KEXPECT_EQ(pt.Unmap(kGiB + 0x2000, 1), 1u);
    KEXPECT_EQ(pt.table_pages(), 5u);
    // A lone page: both of its tables go.
    KEXPECT_EQ(pt.Unmap(7 * kGiB, 1), 1u);
    KEXPECT_EQ(pt.table_pages(), 3u);
    // An unmap of nothing changes nothing.
    KEXPECT_EQ(pt.Unmap(kGiB, 1), 0u);
    KEXPECT_EQ(pt.table_pages(), 3u);
    KEXPECT_EQ(pt.Unmap(kGiB, kGiB / arch::kPageSize), 1u);
    KEXPECT_EQ(pt.table_pages(), 1u);
    KEXPECT_EQ(pt.mapped_pages(), 0u);
    uint64_t got;
    uint32_t perms;
    KEXPECT(!pt.Query(kGiB + 5 * kMiB2, &got, &perms));
    // Mapped again after reclaim: fresh tables, the right page.
    KEXPECT(pt.Map(kGiB + 0x1000, &pa, 1, kRW) == mica::Status::kOk);
    KEXPECT(pt.Query(kGiB + 0x1000, &got, &perms));
    KEXPECT_EQ(got, pa);
    KEXPECT_EQ(pt.table_pages(), 3u);
    KEXPECT_EQ(pt.Unmap(kGiB + 0x1000, 1), 1u);
    KEXPECT_EQ(pt.table_pages(), 1u);
    kmem::FreePage(pa);
  }
  KEXPECT_EQ(FreeAndHeap(), before);
}

// A run over several tables, unmapped in parts; the tables of a failed Map
// are freed again; the destructor frees what is left.
KTEST(user_page_table_reclaims_runs_and_failed_maps) {
  uint64_t before = FreeAndHeap();
  {
    arch::UserPageTable pt;
    KEXPECT(pt.Init() == mica::Status::kOk);
    uint64_t pa;
    KEXPECT(kmem::AllocPage(&pa));
    // 1536 pages from 1 MiB below a GiB boundary: 256 + 512 + 512 + 256
    // pages in 4 level-3 tables, under two level-2 tables.
    uint64_t va = 2 * kGiB - (1ull << 20);
    KEXPECT(pt.MapContiguous(va, 0x40000000, 1536, arch::kPermRead) == mica::Status::kOk);
    KEXPECT_EQ(pt.mapped_pages(), 1536u);
    KEXPECT_EQ(pt.table_pages(), 1u + 2u + 4u);
    // The first 256 pages (all of the first level-3 table's), and with them
    // the first level-2 table.
    KEXPECT_EQ(pt.Unmap(va, 256), 256u);
    KEXPECT_EQ(pt.table_pages(), 1u + 1u + 3u);
    // Half of the next table: it stays.
    KEXPECT_EQ(pt.Unmap(2 * kGiB, 256), 256u);
    KEXPECT_EQ(pt.table_pages(), 5u);
    // A page in a GiB of its own: a level-2 and a level-3 table, freed
    // with it.
    KEXPECT(pt.Map(2 * kGiB - arch::kPageSize, &pa, 1, kRW) == mica::Status::kOk);
    KEXPECT_EQ(pt.table_pages(), 7u);
    KEXPECT_EQ(pt.Unmap(2 * kGiB - arch::kPageSize, 1), 1u);
    KEXPECT_EQ(pt.table_pages(), 5u);
    // A map that runs into a mapped page fails and frees the tables it
    // made for its first pages: a level-3 table (in the GiB of the run)...
    uint64_t pair[2] = {pa, pa};
    KEXPECT(pt.Map(3 * kGiB - kMiB2, &pa, 1, kRW) == mica::Status::kOk);
    KEXPECT_EQ(pt.table_pages(), 6u);
    KEXPECT(pt.Map(3 * kGiB - kMiB2 - arch::kPageSize, pair, 2, kRW) ==
            mica::Status::kAlreadyExists);
    KEXPECT_EQ(pt.table_pages(), 6u);
    // ... or a level-2 table and its level-3 table.
    KEXPECT(pt.Map(4 * kGiB, &pa, 1, kRW) == mica::Status::kOk);
    KEXPECT_EQ(pt.table_pages(), 8u);
    KEXPECT(pt.Map(4 * kGiB - arch::kPageSize, pair, 2, kRW) == mica::Status::kAlreadyExists);
    KEXPECT_EQ(pt.table_pages(), 8u);
    uint64_t got;
    uint32_t perms;
    KEXPECT(!pt.Query(4 * kGiB - arch::kPageSize, &got, &perms));
    KEXPECT(pt.Query(4 * kGiB, &got, &perms));
    KEXPECT_EQ(pt.mapped_pages(), 1536u - 512u + 2u);
    // The destructor frees the rest (still mapped).
    kmem::FreePage(pa);
  }
  KEXPECT_EQ(FreeAndHeap(), before);
}

// Up to two emptied tables stay as spares for the next tables of the same
// address space (a launcher mapping each program at a fresh address does
// not allocate and free two tables each time); the rest go back at once,
// the spares with the address space.
KTEST(user_page_table_keeps_two_spare_tables) {
  uint64_t before = FreeAndHeap();
  {
    arch::UserPageTable pt;
    KEXPECT(pt.Init() == mica::Status::kOk);
    uint64_t pa;
    KEXPECT(kmem::AllocPage(&pa));
    KEXPECT(pt.Map(kGiB + 0x1000, &pa, 1, kRW) == mica::Status::kOk);
    uint64_t mapped = kmem::GetStats().free_pages;
    KEXPECT_EQ(pt.Unmap(kGiB + 0x1000, 1), 1u);
    KEXPECT_EQ(pt.table_pages(), 1u);
    KEXPECT_EQ(kmem::GetStats().free_pages, mapped);  // both kept
    // Elsewhere: the spares serve, nothing is allocated.
    KEXPECT(pt.Map(9 * kGiB + 5 * kMiB2, &pa, 1, kRW) == mica::Status::kOk);
    KEXPECT_EQ(pt.table_pages(), 3u);
    KEXPECT_EQ(kmem::GetStats().free_pages, mapped);
    uint64_t got;
    uint32_t perms;
    KEXPECT(pt.Query(9 * kGiB + 5 * kMiB2, &got, &perms));
    KEXPECT_EQ(got, pa);
    KEXPECT_EQ(pt.Unmap(9 * kGiB + 5 * kMiB2, 1), 1u);
    // Three GiBs: two tables from the spares, four new; unmapped, two are
    // kept and four go back.
    for (uint64_t g = 2; g < 5; g++) {
      KEXPECT(pt.Map(g * kGiB, &pa, 1, kRW) == mica::Status::kOk);
    }
    KEXPECT_EQ(pt.table_pages(), 7u);
    KEXPECT_EQ(kmem::GetStats().free_pages, mapped - 4);
    KEXPECT_EQ(pt.Unmap(2 * kGiB, 3 * kGiB / arch::kPageSize), 3u);
    KEXPECT_EQ(pt.table_pages(), 1u);
    KEXPECT_EQ(kmem::GetStats().free_pages, mapped);
    kmem::FreePage(pa);
  }
  KEXPECT_EQ(FreeAndHeap(), before);
}

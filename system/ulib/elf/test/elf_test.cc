// The ELF library on real AArch64 PIEs linked by ld.lld at build time
// (test/programs/sample.c), compared with llvm-readelf's view of them.
#include <gtest/gtest.h>
#include <string.h>

#include <set>
#include <string>

#include "system/ulib/elf/elf.h"
#include "system/ulib/elf/test/image_util.h"

namespace elf_test {
namespace {

constexpr uint64_t kPage = elf::kPageSize;
uint64_t PageDown(uint64_t v) {
  return v & ~(kPage - 1);
}
uint64_t PageUp(uint64_t v) {
  return PageDown(v + kPage - 1);
}

// Every field of the plan against llvm-readelf's program headers and
// dynamic table.
void ExpectPlanMatchesReadelf(const elf::Plan& plan, const Readelf& r) {
  const std::vector<ReadelfPhdr> loads = r.Phdrs("LOAD");
  ASSERT_EQ(plan.segment_count, loads.size());
  const uint64_t base = PageDown(loads.front().vaddr);
  EXPECT_EQ(plan.link_base, base);
  EXPECT_EQ(plan.span_size, PageUp(loads.back().vaddr + loads.back().memsz) - base);
  EXPECT_EQ(plan.entry_offset, r.entry - base);
  uint64_t max_align = kPage;
  for (size_t i = 0; i < loads.size(); ++i) {
    SCOPED_TRACE("PT_LOAD " + std::to_string(i));
    const elf::Segment& s = plan.segments[i];
    const ReadelfPhdr& p = loads[i];
    EXPECT_EQ(s.vaddr_offset, p.vaddr - base);
    EXPECT_EQ(s.page_offset, PageDown(p.vaddr - base));
    EXPECT_EQ(s.page_size, PageUp(p.vaddr - base + p.memsz) - PageDown(p.vaddr - base));
    EXPECT_EQ(s.file_offset, p.offset);
    EXPECT_EQ(s.file_size, p.filesz);
    EXPECT_EQ(s.mem_size, p.memsz);
    EXPECT_EQ(s.flags, p.flags);
    max_align = std::max(max_align, p.align);
  }
  EXPECT_EQ(plan.max_align, max_align);

  const std::vector<ReadelfPhdr> tls = r.Phdrs("TLS");
  ASSERT_LE(tls.size(), 1u);
  EXPECT_EQ(plan.tls.present, tls.size() == 1);
  if (!tls.empty()) {
    EXPECT_EQ(plan.tls.vaddr_offset, tls[0].vaddr - base);
    EXPECT_EQ(plan.tls.file_size, tls[0].filesz);
    EXPECT_EQ(plan.tls.mem_size, tls[0].memsz);
    EXPECT_EQ(plan.tls.align, tls[0].align);
  }
  const std::vector<ReadelfPhdr> relro = r.Phdrs("GNU_RELRO");
  if (relro.empty()) {
    EXPECT_EQ(plan.relro_size, 0u);
  } else {
    EXPECT_EQ(plan.relro_offset, PageDown(relro[0].vaddr - base));
    EXPECT_EQ(plan.relro_offset + plan.relro_size,
              PageDown(relro[0].vaddr + relro[0].memsz - base));
  }
  const std::vector<ReadelfPhdr> stack = r.Phdrs("GNU_STACK");
  EXPECT_EQ(plan.stack_size, stack.empty() ? 0 : stack[0].memsz);

  if (r.dynamic.count("RELA") != 0) {
    EXPECT_EQ(plan.rela_offset, r.dynamic.at("RELA") - base);
    EXPECT_EQ(plan.rela_count, r.dynamic.at("RELASZ") / elf::kRelaSize);
    EXPECT_EQ(plan.rela_count, r.relocs.size());
    EXPECT_EQ(plan.relative_count,
              r.dynamic.count("RELACOUNT") != 0 ? r.dynamic.at("RELACOUNT") : 0);
  } else {
    EXPECT_EQ(plan.rela_count, 0u);
  }
}

// Validates, loads and relocates `name` at `base`; returns the span.
Bytes LoadAt(const Bytes& image, uint64_t base) {
  elf::Plan plan;
  elf::Error err;
  EXPECT_EQ(ValidateExact(image, &plan, &err), elf::Status::kOk) << FormatErrorString(err);
  const Bytes loaded = LoadSpan(image, plan);
  ExactBuffer span(loaded);
  EXPECT_EQ(elf::ApplyRelocations(plan, span.data(), span.size(), base, &err), elf::Status::kOk)
      << FormatErrorString(err);
  return span.ToBytes();
}

class SampleTest : public ::testing::TestWithParam<const char*> {};

TEST_P(SampleTest, PlanMatchesReadelf) {
  const Bytes image = ReadFixture(GetParam());
  const Readelf r = ReadExpectations(GetParam());
  ASSERT_EQ(r.type, "DYN");
  elf::Plan plan;
  elf::Error err;
  ASSERT_EQ(ValidateExact(image, &plan, &err), elf::Status::kOk) << FormatErrorString(err);
  EXPECT_EQ(err.status, elf::Status::kOk);
  ExpectPlanMatchesReadelf(plan, r);
  // The entry point is the program's _start.
  EXPECT_EQ(plan.entry_offset, r.Symbol("_start") - plan.link_base);
}

TEST_P(SampleTest, RelocationsAtTwoBases) {
  const Bytes image = ReadFixture(GetParam());
  const Readelf r = ReadExpectations(GetParam());
  elf::Plan plan;
  ASSERT_EQ(ValidateExact(image, &plan), elf::Status::kOk);
  constexpr uint64_t kBase1 = 0x10000000;
  constexpr uint64_t kBase2 = 0x7f12'3456'0000;
  const Bytes unrelocated = LoadSpan(image, plan);
  const Bytes a = LoadAt(image, kBase1);
  const Bytes b = LoadAt(image, kBase2);
  ASSERT_EQ(a.size(), plan.span_size);
  ASSERT_EQ(b.size(), plan.span_size);

  // Each relocated word is base - link_base + addend: the two loads differ
  // by exactly the base difference there, and nowhere else.
  std::set<uint64_t> relocated;
  ASSERT_FALSE(r.relocs.empty());
  for (const ReadelfReloc& rel : r.relocs) {
    ASSERT_EQ(rel.type, "R_AARCH64_RELATIVE");
    const uint64_t at = rel.offset - plan.link_base;
    const uint64_t va = Get(a, at, 8);
    const uint64_t vb = Get(b, at, 8);
    EXPECT_EQ(va, kBase1 - plan.link_base + rel.addend) << "at " << at;
    EXPECT_EQ(vb - va, kBase2 - kBase1);
    for (int i = 0; i < 8; ++i) {
      relocated.insert(at + i);
    }
  }
  for (uint64_t i = 0; i < plan.span_size; ++i) {
    if (relocated.count(i) == 0) {
      ASSERT_EQ(a[i], unrelocated[i]) << "byte " << i << " changed without a relocation";
      ASSERT_EQ(b[i], unrelocated[i]) << "byte " << i << " changed without a relocation";
    }
  }

  // What the program's globals point to after relocation, by symbol.
  auto word = [&](const Bytes& span, const char* sym, int index) {
    return Get(span, r.Symbol(sym) - plan.link_base + 8 * index, 8);
  };
  for (const auto& [span, base] : {std::pair{&a, kBase1}, std::pair{&b, kBase2}}) {
    const uint64_t bias = base - plan.link_base;
    EXPECT_EQ(word(*span, "pointers_ro", 0), bias + r.Symbol("table"));
    EXPECT_EQ(word(*span, "pointers_ro", 1), bias + r.Symbol("table") + 8);
    EXPECT_EQ(word(*span, "pointers_ro", 2), bias + r.Symbol("counter"));
    EXPECT_EQ(word(*span, "pointers_rw", 0), bias + r.Symbol("counter"));
    EXPECT_EQ(word(*span, "pointers_rw", 1), bias + r.Symbol("table") + 12);
    EXPECT_EQ(word(*span, "messages", 0), bias + r.Symbol("message"));
    EXPECT_EQ(word(*span, "messages", 1), bias + r.Symbol("message") + 7);
    EXPECT_EQ(word(*span, "zeroes_ptr", 0), bias + r.Symbol("zeroes") + 100);
    EXPECT_EQ(word(*span, "fn_ptr", 0), bias + r.Symbol("add_counter"));
  }
  // The string the pointers reach is in the span.
  EXPECT_EQ(memcmp(a.data() + r.Symbol("message") - plan.link_base, "hello, loader", 14), 0);
}

INSTANTIATE_TEST_SUITE_P(Samples, SampleTest,
                         ::testing::Values("elf_sample_pie", "elf_sample_pie64k"));

// Hard-coded facts about elf_sample_pie (checked with llvm-readelf -l -d -r):
// lld with -z separate-code and 4 KiB pages lays out R (headers, .rela.dyn,
// .rodata), R+X (.text), R+W (.tdata, .data.rel.ro, .dynamic: RELRO) and R+W
// (.data, .bss), each starting on a new page; sample.c has 9 pointers.
TEST(ElfSamplePie, KnownLayout) {
  const Bytes image = ReadFixture("elf_sample_pie");
  elf::Plan plan;
  ASSERT_EQ(ValidateExact(image, &plan), elf::Status::kOk);
  ASSERT_EQ(plan.segment_count, 4u);
  EXPECT_EQ(plan.link_base, 0u);
  EXPECT_EQ(plan.max_align, 0x1000u);
  EXPECT_EQ(plan.segments[0].flags, elf::kRead);
  EXPECT_EQ(plan.segments[1].flags, elf::kRead | elf::kExecute);
  EXPECT_EQ(plan.segments[2].flags, elf::kRead | elf::kWrite);
  EXPECT_EQ(plan.segments[3].flags, elf::kRead | elf::kWrite);
  EXPECT_EQ(plan.segments[0].vaddr_offset, 0u);
  EXPECT_EQ(plan.segments[0].file_offset, 0u);
  EXPECT_EQ(plan.segments[1].vaddr_offset, 0x1000u);
  EXPECT_EQ(plan.segments[1].file_offset, 0x1000u);
  EXPECT_EQ(plan.segments[2].vaddr_offset, 0x2000u);
  EXPECT_EQ(plan.segments[2].page_size, 0x1000u);
  // .bss: 8 KiB of zeroes plus .data.
  EXPECT_GT(plan.segments[3].mem_size, 8192u);
  EXPECT_LT(plan.segments[3].file_size, 0x100u);
  // RELRO is the whole third segment.
  EXPECT_EQ(plan.relro_offset, 0x2000u);
  EXPECT_EQ(plan.relro_size, 0x1000u);
  EXPECT_EQ(plan.rela_count, 9u);
  EXPECT_EQ(plan.relative_count, 9u);
  // TLS: int tls_value (4 bytes of .tdata) + char tls_zero[64] (.tbss).
  EXPECT_TRUE(plan.tls.present);
  EXPECT_EQ(plan.tls.file_size, 4u);
  EXPECT_EQ(plan.tls.mem_size, 0x44u);
  EXPECT_EQ(plan.tls.align, 4u);
  EXPECT_EQ(plan.tls.vaddr_offset, 0x2000u);
  EXPECT_EQ(plan.stack_size, 0u);
  // The TLS template holds tls_value's initialiser.
  EXPECT_EQ(Get(LoadSpan(image, plan), plan.tls.vaddr_offset, 4), 42u);
}

// The 64 KiB layout: segments start mid-page (p_vaddr = 64 KiB multiple +
// p_offset) and still get disjoint page ranges.
TEST(ElfSamplePie64k, SegmentsStartMidPage) {
  const Bytes image = ReadFixture("elf_sample_pie64k");
  elf::Plan plan;
  ASSERT_EQ(ValidateExact(image, &plan), elf::Status::kOk);
  ASSERT_EQ(plan.segment_count, 4u);
  EXPECT_EQ(plan.max_align, 0x10000u);
  bool mid_page = false;
  for (uint32_t i = 0; i < plan.segment_count; ++i) {
    const elf::Segment& s = plan.segments[i];
    mid_page |= s.vaddr_offset % kPage != 0;
    EXPECT_EQ(s.vaddr_offset % kPage, s.file_offset % kPage);
    if (i > 0) {
      const elf::Segment& p = plan.segments[i - 1];
      EXPECT_LE(p.page_offset + p.page_size, s.page_offset);
    }
  }
  EXPECT_TRUE(mid_page);
}

TEST(ElfSampleExec, Rejected) {
  const Bytes image = ReadFixture("elf_sample_exec");
  ASSERT_EQ(ReadExpectations("elf_sample_exec").type, "EXEC");
  elf::Plan plan;
  elf::Error err;
  EXPECT_EQ(ValidateExact(image, &plan, &err), elf::Status::kNotPie);
  EXPECT_EQ(err.status, elf::Status::kNotPie);
  EXPECT_EQ(err.value, elf::kEtExec);
  EXPECT_EQ(FormatErrorString(err),
            "elf: not position independent (ET_EXEC): ET_EXEC; link with -pie (value 0x2) at "
            "offset 0x10");
}

TEST(ApplyRelocations, Arguments) {
  const Bytes image = ReadFixture("elf_sample_pie");
  elf::Plan plan;
  ASSERT_EQ(ValidateExact(image, &plan), elf::Status::kOk);
  const Bytes loaded = LoadSpan(image, plan);
  elf::Error err;
  {
    ExactBuffer small(loaded, plan.span_size - 1);
    EXPECT_EQ(elf::ApplyRelocations(plan, small.data(), small.size(), 0x10000, &err),
              elf::Status::kBufferTooSmall);
    EXPECT_EQ(small.ToBytes(), Bytes(loaded.begin(), loaded.end() - 1));
  }
  ExactBuffer span(loaded);
  EXPECT_EQ(elf::ApplyRelocations(plan, nullptr, span.size(), 0x10000, &err),
            elf::Status::kBadArgument);
  EXPECT_EQ(elf::ApplyRelocations(plan, span.data(), span.size(), 0x10008, &err),
            elf::Status::kBadArgument);
  EXPECT_EQ(
      elf::ApplyRelocations(plan, span.data(), span.size(), ~uint64_t{0} & ~(kPage - 1), &err),
      elf::Status::kBadArgument);
  EXPECT_EQ(span.ToBytes(), loaded);
  // A bigger buffer than needed is fine, and base 0 is a valid base.
  ExactBuffer big(loaded, loaded.size() + kPage);
  EXPECT_EQ(elf::ApplyRelocations(plan, big.data(), big.size(), 0, &err), elf::Status::kOk);
  EXPECT_EQ(err.status, elf::Status::kOk);
}

// A span whose relocation table changed after validation: nothing is
// written, and the error names the entry.
TEST(ApplyRelocations, ChangedTableIsRechecked) {
  const Bytes image = ReadFixture("elf_sample_pie");
  elf::Plan plan;
  ASSERT_EQ(ValidateExact(image, &plan), elf::Status::kOk);
  const Bytes loaded = LoadSpan(image, plan);
  struct Case {
    int index;
    size_t field;  // 0 r_offset, 8 r_info
    uint64_t value;
    elf::Status status;
  };
  const uint64_t rodata_target = plan.segments[0].vaddr_offset + 0x10;
  const Case cases[] = {
      {5, 8, 1026, elf::Status::kUnsupportedRelocation},
      {8, 8, (uint64_t{1} << 32) | elf::kRAarch64Relative, elf::Status::kBadRelocation},
      {0, 0, plan.span_size, elf::Status::kBadRelocation},
      {3, 0, plan.span_size - 4, elf::Status::kBadRelocation},
      {2, 0, rodata_target, elf::Status::kBadRelocation},
      {7, 0, ~uint64_t{0} - 3, elf::Status::kBadRelocation},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.index);
    Bytes changed = loaded;
    Put(changed, plan.rela_offset + c.index * elf::kRelaSize + c.field, 8, c.value);
    ExactBuffer span(changed);
    elf::Error err;
    EXPECT_EQ(elf::ApplyRelocations(plan, span.data(), span.size(), 0x40000000, &err), c.status);
    EXPECT_EQ(err.index, static_cast<uint32_t>(c.index));
    EXPECT_EQ(err.where, elf::Where::kRelocation);
    EXPECT_EQ(err.offset, plan.rela_offset + c.index * elf::kRelaSize);
    EXPECT_EQ(span.ToBytes(), changed) << "a relocation was applied although one entry is bad";
  }
}

// A plan altered by the caller still cannot make the library access memory
// outside the span.
TEST(ApplyRelocations, AlteredPlanStaysInsideSpan) {
  const Bytes image = ReadFixture("elf_sample_pie");
  elf::Plan plan;
  ASSERT_EQ(ValidateExact(image, &plan), elf::Status::kOk);
  const Bytes loaded = LoadSpan(image, plan);
  elf::Error err;
  {
    elf::Plan p = plan;
    p.rela_offset = plan.span_size - 10;
    ExactBuffer span(loaded);
    EXPECT_EQ(elf::ApplyRelocations(p, span.data(), span.size(), 0, &err),
              elf::Status::kBadRelocationTable);
    p.rela_offset = 0;
    p.rela_count = ~uint64_t{0} / 8;
    EXPECT_EQ(elf::ApplyRelocations(p, span.data(), span.size(), 0, &err),
              elf::Status::kBadRelocationTable);
  }
  {
    // The last segment claims to reach past the span; a relocation aimed
    // there is refused by the span bound.
    elf::Plan p = plan;
    p.segments[p.segment_count - 1].mem_size += 2 * kPage;
    Bytes changed = loaded;
    Put(changed, plan.rela_offset, 8, plan.span_size + 8);
    ExactBuffer span(changed);
    EXPECT_EQ(elf::ApplyRelocations(p, span.data(), span.size(), 0, &err),
              elf::Status::kBadRelocation);
    EXPECT_STREQ(err.detail, "relocation target outside the span");
  }
}

TEST(FormatError, UnsupportedRelocationNamesTheType) {
  elf::Error err;
  err.status = elf::Status::kUnsupportedRelocation;
  err.offset = 0x2a8;
  err.where = elf::Where::kRelocation;
  err.index = 3;
  err.value = 1026;
  EXPECT_EQ(FormatErrorString(err),
            "elf: unsupported relocation: R_AARCH64_JUMP_SLOT (type 1026) at offset 0x2a8, "
            "relocation 3");
  err.value = 4242;
  EXPECT_EQ(FormatErrorString(err),
            "elf: unsupported relocation: type 4242 at offset 0x2a8, relocation 3");
  // Truncation keeps the buffer terminated and reports the full length.
  char small[8];
  const size_t full = elf::FormatError(err, small, sizeof(small));
  EXPECT_EQ(full, FormatErrorString(err).size());
  EXPECT_STREQ(small, "elf: un");
  EXPECT_EQ(elf::FormatError(err, nullptr, 0), full);
}

TEST(StatusString, EveryStatusHasAName) {
  std::set<std::string> names;
  for (int s = 0; s <= static_cast<int>(elf::Status::kBufferTooSmall); ++s) {
    const std::string name = elf::StatusString(static_cast<elf::Status>(s));
    EXPECT_NE(name, "unknown status") << s;
    EXPECT_TRUE(names.insert(name).second) << "duplicate name " << name;
  }
  EXPECT_STREQ(elf::StatusString(static_cast<elf::Status>(200)), "unknown status");
  EXPECT_STREQ(elf::RelocationTypeName(elf::kRAarch64Relative), "R_AARCH64_RELATIVE");
  EXPECT_EQ(elf::RelocationTypeName(77), nullptr);
}

}  // namespace
}  // namespace elf_test

// A malformed corpus derived from the real elf_sample_pie (and a few
// synthetic images): each defect is rejected with its own status, from an
// exactly-sized buffer so that ASan catches any read past the end.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "system/ulib/elf/elf.h"
#include "system/ulib/elf/test/image_util.h"

namespace elf_test {
namespace {

using elf::Status;

// Dynamic tags used below (gABI).
constexpr uint64_t kDtNeeded = 1, kDtPltRelSz = 2, kDtRela = 7, kDtRelaSz = 8, kDtRelaEnt = 9,
                   kDtDebug = 21, kDtTextRel = 22, kDtJmpRel = 23, kDtFlags = 30, kDtRelr = 36,
                   kDtRel = 17, kDtRelaCount = 0x6ffffff9;

class MalformedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    image_ = ReadFixture("elf_sample_pie");
    ASSERT_EQ(ValidateExact(image_, &plan_), Status::kOk);
  }

  // Applies `patch` to a copy of the sample and expects `status`.
  elf::Error Expect(Status status, const std::function<void(Bytes&)>& patch) {
    Bytes b = image_;
    patch(b);
    elf::Plan plan;
    elf::Error err;
    EXPECT_EQ(ValidateExact(b, &plan, &err), status)
        << "got: " << FormatErrorString(err) << "; expected " << elf::StatusString(status);
    EXPECT_EQ(err.status, status);
    EXPECT_FALSE(FormatErrorString(err).empty());
    return err;
  }

  size_t Ph(int index) const { return PhdrAt(image_, index); }
  int Load(int n) const { return FindPhdr(image_, elf::kPtLoad, n); }

  Bytes image_;
  elf::Plan plan_;
};

// Every prefix of the file: rejected as truncated while it lacks a byte the
// loader needs, accepted with the same plan once it has them all.
TEST_F(MalformedTest, TruncationsEverywhere) {
  uint64_t needed = elf::kEhdrSize + Get(image_, kEPhnum, 2) * elf::kPhdrSize;
  for (uint32_t i = 0; i < plan_.segment_count; ++i) {
    needed = std::max(needed, plan_.segments[i].file_offset + plan_.segments[i].file_size);
  }
  ASSERT_LT(needed, image_.size());
  for (size_t len = 0; len <= image_.size(); ++len) {
    const Bytes prefix(image_.begin(), image_.begin() + len);
    elf::Plan plan;
    elf::Error err;
    const Status st = ValidateExact(prefix, &plan, &err);
    if (len < needed) {
      ASSERT_EQ(st, Status::kTruncated) << "length " << len << ": " << FormatErrorString(err);
    } else {
      ASSERT_EQ(st, Status::kOk) << "length " << len << ": " << FormatErrorString(err);
      ASSERT_EQ(plan.span_size, plan_.span_size);
      ASSERT_EQ(plan.rela_count, plan_.rela_count);
    }
  }
}

TEST_F(MalformedTest, Header) {
  Expect(Status::kBadMagic, [](Bytes& b) { b[1] = 'e'; });
  Expect(Status::kBadClass, [](Bytes& b) { b[4] = 1; });
  Expect(Status::kBadEncoding, [](Bytes& b) { b[5] = 2; });
  Expect(Status::kBadVersion, [](Bytes& b) { b[6] = 0; });
  Expect(Status::kBadVersion, [](Bytes& b) { Put(b, kEVersion, 4, 2); });
  const elf::Error e = Expect(Status::kBadMachine, [](Bytes& b) { Put(b, kEMachine, 2, 62); });
  EXPECT_EQ(e.value, 62u);
  Expect(Status::kNotPie, [](Bytes& b) { Put(b, kEType, 2, elf::kEtExec); });
  Expect(Status::kBadType, [](Bytes& b) { Put(b, kEType, 2, 1); });
  Expect(Status::kBadType, [](Bytes& b) { Put(b, kEType, 2, 4); });
  Expect(Status::kBadHeader, [](Bytes& b) { Put(b, kEEhsize, 2, 52); });
}

TEST_F(MalformedTest, ProgramHeaderTable) {
  for (uint64_t phentsize : {0, 32, 55, 57, 64}) {
    Expect(Status::kBadProgramHeaders, [&](Bytes& b) { Put(b, kEPhentsize, 2, phentsize); });
  }
  for (uint64_t phnum : {0, 65, 0xffff}) {
    Expect(Status::kBadProgramHeaders, [&](Bytes& b) { Put(b, kEPhnum, 2, phnum); });
  }
  // phoff overlapping the header, overflowing, past the end, partly past.
  Expect(Status::kBadProgramHeaders, [](Bytes& b) { Put(b, kEPhoff, 8, 0); });
  Expect(Status::kBadProgramHeaders, [](Bytes& b) { Put(b, kEPhoff, 8, ~uint64_t{0} - 100); });
  Expect(Status::kTruncated, [](Bytes& b) { Put(b, kEPhoff, 8, b.size()); });
  Expect(Status::kTruncated, [](Bytes& b) { Put(b, kEPhoff, 8, b.size() - elf::kPhdrSize + 1); });
  // More headers than fit in the file.
  Expect(Status::kTruncated, [](Bytes& b) {
    Put(b, kEPhoff, 8, b.size() - 10 * elf::kPhdrSize);
    Put(b, kEPhnum, 2, 11);
  });
}

TEST_F(MalformedTest, NoLoadSegments) {
  Expect(Status::kNoSegments, [&](Bytes& b) {
    for (int n = 0; n < 4; ++n) {
      Put(b, Ph(Load(n)) + kPType, 4, elf::kPtNull);
    }
  });
}

TEST_F(MalformedTest, OverflowingOffsetsAndSizes) {
  const size_t text = Ph(Load(1));
  const size_t last = Ph(Load(3));
  const elf::Error e =
      Expect(Status::kBadSegment, [&](Bytes& b) { Put(b, text + kPOffset, 8, ~uint64_t{0} - 15); });
  EXPECT_EQ(e.where, elf::Where::kProgramHeader);
  EXPECT_EQ(e.index, static_cast<uint32_t>(Load(1)));
  EXPECT_EQ(e.offset, text);
  // File data past the end of the file.
  Expect(Status::kTruncated,
         [&](Bytes& b) { Put(b, text + kPOffset, 8, (b.size() + 0xfff) & ~0xfffull); });
  Expect(Status::kTruncated, [&](Bytes& b) {
    Put(b, text + kPFilesz, 8, b.size());
    Put(b, text + kPMemsz, 8, b.size());
  });
  Expect(Status::kBadSegment, [&](Bytes& b) { Put(b, text + kPFilesz, 8, 0x1000); });
  Expect(Status::kBadSegment, [&](Bytes& b) {
    Put(b, last + kPFilesz, 8, ~uint64_t{0});
    Put(b, last + kPMemsz, 8, ~uint64_t{0});
  });
  Expect(Status::kBadSegment, [&](Bytes& b) { Put(b, last + kPMemsz, 8, ~uint64_t{0} - 0x3000); });
  Expect(Status::kBadSegment, [&](Bytes& b) { Put(b, last + kPVaddr, 8, 0xffff'ffff'ffff'f0f0); });
  Expect(Status::kBadSegment, [&](Bytes& b) { Put(b, text + kPMemsz, 8, 0); });
  // Sizes that stay representable but make the span too big.
  Expect(Status::kTooLarge, [&](Bytes& b) { Put(b, last + kPMemsz, 8, uint64_t{1} << 30); });
  Expect(Status::kTooLarge,
         [&](Bytes& b) { Put(b, last + kPVaddr, 8, (uint64_t{1} << 40) + 0xf0); });
}

TEST_F(MalformedTest, OverlappingAndUnsortedSegments) {
  // The last RW segment moved onto the RELRO segment's page (same offset
  // modulo the page size).
  Expect(Status::kOverlap, [&](Bytes& b) {
    Put(b, Ph(Load(3)) + kPVaddr, 8, plan_.segments[2].vaddr_offset + 0x0f0);
  });
  // The text segment grown into the next page.
  Expect(Status::kOverlap, [&](Bytes& b) { Put(b, Ph(Load(1)) + kPMemsz, 8, 0x1001); });
  // Two PT_LOADs swapped.
  Expect(Status::kUnsorted, [&](Bytes& b) {
    for (size_t i = 0; i < elf::kPhdrSize; ++i) {
      std::swap(b[Ph(Load(1)) + i], b[Ph(Load(2)) + i]);
    }
  });
}

TEST_F(MalformedTest, Misaligned) {
  Expect(Status::kMisaligned, [&](Bytes& b) { Put(b, Ph(Load(1)) + kPOffset, 8, 0x1008); });
  Expect(Status::kMisaligned, [&](Bytes& b) { Put(b, Ph(Load(1)) + kPVaddr, 8, 0x1004); });
  Expect(Status::kMisaligned, [&](Bytes& b) { Put(b, Ph(Load(0)) + kPAlign, 8, 0x1800); });
}

TEST_F(MalformedTest, WriteExecute) {
  for (int n : {1, 2, 3}) {
    const elf::Error e = Expect(Status::kWriteExecute, [&](Bytes& b) {
      Put(b, Ph(Load(n)) + kPFlags, 4, elf::kPfR | elf::kPfW | elf::kPfX);
    });
    EXPECT_EQ(e.index, static_cast<uint32_t>(Load(n)));
  }
  Expect(Status::kWriteExecute,
         [&](Bytes& b) { Put(b, Ph(Load(1)) + kPFlags, 4, elf::kPfW | elf::kPfX); });
}

TEST_F(MalformedTest, EntryPoint) {
  const uint64_t entry = Get(image_, kEEntry, 8);
  // In data, in read-only data, past the text's file data, misaligned.
  Expect(Status::kBadEntry, [](Bytes& b) { Put(b, kEEntry, 8, 0x2008); });
  Expect(Status::kBadEntry, [](Bytes& b) { Put(b, kEEntry, 8, 0x100); });
  Expect(Status::kBadEntry, [&](Bytes& b) {
    Put(b, kEEntry, 8, plan_.segments[1].vaddr_offset + plan_.segments[1].file_size);
  });
  Expect(Status::kBadEntry, [&](Bytes& b) { Put(b, kEEntry, 8, entry + 2); });
  Expect(Status::kBadEntry, [](Bytes& b) { Put(b, kEEntry, 8, ~uint64_t{0}); });
  // The text segment made non-executable.
  Expect(Status::kBadEntry, [&](Bytes& b) { Put(b, Ph(Load(1)) + kPFlags, 4, elf::kPfR); });
}

TEST_F(MalformedTest, SpecialSegments) {
  const int phdr = FindPhdr(image_, 6);  // PT_PHDR: free to repurpose
  ASSERT_GE(phdr, 0);
  Expect(Status::kInterpreter, [&](Bytes& b) { Put(b, Ph(phdr) + kPType, 4, elf::kPtInterp); });
  const int stack = FindPhdr(image_, elf::kPtGnuStack);
  ASSERT_GE(stack, 0);
  Expect(Status::kExecutableStack,
         [&](Bytes& b) { Put(b, Ph(stack) + kPFlags, 4, elf::kPfR | elf::kPfW | elf::kPfX); });
  // A requested stack size is passed on.
  Bytes b = image_;
  Put(b, Ph(stack) + kPMemsz, 8, 0x40000);
  elf::Plan plan;
  ASSERT_EQ(ValidateExact(b, &plan), Status::kOk);
  EXPECT_EQ(plan.stack_size, 0x40000u);
}

TEST_F(MalformedTest, Tls) {
  const int tls = FindPhdr(image_, elf::kPtTls);
  ASSERT_GE(tls, 0);
  const size_t at = Ph(tls);
  Expect(Status::kBadTls, [&](Bytes& b) { Put(b, at + kPAlign, 8, 3); });
  Expect(Status::kBadTls, [&](Bytes& b) { Put(b, at + kPAlign, 8, 0x2000); });
  Expect(Status::kBadTls, [&](Bytes& b) { Put(b, at + kPFilesz, 8, 0x100); });
  Expect(Status::kBadTls, [&](Bytes& b) { Put(b, at + kPMemsz, 8, uint64_t{1} << 31); });
  // Template outside loaded file data, or its offset disagreeing.
  Expect(Status::kBadTls, [&](Bytes& b) { Put(b, at + kPVaddr, 8, 0x5000); });
  Expect(Status::kBadTls, [&](Bytes& b) { Put(b, at + kPOffset, 8, 0x2008); });
  Expect(Status::kBadTls, [&](Bytes& b) { Put(b, at + kPVaddr, 8, ~uint64_t{0} - 1); });
  // Two PT_TLS.
  Expect(Status::kBadTls, [&](Bytes& b) {
    for (size_t i = 0; i < elf::kPhdrSize; ++i) {
      b[Ph(FindPhdr(image_, 6)) + i] = b[at + i];
    }
  });
}

TEST_F(MalformedTest, Relro) {
  const int relro = FindPhdr(image_, elf::kPtGnuRelro);
  ASSERT_GE(relro, 0);
  // In the read-only segment, or running past its writable one.
  Expect(Status::kBadRelro, [&](Bytes& b) { Put(b, Ph(relro) + kPVaddr, 8, 0); });
  Expect(Status::kBadRelro, [&](Bytes& b) { Put(b, Ph(relro) + kPMemsz, 8, 0x1001); });
}

TEST_F(MalformedTest, DynamicSection) {
  const int dyn = FindPhdr(image_, elf::kPtDynamic);
  ASSERT_GE(dyn, 0);
  Expect(Status::kBadDynamic, [&](Bytes& b) { Put(b, Ph(dyn) + kPOffset, 8, 0x2028); });
  Expect(Status::kBadDynamic, [&](Bytes& b) { Put(b, Ph(dyn) + kPFilesz, 8, 0x1000); });
  Expect(Status::kBadDynamic, [&](Bytes& b) { Put(b, Ph(dyn) + kPVaddr, 8, 0x4000); });
  // No DT_NULL within the segment.
  Expect(Status::kBadDynamic, [&](Bytes& b) { Put(b, DynamicEntryAt(b, 0), 8, kDtDebug); });
  // Two PT_DYNAMIC.
  Expect(Status::kBadDynamic,
         [&](Bytes& b) { Put(b, Ph(FindPhdr(image_, 6)) + kPType, 4, elf::kPtDynamic); });
  // Features a static PIE loader does not have.
  for (uint64_t tag : {kDtNeeded, kDtTextRel, kDtJmpRel, kDtRelr, kDtRel}) {
    const elf::Error e = Expect(Status::kUnsupportedDynamic,
                                [&](Bytes& b) { Put(b, DynamicEntryAt(b, kDtDebug), 8, tag); });
    EXPECT_EQ(e.value, tag);
    EXPECT_EQ(e.where, elf::Where::kDynamic);
  }
  Expect(Status::kUnsupportedDynamic, [&](Bytes& b) {
    const size_t at = DynamicEntryAt(b, kDtDebug);
    Put(b, at, 8, kDtFlags);
    Put(b, at + 8, 8, 0x4);  // DF_TEXTREL
  });
  Expect(Status::kUnsupportedDynamic, [&](Bytes& b) {
    const size_t at = DynamicEntryAt(b, kDtDebug);
    Put(b, at, 8, kDtPltRelSz);
    Put(b, at + 8, 8, 24);
  });
  // DT_FLAGS without DF_TEXTREL and a zero DT_PLTRELSZ are fine.
  for (uint64_t tag : {kDtFlags, kDtPltRelSz}) {
    Bytes b = image_;
    Put(b, DynamicEntryAt(b, kDtDebug), 8, tag);
    elf::Plan plan;
    EXPECT_EQ(ValidateExact(b, &plan), Status::kOk) << tag;
  }
}

TEST_F(MalformedTest, RelocationTable) {
  auto set = [](uint64_t tag, uint64_t value) {
    return [=](Bytes& b) { Put(b, DynamicEntryAt(b, tag) + 8, 8, value); };
  };
  const uint64_t relasz = plan_.rela_count * elf::kRelaSize;
  // Out of bounds: beyond the file data, beyond the span, wrapping around.
  Expect(Status::kBadRelocationTable, set(kDtRela, 0x1000 - 24));
  Expect(Status::kBadRelocationTable, set(kDtRela, 0x7000));
  Expect(Status::kBadRelocationTable, set(kDtRela, ~uint64_t{0} - 23));
  Expect(Status::kBadRelocationTable, set(kDtRelaSz, relasz + 0x1000 * 24));
  Expect(Status::kBadRelocationTable, set(kDtRelaSz, ~uint64_t{0} / 24 * 24));
  // In a writable segment (the RELRO data).
  Expect(Status::kBadRelocationTable, set(kDtRela, 0x2000));
  // Inconsistent sizes.
  const elf::Error e = Expect(Status::kBadDynamic, set(kDtRelaSz, relasz - 1));
  EXPECT_EQ(e.where, elf::Where::kDynamic);
  EXPECT_EQ(e.offset, DynamicEntryAt(image_, kDtRelaSz));
  EXPECT_EQ(e.value, relasz - 1);
  Expect(Status::kBadDynamic, set(kDtRelaEnt, 16));
  Expect(Status::kBadDynamic, set(kDtRelaCount, plan_.rela_count + 1));
  Expect(Status::kBadDynamic, [&](Bytes& b) { Put(b, DynamicEntryAt(b, kDtRela), 8, kDtDebug); });
  Expect(Status::kBadDynamic,
         [&](Bytes& b) { Put(b, DynamicEntryAt(b, kDtRelaEnt), 8, kDtDebug); });
  Expect(Status::kBadDynamic,
         [&](Bytes& b) { Put(b, DynamicEntryAt(b, kDtRelaSz), 8, kDtRelaCount); });
  Expect(Status::kBadDynamic, [&](Bytes& b) { Put(b, DynamicEntryAt(b, kDtDebug), 8, kDtRela); });
  // No table at all, or an empty one, is fine.
  for (const auto& patch : std::vector<std::function<void(Bytes&)>>{
           [&](Bytes& b) {
             Put(b, DynamicEntryAt(b, kDtRela), 8, kDtDebug);
             Put(b, DynamicEntryAt(b, kDtRelaSz), 8, kDtDebug);
             Put(b, DynamicEntryAt(b, kDtRelaCount), 8, kDtDebug);
           },
           [&](Bytes& b) {
             Put(b, DynamicEntryAt(b, kDtRelaSz) + 8, 8, 0);
             Put(b, DynamicEntryAt(b, kDtRelaCount) + 8, 8, 0);
           }}) {
    Bytes b = image_;
    patch(b);
    elf::Plan plan;
    elf::Error err;
    ASSERT_EQ(ValidateExact(b, &plan, &err), Status::kOk) << FormatErrorString(err);
    EXPECT_EQ(plan.rela_count, 0u);
  }
}

TEST_F(MalformedTest, Relocations) {
  const size_t r3 = RelocationAt(image_, 3);
  // Unsupported types, named in the message.
  const struct {
    uint32_t type;
    const char* name;
  } unsupported[] = {{257, "R_AARCH64_ABS64"},      {1025, "R_AARCH64_GLOB_DAT"},
                     {1026, "R_AARCH64_JUMP_SLOT"}, {1030, "R_AARCH64_TLS_TPREL64"},
                     {1032, "R_AARCH64_IRELATIVE"}, {0x12345, nullptr}};
  for (const auto& u : unsupported) {
    const elf::Error e =
        Expect(Status::kUnsupportedRelocation, [&](Bytes& b) { Put(b, r3 + 8, 8, u.type); });
    EXPECT_EQ(e.value, u.type);
    EXPECT_EQ(e.index, 3u);
    EXPECT_EQ(e.offset, r3);
    const std::string msg = FormatErrorString(e);
    EXPECT_NE(msg.find(u.name != nullptr ? u.name : "type 74565"), std::string::npos) << msg;
  }
  // RELATIVE against a symbol; targets in read-only memory, past the
  // segment, straddling its end, below the image.
  Expect(Status::kBadRelocation,
         [&](Bytes& b) { Put(b, r3 + 8, 8, (uint64_t{2} << 32) | elf::kRAarch64Relative); });
  Expect(Status::kBadRelocation, [&](Bytes& b) { Put(b, r3, 8, 0x1000); });
  Expect(Status::kBadRelocation, [&](Bytes& b) { Put(b, r3, 8, 0x10); });
  const elf::Segment& last = plan_.segments[plan_.segment_count - 1];
  Expect(Status::kBadRelocation,
         [&](Bytes& b) { Put(b, r3, 8, last.vaddr_offset + last.mem_size); });
  Expect(Status::kBadRelocation,
         [&](Bytes& b) { Put(b, r3, 8, last.vaddr_offset + last.mem_size - 4); });
  Expect(Status::kBadRelocation, [&](Bytes& b) { Put(b, r3, 8, ~uint64_t{0} - 7); });
  // DT_RELACOUNT covering an R_AARCH64_NONE: inconsistent. The same NONE
  // without the promise is accepted (and applies nothing).
  Expect(Status::kBadDynamic, [&](Bytes& b) { Put(b, r3 + 8, 8, elf::kRAarch64None); });
  Bytes b = image_;
  Put(b, r3 + 8, 8, elf::kRAarch64None);
  Put(b, DynamicEntryAt(b, kDtRelaCount) + 8, 8, 3);
  elf::Plan plan;
  ASSERT_EQ(ValidateExact(b, &plan), Status::kOk);
  ExactBuffer span(LoadSpan(b, plan));
  const Bytes before = span.ToBytes();
  ASSERT_EQ(elf::ApplyRelocations(plan, span.data(), span.size(), 0x100000), Status::kOk);
  const uint64_t target = Get(image_, r3, 8) - plan.link_base;
  EXPECT_EQ(Get(span.ToBytes(), target, 8), Get(before, target, 8));
}

// Synthetic images for limits the sample cannot reach.
TEST(SyntheticTest, TooManySegments) {
  std::vector<PhdrSpec> phdrs;
  for (uint64_t i = 0; i < elf::kMaxSegments + 1; ++i) {
    phdrs.push_back({elf::kPtLoad, elf::kPfR | elf::kPfX, 0, i * 0x1000, 0x100, 0x100, 0x1000});
  }
  elf::Error err;
  elf::Plan plan;
  EXPECT_EQ(ValidateExact(BuildImage(phdrs, 0x80, 0x1000), &plan, &err), Status::kTooManySegments);
  EXPECT_EQ(err.index, elf::kMaxSegments);
  phdrs.pop_back();
  ASSERT_EQ(ValidateExact(BuildImage(phdrs, 0x80, 0x1000), &plan, &err), Status::kOk)
      << FormatErrorString(err);
  EXPECT_EQ(plan.segment_count, elf::kMaxSegments);
  EXPECT_EQ(plan.span_size, elf::kMaxSegments * 0x1000);
}

TEST(SyntheticTest, NoDynamicMeansNoRelocations) {
  // One R+X segment holding the whole file, at a non-zero link address, and
  // a bss-only segment with no file data.
  const Bytes image = BuildImage(
      {
          {elf::kPtLoad, elf::kPfR | elf::kPfX, 0, 0x400000, 0x800, 0x800, 0x1000},
          {elf::kPtLoad, elf::kPfR | elf::kPfW, 0x123456000, 0x402000, 0, 0x10, 0x1000},
      },
      0x400100, 0x800);
  elf::Plan plan;
  elf::Error err;
  ASSERT_EQ(ValidateExact(image, &plan, &err), Status::kOk) << FormatErrorString(err);
  EXPECT_EQ(plan.link_base, 0x400000u);
  EXPECT_EQ(plan.entry_offset, 0x100u);
  EXPECT_EQ(plan.span_size, 0x3000u);
  EXPECT_EQ(plan.rela_count, 0u);
  EXPECT_FALSE(plan.tls.present);
  ExactBuffer span(plan.span_size);
  EXPECT_EQ(elf::ApplyRelocations(plan, span.data(), span.size(), 0x7000'0000, &err), Status::kOk);
}

TEST(SyntheticTest, SpanLimit) {
  const uint64_t max = elf::kMaxSpan;
  elf::Plan plan;
  EXPECT_EQ(
      ValidateExact(BuildImage({{elf::kPtLoad, elf::kPfR | elf::kPfX, 0, 0, 0x200, max, 0x1000}},
                               0x100, 0x200),
                    &plan),
      Status::kOk);
  EXPECT_EQ(plan.span_size, max);
  EXPECT_EQ(ValidateExact(
                BuildImage({{elf::kPtLoad, elf::kPfR | elf::kPfX, 0, 0, 0x200, max + 1, 0x1000}},
                           0x100, 0x200),
                &plan),
            Status::kTooLarge);
  // Sparse segments: each small, the distance between them too big.
  EXPECT_EQ(
      ValidateExact(BuildImage({{elf::kPtLoad, elf::kPfR | elf::kPfX, 0, 0, 0x200, 0x200, 0x1000},
                                {elf::kPtLoad, elf::kPfR, 0, max, 0x200, 0x200, 0x1000}},
                               0x100, 0x200),
                    &plan),
      Status::kTooLarge);
}

TEST(SyntheticTest, NullArguments) {
  elf::Plan plan;
  elf::Error err;
  uint8_t byte = 0;
  EXPECT_EQ(elf::Validate(nullptr, 0, &plan, &err), Status::kTruncated);
  EXPECT_EQ(elf::Validate(nullptr, 64, &plan, &err), Status::kBadArgument);
  EXPECT_EQ(elf::Validate(&byte, 1, nullptr, &err), Status::kBadArgument);
  EXPECT_EQ(elf::Validate(&byte, 1, &plan, nullptr), Status::kTruncated);
}

}  // namespace
}  // namespace elf_test

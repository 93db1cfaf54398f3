// The user programs the build makes, loaded by the same ELF library the
// kernel's launcher uses (system/ulib/elf), checked against what user.ld and
// build/user_program.gni promise: four page-aligned segments R, R X, R W
// (RELRO, all of it protected) and R W; the requested stack size; only
// RELATIVE relocations, each landing inside the loaded image.
#include <gtest/gtest.h>
#include <string.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "system/ulib/elf/elf.h"

namespace {

constexpr uint64_t kPage = elf::kPageSize;
constexpr uint64_t kStackSize = 256 * 1024;  // build/user_program.gni's default

std::vector<uint8_t> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  memcpy(&v, p, sizeof(v));
  return v;  // the test host is little-endian, like AArch64 Mica
}

struct Program {
  const char* name;
  bool stripped;
};

std::string PathOf(const Program& p) {
  return std::string(p.stripped ? USER_PROGRAM_DIR : USER_UNSTRIPPED_DIR) + "/" + p.name;
}

class UserProgramTest : public testing::TestWithParam<Program> {};

TEST_P(UserProgramTest, LayoutIsWhatUserLdPromises) {
  const std::vector<uint8_t> image = ReadFile(PathOf(GetParam()));
  ASSERT_FALSE(image.empty());
  elf::Plan plan;
  elf::Error err;
  ASSERT_EQ(elf::Validate(image.data(), image.size(), &plan, &err), elf::Status::kOk)
      << elf::StatusString(err.status) << ": " << err.detail;

  ASSERT_EQ(plan.segment_count, 4u);
  const uint32_t want_flags[4] = {elf::kRead, elf::kRead | elf::kExecute, elf::kRead | elf::kWrite,
                                  elf::kRead | elf::kWrite};
  for (uint32_t i = 0; i < 4; ++i) {
    SCOPED_TRACE("segment " + std::to_string(i));
    EXPECT_EQ(plan.segments[i].flags, want_flags[i]);
    EXPECT_EQ(plan.segments[i].vaddr_offset % kPage, 0u) << "segment does not start a page";
  }
  EXPECT_EQ(plan.link_base, 0u);

  // The entry point is in the text segment.
  const elf::Segment& text = plan.segments[1];
  EXPECT_GE(plan.entry_offset, text.vaddr_offset);
  EXPECT_LT(plan.entry_offset, text.vaddr_offset + text.file_size);

  // PT_GNU_RELRO is the whole third segment, so every page of it is
  // protected after relocation.
  const elf::Segment& relro = plan.segments[2];
  EXPECT_EQ(plan.relro_offset, relro.page_offset);
  EXPECT_EQ(plan.relro_size, relro.page_size);

  EXPECT_EQ(plan.stack_size, kStackSize);

  // Only RELATIVE relocations (DT_RELACOUNT covers them all).
  EXPECT_EQ(plan.rela_count, plan.relative_count);
}

TEST_P(UserProgramTest, RelocatesInsideItsImage) {
  const std::vector<uint8_t> image = ReadFile(PathOf(GetParam()));
  elf::Plan plan;
  ASSERT_EQ(elf::Validate(image.data(), image.size(), &plan), elf::Status::kOk);
  ASSERT_GT(plan.rela_count, 0u) << "a PIE with libc has pointers to relocate";

  // Lay the image out as the launcher does, then relocate it for a base.
  std::vector<uint8_t> span(plan.span_size, 0);
  for (uint32_t i = 0; i < plan.segment_count; ++i) {
    const elf::Segment& s = plan.segments[i];
    memcpy(span.data() + s.vaddr_offset, image.data() + s.file_offset, s.file_size);
  }
  const uint64_t base = 0x7f1234560000;
  elf::Error err;
  ASSERT_EQ(elf::ApplyRelocations(plan, span.data(), span.size(), base, &err), elf::Status::kOk)
      << elf::StatusString(err.status) << ": " << err.detail;

  // Every relocated word now holds base + addend, an address inside the
  // loaded image.
  for (uint64_t i = 0; i < plan.rela_count; ++i) {
    const uint8_t* rela = span.data() + plan.rela_offset + i * elf::kRelaSize;
    const uint64_t offset = Load64(rela) - plan.link_base;
    const uint64_t addend = Load64(rela + 16);
    ASSERT_LE(offset + 8, span.size());
    EXPECT_EQ(Load64(span.data() + offset), base + addend) << "relocation " << i;
    EXPECT_LT(addend, plan.span_size) << "relocation " << i << " points outside the image";
  }
}

TEST(UserProgramTls, RuntimeTestHasItsThreadLocals) {
  const std::vector<uint8_t> image = ReadFile(std::string(USER_PROGRAM_DIR) + "/runtime-test");
  elf::Plan plan;
  ASSERT_EQ(elf::Validate(image.data(), image.size(), &plan), elf::Status::kOk);
  ASSERT_TRUE(plan.tls.present);
  // runtime_test.c: an initialised int (.tdata), 16 zero ints and a
  // 64-byte aligned array (.tbss), plus picolibc's errno.
  EXPECT_GE(plan.tls.file_size, 4u);
  EXPECT_GE(plan.tls.mem_size, 4u + 64u + 8u);
  EXPECT_EQ(plan.tls.align, 64u);
  // The template is in the RELRO segment.
  const elf::Segment& relro = plan.segments[2];
  EXPECT_GE(plan.tls.vaddr_offset, relro.vaddr_offset);
  EXPECT_LE(plan.tls.vaddr_offset + plan.tls.file_size, relro.vaddr_offset + relro.file_size);
}

std::string Name(const testing::TestParamInfo<Program>& info) {
  std::string name = info.param.name;
  for (char& c : name) {
    if (c == '-') {
      c = '_';
    }
  }
  return name + (info.param.stripped ? "_stripped" : "_unstripped");
}

INSTANTIATE_TEST_SUITE_P(Programs, UserProgramTest,
                         testing::Values(Program{"hello", true}, Program{"hello", false},
                                         Program{"hello-cpp", true}, Program{"hello-cpp", false},
                                         Program{"runtime-test", true},
                                         Program{"runtime-test", false}, Program{"userboot", true},
                                         Program{"userboot", false}),
                         Name);

}  // namespace

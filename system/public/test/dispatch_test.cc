// Tests of the generated kernel syscall table (kernel/syscall_table.inc)
// and user stubs (syscall_stubs.S): every call reaches its handler with its
// registers converted to the declared types, 32-bit arguments with a bit
// above bit 31 are rejected before any handler runs, unknown numbers are
// MICA_ERR_BAD_SYSCALL, and each stub loads its number and zero-extends
// exactly its 32-bit arguments.
#include <gtest/gtest.h>
#include <mica/syscalls.h>
#include <stdint.h>

#include <fstream>
#include <initializer_list>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "kernel/syscall_decls.h"

namespace {

struct RecordedCall {
  uint64_t number;
  std::vector<uint64_t> args;
};

std::vector<RecordedCall> g_calls;

// Handlers return this plus their number, so the test sees which one ran.
constexpr int64_t kHandlerResult = 1000;

}  // namespace

int64_t Record(uint64_t number, std::initializer_list<uint64_t> args) {
  g_calls.push_back({number, args});
  return kHandlerResult + static_cast<int64_t>(number);
}

// The register value that produced each argument: integers are zero-extended
// from their width (int32 travels as its 32 two's-complement bits).
template <typename T>
  requires std::is_integral_v<T>
uint64_t Raw(T v) {
  return static_cast<uint64_t>(static_cast<std::make_unsigned_t<T>>(v));
}
template <typename T>
uint64_t Raw(user_in_ptr<T> p) {
  return p.addr();
}
template <typename T>
uint64_t Raw(user_out_ptr<T> p) {
  return p.addr();
}
template <typename T>
uint64_t Raw(user_inout_ptr<T> p) {
  return p.addr();
}

#include "test/syscall_recorder.inc"

#include "kernel/syscall_table.inc"

namespace {

// What the kernel's SVC path does (kernel/arch/arm64/vectors.S with the
// table of kernel/syscalls/dispatch.cc): index a table filled by FillTable
// with the number (past it: BadSyscall) and call the entry with x0..x7.
struct Table {
  syscall_gen::Entry entry[syscall_gen::kLastNumber + 1];
};

Table MakeTable() {
  Table t;
  for (syscall_gen::Entry& e : t.entry) {
    e = syscall_gen::BadSyscall;
  }
  syscall_gen::FillTable(t.entry);
  return t;
}

const Table kTable = MakeTable();

int64_t Dispatch(uint64_t number, const uint64_t* a) {
  syscall_gen::Entry e = kTable.entry[number <= syscall_gen::kLastNumber ? number : 0];
  return e(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
}

// Register values for a call: 32-bit arguments get values that use all 32
// bits, 64-bit ones values with high bits set, unused registers all ones.
std::vector<uint64_t> Registers(const SyscallShape& s) {
  std::vector<uint64_t> a(8, ~uint64_t{0});
  for (int k = 0; k < s.num_args; ++k) {
    if (s.narrow_mask & (1u << k)) {
      a[k] = 0xf0000000u + s.number * 16 + k;
    } else {
      a[k] = 0xfedc000000000000ull | (s.number << 16) | k;
    }
  }
  return a;
}

TEST(SyscallDispatch, EveryCallReachesItsHandlerWithItsArguments) {
  for (const SyscallShape& s : kSyscallShapes) {
    SCOPED_TRACE(s.name);
    g_calls.clear();
    std::vector<uint64_t> a = Registers(s);
    EXPECT_EQ(Dispatch(s.number, a.data()), kHandlerResult + static_cast<int64_t>(s.number));
    ASSERT_EQ(g_calls.size(), 1u);
    EXPECT_EQ(g_calls[0].number, s.number);
    EXPECT_EQ(g_calls[0].args, std::vector<uint64_t>(a.begin(), a.begin() + s.num_args));
  }
}

TEST(SyscallDispatch, RejectsUpperBitsOf32BitArguments) {
  int checked = 0;
  for (const SyscallShape& s : kSyscallShapes) {
    for (int k = 0; k < s.num_args; ++k) {
      if (!(s.narrow_mask & (1u << k))) {
        continue;
      }
      for (uint64_t bit : {uint64_t{1} << 32, uint64_t{1} << 63}) {
        SCOPED_TRACE(std::string(s.name) + " argument " + std::to_string(k));
        g_calls.clear();
        std::vector<uint64_t> a = Registers(s);
        a[k] |= bit;
        EXPECT_EQ(Dispatch(s.number, a.data()), MICA_ERR_INVALID_ARGS);
        EXPECT_TRUE(g_calls.empty());
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 0);
}

TEST(SyscallDispatch, ZeroIsAcceptedForEveryArgument) {
  std::vector<uint64_t> zeros(8, 0);
  for (const SyscallShape& s : kSyscallShapes) {
    SCOPED_TRACE(s.name);
    g_calls.clear();
    EXPECT_EQ(Dispatch(s.number, zeros.data()), kHandlerResult + static_cast<int64_t>(s.number));
    EXPECT_EQ(g_calls.size(), 1u);
  }
}

TEST(SyscallDispatch, Int32ArgumentsKeepTheirSign) {
  // futex_wait(value_ptr, current_value: int32, deadline): -1 travels as
  // 0xffffffff and must reach the handler as -1, i.e. record 0xffffffff.
  g_calls.clear();
  uint64_t a[8] = {0x1000, 0xffffffffu, 5, 0, 0, 0, 0, 0};
  EXPECT_EQ(Dispatch(MICA_SYS_FUTEX_WAIT, a), kHandlerResult + MICA_SYS_FUTEX_WAIT);
  ASSERT_EQ(g_calls.size(), 1u);
  EXPECT_EQ(g_calls[0].args[1], 0xffffffffu);
  // Sign-extended -1 is not a valid 32-bit argument.
  a[1] = ~uint64_t{0};
  EXPECT_EQ(Dispatch(MICA_SYS_FUTEX_WAIT, a), MICA_ERR_INVALID_ARGS);
}

TEST(SyscallDispatch, UnknownNumbersAreBadSyscall) {
  std::vector<uint64_t> zeros(8, 0);
  g_calls.clear();
  for (uint64_t n : {uint64_t{0}, uint64_t{MICA_SYS_COUNT}, uint64_t{MICA_SYS_COUNT} + 1,
                     uint64_t{0xffff}, (uint64_t{1} << 32) | MICA_SYS_HANDLE_CLOSE, ~uint64_t{0}}) {
    SCOPED_TRACE(n);
    EXPECT_EQ(Dispatch(n, zeros.data()), MICA_ERR_BAD_SYSCALL);
  }
  EXPECT_TRUE(g_calls.empty());
}

TEST(SyscallDispatch, ShapesMatchTheCHeader) {
  std::map<uint64_t, int> from_header;
#define MICA_TEST_ADD(NAME, name, number, nargs) from_header[number] = nargs;
  MICA_SYSCALL_LIST(MICA_TEST_ADD)
#undef MICA_TEST_ADD
  ASSERT_EQ(from_header.size(), std::size(kSyscallShapes));
  for (const SyscallShape& s : kSyscallShapes) {
    EXPECT_EQ(from_header[s.number], s.num_args) << s.name;
  }
}

// Each stub: `mov wK, wK` for exactly the 32-bit arguments, then
// `mov x8, #N`, `svc #0`, and `ret` (or `brk` for calls that never return),
// in its own section.
TEST(SyscallStubs, LoadTheNumberAndZeroExtend32BitArguments) {
  std::ifstream in(MICA_GEN_DIR "/syscall_stubs.S");
  ASSERT_TRUE(in.good());
  std::map<std::string, std::vector<std::string>> bodies;
  std::set<std::string> sections;
  std::string line, current;
  while (std::getline(in, line)) {
    if (line.rfind(".section .text.", 0) == 0) {
      sections.insert(line.substr(15, line.find(',') - 15));
    } else if (!line.empty() && line.back() == ':' && line[0] != ' ') {
      current = line.substr(0, line.size() - 1);
    } else if (line.rfind(".size", 0) == 0) {
      current.clear();
    } else if (!current.empty() && line.rfind("  ", 0) == 0 && line[2] != '.') {
      bodies[current].push_back(line.substr(2));
    }
  }
  ASSERT_EQ(bodies.size(), std::size(kSyscallShapes));
  for (const SyscallShape& s : kSyscallShapes) {
    std::string sym = std::string("mica_") + s.name;
    SCOPED_TRACE(sym);
    EXPECT_TRUE(sections.count(sym));
    std::vector<std::string> want;
    for (int k = 0; k < s.num_args; ++k) {
      if (s.narrow_mask & (1u << k)) {
        want.push_back("mov w" + std::to_string(k) + ", w" + std::to_string(k));
      }
    }
    want.push_back("mov x8, #" + std::to_string(s.number));
    want.push_back("svc #0");
    want.push_back(s.noreturn ? "brk #0x1" : "ret");
    EXPECT_EQ(bodies[sym], want);
  }
}

}  // namespace

// Tests of the public ABI headers and the generated C header: struct layouts,
// status values equal to the kernel's, dense unique syscall numbers, C
// prototypes of the documented shapes, and the committed docs/syscalls.md
// being exactly what the generator produces.
#include <gtest/gtest.h>
#include <mica/syscalls.h>
#include <stddef.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "kernel/lib/status.h"
#include "system/public/test/layout_asserts.h"

namespace {

template <typename R, typename... A>
constexpr int Arity(R (*)(A...)) {
  return sizeof...(A);
}

// Every prototype has as many parameters as the list says, at most 8 (x0..x7).
#define MICA_TEST_ARITY(NAME, name, number, nargs)                       \
  static_assert(Arity(&mica_##name) == (nargs), "arity of mica_" #name); \
  static_assert((nargs) <= 8, "mica_" #name " fits x0..x7");
MICA_SYSCALL_LIST(MICA_TEST_ARITY)
#undef MICA_TEST_ARITY

// A few prototypes spelled out, one per parameter kind.
static_assert(std::is_same_v<decltype(&mica_channel_create),
                             mica_status_t (*)(uint32_t, mica_handle_t*, mica_handle_t*)>);
static_assert(std::is_same_v<decltype(&mica_channel_write),
                             mica_status_t (*)(mica_handle_t, uint32_t, const void*, uint32_t,
                                               const mica_handle_t*, uint32_t)>);
static_assert(std::is_same_v<decltype(&mica_channel_read),
                             mica_status_t (*)(mica_handle_t, uint32_t, void*, mica_handle_t*,
                                               uint32_t, uint32_t, uint32_t*, uint32_t*)>);
static_assert(std::is_same_v<decltype(&mica_object_wait_many),
                             mica_status_t (*)(mica_wait_item_t*, size_t, mica_time_t)>);
static_assert(std::is_same_v<decltype(&mica_port_wait),
                             mica_status_t (*)(mica_handle_t, mica_time_t, mica_port_packet_t*)>);
static_assert(
    std::is_same_v<decltype(&mica_futex_wake), mica_status_t (*)(const mica_futex_t*, uint32_t)>);
static_assert(std::is_same_v<decltype(&mica_process_exit), void (*)(int64_t)>);
static_assert(std::is_same_v<decltype(&mica_thread_exit), void (*)()>);

TEST(SyscallAbi, StructSizes) {
  EXPECT_EQ(sizeof(mica_port_packet_t), 64u);
  EXPECT_EQ(sizeof(mica_wait_item_t), 16u);
  EXPECT_EQ(sizeof(mica_channel_call_args_t), 48u);
  EXPECT_EQ(sizeof(mica_info_handle_basic_t), 24u);
  EXPECT_EQ(sizeof(mica_info_process_t), 32u);
  EXPECT_EQ(sizeof(mica_info_vmo_t), 80u);
  EXPECT_EQ(sizeof(mica_log_record_t), 40u + MICA_LOG_MAX_DATA);
  EXPECT_EQ(offsetof(mica_port_packet_t, user), 16u);
  EXPECT_EQ(sizeof(mica_port_packet_t::user), 48u);
}

TEST(SyscallAbi, PortPacketUnionSharesItsBytes) {
  mica_port_packet_t p = {};
  p.user.u64[0] = 0x0123456789abcdefull;
  EXPECT_EQ(p.signal.trigger, 0x89abcdefu);  // little endian, as on AArch64
  EXPECT_EQ(p.signal.observed, 0x01234567u);
}

// The ABI status values are those of mica::Status (kernel/lib/status.h).
TEST(SyscallAbi, StatusValuesMatchTheKernel) {
  using mica::Status;
  const std::vector<std::pair<mica_status_t, Status>> pairs = {
      {MICA_OK, Status::kOk},
      {MICA_ERR_INTERNAL, Status::kInternal},
      {MICA_ERR_NOT_SUPPORTED, Status::kNotSupported},
      {MICA_ERR_NO_RESOURCES, Status::kNoResources},
      {MICA_ERR_NO_MEMORY, Status::kNoMemory},
      {MICA_ERR_INVALID_ARGS, Status::kInvalidArgs},
      {MICA_ERR_BAD_HANDLE, Status::kBadHandle},
      {MICA_ERR_WRONG_TYPE, Status::kWrongType},
      {MICA_ERR_BAD_SYSCALL, Status::kBadSyscall},
      {MICA_ERR_OUT_OF_RANGE, Status::kOutOfRange},
      {MICA_ERR_BUFFER_TOO_SMALL, Status::kBufferTooSmall},
      {MICA_ERR_BAD_STATE, Status::kBadState},
      {MICA_ERR_TIMED_OUT, Status::kTimedOut},
      {MICA_ERR_SHOULD_WAIT, Status::kShouldWait},
      {MICA_ERR_CANCELED, Status::kCanceled},
      {MICA_ERR_PEER_CLOSED, Status::kPeerClosed},
      {MICA_ERR_NOT_FOUND, Status::kNotFound},
      {MICA_ERR_ALREADY_EXISTS, Status::kAlreadyExists},
      {MICA_ERR_ALREADY_BOUND, Status::kAlreadyBound},
      {MICA_ERR_UNAVAILABLE, Status::kUnavailable},
      {MICA_ERR_ACCESS_DENIED, Status::kAccessDenied},
      {MICA_ERR_IO, Status::kIoError},
      {MICA_ERR_IO_INVALID, Status::kIoInvalid},
      {MICA_ERR_IO_DATA_INTEGRITY, Status::kIoDataIntegrity},
  };
  std::set<mica_status_t> seen;
  for (const auto& [abi, kernel] : pairs) {
    EXPECT_EQ(abi, static_cast<int32_t>(kernel));
    EXPECT_TRUE(seen.insert(abi).second) << abi;
  }
}

TEST(SyscallAbi, NumbersAreUniqueAndDense) {
  std::vector<int> numbers;
  std::set<std::string> names;
#define MICA_TEST_COLLECT(NAME, name, number, nargs) \
  numbers.push_back(number);                         \
  names.insert(#name);                               \
  EXPECT_EQ(MICA_SYS_##NAME, number);
  MICA_SYSCALL_LIST(MICA_TEST_COLLECT)
#undef MICA_TEST_COLLECT
  std::sort(numbers.begin(), numbers.end());
  ASSERT_EQ(numbers.size(), static_cast<size_t>(MICA_SYS_COUNT - 1));
  EXPECT_EQ(names.size(), numbers.size());
  for (size_t i = 0; i < numbers.size(); ++i) {
    EXPECT_EQ(numbers[i], static_cast<int>(i) + 1);
  }
}

TEST(SyscallAbi, RightsAndSignalsAreDistinctBits) {
  const mica_rights_t rights[] = {
      MICA_RIGHT_DUPLICATE,      MICA_RIGHT_TRANSFER,      MICA_RIGHT_READ,
      MICA_RIGHT_WRITE,          MICA_RIGHT_EXECUTE,       MICA_RIGHT_MAP,
      MICA_RIGHT_GET_PROPERTY,   MICA_RIGHT_SET_PROPERTY,  MICA_RIGHT_ENUMERATE,
      MICA_RIGHT_DESTROY,        MICA_RIGHT_SIGNAL,        MICA_RIGHT_SIGNAL_PEER,
      MICA_RIGHT_WAIT,           MICA_RIGHT_INSPECT,       MICA_RIGHT_MANAGE_JOB,
      MICA_RIGHT_MANAGE_PROCESS, MICA_RIGHT_MANAGE_THREAD, MICA_RIGHT_MANAGE_RESOURCE,
  };
  mica_rights_t all = 0;
  for (mica_rights_t r : rights) {
    EXPECT_EQ(__builtin_popcount(r), 1);
    EXPECT_EQ(all & r, 0u);
    all |= r;
  }
  EXPECT_EQ(all, MICA_RIGHTS_ALL);
  const mica_rights_t defaults[] = {
      MICA_DEFAULT_CHANNEL_RIGHTS,   MICA_DEFAULT_PORT_RIGHTS,     MICA_DEFAULT_EVENT_RIGHTS,
      MICA_DEFAULT_EVENTPAIR_RIGHTS, MICA_DEFAULT_TIMER_RIGHTS,    MICA_DEFAULT_PROCESS_RIGHTS,
      MICA_DEFAULT_THREAD_RIGHTS,    MICA_DEFAULT_JOB_RIGHTS,      MICA_DEFAULT_VMO_RIGHTS,
      MICA_DEFAULT_VMAR_RIGHTS,      MICA_DEFAULT_DEBUGLOG_RIGHTS, MICA_DEFAULT_INTERRUPT_RIGHTS,
      MICA_DEFAULT_RESOURCE_RIGHTS,
  };
  for (mica_rights_t d : defaults) {
    EXPECT_EQ(d & ~MICA_RIGHTS_ALL, 0u);
    EXPECT_TRUE(d & MICA_RIGHT_TRANSFER);
  }
  mica_signals_t user = 0;
  for (mica_signals_t s :
       {MICA_SIGNAL_USER0, MICA_SIGNAL_USER1, MICA_SIGNAL_USER2, MICA_SIGNAL_USER3,
        MICA_SIGNAL_USER4, MICA_SIGNAL_USER5, MICA_SIGNAL_USER6, MICA_SIGNAL_USER7}) {
    EXPECT_EQ(user & s, 0u);
    user |= s;
  }
  EXPECT_EQ(user, MICA_SIGNAL_USER_ALL);
}

std::string ReadFile(const char* path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(SyscallAbi, CommittedDocsAreUpToDate) {
  std::string generated = ReadFile(MICA_GEN_DIR "/syscalls.md");
  std::string committed = ReadFile(MICA_COMMITTED_DOCS);
  ASSERT_FALSE(generated.empty());
  EXPECT_TRUE(generated == committed) << MICA_COMMITTED_DOCS
      " is stale; run "
      "`python3 system/public/gen_syscalls.py --write-docs docs/syscalls.md`";
}

}  // namespace

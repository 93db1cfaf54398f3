// Host tests of userboot's bootstrap message writer (message.h), read back
// with the runtime's own reader (system/ulib/c/bootstrap.c) over a fake
// channel.
#include "system/core/userboot/message.h"

#include <gtest/gtest.h>
#include <mica/rt/bootstrap.h>
#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <string.h>

#include <string>
#include <vector>

#include "system/ulib/c/internal.h"

namespace {

constexpr mica_handle_t kChannel = 5;
std::vector<uint8_t> g_bytes;
std::vector<mica_handle_t> g_handles;

}  // namespace

extern "C" mica_status_t mica_channel_read(mica_handle_t handle, uint32_t options, void* bytes,
                                           mica_handle_t* handles, uint32_t num_bytes,
                                           uint32_t num_handles, uint32_t* actual_bytes,
                                           uint32_t* actual_handles) {
  if (handle != kChannel || options != 0) {
    return MICA_ERR_BAD_HANDLE;
  }
  if (actual_bytes != nullptr) {
    *actual_bytes = static_cast<uint32_t>(g_bytes.size());
  }
  if (actual_handles != nullptr) {
    *actual_handles = static_cast<uint32_t>(g_handles.size());
  }
  if (num_bytes < g_bytes.size() || num_handles < g_handles.size()) {
    return MICA_ERR_BUFFER_TOO_SMALL;
  }
  memcpy(bytes, g_bytes.data(), g_bytes.size());
  if (!g_handles.empty()) {
    memcpy(handles, g_handles.data(), g_handles.size() * sizeof(mica_handle_t));
  }
  return MICA_OK;
}

extern "C" mica_status_t mica_handle_close(mica_handle_t) {
  return MICA_OK;
}

namespace {

using userboot::MessageSize;
using userboot::MessageSpec;
using userboot::WriteMessage;

TEST(Message, RoundTripThroughTheRuntimeReader) {
  const uint32_t info[] = {MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_DEBUGLOG, 0),
                           MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_VMAR_ROOT, 0),
                           MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_VMO_DTB, 0)};
  const char* argv[] = {"bin/core-tests", "", "x=y"};
  const char* envp[] = {"A=1"};
  MessageSpec spec;
  spec.info = info;
  spec.handle_count = 3;
  spec.argv = argv;
  spec.argc = 3;
  spec.envp = envp;
  spec.envc = 1;
  uint32_t size = MessageSize(spec);
  // 40 + 12 | "bin/core-tests\0" "\0" "x=y\0" = 20 -> 72 | "A=1\0" -> 76.
  ASSERT_EQ(size, 76u);
  std::vector<uint8_t> buf(size, 0xee);
  ASSERT_TRUE(WriteMessage(spec, buf.data(), size));
  EXPECT_EQ(size % 4, 0u);

  g_bytes = buf;
  g_handles = {21, 22, 23};
  std::vector<char> rbuf(__mica_bootstrap_size(kChannel));
  ASSERT_EQ(rbuf.size(), size);
  size_t n = __mica_bootstrap_read(kChannel, rbuf.data(), rbuf.size());
  ASSERT_EQ(n, 3u + 1 + 1 + 1);
  std::vector<char*> vec(n);
  int argc = 0;
  char** rargv = nullptr;
  char** renvp = nullptr;
  __mica_bootstrap_vectors(rbuf.data(), vec.data(), n, &argc, &rargv, &renvp);
  ASSERT_EQ(argc, 3);
  EXPECT_STREQ(rargv[0], "bin/core-tests");
  EXPECT_STREQ(rargv[1], "");
  EXPECT_STREQ(rargv[2], "x=y");
  EXPECT_STREQ(renvp[0], "A=1");
  EXPECT_EQ(renvp[1], nullptr);
  EXPECT_EQ(mica_rt_debuglog(), 21u);
  EXPECT_EQ(mica_rt_vmar_root(), 22u);
  EXPECT_EQ(mica_rt_take_startup_handle(info[2]), 23u);
}

TEST(Message, NoStringsNoHandles) {
  MessageSpec spec;
  EXPECT_EQ(MessageSize(spec), sizeof(mica_bootstrap_header_t));
  uint8_t buf[40];
  ASSERT_TRUE(WriteMessage(spec, buf, sizeof(buf)));
  mica_bootstrap_header_t h;
  memcpy(&h, buf, sizeof(h));
  EXPECT_EQ(h.magic, MICA_BOOTSTRAP_MAGIC);
  EXPECT_EQ(h.version, MICA_BOOTSTRAP_VERSION);
  EXPECT_EQ(h.handle_count, 0u);
  EXPECT_EQ(h.argc, 0u);
  EXPECT_EQ(h.environc, 0u);
  EXPECT_EQ(h.args_offset, 40u);
  EXPECT_EQ(h.environ_offset, 40u);
}

TEST(Message, WrongSizeWritesNothing) {
  const char* argv[] = {"a"};
  MessageSpec spec;
  spec.argv = argv;
  spec.argc = 1;
  uint32_t size = MessageSize(spec);
  ASSERT_EQ(size, 44u);
  std::vector<uint8_t> buf(size + 4, 0xee);
  EXPECT_FALSE(WriteMessage(spec, buf.data(), size + 4));
  EXPECT_FALSE(WriteMessage(spec, buf.data(), size - 4));
  for (uint8_t b : buf) {
    EXPECT_EQ(b, 0xee);
  }
}

TEST(Message, Limits) {
  uint32_t info[MICA_CHANNEL_MAX_MSG_HANDLES + 1] = {};
  MessageSpec spec;
  spec.info = info;
  spec.handle_count = MICA_CHANNEL_MAX_MSG_HANDLES;
  EXPECT_NE(MessageSize(spec), 0u);
  spec.handle_count++;
  EXPECT_EQ(MessageSize(spec), 0u);
  // Strings past MICA_CHANNEL_MAX_MSG_BYTES.
  std::string big(MICA_CHANNEL_MAX_MSG_BYTES - 40 - 1, 'x');
  const char* argv[] = {big.c_str()};
  MessageSpec s2;
  s2.argv = argv;
  s2.argc = 1;
  EXPECT_EQ(MessageSize(s2), MICA_CHANNEL_MAX_MSG_BYTES);
  big += "y";
  argv[0] = big.c_str();
  EXPECT_EQ(MessageSize(s2), 0u);
}

}  // namespace

// Host test of the bootstrap message reader (system/ulib/c/bootstrap.c),
// compiled for the host against a fake channel: good messages become
// argc/argv/envp and startup handles; every malformed one is rejected whole,
// with its handles closed and the fallback arguments.
#include <gtest/gtest.h>
#include <mica/rt/bootstrap.h>
#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <string.h>

#include <set>
#include <string>
#include <vector>

#include "system/ulib/c/internal.h"

namespace {

// The fake kernel: one queued message on channel kChannel.
constexpr mica_handle_t kChannel = 77;
std::vector<uint8_t> g_bytes;
std::vector<mica_handle_t> g_handles;
std::set<mica_handle_t> g_closed;

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
  if (!g_bytes.empty()) {
    memcpy(bytes, g_bytes.data(), g_bytes.size());
  }
  if (!g_handles.empty()) {
    memcpy(handles, g_handles.data(), g_handles.size() * sizeof(mica_handle_t));
  }
  return MICA_OK;
}

extern "C" mica_status_t mica_handle_close(mica_handle_t handle) {
  g_closed.insert(handle);
  return MICA_OK;
}

namespace {

// Builds a message: header, info words, the strings.
struct Message {
  std::vector<std::string> args{"bin/prog", "--flag"};
  std::vector<std::string> env{"HOME=/", "TERM=dumb"};
  std::vector<uint32_t> info{MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_PROC_SELF, 0),
                             MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_VMAR_ROOT, 0),
                             MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_DEBUGLOG, 0),
                             MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_USER0, 3)};
  std::vector<mica_handle_t> handles{11, 12, 13, 14};

  mica_bootstrap_header_t header = {};
  std::vector<uint8_t> bytes;

  // Lays the message out and fills the header; tests edit either after.
  void Build() {
    std::string a, e;
    for (const auto& s : args)
      a += s + '\0';
    for (const auto& s : env)
      e += s + '\0';
    header.magic = MICA_BOOTSTRAP_MAGIC;
    header.version = MICA_BOOTSTRAP_VERSION;
    header.handle_info_offset = sizeof(header);
    header.handle_count = static_cast<uint32_t>(info.size());
    header.args_offset = header.handle_info_offset + header.handle_count * 4;
    header.args_size = static_cast<uint32_t>(a.size());
    header.argc = static_cast<uint32_t>(args.size());
    header.environ_offset = (header.args_offset + header.args_size + 3) & ~3u;
    header.environ_size = static_cast<uint32_t>(e.size());
    header.environc = static_cast<uint32_t>(env.size());
    bytes.assign(header.environ_offset + header.environ_size, 0);
    memcpy(bytes.data() + header.handle_info_offset, info.data(), info.size() * 4);
    memcpy(bytes.data() + header.args_offset, a.data(), a.size());
    memcpy(bytes.data() + header.environ_offset, e.data(), e.size());
    StoreHeader();
  }
  void StoreHeader() { memcpy(bytes.data(), &header, sizeof(header)); }
};

// What crt0 does with the message.
struct Result {
  int argc = 0;
  char** argv = nullptr;
  char** envp = nullptr;
  std::vector<char> buf;
  std::vector<char*> vec;
};

Result Start(const Message& m) {
  g_bytes = m.bytes;
  g_handles = m.handles;
  g_closed.clear();
  Result r;
  size_t size = __mica_bootstrap_size(kChannel);
  EXPECT_EQ(size, m.bytes.size());
  r.buf.assign(size > 0 ? size : 1, 0);
  size_t n = __mica_bootstrap_read(kChannel, r.buf.data(), size);
  r.vec.assign(n > 0 ? n : 1, nullptr);
  __mica_bootstrap_vectors(r.buf.data(), r.vec.data(), n, &r.argc, &r.argv, &r.envp);
  return r;
}

void ExpectFallback(const Result& r, const Message& m) {
  ASSERT_EQ(r.argc, 1);
  EXPECT_STREQ(r.argv[0], "<program>");
  EXPECT_EQ(r.argv[1], nullptr);
  EXPECT_EQ(r.envp[0], nullptr);
  EXPECT_EQ(mica_rt_process_self(), MICA_HANDLE_INVALID);
  EXPECT_EQ(mica_rt_vmar_root(), MICA_HANDLE_INVALID);
  EXPECT_EQ(g_closed, std::set<mica_handle_t>(m.handles.begin(), m.handles.end()))
      << "a rejected message's handles must all be closed";
}

TEST(Bootstrap, GoodMessage) {
  Message m;
  m.Build();
  Result r = Start(m);
  ASSERT_EQ(r.argc, 2);
  EXPECT_STREQ(r.argv[0], "bin/prog");
  EXPECT_STREQ(r.argv[1], "--flag");
  EXPECT_EQ(r.argv[2], nullptr);
  EXPECT_STREQ(r.envp[0], "HOME=/");
  EXPECT_STREQ(r.envp[1], "TERM=dumb");
  EXPECT_EQ(r.envp[2], nullptr);
  EXPECT_TRUE(g_closed.empty());
  EXPECT_EQ(mica_rt_process_self(), 11u);
  EXPECT_EQ(mica_rt_vmar_root(), 12u);
  EXPECT_EQ(mica_rt_debuglog(), 13u);
  EXPECT_EQ(mica_rt_job_default(), MICA_HANDLE_INVALID);
  // Program handles are taken once; the runtime's own are never given away.
  EXPECT_EQ(mica_rt_take_startup_handle(MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_USER0, 2)),
            MICA_HANDLE_INVALID);
  EXPECT_EQ(mica_rt_take_startup_handle(MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_USER0, 3)), 14u);
  EXPECT_EQ(mica_rt_take_startup_handle(MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_USER0, 3)),
            MICA_HANDLE_INVALID);
  EXPECT_EQ(mica_rt_take_startup_handle(MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_VMAR_ROOT, 0)),
            MICA_HANDLE_INVALID);
  EXPECT_EQ(mica_rt_vmar_root(), 12u);
}

// What a launcher passes on: every handle but the runtime's own, in message
// order, until it is taken.
TEST(Bootstrap, StartupHandleInfos) {
  Message m;
  m.info.push_back(MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_VMO_BOOTFS, 0));
  m.info.push_back(MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_THREAD_SELF, 0));
  m.info.push_back(MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_VMO_DTB, 0));
  m.handles.push_back(15);
  m.handles.push_back(16);
  m.handles.push_back(17);
  m.Build();
  Result r = Start(m);
  uint32_t infos[8] = {};
  ASSERT_EQ(mica_rt_startup_handle_infos(infos, 8), 3u);
  EXPECT_EQ(infos[0], MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_USER0, 3));
  EXPECT_EQ(infos[1], MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_VMO_BOOTFS, 0));
  EXPECT_EQ(infos[2], MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_VMO_DTB, 0));
  // A short buffer gets the first ones; the count is the whole.
  uint32_t one = 0;
  EXPECT_EQ(mica_rt_startup_handle_infos(&one, 1), 3u);
  EXPECT_EQ(one, infos[0]);
  EXPECT_EQ(mica_rt_startup_handle_infos(nullptr, 0), 3u);
  // System kinds below MICA_BOOTSTRAP_USER0 can be taken, once.
  EXPECT_EQ(mica_rt_take_startup_handle(infos[1]), 15u);
  EXPECT_EQ(mica_rt_take_startup_handle(infos[1]), MICA_HANDLE_INVALID);
  EXPECT_EQ(mica_rt_take_startup_handle(MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_THREAD_SELF, 0)),
            MICA_HANDLE_INVALID);
  ASSERT_EQ(mica_rt_startup_handle_infos(infos, 8), 2u);
  EXPECT_EQ(infos[0], MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_USER0, 3));
  EXPECT_EQ(infos[1], MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_VMO_DTB, 0));
  EXPECT_EQ(mica_rt_take_startup_handle(infos[1]), 17u);
  EXPECT_EQ(mica_rt_take_startup_handle(infos[0]), 14u);
  EXPECT_EQ(mica_rt_startup_handle_infos(infos, 8), 0u);
  (void)r;
}

TEST(Bootstrap, EmptyArgumentsAndEnvironment) {
  Message m;
  m.args.clear();
  m.env.clear();
  m.info.clear();
  m.handles.clear();
  m.Build();
  Result r = Start(m);
  EXPECT_EQ(r.argc, 0);
  EXPECT_EQ(r.argv[0], nullptr);
  EXPECT_EQ(r.envp[0], nullptr);
}

TEST(Bootstrap, NoChannel) {
  Message m;
  g_bytes.clear();
  g_handles.clear();
  EXPECT_EQ(__mica_bootstrap_size(MICA_HANDLE_INVALID), 0u);
  Result r;
  r.vec.assign(1, nullptr);
  EXPECT_EQ(__mica_bootstrap_read(MICA_HANDLE_INVALID, nullptr, 0), 0u);
  __mica_bootstrap_vectors(nullptr, r.vec.data(), 0, &r.argc, &r.argv, &r.envp);
  EXPECT_EQ(r.argc, 1);
  EXPECT_STREQ(r.argv[0], "<program>");
}

// Each malformation of an otherwise good message.
struct Bad {
  const char* name;
  void (*mutate)(Message*);
};

const Bad kBad[] = {
    {"short", [](Message* m) { m->bytes.resize(sizeof(m->header) - 1); }},
    {"magic",
     [](Message* m) {
       m->header.magic ^= 1;
       m->StoreHeader();
     }},
    {"version",
     [](Message* m) {
       m->header.version = 2;
       m->StoreHeader();
     }},
    {"handle_count",
     [](Message* m) {
       m->header.handle_count = 3;
       m->StoreHeader();
     }},
    {"info_outside",
     [](Message* m) {
       m->header.handle_info_offset = static_cast<uint32_t>(m->bytes.size()) - 8;
       m->StoreHeader();
     }},
    {"args_outside",
     [](Message* m) {
       m->header.args_size = 0xffffffffu;
       m->StoreHeader();
     }},
    {"args_offset_wraps",
     [](Message* m) {
       m->header.args_offset = 0xfffffff0u;
       m->StoreHeader();
     }},
    {"env_outside",
     [](Message* m) {
       m->header.environ_offset = static_cast<uint32_t>(m->bytes.size()) + 4;
       m->StoreHeader();
     }},
    {"args_missing_nul",
     [](Message* m) {
       m->bytes[m->header.args_offset + m->header.args_size - 1] = 'x';
       m->StoreHeader();
     }},
    {"too_few_env_strings",
     [](Message* m) {
       m->header.environc = 3;
       m->StoreHeader();
     }},
    {"too_many_strings",
     [](Message* m) {
       m->header.argc = MICA_BOOTSTRAP_MAX_STRINGS + 1;
       m->StoreHeader();
     }},
};

class BootstrapBad : public testing::TestWithParam<Bad> {};

TEST_P(BootstrapBad, RejectedWhole) {
  Message m;
  m.Build();
  GetParam().mutate(&m);
  Result r = Start(m);
  ExpectFallback(r, m);
}

INSTANTIATE_TEST_SUITE_P(Malformed, BootstrapBad, testing::ValuesIn(kBad),
                         [](const testing::TestParamInfo<Bad>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace

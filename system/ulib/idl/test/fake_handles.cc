// The fake handle table of fake_handles.h, with the mica_handle_close the
// runtime calls (the host has no syscalls).
#include "fake_handles.h"

#include <mica/status.h>

namespace idl_test {
namespace {

constexpr size_t kMax = 16384;
constexpr mica_handle_t kBase = 0x1000;

struct Entry {
  mica_obj_type_t type;
  mica_rights_t rights;
  bool open;
};

Entry g_table[kMax];
size_t g_used = 0;
size_t g_bad_closes = 0;

Entry* Find(mica_handle_t handle) {
  if (handle < kBase || handle - kBase >= g_used) {
    return nullptr;
  }
  return &g_table[handle - kBase];
}

}  // namespace

mica_handle_t NewHandle(mica_obj_type_t type, mica_rights_t rights) {
  if (g_used == kMax) {
    __builtin_trap();
  }
  g_table[g_used] = Entry{type, rights, true};
  return static_cast<mica_handle_t>(kBase + g_used++);
}

bool IsOpen(mica_handle_t handle) {
  Entry* e = Find(handle);
  return e != nullptr && e->open;
}

size_t OpenCount() {
  size_t n = 0;
  for (size_t i = 0; i < g_used; ++i) {
    n += g_table[i].open ? 1 : 0;
  }
  return n;
}

size_t BadCloses() {
  return g_bad_closes;
}

void ForgetBadCloses() {
  g_bad_closes = 0;
}

void ResetHandles() {
  g_used = 0;
  g_bad_closes = 0;
}

mica_status_t FakeInfo(mica_handle_t handle, mica_obj_type_t* type, mica_rights_t* rights) {
  Entry* e = Find(handle);
  if (e == nullptr || !e->open) {
    return MICA_ERR_BAD_HANDLE;
  }
  *type = e->type;
  *rights = e->rights;
  return MICA_OK;
}

}  // namespace idl_test

extern "C" mica_status_t mica_handle_close(mica_handle_t handle) {
  idl_test::Entry* e = idl_test::Find(handle);
  if (e == nullptr || !e->open) {
    ++idl_test::g_bad_closes;
    return MICA_ERR_BAD_HANDLE;
  }
  e->open = false;
  return MICA_OK;
}

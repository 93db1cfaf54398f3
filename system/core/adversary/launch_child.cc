// Starting the adversary's children from the bootfs (launch_child.h).
#include "system/core/adversary/launch_child.h"

#include <mica/rt/bootstrap.h>
#include <stdio.h>

#include "system/core/userboot/launch.h"

namespace {

bootfs::Image g_fs;
mica_handle_t g_fs_vmo = MICA_HANDLE_INVALID;
bool g_fs_open = false;

constexpr uint32_t kMaxHandles = 4;

}  // namespace

extern "C" bool adv_open_bootfs(mica_handle_t vmo, char* why, size_t why_size) {
  g_fs_open = userboot::OpenBootfs(vmo, &g_fs, why, why_size);
  g_fs_vmo = vmo;
  return g_fs_open;
}

extern "C" bool adv_launch(const char* const* argv, uint32_t argc, mica_handle_t job,
                           const mica_handle_t* handles, uint32_t handle_count,
                           mica_handle_t* process, char* why, size_t why_size) {
  if (!g_fs_open || handle_count > kMaxHandles) {
    snprintf(why, why_size, "the bootfs is not open or too many handles");
    for (uint32_t i = 0; i < handle_count; i++) {
      mica_handle_close(handles[i]);
    }
    return false;
  }
  uint32_t info[kMaxHandles];
  for (uint32_t i = 0; i < handle_count; i++) {
    info[i] = MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_USER0 + i, 0);
  }
  userboot::LaunchSpec spec;
  spec.path = argv[0];
  spec.argv = argv;
  spec.argc = argc;
  spec.job = job;
  spec.bootfs_vmo = g_fs_vmo;
  spec.handles = handles;
  spec.info = info;
  spec.handle_count = handle_count;
  mica::Handle p;
  if (!userboot::Launch(g_fs, spec, &p, nullptr, why, why_size)) {
    return false;
  }
  *process = p.release();
  return true;
}

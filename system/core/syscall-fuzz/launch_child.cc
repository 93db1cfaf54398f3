// Starting the fuzzing children: bin/syscall-fuzz runs each seed in a new
// process started from the bootfs (system/core/userboot/launch.h), so that
// the child holds nothing but what it made, and the parent can check that
// the kernel got every byte back once the child's job is gone.
#include <mica/rt/bootstrap.h>
#include <mica/rt/runtime.h>
#include <stdio.h>

#include "system/core/syscall-fuzz/launch_child.h"
#include "system/core/userboot/launch.h"

namespace {

bootfs::Image g_fs;
mica_handle_t g_fs_vmo = MICA_HANDLE_INVALID;
bool g_fs_open = false;

}  // namespace

extern "C" bool fuzz_open_bootfs(char* why, size_t why_size) {
  mica_handle_t vmo =
      mica_rt_take_startup_handle(MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_VMO_BOOTFS, 0));
  g_fs_open = userboot::OpenBootfs(vmo, &g_fs, why, why_size);
  g_fs_vmo = vmo;
  return g_fs_open;
}

extern "C" bool fuzz_launch_child(const char* path, uint32_t seed, bool failalloc,
                                  mica_handle_t job, mica_handle_t* process, char* why,
                                  size_t why_size) {
  if (!g_fs_open) {
    snprintf(why, why_size, "the bootfs is not open");
    return false;
  }
  char seed_text[16];
  snprintf(seed_text, sizeof(seed_text), "%u", seed);
  const char* argv[] = {path, "--child", seed_text, "failalloc"};
  userboot::LaunchSpec spec;
  spec.path = path;
  spec.argv = argv;
  spec.argc = failalloc ? 4 : 3;
  spec.job = job;
  spec.bootfs_vmo = g_fs_vmo;
  mica::Handle p;
  if (!userboot::Launch(g_fs, spec, &p, nullptr, why, why_size)) {
    return false;
  }
  *process = p.release();
  return true;
}

// bin/component-manager (docs/components.md, "Runtime"): started by
// userboot with the bootfs, the devicetree and the root resource; builds
// the component tree from meta/root.cm (or --root=) and runs it.
//   component-manager [--root=meta/x.cm] [--exit-with=/moniker]
//                     [--stop-timeout-ms=N]
#include <mica/rt/bootstrap.h>
#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <stdio.h>

#include "images/bootfs/bootfs.h"
#include "system/core/component_manager/manager.h"
#include "system/core/userboot/launch.h"

namespace {

int Run(int argc, char** argv) {
  static component_manager::Options opts;
  for (int i = 1; i < argc; i++) {
    if (const char* bad = cm::ParseArgument(argv[i], &opts)) {
      printf("component-manager: bad argument: %s\n", bad);
      return 1;
    }
  }
  mica_handle_t bootfs_vmo =
      mica_rt_take_startup_handle(MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_VMO_BOOTFS, 0));
  static bootfs::Image fs;
  char why[160];
  if (!userboot::OpenBootfs(bootfs_vmo, &fs, why, sizeof(why))) {
    printf("component-manager: %s\n", why);
    return 1;
  }
  static component_manager::Manager manager(fs, bootfs_vmo, opts);
  manager.SetSystemHandles(
      mica_rt_take_startup_handle(MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_VMO_DTB, 0)),
      mica_rt_take_startup_handle(MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_ROOT_RESOURCE, 0)));
  if (!manager.Load()) {
    return 1;
  }
  return manager.Run();
}

}  // namespace

int main(int argc, char** argv) {
  return Run(argc, argv);
}

// bin/driver-manager (docs/drivers.md): started by userboot with the DTB
// and bootfs VMOs, the root resource and the root job; binds a driver to
// every devicetree node a manifest matches and keeps them running.
#include <mica/log/log.h>
#include <mica/rt/bootstrap.h>
#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <stdio.h>

#include "devicetree/lib/fdt.h"
#include "images/bootfs/bootfs.h"
#include "system/core/driver_manager/manager.h"
#include "system/core/driver_manager/manifests.h"
#include "system/core/driver_manager/options.h"
#include "system/core/userboot/launch.h"

namespace {

bool MapDtb(fdt::Fdt* dt) {
  mica_handle_t vmo = mica_rt_dtb();
  uint64_t size = 0;
  mica_vaddr_t addr = 0;
  mica_status_t s = vmo == MICA_HANDLE_INVALID ? MICA_ERR_NOT_FOUND : mica_vmo_get_size(vmo, &size);
  if (s == MICA_OK) {
    s = mica_vmar_map(mica_rt_vmar_root(), MICA_VM_PERM_READ, 0, vmo, 0, size, &addr);
  }
  if (s != MICA_OK) {
    printf("driver-manager: no devicetree (status %d)\n", static_cast<int>(s));
    return false;
  }
  if (fdt::Init(reinterpret_cast<const void*>(addr), size, dt) != fdt::Status::kOk) {
    char msg[128];
    dt->FormatError(msg, sizeof(msg));
    mica::log::LogKv(mica::log::kError, "devicetree", {{"why", msg}},
                     "the devicetree is not valid");
    return false;
  }
  return true;
}

int Run(int argc, char** argv) {
  static fdt::Fdt dt;
  if (!MapDtb(&dt)) {
    return 1;
  }
  static driver_manager::Options opts;
  const char* bootargs = nullptr;
  const char* bad = dt.Bootargs(&bootargs) == fdt::Status::kOk
                        ? driver_manager::ParseWords(bootargs, &opts)
                        : nullptr;
  for (int i = 1; i < argc && bad == nullptr; i++) {
    bad = driver_manager::ParseWords(argv[i], &opts);
  }
  if (bad != nullptr) {
    mica::log::LogKv(mica::log::kError, "options", {{"switch", bad}}, "bad switch");
    return 1;
  }
  mica_handle_t bootfs_vmo =
      mica_rt_take_startup_handle(MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_VMO_BOOTFS, 0));
  static bootfs::Image fs;
  char why[160];
  if (!userboot::OpenBootfs(bootfs_vmo, &fs, why, sizeof(why))) {
    printf("driver-manager: %s\n", why);
    return 1;
  }
  if (mica_rt_root_resource() == MICA_HANDLE_INVALID) {
    MICA_LOGF(ERROR, "driver-manager", "no root resource");
    return 1;
  }
  static driver_manager::ManifestSet manifests;
  if (!manifests.Load(fs, opts.test_set)) {
    mica::log::LogKv(mica::log::kError, "manifests", {{"set", opts.test_set}},
                     "no such test manifest set in the bootfs");
    return 1;
  }
  if (opts.test_set[0] != '\0') {
    printf("driver-manager: test manifest set %s\n", opts.test_set);
  }
  printf("driver-manager: %u manifests\n", manifests.count());
  static driver_manager::Manager manager(dt, fs, manifests, bootfs_vmo, mica_rt_root_resource(),
                                         opts);
  manager.BindAll();
  manager.StartThen();
  manager.ServeOutgoing();
  return manager.Run();
}

}  // namespace

int main(int argc, char** argv) {
  return Run(argc, argv);
}

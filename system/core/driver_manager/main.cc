// bin/driver-manager (docs/drivers.md): binds a driver to every
// devicetree node a manifest matches and keeps them running. It needs the
// DTB and bootfs VMOs and the root resource: as a component
// (meta/driver_manager.cm) from its namespace, else (userboot.next=
// bin/driver-manager) as the startup handles userboot passed.
#include <idl/kernel_ipc.h>
#include <mica/component/component.h>
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

struct KernelObjects {
  mica::Vmo dtb;
  mica::Vmo bootfs;
  mica::Handle root;
};

// As a component: kernel.Devicetree, kernel.Bootfs and
// kernel.ManageResource (the root resource with MANAGE_RESOURCE, to mint
// device resources) through the namespace; a missing one is named (the
// component manager logs the broken hop).
bool GetKernelObjects(KernelObjects* k) {
  namespace kernel = idl::kernel;
  using mica::component::GetHandle;
  const char* missing = nullptr;
  mica_status_t s = MICA_OK;
  if ((s = GetHandle<kernel::Devicetree, kernel::DevicetreeSyncClient>(
           &kernel::Devicetree::GetResponse::vmo, &k->dtb)) != MICA_OK) {
    missing = kernel::Devicetree::kName;
  } else if ((s = GetHandle<kernel::Bootfs, kernel::BootfsSyncClient>(
                  &kernel::Bootfs::GetResponse::vmo, &k->bootfs)) != MICA_OK) {
    missing = kernel::Bootfs::kName;
  } else if ((s = GetHandle<kernel::ManageResource, kernel::ManageResourceSyncClient>(
                  &kernel::ManageResource::GetResponse::resource, &k->root)) != MICA_OK) {
    missing = kernel::ManageResource::kName;
  }
  if (missing != nullptr) {
    printf("driver-manager: cannot get %s (status %d)\n", missing, static_cast<int>(s));
    return false;
  }
  return true;
}

// Started without the component manager: userboot's startup handles.
void TakeKernelObjects(KernelObjects* k) {
  auto take = [](uint32_t kind) {
    return mica_rt_take_startup_handle(MICA_BOOTSTRAP_HANDLE_INFO(kind, 0));
  };
  k->dtb.reset(take(MICA_BOOTSTRAP_VMO_DTB));
  k->bootfs.reset(take(MICA_BOOTSTRAP_VMO_BOOTFS));
  k->root.reset(take(MICA_BOOTSTRAP_ROOT_RESOURCE));
}

bool MapDtb(mica_handle_t vmo, fdt::Fdt* dt) {
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
  // Held for the process's life (the manager keeps the raw handles).
  static KernelObjects objects;
  if (mica::component::HasNamespace()) {
    if (!GetKernelObjects(&objects)) {
      return 1;
    }
  } else {
    TakeKernelObjects(&objects);
  }
  static fdt::Fdt dt;
  if (!MapDtb(objects.dtb.get(), &dt)) {
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
  mica_handle_t bootfs_vmo = objects.bootfs.get();
  static bootfs::Image fs;
  char why[160];
  if (!userboot::OpenBootfs(bootfs_vmo, &fs, why, sizeof(why))) {
    printf("driver-manager: %s\n", why);
    return 1;
  }
  if (!objects.root.is_valid()) {
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
  static driver_manager::Manager manager(dt, fs, manifests, bootfs_vmo, objects.root.get(), opts);
  manager.BindAll();
  manager.StartThen();
  manager.ServeOutgoing();
  return manager.Run();
}

}  // namespace

int main(int argc, char** argv) {
  return Run(argc, argv);
}

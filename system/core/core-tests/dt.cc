#include "system/core/core-tests/dt.h"

#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <string.h>

#include "devicetree/lib/fdt.h"

extern "C" {
#include "system/core/core-tests/test.h"
}

namespace {

// Maps the DTB VMO once; the mapping stays for the whole run. A mapping that
// ran out of memory (as under fault injection) is recorded as such in the
// running test and tried again by the next caller.
const fdt::Fdt* Tree() {
  static fdt::Fdt tree;
  static bool loaded;
  if (loaded) {
    return tree.valid() ? &tree : nullptr;
  }
  uint64_t size = 0;
  mica_handle_t vmo = mica_rt_dtb();
  if (vmo == MICA_HANDLE_INVALID || mica_vmo_get_size(vmo, &size) != MICA_OK || size == 0) {
    loaded = true;
    return nullptr;
  }
  // Mapped, not copied into the heap: every failure then has a status.
  mica_vaddr_t addr = 0;
  uint64_t mapped = (size + MICA_PAGE_SIZE - 1) & ~(uint64_t)(MICA_PAGE_SIZE - 1);
  mica_status_t s = mica_vmar_map(mica_rt_vmar_root(), MICA_VM_PERM_READ, 0, vmo, 0, mapped, &addr);
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "mica_vmar_map", s);
    return nullptr;
  }
  const void* blob = reinterpret_cast<const void*>(static_cast<uintptr_t>(addr));
  loaded = true;
  if (fdt::Init(blob, size, &tree) != fdt::Status::kOk) {
    return nullptr;
  }
  return &tree;
}

}  // namespace

bool ct_dt_gic_distributor(uint64_t* base, uint64_t* size) {
  const fdt::Fdt* dt = Tree();
  if (dt == nullptr) {
    return false;
  }
  static const char* const kCompatible[] = {"arm,gic-400", "arm,cortex-a15-gic", "arm,gic-v3"};
  for (const char* c : kCompatible) {
    fdt::Node node = dt->FindCompatible(fdt::Node{}, c);
    if (node && dt->IsEnabled(node) && dt->RegTranslated(node, 0, base, size) == fdt::Status::kOk) {
      return true;
    }
  }
  return false;
}

bool ct_dt_first_ram(uint64_t* base, uint64_t* size) {
  const fdt::Fdt* dt = Tree();
  if (dt == nullptr) {
    return false;
  }
  fdt::Node node = dt->FindNode("/memory");
  return node && dt->RegTranslated(node, 0, base, size) == fdt::Status::kOk && *size != 0;
}

bool ct_dt_psci_system_power(void) {
  const fdt::Fdt* dt = Tree();
  if (dt == nullptr) {
    return false;
  }
  static const char* const kCompatible[] = {"arm,psci-1.0", "arm,psci-0.2"};
  for (const char* c : kCompatible) {
    fdt::Node node = dt->FindCompatible(fdt::Node{}, c);
    const char* method = nullptr;
    if (node && dt->IsEnabled(node) && dt->GetString(node, "method", &method) == fdt::Status::kOk &&
        (strcmp(method, "hvc") == 0 || strcmp(method, "smc") == 0)) {
      return true;
    }
  }
  return false;
}

// SYSTEM resources (resource_create with MICA_RSRC_KIND_SYSTEM) and
// system_power's refusals (docs/syscalls.md, "Interrupts and resources",
// "Time and system"). That a granted call powers off or reboots the
// machine is shown by the harness (`power/...` cases, bin/power-test):
// here only a machine without PSCI can see the call get as far as PSCI.
#include <mica/rt/runtime.h>
#include <stdint.h>

#include "system/core/core-tests/dt.h"
#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

#define PAGE ((uint64_t)MICA_PAGE_SIZE)

static mica_handle_t make(mica_handle_t parent, uint32_t kind, uint64_t base, uint64_t size) {
  mica_handle_t out = MICA_HANDLE_INVALID;
  mica_status_t s = mica_resource_create(parent, kind, base, size, "sys", 3, &out);
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "mica_resource_create", s);
    return MICA_HANDLE_INVALID;
  }
  return out;
}

TEST(system_resource, every_capability_range_is_created_from_the_root) {
  mica_handle_t root = mica_rt_root_resource();
  for (uint64_t base = 0; base < MICA_RSRC_SYSTEM_COUNT; base++) {
    for (uint64_t size = 1; base + size <= MICA_RSRC_SYSTEM_COUNT; size++) {
      CT_AUTO_CLOSE mica_handle_t r = make(root, MICA_RSRC_KIND_SYSTEM, base, size);
      ASSERT_NE(r, MICA_HANDLE_INVALID);
      mica_info_handle_basic_t b = ct_basic(r);
      EXPECT_EQ(b.type, MICA_OBJ_TYPE_RESOURCE);
      EXPECT_EQ(b.rights, MICA_DEFAULT_RESOURCE_RIGHTS);
    }
  }
}

TEST(system_resource, ranges_past_the_last_capability_are_out_of_range) {
  mica_handle_t root = mica_rt_root_resource();
  mica_handle_t out = MICA_HANDLE_INVALID;
  const uint64_t n = MICA_RSRC_SYSTEM_COUNT;
  const uint64_t bad[][2] = {{n, 1},          {0, n + 1},      {n - 1, 2},     {1000, 1},
                             {UINT64_MAX, 1}, {UINT64_MAX, 2}, {1, UINT64_MAX}};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    EXPECT_STATUS(
        mica_resource_create(root, MICA_RSRC_KIND_SYSTEM, bad[i][0], bad[i][1], "", 0, &out),
        MICA_ERR_OUT_OF_RANGE);
  }
  EXPECT_STATUS(mica_resource_create(root, MICA_RSRC_KIND_SYSTEM, 0, 0, "", 0, &out),
                MICA_ERR_INVALID_ARGS);
}

TEST(system_resource, only_the_root_creates_them) {
  mica_handle_t root = mica_rt_root_resource();
  CT_AUTO_CLOSE mica_handle_t all = make(root, MICA_RSRC_KIND_SYSTEM, 0, MICA_RSRC_SYSTEM_COUNT);
  CT_AUTO_CLOSE mica_handle_t mmio = make(root, MICA_RSRC_KIND_MMIO, 0x40000000, PAGE);
  CT_AUTO_CLOSE mica_handle_t irq = make(root, MICA_RSRC_KIND_IRQ, 40, 1);
  ASSERT_NE(all, MICA_HANDLE_INVALID);
  ASSERT_NE(mmio, MICA_HANDLE_INVALID);
  ASSERT_NE(irq, MICA_HANDLE_INVALID);
  mica_handle_t out = MICA_HANDLE_INVALID;
  const mica_handle_t parents[] = {all, mmio, irq};
  for (size_t i = 0; i < 3; i++) {
    EXPECT_STATUS(mica_resource_create(parents[i], MICA_RSRC_KIND_SYSTEM, MICA_RSRC_SYSTEM_POWER, 1,
                                       "", 0, &out),
                  MICA_ERR_ACCESS_DENIED);
  }
  // Nor does a SYSTEM resource give MMIO or IRQ ranges.
  EXPECT_STATUS(mica_resource_create(all, MICA_RSRC_KIND_MMIO, 0, PAGE, "", 0, &out),
                MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_resource_create(all, MICA_RSRC_KIND_IRQ, 0, 1, "", 0, &out),
                MICA_ERR_ACCESS_DENIED);
}

TEST(system_resource, grants_no_memory_and_no_interrupts) {
  CT_AUTO_CLOSE mica_handle_t all =
      make(mica_rt_root_resource(), MICA_RSRC_KIND_SYSTEM, 0, MICA_RSRC_SYSTEM_COUNT);
  ASSERT_NE(all, MICA_HANDLE_INVALID);
  uint64_t base, size;
  ASSERT_TRUE(ct_dt_gic_distributor(&base, &size));
  mica_handle_t out = MICA_HANDLE_INVALID;
  EXPECT_STATUS(mica_vmo_create_physical(all, base, PAGE, &out), MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_vmo_create_contiguous(all, PAGE, 0, &out), MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_interrupt_create(all, 40, 0, &out), MICA_ERR_ACCESS_DENIED);
  // Reading the debug log still needs the root resource.
  EXPECT_STATUS(mica_debuglog_create(all, MICA_LOG_FLAG_READABLE, &out), MICA_ERR_ACCESS_DENIED);
}

TEST(system_power, needs_a_resource_that_grants_power) {
  mica_handle_t root = mica_rt_root_resource();
  CT_AUTO_CLOSE mica_handle_t console =
      make(root, MICA_RSRC_KIND_SYSTEM, MICA_RSRC_SYSTEM_CONSOLE, 1);
  CT_AUTO_CLOSE mica_handle_t mmio = make(root, MICA_RSRC_KIND_MMIO, 0, PAGE);
  CT_AUTO_CLOSE mica_handle_t irq = make(root, MICA_RSRC_KIND_IRQ, 32, 100);
  ASSERT_NE(console, MICA_HANDLE_INVALID);
  ASSERT_NE(mmio, MICA_HANDLE_INVALID);
  ASSERT_NE(irq, MICA_HANDLE_INVALID);
  const mica_handle_t denied[] = {console, mmio, irq};
  for (size_t i = 0; i < 3; i++) {
    EXPECT_STATUS(mica_system_power(denied[i], MICA_SYSTEM_POWER_OFF), MICA_ERR_ACCESS_DENIED);
    EXPECT_STATUS(mica_system_power(denied[i], MICA_SYSTEM_POWER_REBOOT), MICA_ERR_ACCESS_DENIED);
  }
  // The power capability without MANAGE_RESOURCE.
  CT_AUTO_CLOSE mica_handle_t power = make(root, MICA_RSRC_KIND_SYSTEM, MICA_RSRC_SYSTEM_POWER, 1);
  ASSERT_NE(power, MICA_HANDLE_INVALID);
  CT_AUTO_CLOSE mica_handle_t weak = ct_dup(power, MICA_RIGHT_DUPLICATE | MICA_RIGHT_INSPECT);
  EXPECT_STATUS(mica_system_power(weak, MICA_SYSTEM_POWER_OFF), MICA_ERR_ACCESS_DENIED);
  // Not a resource, or not a handle.
  CT_AUTO_CLOSE mica_handle_t ev = ct_event();
  EXPECT_STATUS(mica_system_power(ev, MICA_SYSTEM_POWER_OFF), MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(mica_system_power(MICA_HANDLE_INVALID, MICA_SYSTEM_POWER_OFF), MICA_ERR_BAD_HANDLE);
}

TEST(system_power, unknown_actions_are_invalid) {
  mica_handle_t root = mica_rt_root_resource();
  CT_AUTO_CLOSE mica_handle_t power = make(root, MICA_RSRC_KIND_SYSTEM, MICA_RSRC_SYSTEM_POWER, 1);
  ASSERT_NE(power, MICA_HANDLE_INVALID);
  const uint32_t bad[] = {0, 3, 4, 0x84000008u, 0x80000000u, UINT32_MAX};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    EXPECT_STATUS(mica_system_power(power, bad[i]), MICA_ERR_INVALID_ARGS);
    EXPECT_STATUS(mica_system_power(root, bad[i]), MICA_ERR_INVALID_ARGS);
  }
}

TEST(system_power, without_psci_it_is_not_supported) {
  mica_handle_t root = mica_rt_root_resource();
  CT_AUTO_CLOSE mica_handle_t power = make(root, MICA_RSRC_KIND_SYSTEM, MICA_RSRC_SYSTEM_POWER, 1);
  ASSERT_NE(power, MICA_HANDLE_INVALID);
  // The argument checks come first on every machine: nothing is stopped.
  EXPECT_STATUS(mica_system_power(power, 0), MICA_ERR_INVALID_ARGS);
  if (ct_dt_psci_system_power()) {
    return;  // a granted call would power off: the harness's power/ cases run it
  }
  // raspi4b: the secondaries start from spin tables and /psci is absent.
  EXPECT_STATUS(mica_system_power(power, MICA_SYSTEM_POWER_OFF), MICA_ERR_NOT_SUPPORTED);
  EXPECT_STATUS(mica_system_power(power, MICA_SYSTEM_POWER_REBOOT), MICA_ERR_NOT_SUPPORTED);
  EXPECT_STATUS(mica_system_power(root, MICA_SYSTEM_POWER_OFF), MICA_ERR_NOT_SUPPORTED);
}

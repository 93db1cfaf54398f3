// What userboot hands the program it starts (docs/kernel.md, "Starting
// programs"; docs/process-bootstrap.md): the arguments, the process's name,
// the root job, and the bootfs and DTB as read-only VMOs passed on from the
// kernel. These run first in the file: the later ones take the VMOs out of
// the startup set.
#include <mica/rt/bootstrap.h>
#include <string.h>

#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

#define PAGE ((uint64_t)MICA_PAGE_SIZE)

static uint32_t load_be32(const uint8_t* p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t load_le32(const uint8_t* p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

TEST(userboot, argv0_is_the_path) {
  ASSERT_GE(ct_argc, 1);
  EXPECT_EQ(strcmp(ct_argv[0], "bin/core-tests"), 0);
}

TEST(userboot, process_named_after_the_file) {
  char name[MICA_MAX_NAME_LEN] = {0};
  ASSERT_OK(mica_object_get_property(mica_rt_process_self(), MICA_PROP_NAME, name, sizeof(name)));
  EXPECT_EQ(strcmp(name, "core-tests"), 0);
}

// The job is the root job, which also holds userboot.
TEST(userboot, job_is_shared_with_userboot) {
  mica_koid_t koids[16];
  size_t actual = 0, avail = 0;
  ASSERT_OK(mica_object_get_info(mica_rt_job_default(), MICA_INFO_JOB_PROCESSES, koids,
                                 sizeof(koids), &actual, &avail));
  EXPECT_GE(avail, 2);
  EXPECT_EQ(ct_basic(mica_rt_job_default()).rights, MICA_DEFAULT_JOB_RIGHTS);
}

// Everything the kernel gave userboot beyond userboot's own handles arrives
// here too, with its info word.
TEST(userboot, system_handles_passed_on) {
  uint32_t infos[MICA_CHANNEL_MAX_MSG_HANDLES];
  uint32_t n = mica_rt_startup_handle_infos(infos, MICA_CHANNEL_MAX_MSG_HANDLES);
  bool bootfs = false, dtb = false;
  for (uint32_t i = 0; i < n && i < MICA_CHANNEL_MAX_MSG_HANDLES; i++) {
    bootfs = bootfs || infos[i] == MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_VMO_BOOTFS, 0);
    dtb = dtb || infos[i] == MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_VMO_DTB, 0);
  }
  EXPECT_TRUE(bootfs);
  EXPECT_TRUE(dtb);
  // The runtime's own kinds are not listed.
  for (uint32_t i = 0; i < n && i < MICA_CHANNEL_MAX_MSG_HANDLES; i++) {
    EXPECT_GT(MICA_BOOTSTRAP_HANDLE_KIND(infos[i]), MICA_BOOTSTRAP_THREAD_SELF);
  }
}

// Checks that `vmo` is read-only in every way a handle allows: no write,
// no resize, no writable mapping, and an executable one only if
// `executable` (the bootfs: its programs run from copy-on-write children,
// which have no right their parent handle lacks); a read-only mapping
// works and shows the same bytes as vmo_read.
static void expect_read_only(mica_handle_t vmo, bool executable) {
  mica_info_handle_basic_t info = ct_basic(vmo);
  EXPECT_EQ(info.type, MICA_OBJ_TYPE_VMO);
  EXPECT_EQ(info.rights & (MICA_RIGHT_READ | MICA_RIGHT_MAP), MICA_RIGHT_READ | MICA_RIGHT_MAP);
  EXPECT_EQ(info.rights & MICA_RIGHT_WRITE, 0);
  EXPECT_EQ(info.rights & MICA_RIGHT_EXECUTE, executable ? MICA_RIGHT_EXECUTE : 0);
  uint8_t byte = 0;
  EXPECT_STATUS(mica_vmo_write(vmo, &byte, 0, 1), MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_vmo_set_size(vmo, PAGE), MICA_ERR_ACCESS_DENIED);
  mica_vaddr_t addr = 0;
  EXPECT_STATUS(mica_vmar_map(mica_rt_vmar_root(), MICA_VM_PERM_READ | MICA_VM_PERM_WRITE, 0, vmo,
                              0, PAGE, &addr),
                MICA_ERR_ACCESS_DENIED);
  if (!executable) {
    EXPECT_STATUS(mica_vmar_map(mica_rt_vmar_root(), MICA_VM_PERM_READ | MICA_VM_PERM_EXECUTE, 0,
                                vmo, 0, PAGE, &addr),
                  MICA_ERR_ACCESS_DENIED);
  }
  // Rights only shrink: a duplicate cannot regain WRITE.
  mica_handle_t dup = MICA_HANDLE_INVALID;
  if (mica_handle_duplicate(vmo, MICA_RIGHT_SAME_RIGHTS, &dup) == MICA_OK) {
    EXPECT_EQ(ct_basic(dup).rights & MICA_RIGHT_WRITE, 0);
    EXPECT_STATUS(mica_vmo_write(dup, &byte, 0, 1), MICA_ERR_ACCESS_DENIED);
    EXPECT_OK(mica_handle_close(dup));
  }
  uint8_t head[16];
  ASSERT_OK(mica_vmo_read(vmo, head, 0, sizeof(head)));
  ASSERT_OK(mica_vmar_map(mica_rt_vmar_root(), MICA_VM_PERM_READ, 0, vmo, 0, PAGE, &addr));
  EXPECT_EQ(memcmp((const void*)addr, head, sizeof(head)), 0);
  EXPECT_OK(mica_vmar_unmap(mica_rt_vmar_root(), addr, PAGE));
}

// The DTB: an FDT (magic 0xd00dfeed, big-endian) whose totalsize fits.
TEST(userboot, dtb_vmo) {
  mica_handle_t vmo =
      mica_rt_take_startup_handle(MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_VMO_DTB, 0));
  ASSERT_NE(vmo, MICA_HANDLE_INVALID);
  uint8_t hdr[8];
  ASSERT_OK(mica_vmo_read(vmo, hdr, 0, sizeof(hdr)));
  EXPECT_EQ(load_be32(hdr), 0xd00dfeedu);
  uint64_t size = 0;
  ASSERT_OK(mica_vmo_get_size(vmo, &size));
  EXPECT_GE(size, load_be32(hdr + 4));
  EXPECT_LT(size - load_be32(hdr + 4), PAGE);  // the VMO is the blob, page-rounded
  expect_read_only(vmo, false);
  char name[MICA_MAX_NAME_LEN] = {0};
  EXPECT_OK(mica_object_get_property(vmo, MICA_PROP_NAME, name, sizeof(name)));
  EXPECT_EQ(strcmp(name, "devicetree"), 0);
  EXPECT_OK(mica_handle_close(vmo));
}

// The bootfs: the image (docs/bootfs.md) holding this very program.
TEST(userboot, bootfs_vmo) {
  mica_handle_t vmo =
      mica_rt_take_startup_handle(MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_VMO_BOOTFS, 0));
  ASSERT_NE(vmo, MICA_HANDLE_INVALID);
  uint8_t hdr[64];
  ASSERT_OK(mica_vmo_read(vmo, hdr, 0, sizeof(hdr)));
  EXPECT_EQ(memcmp(hdr, "MICABFS\n", 8), 0);
  EXPECT_EQ(load_le32(hdr + 8), 1);  // version
  uint32_t count = load_le32(hdr + 20);
  uint64_t size = 0;
  ASSERT_OK(mica_vmo_get_size(vmo, &size));
  EXPECT_EQ(size, (uint64_t)load_le32(hdr + 32) | (uint64_t)load_le32(hdr + 36) << 32);
  // The directory (128-byte entries, the name at +24) lists bin/core-tests.
  bool found = false;
  for (uint32_t i = 0; i < count && i < 256 && !found; i++) {
    char entry_name[104];
    ASSERT_OK(mica_vmo_read(vmo, entry_name, 64 + (uint64_t)i * 128 + 24, sizeof(entry_name)));
    entry_name[sizeof(entry_name) - 1] = '\0';
    found = strcmp(entry_name, "bin/core-tests") == 0;
  }
  EXPECT_TRUE(found);
  expect_read_only(vmo, true);
  char name[MICA_MAX_NAME_LEN] = {0};
  EXPECT_OK(mica_object_get_property(vmo, MICA_PROP_NAME, name, sizeof(name)));
  EXPECT_EQ(strcmp(name, "bootfs"), 0);
  EXPECT_OK(mica_handle_close(vmo));
}

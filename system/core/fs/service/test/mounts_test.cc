// The mount table's name rule (mounts.h) and its fs.Mounts form.
#include "system/core/fs/service/mounts.h"

#include <string.h>

#include <gtest/gtest.h>

namespace fs {
namespace {

MountRecord Mounted(const char* device, uint32_t partition, const char* label, bool boot_files) {
  MountRecord r;
  snprintf(r.device, sizeof(r.device), "%s", device);
  r.partition = partition;
  snprintf(r.label, sizeof(r.label), "%s", label);
  r.mounted = true;
  r.boot_files = boot_files;
  return r;
}

TEST(MountNames, BootFilesMakeBootTheFirstOtherIsData) {
  MountRecord r[] = {Mounted("block/0", 1, "MICA-VIRT", true), Mounted("block/1", 0, "", false)};
  AssignNames(r, 2);
  EXPECT_STREQ(r[0].name, "boot");
  EXPECT_STREQ(r[1].name, "data");
}

TEST(MountNames, MicadataIsPreferredForData) {
  MountRecord r[] = {Mounted("block/0", 1, "OTHER", false),
                     Mounted("block/0", 2, "MICADATA", false), Mounted("block/1", 0, "", false)};
  AssignNames(r, 3);
  EXPECT_STREQ(r[0].name, "");
  EXPECT_STREQ(r[1].name, "data");
  EXPECT_STREQ(r[2].name, "");
  EXPECT_EQ(FindByName(r, 3, "data"), &r[1]);
  EXPECT_EQ(FindByName(r, 3, "boot"), nullptr);
}

TEST(MountNames, FailedVolumesGetNoName) {
  MountRecord r[] = {Mounted("block/0", 1, "", false), Mounted("block/1", 0, "", false)};
  r[0].mounted = false;
  SetDetail(&r[0], "bad boot sector signature (no 55 AA at offset 510)");
  AssignNames(r, 2);
  EXPECT_STREQ(r[0].name, "");
  EXPECT_STREQ(r[1].name, "data");
  idl::fs::Mount m;
  ToMount(r[0], &m);
  EXPECT_EQ(m.state, idl::fs::MountState::FAILED);
  EXPECT_TRUE(m.detail.Equals("bad boot sector signature (no 55 AA at offset 510)"));
  EXPECT_TRUE(m.device.Equals("block/0"));
  EXPECT_EQ(m.partition, 1u);
}

TEST(MountNames, ARescanNeverMovesAName) {
  MountRecord r[3] = {Mounted("block/0", 0, "", false)};
  AssignNames(r, 1);
  EXPECT_STREQ(r[0].name, "data");
  // A MICADATA disk and a boot disk come later: data stays where it was.
  r[1] = Mounted("block/1", 0, "MICADATA", false);
  r[2] = Mounted("block/2", 1, "", true);
  AssignNames(r, 3);
  EXPECT_STREQ(r[0].name, "data");
  EXPECT_STREQ(r[1].name, "");
  EXPECT_STREQ(r[2].name, "boot");
}

TEST(MountNames, OnlyABootVolume) {
  MountRecord r[] = {Mounted("block/0", 1, "MICA-VIRT", true)};
  AssignNames(r, 1);
  EXPECT_STREQ(r[0].name, "boot");
  EXPECT_EQ(FindByName(r, 1, "data"), nullptr);
}

TEST(MountDetail, LongTextIsCut) {
  MountRecord r;
  std::string text(500, 'x');
  SetDetail(&r, text.c_str());
  EXPECT_EQ(strlen(r.detail), idl::fs::MAX_DETAIL);
}

}  // namespace
}  // namespace fs

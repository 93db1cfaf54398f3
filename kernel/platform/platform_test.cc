// Host tests of the kernel's devicetree interpretation (platform.cc) on the
// real blobs the boot flows use: QEMU virt, the upstream Raspberry Pi 4 DTB
// and the firmware-style Pi 4 DTB (split memory banks, memreserve, initrd,
// bootargs) that QEMU cannot pass through unchanged.
#include "kernel/platform/platform.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

struct Blob {
  std::vector<uint8_t> bytes;
  fdt::Fdt dt;
};

void Load(const std::string& name, Blob* b) {
  std::ifstream f(std::string(FIXTURE_DIR) + "/" + name, std::ios::binary);
  ASSERT_TRUE(f.good()) << name;
  b->bytes.assign(std::istreambuf_iterator<char>(f), {});
  ASSERT_EQ(fdt::Init(b->bytes.data(), b->bytes.size(), &b->dt), fdt::Status::kOk);
}

platform::BootInfo Parse(const fdt::Fdt& dt, uint64_t kernel_pa, uint64_t dtb_pa) {
  platform::BootInfo info;
  info.kernel_pa = kernel_pa;
  info.kernel_size = 0x100000;
  info.dtb_pa = dtb_pa;
  info.dtb_size = dt.total_size();
  const char* why = nullptr;
  EXPECT_TRUE(platform::ParseDevicetree(dt, &info, &why)) << (why ? why : "");
  return info;
}

TEST(Platform, QemuVirtGicv3Smp4) {
  Blob b;
  ASSERT_NO_FATAL_FAILURE(Load("virt-gicv3-smp4-4G.dtb", &b));
  auto info = Parse(b.dt, 0x40200000, 0x40000000);
  ASSERT_EQ(info.ram.count(), 1u);
  EXPECT_EQ(info.ram[0].base, 0x40000000u);
  EXPECT_EQ(info.ram[0].size, 4ull << 30);
  EXPECT_EQ(info.console_kind, dev::UartKind::kPl011);
  EXPECT_EQ(info.console_pa, 0x09000000u);
  EXPECT_TRUE(info.psci_present);
  EXPECT_TRUE(info.psci_system);  // PSCI 1.0: system_power works
  EXPECT_FALSE(info.psci_smc);
  ASSERT_EQ(info.cpu_count, 4u);
  for (uint32_t i = 0; i < 4; i++) {
    EXPECT_EQ(info.cpus[i].mpidr, i);
    EXPECT_EQ(info.cpus[i].method, platform::CpuMethod::kPsci);
  }
  // The kernel and the DTB are not handed out; the rest of RAM is.
  EXPECT_FALSE(info.usable.Contains(0x40200000, 0x1000));
  EXPECT_FALSE(info.usable.Contains(0x40000000, 0x1000));
  EXPECT_TRUE(info.usable.Contains(0x50000000, 0x1000));
  uint64_t dtb_pages = (b.dt.total_size() + 4095) / 4096 * 4096;
  EXPECT_EQ(info.usable.TotalSize(), (4ull << 30) - 0x100000 - dtb_pages);
  EXPECT_EQ(info.linear.TotalSize(), 4ull << 30);
}

TEST(Platform, QemuVirtEl2UsesSmcConduit) {
  Blob b;
  ASSERT_NO_FATAL_FAILURE(Load("virt-gicv3-el2.dtb", &b));
  auto info = Parse(b.dt, 0x40200000, 0x40000000);
  EXPECT_TRUE(info.psci_present);
  EXPECT_TRUE(info.psci_system);
  EXPECT_TRUE(info.psci_smc);
}

TEST(Platform, RaspberryPi4Upstream) {
  Blob b;
  ASSERT_NO_FATAL_FAILURE(Load("rpi4-upstream.dtb", &b));
  platform::BootInfo info;
  info.kernel_pa = 0x200000;
  info.kernel_size = 0x100000;
  info.dtb_pa = 0x8000000;
  info.dtb_size = b.dt.total_size();
  const char* why = nullptr;
  // The upstream blob's memory node is empty: the firmware fills it in.
  EXPECT_FALSE(platform::ParseDevicetree(b.dt, &info, &why));
  ASSERT_NE(why, nullptr);
  EXPECT_NE(std::string(why).find("no memory"), std::string::npos);
}

TEST(Platform, RaspberryPi4AsQemuPassesIt) {
  Blob b;
  ASSERT_NO_FATAL_FAILURE(Load("raspi4b-qemu.dtb", &b));
  auto info = Parse(b.dt, 0x200000, 0x8000000);
  EXPECT_EQ(info.console_kind, dev::UartKind::kBcm2835Aux);
  EXPECT_EQ(info.console_pa, 0xfe215040u);  // 0x7e215040 through /soc ranges
  // No /psci: system_power reports MICA_ERR_NOT_SUPPORTED.
  EXPECT_FALSE(info.psci_present);
  EXPECT_FALSE(info.psci_system);
  ASSERT_EQ(info.cpu_count, 4u);
  for (uint32_t i = 0; i < 4; i++) {
    EXPECT_EQ(info.cpus[i].method, platform::CpuMethod::kSpinTable);
    EXPECT_EQ(info.cpus[i].release_addr, 0xd8u + 8 * i);
  }
  // Page 0 (spin table, memreserve) is never usable.
  EXPECT_FALSE(info.usable.Contains(0, 4096));
}

TEST(Platform, RaspberryPi4FirmwareStyle) {
  Blob b;
  ASSERT_NO_FATAL_FAILURE(Load("rpi4-firmware.dtb", &b));
  auto info = Parse(b.dt, 0x200000, 0x2eff0000);
  // The firmware's split banks, all of them.
  ASSERT_EQ(info.ram.count(), 3u);
  EXPECT_EQ(info.ram[0].base, 0u);
  EXPECT_EQ(info.ram[0].size, 0x3b400000u);
  EXPECT_EQ(info.ram[1].base, 0x40000000u);
  EXPECT_EQ(info.ram[1].end(), 0xfc000000u);
  EXPECT_EQ(info.ram[2].base, 0x100000000u);
  EXPECT_EQ(info.ram[2].end(), 0x200000000u);
  EXPECT_EQ(info.initrd_start, 0x2eff2000u);
  EXPECT_EQ(info.initrd_end, 0x2f7c7a43u);
  EXPECT_FALSE(info.usable.Contains(0x2eff2000, 0x1000));
  EXPECT_FALSE(info.usable.Contains(0x2f7c7000, 0x1000));  // the initrd's last page
  EXPECT_FALSE(info.usable.Contains(0, 0x1000));           // memreserve
  EXPECT_TRUE(info.usable.Contains(0x180000000, 0x1000));
  EXPECT_NE(std::string(info.bootargs).find("mica.boot=firmware"), std::string::npos);
  EXPECT_EQ(info.console_kind, dev::UartKind::kBcm2835Aux);
  // Usable memory is page aligned everywhere.
  for (size_t i = 0; i < info.usable.count(); i++) {
    EXPECT_EQ(info.usable[i].base % 4096, 0u);
    EXPECT_EQ(info.usable[i].size % 4096, 0u);
  }
}

TEST(Platform, BootArgs) {
  char v[32];
  EXPECT_TRUE(platform::BootArg("a=1 kernel.test=all b", "kernel.test", v, sizeof(v)));
  EXPECT_STREQ(v, "all");
  EXPECT_TRUE(platform::BootArg("a=1 kernel.poweroff", "kernel.poweroff", v, sizeof(v)));
  EXPECT_STREQ(v, "");
  EXPECT_FALSE(platform::BootArg("kernel.testx=1", "kernel.test", v, sizeof(v)));
  EXPECT_FALSE(platform::BootArg("", "kernel.test", v, sizeof(v)));
  EXPECT_TRUE(platform::BootArg("k=0123456789012345678901234567890123456789", "k", v, 8));
  EXPECT_STREQ(v, "0123456");
}

}  // namespace

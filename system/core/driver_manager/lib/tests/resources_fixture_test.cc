// Resource resolution over every DTB fixture (devicetree/README.md): the
// class of real trees, then known facts of QEMU virt and the Pi 4.
#include <mica/types.h>
#include <string.h>

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "devicetree/tests/test_util.h"
#include "system/core/driver_manager/lib/resources.h"

namespace {

using fdt_test::ExactBuffer;

struct Loaded {
  ExactBuffer buf;
  fdt::Fdt dt;
};

void Load(const std::string& name, Loaded* l) {
  l->buf = ExactBuffer(fdt_test::ReadFixture(name));
  ASSERT_EQ(fdt::Init(l->buf.data(), l->buf.size(), &l->dt), fdt::Status::kOk) << name;
}

std::string Path(const fdt::Fdt& dt, fdt::Node n) {
  char buf[dm::kMaxPath];
  EXPECT_EQ(dm::NodePath(dt, n, buf, sizeof(buf), nullptr), dm::Status::kOk);
  return buf;
}

// Every enabled node of every fixture resolves, or fails with a message that
// starts with its path; every grant is page-aligned and covers its range.
TEST(ResourcesFixture, EveryNodeOfEveryFixture) {
  const std::vector<std::string> names = fdt_test::FixtureNames();
  ASSERT_GE(names.size(), 20u);
  for (const std::string& name : names) {
    SCOPED_TRACE(name);
    Loaded l;
    Load(name, &l);
    uint32_t enabled = 0;
    dm::ForEachEnabledNode(l.dt, [&](fdt::Node node, int) {
      ++enabled;
      EXPECT_TRUE(dm::IsNodeEnabled(l.dt, node));
      const std::string path = Path(l.dt, node);
      dm::NodeResources res;
      dm::Error err;
      const dm::Status st = dm::ResolveResources(l.dt, node, &res, &err);
      if (st != dm::Status::kOk) {
        EXPECT_EQ(err.status, st);
        EXPECT_EQ(std::string(err.message).rfind(path + ": ", 0), 0u) << err.message;
      }
      for (uint32_t i = 0; i < res.mmio_count; ++i) {
        const dm::MmioRange& r = res.mmio[i];
        EXPECT_EQ(r.page_base % dm::kPageSize, 0u) << path;
        EXPECT_EQ(r.page_size % dm::kPageSize, 0u) << path;
        EXPECT_EQ(r.page_base + r.offset, r.phys) << path;
        EXPECT_LT(r.offset, dm::kPageSize) << path;
        EXPECT_LE(r.offset + r.size, r.page_size) << path;
        EXPECT_LT(r.page_size - (r.offset + r.size), dm::kPageSize) << path;
      }
      for (uint32_t i = 0; i < res.gpio_count; ++i) {
        EXPECT_TRUE(l.dt.FindProperty(res.gpios[i].controller, "gpio-controller").valid()) << path;
      }
      for (uint32_t i = 0; i < res.interrupt_count; ++i) {
        const dm::InterruptResource& irq = res.interrupts[i];
        if (irq.kind == dm::IrqKind::kGic) {
          EXPECT_GE(irq.intid, 16u) << path;
          EXPECT_LT(irq.intid, 1020u) << path;
          EXPECT_TRUE(dm::IsGic(l.dt, irq.spec.controller)) << path;
        } else {
          EXPECT_TRUE(irq.spec.controller.valid()) << path;
        }
      }
      return true;
    });
    EXPECT_GT(enabled, 5u);
  }
}

// Disabled nodes and their subtrees are skipped; enabled ones all visited.
TEST(ResourcesFixture, EnumerationSkipsDisabledSubtrees) {
  for (const std::string& name : fdt_test::FixtureNames()) {
    SCOPED_TRACE(name);
    Loaded l;
    Load(name, &l);
    std::vector<uint32_t> visited;
    dm::ForEachEnabledNode(l.dt, [&](fdt::Node n, int) {
      visited.push_back(n.offset);
      return true;
    });
    size_t expected = 0;
    l.dt.ForEachNode([&](fdt::Node n, int) {
      expected += dm::IsNodeEnabled(l.dt, n);
      return true;
    });
    EXPECT_EQ(visited.size(), expected);
  }
}

// QEMU virt, every GIC version and CPU/RAM configuration.
TEST(ResourcesFixture, VirtKnownDevices) {
  for (const std::string& name : fdt_test::FixtureNames()) {
    if (name.rfind("virt-", 0) != 0) {
      continue;
    }
    SCOPED_TRACE(name);
    Loaded l;
    Load(name, &l);
    dm::NodeResources res;
    dm::Error err;
    const fdt::Node uart = l.dt.FindNode("/pl011@9000000");
    ASSERT_EQ(dm::ResolveResources(l.dt, uart, &res, &err), dm::Status::kOk) << err.message;
    ASSERT_EQ(res.mmio_count, 1u);
    EXPECT_EQ(res.mmio[0].phys, 0x09000000u);
    EXPECT_EQ(res.mmio[0].page_size, 0x1000u);
    ASSERT_EQ(res.interrupt_count, 1u);
    EXPECT_EQ(res.interrupts[0].kind, dm::IrqKind::kGic);
    EXPECT_EQ(res.interrupts[0].intid, 33u);
    EXPECT_EQ(res.interrupts[0].options, 0u);
    char text[128];
    dm::FormatInterrupt(l.dt, res.interrupts[0], text, sizeof(text));
    EXPECT_STREQ(text, "GIC SPI 1 (INTID 33) level-high");

    // The 32 virtio-mmio transports: 0x200 bytes each, eight to a page,
    // SPI 16 + i, rising edge.
    std::vector<dm::MmioRange> virtio;
    for (uint32_t i = 0; i < 32; ++i) {
      char path[64];
      snprintf(path, sizeof(path), "/virtio_mmio@%x", 0x0a000000 + i * 0x200);
      const fdt::Node n = l.dt.FindNode(path);
      ASSERT_TRUE(n.valid()) << path;
      ASSERT_EQ(dm::ResolveResources(l.dt, n, &res, &err), dm::Status::kOk) << err.message;
      ASSERT_EQ(res.mmio_count, 1u);
      EXPECT_EQ(res.mmio[0].page_base, 0x0a000000u + (i / 8) * 0x1000);
      EXPECT_EQ(res.mmio[0].offset, (i % 8) * 0x200u);
      EXPECT_EQ(res.mmio[0].size, 0x200u);
      EXPECT_EQ(res.interrupts[0].intid, 32u + 16 + i);
      EXPECT_EQ(res.interrupts[0].options, uint32_t{MICA_INTERRUPT_EDGE});
      virtio.push_back(res.mmio[0]);
    }
    for (uint32_t i = 0; i < 32; ++i) {
      for (uint32_t j = 0; j < 32; ++j) {
        EXPECT_EQ(dm::SharesPage(virtio[i], virtio[j]), i / 8 == j / 8) << i << " " << j;
      }
    }

    // The architected timer: four PPIs, level high (GICv2's CPU mask bits
    // ignored).
    const fdt::Node timer = l.dt.FindNode("/timer");
    ASSERT_EQ(dm::ResolveResources(l.dt, timer, &res, &err), dm::Status::kOk) << err.message;
    ASSERT_EQ(res.interrupt_count, 4u);
    const uint32_t ppis[] = {29, 30, 27, 26};
    for (uint32_t i = 0; i < 4; ++i) {
      EXPECT_EQ(res.interrupts[i].intid, ppis[i]);
      EXPECT_EQ(res.interrupts[i].kind, dm::IrqKind::kGic);
    }

    // gpio-keys: its key is wired through the PL061 by `gpios` (in its
    // child /gpio-keys/poweroff), no interrupts of its own, no registers.
    const fdt::Node keys = l.dt.FindNode("/gpio-keys");
    ASSERT_EQ(dm::ResolveResources(l.dt, keys, &res, &err), dm::Status::kOk) << err.message;
    EXPECT_EQ(res.mmio_count, 0u);
    EXPECT_EQ(res.interrupt_count, 0u);
    ASSERT_EQ(res.gpio_count, 1u);
    EXPECT_EQ(res.gpios[0].controller, l.dt.FindNode("/pl061@9030000"));
    EXPECT_EQ(res.gpios[0].num_cells, 2u);
    EXPECT_EQ(res.gpios[0].cells[0], 3u);
    dm::FormatGpio(l.dt, res.gpios[0], text, sizeof(text));
    EXPECT_STREQ(text, "GPIO 3 0 routed through /pl061@9030000 (/gpio-keys/poweroff gpios)");

    // CPUs: a `reg` that is an MPIDR, not MMIO.
    const fdt::Node cpu = l.dt.FindNode("/cpus/cpu@0");
    ASSERT_EQ(dm::ResolveResources(l.dt, cpu, &res, &err), dm::Status::kOk) << err.message;
    EXPECT_TRUE(res.reg_is_bus_address);
    EXPECT_EQ(res.mmio_count, 0u);
  }
}

// The Pi 4 blobs: registers behind /soc's ranges (0x7e... bus addresses to
// 0xfe... CPU addresses) and the GIC-400.
TEST(ResourcesFixture, Rpi4KnownDevices) {
  for (const char* name : {"rpi4-upstream.dtb", "rpi4-firmware.dtb", "raspi4b-qemu.dtb"}) {
    SCOPED_TRACE(name);
    Loaded l;
    Load(name, &l);
    dm::NodeResources res;
    dm::Error err;
    const fdt::Node aux = l.dt.FindNode("/soc/serial@7e215040");
    ASSERT_TRUE(aux.valid());
    ASSERT_EQ(dm::ResolveResources(l.dt, aux, &res, &err), dm::Status::kOk) << err.message;
    ASSERT_EQ(res.mmio_count, 1u);
    EXPECT_EQ(res.mmio[0].phys, 0xfe215040u);
    EXPECT_EQ(res.mmio[0].page_base, 0xfe215000u);
    EXPECT_EQ(res.mmio[0].offset, 0x40u);
    ASSERT_EQ(res.interrupt_count, 1u);
    EXPECT_EQ(res.interrupts[0].kind, dm::IrqKind::kGic);
    EXPECT_EQ(res.interrupts[0].intid, 32u + 93);  // GIC_SPI 93, IRQ_TYPE_LEVEL_HIGH
    EXPECT_EQ(res.interrupts[0].options, 0u);

    // The architected timer's PPIs are level-low in the Pi's tree.
    const fdt::Node timer = l.dt.FindNode("/timer");
    ASSERT_EQ(dm::ResolveResources(l.dt, timer, &res, &err), dm::Status::kOk) << err.message;
    ASSERT_EQ(res.interrupt_count, 4u);
    EXPECT_EQ(res.interrupts[0].intid, 29u);
    EXPECT_EQ(res.interrupts[0].options, uint32_t{MICA_INTERRUPT_ACTIVE_LOW});
  }
}

}  // namespace

namespace {

// One node's grant, flattened for comparison.
std::string Describe(const fdt::Fdt& dt, fdt::Node node) {
  std::string out = Path(dt, node);
  dm::NodeResources res;
  dm::Error err;
  if (dm::ResolveResources(dt, node, &res, &err) != dm::Status::kOk) {
    return out + " error " + err.message;
  }
  char buf[128];
  for (uint32_t i = 0; i < res.mmio_count; ++i) {
    snprintf(buf, sizeof(buf), " mmio %llx+%llx", (unsigned long long)res.mmio[i].phys,
             (unsigned long long)res.mmio[i].size);
    out += buf;
  }
  for (uint32_t i = 0; i < res.interrupt_count; ++i) {
    dm::FormatInterrupt(dt, res.interrupts[i], buf, sizeof(buf));
    out += std::string(" ") + buf;
  }
  return out;
}

// QEMU virt with no, a few legacy, and many modern virtio devices: the same
// 32 transports, so the same grants for every node (drivers match transports
// by the device ID they read, never by address).
TEST(ResourcesFixture, VirtioDeviceCountsDoNotChangeTheTree) {
  std::vector<std::vector<std::string>> trees;
  for (const char* config : {"none", "legacy-blk-rng", "modern-mixed"}) {
    SCOPED_TRACE(config);
    const std::string file = std::string(VIRTIO_DTB_DIR) + "/virtio-" + config + ".dtb";
    const ExactBuffer buf(fdt_test::ReadFile(file));
    fdt::Fdt dt;
    ASSERT_EQ(fdt::Init(buf.data(), buf.size(), &dt), fdt::Status::kOk) << file;
    std::vector<std::string> nodes;
    uint32_t transports = 0;
    dm::ForEachEnabledNode(dt, [&](fdt::Node n, int) {
      nodes.push_back(Describe(dt, n));
      transports += dt.IsCompatible(n, "virtio,mmio");
      return true;
    });
    EXPECT_EQ(transports, 32u);
    trees.push_back(nodes);
  }
  EXPECT_EQ(trees[0], trees[1]);
  EXPECT_EQ(trees[0], trees[2]);
}

}  // namespace

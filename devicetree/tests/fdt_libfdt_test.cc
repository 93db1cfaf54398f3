// Compares Mica's FDT parser with libfdt (Debian's libfdt-dev), node by node
// and property by property, on every fixture blob (QEMU virt dumps, the
// upstream and firmware-style Pi 4 blobs, what QEMU raspi4b hands a kernel)
// and on the in-test sample blob. Addresses and interrupts are checked
// against a reference computed here from libfdt's raw property access.
#include <gtest/gtest.h>
#include <string.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "devicetree/lib/fdt.h"
#include "devicetree/tests/blob_builder.h"
#include "devicetree/tests/test_util.h"

extern "C" {
#include <libfdt.h>
}

namespace fdt_test {
namespace {

// --- Reference computations on top of libfdt's raw accessors ---------------

uint32_t RefCells(const void* blob, int node, const char* name, uint32_t dflt) {
  int len = 0;
  const void* p = fdt_getprop(blob, node, name, &len);
  return (p != nullptr && len == 4) ? fdt32_ld(static_cast<const fdt32_t*>(p)) : dflt;
}

uint64_t RefNumber(const fdt32_t* cells, uint32_t n) {
  uint64_t v = 0;
  for (uint32_t i = 0; i < n; ++i) {
    v = (v << 32) | fdt32_ld(&cells[i]);
  }
  return v;
}

// Translates a 1- or 2-cell bus address of `node`'s parent space to a CPU
// address: a straightforward recursive reading of DT spec v0.4 §2.3.8.
// (Fixtures use only <= 2 address cells on translated paths.)
std::optional<uint64_t> RefTranslate(const void* blob, int node, uint64_t addr) {
  int bus = fdt_parent_offset(blob, node);
  while (bus > 0) {  // bus 0 is the root: the address is a CPU address
    const int up = fdt_parent_offset(blob, bus);
    const uint32_t na = RefCells(blob, bus, "#address-cells", 2);
    const uint32_t ns = RefCells(blob, bus, "#size-cells", 1);
    const uint32_t pna = RefCells(blob, up, "#address-cells", 2);
    int len = 0;
    const fdt32_t* r = static_cast<const fdt32_t*>(fdt_getprop(blob, bus, "ranges", &len));
    if (r == nullptr)
      return std::nullopt;
    if (len > 0) {
      bool found = false;
      const uint32_t entry = na + pna + ns;
      for (uint32_t i = 0; i + entry <= static_cast<uint32_t>(len) / 4; i += entry) {
        const uint64_t c = RefNumber(r + i, na);
        const uint64_t p = RefNumber(r + i + na, pna);
        const uint64_t s = RefNumber(r + i + na + pna, ns);
        if (addr >= c && addr - c < s) {
          addr = p + (addr - c);
          found = true;
          break;
        }
      }
      if (!found)
        return std::nullopt;
    }
    bus = up;
  }
  return addr;
}

// Reference interrupt parent: interrupt-parent phandle, else tree parent,
// until a node with #interrupt-cells (as Linux's of_irq_find_parent).
int RefInterruptParent(const void* blob, int node) {
  for (int guard = 0; guard < 1000; ++guard) {
    int len = 0;
    const fdt32_t* ip =
        static_cast<const fdt32_t*>(fdt_getprop(blob, node, "interrupt-parent", &len));
    const int next = (ip != nullptr && len == 4) ? fdt_node_offset_by_phandle(blob, fdt32_ld(ip))
                                                 : fdt_parent_offset(blob, node);
    if (next < 0)
      return -1;
    if (fdt_getprop(blob, next, "#interrupt-cells", nullptr) != nullptr)
      return next;
    node = next;
  }
  return -1;
}

std::string LibfdtPath(const void* blob, int node) {
  char buf[1024];
  EXPECT_EQ(fdt_get_path(blob, node, buf, sizeof(buf)), 0);
  return buf;
}

// --- The node-by-node comparison -------------------------------------------

void CompareNode(const void* blob, const fdt::Fdt& dt, int off, int depth) {
  const fdt::Node n{static_cast<uint32_t>(off)};
  const std::string path = LibfdtPath(blob, off);
  SCOPED_TRACE(path);

  // Identity, name, depth, parent, path and path lookup.
  EXPECT_STREQ(dt.Name(n), fdt_get_name(blob, off, nullptr));
  EXPECT_EQ(dt.Depth(n), fdt_node_depth(blob, off));
  EXPECT_EQ(dt.Depth(n), depth);
  const int parent = fdt_parent_offset(blob, off);
  EXPECT_EQ(dt.Parent(n), parent >= 0 ? fdt::Node{static_cast<uint32_t>(parent)} : fdt::Node{});
  char buf[1024];
  size_t len = 0;
  ASSERT_EQ(dt.GetPath(n, buf, sizeof(buf), &len), fdt::Status::kOk);
  EXPECT_EQ(std::string(buf), path);
  EXPECT_EQ(len, path.size());
  EXPECT_EQ(dt.FindNode(path.c_str()).offset,
            static_cast<uint32_t>(fdt_path_offset(blob, path.c_str())));
  EXPECT_EQ(dt.FindNode(path.c_str()), n);
  // A path with unit addresses dropped resolves to libfdt's first match.
  std::string short_path;
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '@') {
      while (i < path.size() && path[i] != '/')
        ++i;
      if (i == path.size())
        break;
    }
    short_path += path[i];
  }
  const int lib_short = fdt_path_offset(blob, short_path.c_str());
  EXPECT_EQ(dt.FindNode(short_path.c_str()).offset,
            lib_short >= 0 ? static_cast<uint32_t>(lib_short) : fdt::kInvalidOffset)
      << short_path;

  // Children.
  std::vector<uint32_t> lib_children, my_children;
  int child;
  fdt_for_each_subnode(child, blob, off) {
    lib_children.push_back(static_cast<uint32_t>(child));
  }
  for (fdt::Node c = dt.FirstChild(n); c.valid(); c = dt.NextSibling(c)) {
    my_children.push_back(c.offset);
  }
  EXPECT_EQ(my_children, lib_children);
  std::vector<uint32_t> range_children;
  for (fdt::Node c : dt.Children(n))
    range_children.push_back(c.offset);
  EXPECT_EQ(range_children, lib_children);

  // Properties: same order, names, lengths, bytes (same addresses even).
  std::vector<fdt::Property> mine;
  for (fdt::Property p = dt.FirstProperty(n); p.valid(); p = dt.NextProperty(p)) {
    mine.push_back(p);
  }
  size_t i = 0;
  int prop;
  fdt_for_each_property_offset(prop, blob, off) {
    const char* name = nullptr;
    int plen = 0;
    const void* data = fdt_getprop_by_offset(blob, prop, &name, &plen);
    ASSERT_NE(data, nullptr);
    ASSERT_LT(i, mine.size()) << "missing property " << name;
    const fdt::Property& p = mine[i++];
    EXPECT_EQ(p.offset, static_cast<uint32_t>(prop));
    EXPECT_STREQ(p.name, name);
    ASSERT_EQ(p.len, static_cast<uint32_t>(plen)) << name;
    EXPECT_EQ(p.data, data) << name;
    EXPECT_EQ(memcmp(p.data, data, plen), 0) << name;
    // Lookup by name finds the same (first) property libfdt finds.
    int flen = 0;
    const void* fdata = fdt_getprop(blob, off, name, &flen);
    const fdt::Property found = dt.FindProperty(n, name);
    EXPECT_EQ(found.data, fdata) << name;
    EXPECT_EQ(found.len, static_cast<uint32_t>(flen)) << name;
    // String lists: libfdt counts only NUL-terminated lists.
    const int lib_count = fdt_stringlist_count(blob, off, name);
    EXPECT_EQ(p.StringCount(), lib_count > 0 ? static_cast<uint32_t>(lib_count) : 0u) << name;
    for (int s = 0; s < lib_count; ++s) {
      const char* mine_s = nullptr;
      ASSERT_TRUE(p.StringAt(static_cast<uint32_t>(s), &mine_s));
      const char* lib_s = fdt_stringlist_get(blob, off, name, s, nullptr);
      EXPECT_EQ(mine_s, lib_s);
      EXPECT_EQ(p.StringIndex(lib_s), fdt_stringlist_search(blob, off, name, lib_s));
    }
  }
  EXPECT_EQ(i, mine.size());
  size_t ranged = 0;
  for (const fdt::Property& p : dt.Properties(n)) {
    ASSERT_LT(ranged, mine.size());
    EXPECT_EQ(p.offset, mine[ranged++].offset);
  }
  EXPECT_EQ(ranged, mine.size());
  EXPECT_FALSE(dt.FindProperty(n, "no-such-property").valid());

  // Phandles.
  const uint32_t ph = fdt_get_phandle(blob, off);
  EXPECT_EQ(dt.Phandle(n), ph);
  if (ph != 0) {
    EXPECT_EQ(dt.FindByPhandle(ph).offset,
              static_cast<uint32_t>(fdt_node_offset_by_phandle(blob, ph)));
  }

  // Compatible strings.
  const int ncompat = fdt_stringlist_count(blob, off, "compatible");
  for (int s = 0; s < ncompat; ++s) {
    const char* c = fdt_stringlist_get(blob, off, "compatible", s, nullptr);
    EXPECT_EQ(fdt_node_check_compatible(blob, off, c), 0);
    EXPECT_TRUE(dt.IsCompatible(n, c));
    EXPECT_EQ(dt.CompatibleIndex(n, c), fdt_stringlist_search(blob, off, "compatible", c));
  }
  EXPECT_FALSE(dt.IsCompatible(n, "mica,never-compatible"));

  // Enabled: status absent, "okay" or "ok".
  const char* status = static_cast<const char*>(fdt_getprop(blob, off, "status", nullptr));
  const bool enabled =
      status == nullptr || strcmp(status, "okay") == 0 || strcmp(status, "ok") == 0;
  EXPECT_EQ(dt.IsEnabled(n), enabled);

  // Cells: libfdt's fdt_address_cells / fdt_size_cells (defaults 2 / 1).
  const int lib_ac = fdt_address_cells(blob, off);
  const int lib_sc = fdt_size_cells(blob, off);
  if (lib_ac >= 0)
    EXPECT_EQ(dt.AddressCells(n), static_cast<uint32_t>(lib_ac));
  if (lib_sc >= 0)
    EXPECT_EQ(dt.SizeCells(n), static_cast<uint32_t>(lib_sc));

  // reg, decoded independently with the parent's cells, and translated.
  int reg_len = 0;
  const fdt32_t* reg = static_cast<const fdt32_t*>(fdt_getprop(blob, off, "reg", &reg_len));
  uint32_t count = 0;
  if (reg == nullptr || parent < 0) {
    EXPECT_NE(dt.RegCount(n, &count), fdt::Status::kOk);
  } else {
    const uint32_t na = RefCells(blob, parent, "#address-cells", 2);
    const uint32_t ns = RefCells(blob, parent, "#size-cells", 1);
    if (na >= 1 && na <= 2 && ns <= 2 && reg_len % (4 * (na + ns)) == 0) {
      ASSERT_EQ(dt.RegCount(n, &count), fdt::Status::kOk);
      ASSERT_EQ(count, static_cast<uint32_t>(reg_len) / (4 * (na + ns)));
      for (uint32_t e = 0; e < count; ++e) {
        const uint64_t ref_addr = RefNumber(reg + e * (na + ns), na);
        const uint64_t ref_size = RefNumber(reg + e * (na + ns) + na, ns);
        uint64_t a = 0, s = 0;
        ASSERT_EQ(dt.Reg(n, e, &a, &s), fdt::Status::kOk);
        EXPECT_EQ(a, ref_addr);
        EXPECT_EQ(s, ref_size);
        const std::optional<uint64_t> ref_cpu = RefTranslate(blob, off, ref_addr);
        uint64_t cpu = 0, cpu_size = 0;
        const fdt::Status st = dt.RegTranslated(n, e, &cpu, &cpu_size);
        if (ref_cpu.has_value()) {
          ASSERT_EQ(st, fdt::Status::kOk) << fdt::StatusString(st) << " entry " << e;
          EXPECT_EQ(cpu, *ref_cpu) << "entry " << e;
          EXPECT_EQ(cpu_size, ref_size);
          uint64_t t = 0;
          EXPECT_EQ(dt.TranslateAddress(n, ref_addr, &t), fdt::Status::kOk);
          EXPECT_EQ(t, *ref_cpu);
        } else {
          EXPECT_NE(st, fdt::Status::kOk) << "entry " << e << " translated to " << cpu;
        }
      }
      EXPECT_EQ(dt.Reg(n, count, nullptr, nullptr), fdt::Status::kOutOfRange);
    }
  }

  // Interrupts (interrupts-extended takes precedence).
  int ilen = 0;
  const fdt32_t* ext =
      static_cast<const fdt32_t*>(fdt_getprop(blob, off, "interrupts-extended", &ilen));
  const fdt32_t* irqs = static_cast<const fdt32_t*>(fdt_getprop(blob, off, "interrupts", &ilen));
  const int ref_parent = RefInterruptParent(blob, off);
  EXPECT_EQ(dt.InterruptParent(n).offset,
            ref_parent >= 0 ? static_cast<uint32_t>(ref_parent) : fdt::kInvalidOffset);
  if (ext == nullptr && irqs != nullptr && ref_parent >= 0) {
    const uint32_t ic = RefCells(blob, ref_parent, "#interrupt-cells", 0);
    ASSERT_GT(ic, 0u);
    uint32_t icount = 0;
    ASSERT_EQ(dt.InterruptCount(n, &icount), fdt::Status::kOk);
    ASSERT_EQ(icount, static_cast<uint32_t>(ilen) / (4 * ic));
    for (uint32_t k = 0; k < icount; ++k) {
      fdt::Interrupt irq;
      ASSERT_EQ(dt.GetInterrupt(n, k, &irq), fdt::Status::kOk);
      EXPECT_EQ(irq.controller.offset, static_cast<uint32_t>(ref_parent));
      ASSERT_EQ(irq.num_cells, ic);
      for (uint32_t c = 0; c < ic; ++c) {
        EXPECT_EQ(irq.cells[c], fdt32_ld(&irqs[k * ic + c]));
      }
    }
  }
}

void CompareBlob(const std::vector<uint8_t>& bytes) {
  ExactBuffer buf(bytes);
  const void* blob = buf.data();
  ASSERT_EQ(fdt_check_header(blob), 0);
  fdt::Fdt dt;
  char msg[200];
  const fdt::Status st = fdt::Init(buf.data(), buf.size(), &dt);
  dt.FormatError(msg, sizeof(msg));
  ASSERT_EQ(st, fdt::Status::kOk) << msg;
  ASSERT_TRUE(dt.valid());

  // Header.
  EXPECT_EQ(dt.total_size(), fdt_totalsize(blob));
  EXPECT_EQ(dt.version(), fdt_version(blob));
  EXPECT_EQ(dt.boot_cpuid_phys(), fdt_boot_cpuid_phys(blob));

  // Memory reservation block.
  ASSERT_EQ(dt.MemReserveCount(), static_cast<uint32_t>(fdt_num_mem_rsv(blob)));
  for (uint32_t i = 0; i < dt.MemReserveCount(); ++i) {
    uint64_t a = 0, s = 0;
    ASSERT_EQ(fdt_get_mem_rsv(blob, static_cast<int>(i), &a, &s), 0);
    fdt::MemReserve r;
    ASSERT_EQ(dt.GetMemReserve(i, &r), fdt::Status::kOk);
    EXPECT_EQ(r.address, a);
    EXPECT_EQ(r.size, s);
  }
  fdt::MemReserve r;
  EXPECT_EQ(dt.GetMemReserve(dt.MemReserveCount(), &r), fdt::Status::kOutOfRange);

  // Depth-first traversal: identical node sequence and depths.
  std::vector<std::pair<uint32_t, int>> lib_nodes, my_nodes, cb_nodes;
  int depth = -1;  // libfdt counts the root as depth 0 from a start of -1
  for (int off = fdt_next_node(blob, -1, &depth); off >= 0 && depth >= 0;
       off = fdt_next_node(blob, off, &depth)) {
    lib_nodes.emplace_back(static_cast<uint32_t>(off), depth);
  }
  depth = 0;
  for (fdt::Node n = dt.Root(); n.valid(); n = dt.NextNode(n, &depth)) {
    my_nodes.emplace_back(n.offset, depth);
  }
  dt.ForEachNode([&](fdt::Node n, int d) {
    cb_nodes.emplace_back(n.offset, d);
    return true;
  });
  ASSERT_EQ(my_nodes, lib_nodes);
  ASSERT_EQ(cb_nodes, lib_nodes);
  EXPECT_EQ(dt.Root().offset, static_cast<uint32_t>(fdt_path_offset(blob, "/")));

  for (const auto& [off, d] : lib_nodes) {
    CompareNode(blob, dt, static_cast<int>(off), d);
  }

  // Aliases.
  const int aliases = fdt_path_offset(blob, "/aliases");
  if (aliases >= 0) {
    int prop;
    fdt_for_each_property_offset(prop, blob, aliases) {
      const char* name = nullptr;
      fdt_getprop_by_offset(blob, prop, &name, nullptr);
      const char* lib_alias = fdt_get_alias(blob, name);
      const char* my_alias = dt.GetAlias(name);
      SCOPED_TRACE(name);
      if (lib_alias == nullptr || lib_alias[0] != '/') {
        EXPECT_EQ(my_alias, nullptr);
        continue;
      }
      EXPECT_EQ(my_alias, lib_alias);
      const int lib_node = fdt_path_offset(blob, name);
      EXPECT_EQ(dt.FindNode(name).offset,
                lib_node >= 0 ? static_cast<uint32_t>(lib_node) : fdt::kInvalidOffset);
    }
  }

  // Compatible search order matches fdt_node_offset_by_compatible.
  std::set<std::string> compats;
  for (const auto& [off, d] : lib_nodes) {
    const int cnt = fdt_stringlist_count(blob, static_cast<int>(off), "compatible");
    for (int s = 0; s < cnt; ++s) {
      compats.insert(fdt_stringlist_get(blob, static_cast<int>(off), "compatible", s, nullptr));
    }
  }
  for (const std::string& c : compats) {
    std::vector<uint32_t> lib_seq, my_seq;
    for (int o = fdt_node_offset_by_compatible(blob, -1, c.c_str()); o >= 0;
         o = fdt_node_offset_by_compatible(blob, o, c.c_str())) {
      lib_seq.push_back(static_cast<uint32_t>(o));
    }
    for (fdt::Node n = dt.FindCompatible(fdt::Node{}, c.c_str()); n.valid();
         n = dt.FindCompatible(n, c.c_str())) {
      my_seq.push_back(n.offset);
    }
    EXPECT_EQ(my_seq, lib_seq) << c;
  }

  // /chosen.
  const int chosen = fdt_path_offset(blob, "/chosen");
  EXPECT_EQ(dt.Chosen().offset, chosen >= 0 ? static_cast<uint32_t>(chosen) : fdt::kInvalidOffset);
  if (chosen >= 0) {
    const char* lib_args = static_cast<const char*>(fdt_getprop(blob, chosen, "bootargs", nullptr));
    const char* my_args = nullptr;
    if (lib_args != nullptr) {
      ASSERT_EQ(dt.Bootargs(&my_args), fdt::Status::kOk);
      EXPECT_EQ(my_args, lib_args);
    } else {
      EXPECT_EQ(dt.Bootargs(&my_args), fdt::Status::kNotFound);
    }
    const char* sp = static_cast<const char*>(fdt_getprop(blob, chosen, "stdout-path", nullptr));
    if (sp != nullptr) {
      fdt::StdoutPath out;
      ASSERT_EQ(dt.GetStdoutPath(&out), fdt::Status::kOk);
      const std::string full = sp;
      const size_t colon = full.find(':');
      EXPECT_EQ(std::string(out.path.data, out.path.size), full.substr(0, colon));
      EXPECT_EQ(std::string(out.options.data, out.options.size),
                colon == std::string::npos ? "" : full.substr(colon + 1));
      const int lib_node =
          fdt_path_offset_namelen(blob, sp, static_cast<int>(full.substr(0, colon).size()));
      EXPECT_EQ(dt.StdoutNode().offset,
                lib_node >= 0 ? static_cast<uint32_t>(lib_node) : fdt::kInvalidOffset);
    }
  }

  // Nothing above may have touched memory outside the blob; also run the
  // generic exerciser (it checks nothing itself, ASan does).
  ExerciseAll(dt);
}

class FixtureTest : public testing::TestWithParam<std::string> {};

TEST_P(FixtureTest, MatchesLibfdt) {
  CompareBlob(ReadFixture(GetParam()));
}

std::vector<std::string> Names() {
  std::vector<std::string> names = FixtureNames();
  if (names.empty()) {
    names.push_back("missing-index.txt");  // makes the failure visible
  }
  return names;
}

std::string ParamName(const testing::TestParamInfo<std::string>& info) {
  std::string s;
  for (char c : info.param) {
    s += isalnum(static_cast<unsigned char>(c)) ? c : '_';
  }
  return s;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, FixtureTest, testing::ValuesIn(Names()), ParamName);

TEST(LibfdtCompare, SampleBlob) {
  CompareBlob(SampleBlob());
}

// The fixture set is complete: every configuration the build was asked for.
TEST(Fixtures, IndexListsEveryConfiguration) {
  const std::vector<std::string> names = FixtureNames();
  const std::set<std::string> set(names.begin(), names.end());
  for (const char* gic : {"2", "3"}) {
    for (const char* smp : {"1", "2", "4", "8"}) {
      for (const char* mem : {"512M", "4G"}) {
        const std::string n = std::string("virt-gicv") + gic + "-smp" + smp + "-" + mem + ".dtb";
        EXPECT_TRUE(set.count(n)) << n;
      }
    }
  }
  for (const char* n :
       {"virt-gicv2-el2.dtb", "virt-gicv3-el2.dtb", "virt-gicv2-el3.dtb", "virt-gicv3-el3-el2.dtb",
        "rpi4-upstream.dtb", "rpi4-firmware.dtb", "raspi4b-qemu.dtb"}) {
    EXPECT_TRUE(set.count(n)) << n;
  }
}

// Facts about the QEMU virt blobs that follow from the command line.
TEST(Fixtures, VirtMatchesItsConfiguration) {
  for (const char* gic : {"2", "3"}) {
    for (int smp : {1, 2, 4, 8}) {
      for (const char* mem : {"512M", "4G"}) {
        const std::string name =
            std::string("virt-gicv") + gic + "-smp" + std::to_string(smp) + "-" + mem + ".dtb";
        SCOPED_TRACE(name);
        ExactBuffer buf(ReadFixture(name));
        fdt::Fdt dt;
        ASSERT_EQ(fdt::Init(buf.data(), buf.size(), &dt), fdt::Status::kOk);
        int cpus = 0;
        const fdt::Node cpus_node = dt.FindNode("/cpus");
        for (fdt::Node c = dt.FirstChild(cpus_node); c.valid(); c = dt.NextSibling(c)) {
          const char* type = nullptr;
          if (dt.GetString(c, "device_type", &type) == fdt::Status::kOk &&
              strcmp(type, "cpu") == 0) {
            ++cpus;
          }
        }
        EXPECT_EQ(cpus, smp);
        uint64_t base = 0, size = 0;
        ASSERT_EQ(dt.RegTranslated(dt.FindNode("/memory"), 0, &base, &size), fdt::Status::kOk);
        EXPECT_EQ(base, 0x40000000u);
        EXPECT_EQ(size, strcmp(mem, "4G") == 0 ? 4ull << 30 : 512ull << 20);
        const char* gic_compat = strcmp(gic, "2") == 0 ? "arm,cortex-a15-gic" : "arm,gic-v3";
        const fdt::Node intc = dt.FindCompatible(fdt::Node{}, gic_compat);
        ASSERT_TRUE(intc.valid());
        const fdt::Node uart = dt.StdoutNode();
        ASSERT_TRUE(uart.valid());
        EXPECT_TRUE(dt.IsCompatible(uart, "arm,pl011"));
        ASSERT_EQ(dt.RegTranslated(uart, 0, &base, &size), fdt::Status::kOk);
        EXPECT_EQ(base, 0x09000000u);
        fdt::Interrupt irq;
        ASSERT_EQ(dt.GetInterrupt(uart, 0, &irq), fdt::Status::kOk);
        EXPECT_EQ(irq.controller, intc);
        ASSERT_EQ(irq.num_cells, 3u);
        EXPECT_EQ(irq.cells[0], 0u);  // SPI
        EXPECT_EQ(irq.cells[1], 1u);  // SPI 1 = GIC INTID 33
      }
    }
  }
}

// The firmware-style Pi 4 blob carries what start4.elf writes.
TEST(Fixtures, Rpi4FirmwareBlob) {
  ExactBuffer buf(ReadFixture("rpi4-firmware.dtb"));
  fdt::Fdt dt;
  ASSERT_EQ(fdt::Init(buf.data(), buf.size(), &dt), fdt::Status::kOk);
  const fdt::Node mem = dt.FindNode("/memory");
  uint32_t count = 0;
  ASSERT_EQ(dt.RegCount(mem, &count), fdt::Status::kOk);
  ASSERT_EQ(count, 4u);
  const uint64_t want[4][2] = {{0x0, 0x3b400000},
                               {0x40000000, 0xbc000000},
                               {0x100000000, 0x80000000},
                               {0x180000000, 0x80000000}};
  for (uint32_t i = 0; i < count; ++i) {
    uint64_t a = 0, s = 0;
    ASSERT_EQ(dt.RegTranslated(mem, i, &a, &s), fdt::Status::kOk);
    EXPECT_EQ(a, want[i][0]);
    EXPECT_EQ(s, want[i][1]);
  }
  ASSERT_EQ(dt.MemReserveCount(), 1u);
  fdt::MemReserve r;
  ASSERT_EQ(dt.GetMemReserve(0, &r), fdt::Status::kOk);
  EXPECT_EQ(r.address, 0u);
  EXPECT_EQ(r.size, 0x1000u);
  const char* args = nullptr;
  ASSERT_EQ(dt.Bootargs(&args), fdt::Status::kOk);
  EXPECT_NE(strstr(args, "console=ttyS0,115200"), nullptr);
  uint64_t start = 0, end = 0;
  ASSERT_EQ(dt.InitrdRange(&start, &end), fdt::Status::kOk);
  EXPECT_EQ(start, 0x2eff2000u);
  EXPECT_EQ(end, 0x2f7c7a43u);
  uint32_t cma_size = 0;
  EXPECT_EQ(dt.GetU32(dt.FindNode("/reserved-memory/linux,cma"), "size", &cma_size),
            fdt::Status::kOk);
  EXPECT_EQ(cma_size, 0x10000000u);
  // The console: stdout-path "serial1:115200n8" -> the mini UART, whose
  // VideoCore bus address 0x7e215040 maps to 0xfe215040 through /soc ranges.
  fdt::StdoutPath sp;
  ASSERT_EQ(dt.GetStdoutPath(&sp), fdt::Status::kOk);
  EXPECT_EQ(std::string(sp.path.data, sp.path.size), "serial1");
  EXPECT_EQ(std::string(sp.options.data, sp.options.size), "115200n8");
  const fdt::Node uart = dt.StdoutNode();
  EXPECT_EQ(uart, dt.FindNode("/soc/serial@7e215040"));
  EXPECT_TRUE(dt.IsCompatible(uart, "brcm,bcm2835-aux-uart"));
  uint64_t base = 0, size = 0;
  ASSERT_EQ(dt.RegTranslated(uart, 0, &base, &size), fdt::Status::kOk);
  EXPECT_EQ(base, 0xfe215040u);
  EXPECT_EQ(size, 0x40u);
  fdt::Interrupt irq;
  ASSERT_EQ(dt.GetInterrupt(uart, 0, &irq), fdt::Status::kOk);
  EXPECT_TRUE(dt.IsCompatible(irq.controller, "arm,gic-400"));
  // The PL011 (serial0) is at 0xfe201000.
  ASSERT_EQ(dt.RegTranslated(dt.FindNode("serial0"), 0, &base, &size), fdt::Status::kOk);
  EXPECT_EQ(base, 0xfe201000u);
}

}  // namespace
}  // namespace fdt_test

#include "devicetree/tests/test_util.h"

#include <stdio.h>
#include <string.h>

#include <fstream>
#include <iterator>
#include <sstream>

#ifndef FDT_NO_GTEST
#include <gtest/gtest.h>
#endif

namespace fdt_test {

ExactBuffer::ExactBuffer(const std::vector<uint8_t>& bytes)
    : ExactBuffer(bytes.data(), bytes.size()) {}

ExactBuffer::ExactBuffer(const uint8_t* data, size_t size)
    : data_(new uint8_t[size == 0 ? 1 : size]), size_(size) {
  if (size > 0) {
    memcpy(data_.get(), data, size);
  }
}

std::vector<uint8_t> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
#ifndef FDT_NO_GTEST
    ADD_FAILURE() << "cannot open " << path;
#endif
    return {};
  }
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

#ifdef FIXTURE_DIR
std::string FixtureDir() {
  return FIXTURE_DIR;
}
#else
std::string FixtureDir() {
  return ".";
}
#endif

std::vector<std::string> FixtureNames() {
  std::ifstream in(FixtureDir() + "/index.txt");
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) {
      names.push_back(line);
    }
  }
  return names;
}

std::vector<uint8_t> ReadFixture(const std::string& name) {
  return ReadFile(FixtureDir() + "/" + name);
}

namespace {

uint64_t Mix(uint64_t h, uint64_t v) {
  return (h ^ v) * 0x100000001b3ull;
}

uint64_t HashStr(const char* s) {
  uint64_t h = 0;
  if (s != nullptr) {
    for (; *s != '\0'; ++s) {
      h = Mix(h, static_cast<uint8_t>(*s));
    }
  }
  return h;
}

uint64_t ExerciseProperty(const fdt::Property& p) {
  uint64_t h = HashStr(p.name) + p.len;
  for (uint32_t i = 0; i < p.len; ++i) {
    h = Mix(h, p.data[i]);
  }
  uint32_t v32 = 0;
  uint64_t v64 = 0;
  for (uint32_t i = 0; i <= p.CellCount() + 1; ++i) {
    if (p.ReadU32(i, &v32))
      h = Mix(h, v32);
    if (p.ReadU64(i, &v64))
      h = Mix(h, v64);
    for (uint32_t n = 0; n <= 3; ++n) {
      if (p.ReadCells(i, n, &v64))
        h = Mix(h, v64);
    }
  }
  const char* s = nullptr;
  if (p.GetString(&s))
    h = Mix(h, HashStr(s));
  const uint32_t count = p.StringCount();
  for (uint32_t i = 0; i <= count; ++i) {
    if (p.StringAt(i, &s)) {
      h = Mix(h, HashStr(s));
      h = Mix(h, static_cast<uint64_t>(p.StringIndex(s)));
    }
  }
  for (const char* str : fdt::StringList(p)) {
    h = Mix(h, HashStr(str));
  }
  return h;
}

// The accessors that cost O(1) or O(node) per call.
uint64_t ExerciseNodeCheap(const fdt::Fdt& dt, fdt::Node n) {
  uint64_t h = n.offset;
  h = Mix(h, HashStr(dt.Name(n)));
  h = Mix(h, dt.FirstChild(n).offset);
  int depth = 0;
  h = Mix(h, dt.NextNode(n, &depth).offset);
  for (fdt::Property p = dt.FirstProperty(n); p.valid(); p = dt.NextProperty(p)) {
    h = Mix(h, ExerciseProperty(p));
    h = Mix(h, dt.FindProperty(n, p.name).offset);
  }
  h = Mix(h, dt.IsEnabled(n));
  h = Mix(h, static_cast<uint64_t>(dt.CompatibleIndex(n, "arm,pl011")));
  h = Mix(h, dt.AddressCells(n));
  h = Mix(h, dt.SizeCells(n));
  uint32_t ic = 0;
  h = Mix(h, static_cast<uint64_t>(dt.InterruptCells(n, &ic)));
  uint32_t u32 = 0;
  uint64_t u64 = 0;
  const char* s = nullptr;
  h = Mix(h, static_cast<uint64_t>(dt.GetU32(n, "reg", &u32)));
  h = Mix(h, static_cast<uint64_t>(dt.GetU64(n, "reg", &u64)));
  h = Mix(h, static_cast<uint64_t>(dt.GetString(n, "compatible", &s)));
  return h;
}

// The accessors that walk the structure block (O(size) per call or more).
uint64_t ExerciseNodeDeep(const fdt::Fdt& dt, fdt::Node n) {
  uint64_t h = n.offset;
  h = Mix(h, static_cast<uint64_t>(dt.Depth(n)));
  h = Mix(h, dt.Parent(n).offset);
  h = Mix(h, dt.NextSibling(n).offset);
  char path[512];
  size_t len = 0;
  h = Mix(h, static_cast<uint64_t>(dt.GetPath(n, path, sizeof(path), &len)));
  h = Mix(h, len);
  char tiny[3];
  h = Mix(h, static_cast<uint64_t>(dt.GetPath(n, tiny, sizeof(tiny))));
  if (dt.GetPath(n, path, sizeof(path)) == fdt::Status::kOk) {
    h = Mix(h, dt.FindNode(path).offset);
  }
  const char* name = dt.Name(n);
  if (name != nullptr) {
    h = Mix(h, dt.FindChild(dt.Parent(n), name).offset);
    h = Mix(h, dt.GetAlias(name) != nullptr);
    h = Mix(h, dt.FindNode(name).offset);
  }
  for (fdt::Property p = dt.FirstProperty(n); p.valid(); p = dt.NextProperty(p)) {
    const char* str = nullptr;
    if (p.GetString(&str)) {
      h = Mix(h, dt.FindNode(str).offset);
      h = Mix(h, dt.IsCompatible(n, str));
      h = Mix(h, dt.FindCompatible(fdt::Node{}, str).offset);
    }
  }
  const uint32_t ph = dt.Phandle(n);
  h = Mix(h, dt.FindByPhandle(ph).offset);
  uint32_t count = 0;
  if (dt.RegCount(n, &count) == fdt::Status::kOk) {
    h = Mix(h, count);
  }
  for (uint32_t i = 0; i <= (count < 64 ? count : 64); ++i) {
    uint64_t addr = 0, size = 0, cpu = 0;
    h = Mix(h, static_cast<uint64_t>(dt.Reg(n, i, &addr, &size)));
    h = Mix(h, static_cast<uint64_t>(dt.RegTranslated(n, i, &cpu, &size)));
    h = Mix(h, static_cast<uint64_t>(dt.TranslateAddress(n, addr, &cpu)));
  }
  const uint32_t cells[4] = {0x02000000, 0, 0x1000, 0};
  uint64_t out = 0;
  for (uint32_t nc = 0; nc <= 4; ++nc) {
    h = Mix(h, static_cast<uint64_t>(dt.TranslateCells(n, cells, nc, &out)));
  }
  h = Mix(h, dt.InterruptParent(n).offset);
  uint32_t irqs = 0;
  if (dt.InterruptCount(n, &irqs) != fdt::Status::kOk) {
    irqs = 0;
  }
  for (uint32_t i = 0; i <= (irqs < 64 ? irqs : 64); ++i) {
    fdt::Interrupt irq;
    h = Mix(h, static_cast<uint64_t>(dt.GetInterrupt(n, i, &irq)));
    h = Mix(h, irq.controller.offset + irq.num_cells);
  }
  return h;
}

uint64_t ExerciseNode(const fdt::Fdt& dt, fdt::Node n) {
  return Mix(ExerciseNodeCheap(dt, n), ExerciseNodeDeep(dt, n));
}

uint64_t ExerciseGlobals(const fdt::Fdt& dt) {
  uint64_t h = dt.total_size() + dt.version() + dt.boot_cpuid_phys();
  char msg[160];
  h = Mix(h, dt.FormatError(msg, sizeof(msg)));
  h = Mix(h, dt.FormatError(msg, 0));
  for (uint32_t i = 0; i <= dt.MemReserveCount(); ++i) {
    fdt::MemReserve r;
    if (dt.GetMemReserve(i, &r) == fdt::Status::kOk) {
      h = Mix(h, r.address + r.size);
    }
  }
  const char* s = nullptr;
  if (dt.Bootargs(&s) == fdt::Status::kOk)
    h = Mix(h, HashStr(s));
  fdt::StdoutPath sp;
  if (dt.GetStdoutPath(&sp) == fdt::Status::kOk) {
    h = Mix(h, sp.path.size + sp.options.size);
    for (size_t i = 0; i < sp.path.size; ++i)
      h = Mix(h, sp.path.data[i]);
    for (size_t i = 0; i < sp.options.size; ++i)
      h = Mix(h, sp.options.data[i]);
  }
  h = Mix(h, dt.StdoutNode().offset);
  h = Mix(h, dt.Chosen().offset);
  uint64_t a = 0, b = 0;
  h = Mix(h, static_cast<uint64_t>(dt.InitrdRange(&a, &b)));
  for (const char* path : {"/", "//", "/chosen", "/aliases", "serial0", "serial0/x", "/cpus/cpu@0",
                           "/cpus/cpu", "/soc/serial", "/memory", "nosuchalias", "/a/b/c/d/", ""}) {
    h = Mix(h, dt.FindNode(path).offset);
  }
  for (uint32_t ph : {0u, 1u, 2u, 3u, 0x8000u, 0xffffffffu}) {
    h = Mix(h, dt.FindByPhandle(ph).offset);
  }
  return h;
}

}  // namespace

uint64_t ExerciseAll(const fdt::Fdt& dt, uint32_t deep_nodes) {
  uint64_t h = ExerciseGlobals(dt);
  // Spread the expensive checks evenly over the tree.
  uint32_t count = 0;
  dt.ForEachNode([&](fdt::Node, int) {
    ++count;
    return true;
  });
  const uint32_t stride = deep_nodes == 0 ? UINT32_MAX : (count + deep_nodes - 1) / deep_nodes;
  uint32_t index = 0;
  int depth = 0;
  for (fdt::Node n = dt.Root(); n.valid(); n = dt.NextNode(n, &depth)) {
    h = Mix(h, ExerciseNodeCheap(dt, n));
    if (stride <= 1 || index % stride == 0) {
      h = Mix(h, ExerciseNodeDeep(dt, n));
    }
    h = Mix(h, static_cast<uint64_t>(depth));
    ++index;
  }
  return h;
}

uint64_t ExerciseForgedHandles(const fdt::Fdt& dt, uint32_t struct_size) {
  uint64_t h = 0;
  for (uint64_t off = 0; off <= struct_size + 16ull; ++off) {
    const fdt::Node n{static_cast<uint32_t>(off)};
    h = Mix(h, ExerciseNode(dt, n));
    fdt::Property p;
    p.offset = static_cast<uint32_t>(off);
    h = Mix(h, dt.NextProperty(p).offset);
  }
  for (uint32_t off : {0x7fffffffu, 0xfffffffcu, 0xfffffff0u, 0xfffffffeu}) {
    h = Mix(h, ExerciseNode(dt, fdt::Node{off}));
    fdt::Property p;
    p.offset = off;
    h = Mix(h, dt.NextProperty(p).offset);
  }
  return h;
}

}  // namespace fdt_test

// dt-resources: prints what the driver manager would grant each enabled node
// of a DTB (host tool, for board bring-up and driver debugging):
//
//   out/host/dt-resources out/fixtures/dtb/virt-gicv3-smp2-512M.dtb
//
// One block per enabled node with a `compatible`: its path, compatibles,
// MMIO grants (page range and the registers' offset in it), interrupts, and
// the other nodes whose grants share a page with it; or the error that
// would keep it from starting.
#include <stdio.h>
#include <stdlib.h>

#include <string>
#include <vector>

#include "system/core/driver_manager/lib/resources.h"

namespace {

struct Entry {
  std::string path;
  dm::NodeResources res;
};

bool ReadAll(const char* file, std::vector<uint8_t>* out) {
  FILE* f = fopen(file, "rb");
  if (f == nullptr) {
    return false;
  }
  uint8_t buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
    out->insert(out->end(), buf, buf + n);
  }
  fclose(f);
  return true;
}

void PrintNode(const fdt::Fdt& dt, fdt::Node node, const Entry& e, const std::vector<Entry>& all) {
  printf("%s\n  compatible:", e.path.c_str());
  const dm::CompatibleList compat(dt, node);
  for (uint32_t i = 0; i < compat.count(); ++i) {
    printf(" \"%s\"", compat.at(i));
  }
  printf("\n");
  for (uint32_t i = 0; i < e.res.mmio_count; ++i) {
    const dm::MmioRange& r = e.res.mmio[i];
    printf("  mmio[%u]: 0x%llx+0x%llx -> pages 0x%llx+0x%llx, offset 0x%llx\n", i,
           (unsigned long long)r.phys, (unsigned long long)r.size, (unsigned long long)r.page_base,
           (unsigned long long)r.page_size, (unsigned long long)r.offset);
    for (const Entry& other : all) {
      for (uint32_t j = 0; &other != &e && j < other.res.mmio_count; ++j) {
        if (dm::SharesPage(r, other.res.mmio[j])) {
          printf("    shares a page with %s mmio[%u]\n", other.path.c_str(), j);
        }
      }
    }
  }
  for (uint32_t i = 0; i < e.res.interrupt_count; ++i) {
    char text[dm::kMaxPath + 64];
    dm::FormatInterrupt(dt, e.res.interrupts[i], text, sizeof(text));
    printf("  interrupt[%u]: %s\n", i, text);
  }
  for (uint32_t i = 0; i < e.res.gpio_count; ++i) {
    char text[2 * dm::kMaxPath + 64];
    dm::FormatGpio(dt, e.res.gpios[i], text, sizeof(text));
    printf("  gpio[%u]: %s\n", i, text);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s FILE.dtb\n", argv[0]);
    return 2;
  }
  std::vector<uint8_t> blob;
  if (!ReadAll(argv[1], &blob)) {
    fprintf(stderr, "%s: cannot read\n", argv[1]);
    return 1;
  }
  fdt::Fdt dt;
  if (fdt::Init(blob.data(), blob.size(), &dt) != fdt::Status::kOk) {
    char msg[160];
    dt.FormatError(msg, sizeof(msg));
    fprintf(stderr, "%s: %s\n", argv[1], msg);
    return 1;
  }
  std::vector<Entry> all;
  std::vector<fdt::Node> nodes;
  int errors = 0;
  dm::ForEachEnabledNode(dt, [&](fdt::Node node, int) {
    if (dm::CompatibleList(dt, node).count() == 0) {
      return true;
    }
    Entry e;
    char path[dm::kMaxPath];
    dm::Error err;
    if (dm::NodePath(dt, node, path, sizeof(path), &err) != dm::Status::kOk) {
      printf("error: %s\n", err.message);
      ++errors;
      return true;
    }
    e.path = path;
    if (dm::ResolveResources(dt, node, &e.res, &err) != dm::Status::kOk) {
      printf("error: %s\n", err.message);
      ++errors;
      return true;
    }
    all.push_back(e);
    nodes.push_back(node);
    return true;
  });
  for (size_t i = 0; i < all.size(); ++i) {
    PrintNode(dt, nodes[i], all[i], all);
  }
  printf("%zu nodes resolved, %d with errors\n", all.size(), errors);
  return 0;
}

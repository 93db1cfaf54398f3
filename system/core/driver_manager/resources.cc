// See resources.h.
#include "system/core/driver_manager/resources.h"

#include <mica/driver/start.h>
#include <mica/driver/status_name.h>
#include <mica/rt/bootstrap.h>
#include <mica/syscalls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

namespace driver_manager {
namespace {

using mica::driver::IrqSpec;
using mica::driver::RegRange;

bool IsGic(const fdt::Fdt& dt, fdt::Node controller) {
  static const char* const kGics[] = {"arm,gic-400", "arm,cortex-a15-gic", "arm,cortex-a9-gic",
                                      "arm,gic-v3"};
  for (const char* c : kGics) {
    if (dt.IsCompatible(controller, c)) {
      return true;
    }
  }
  return false;
}

// GIC binding: <type number flags>; SPIs are INTIDs 32.., PPIs 16..31.
bool DecodeGic(const fdt::Interrupt& irq, IrqSpec* out) {
  if (irq.num_cells < 3) {
    return false;
  }
  uint32_t type = irq.cells[0], number = irq.cells[1], flags = irq.cells[2] & 0xf;
  if (type == 0 && number < 988) {
    out->vector = 32 + number;
  } else if (type == 1 && number < 16) {
    out->vector = 16 + number;
  } else {
    return false;
  }
  out->flags = 0;
  if (flags & 3) {
    out->flags |= MICA_INTERRUPT_EDGE;
  }
  if (flags & (2 | 8)) {
    out->flags |= MICA_INTERRUPT_ACTIVE_LOW;
  }
  return true;
}

uint64_t PageDown(uint64_t a) {
  return a & ~uint64_t{MICA_PAGE_SIZE - 1};
}

uint64_t PageUp(uint64_t a) {
  return (a + MICA_PAGE_SIZE - 1) & ~uint64_t{MICA_PAGE_SIZE - 1};
}

}  // namespace

bool ResolveNode(const fdt::Fdt& dt, fdt::Node node, Grant* out, char* why, size_t size) {
  *out = Grant();
  uint32_t n = 0;
  if (dt.RegCount(node, &n) == fdt::Status::kOk) {
    if (n > mica::driver::kNodeInfoMaxRegs) {
      snprintf(why, size, "%u reg ranges (at most %u)", n, mica::driver::kNodeInfoMaxRegs);
      return false;
    }
    for (uint32_t i = 0; i < n; i++) {
      RegRange& r = out->regs[i];
      fdt::Status s = dt.RegTranslated(node, i, &r.paddr, &r.size);
      if (s != fdt::Status::kOk || r.size == 0 || r.paddr + r.size < r.paddr) {
        snprintf(why, size, "reg %u: %s", i, fdt::StatusString(s));
        return false;
      }
    }
    out->reg_count = n;
  }
  if (dt.InterruptCount(node, &n) == fdt::Status::kOk) {
    if (n > mica::driver::kNodeInfoMaxIrqs) {
      snprintf(why, size, "%u interrupts (at most %u)", n, mica::driver::kNodeInfoMaxIrqs);
      return false;
    }
    for (uint32_t i = 0; i < n; i++) {
      fdt::Interrupt irq;
      if (dt.GetInterrupt(node, i, &irq) != fdt::Status::kOk || !IsGic(dt, irq.controller) ||
          !DecodeGic(irq, &out->irqs[i])) {
        snprintf(why, size, "interrupt %u is not a GIC SPI or PPI", i);
        return false;
      }
    }
    out->irq_count = n;
  }
  return true;
}

mica_status_t MakeNodeVmo(const fdt::Fdt& dt, const Node& node, const Grant& grant,
                          mica::Handle* out) {
  uint32_t cap = mica::driver::kNodeInfoMaxSize;
  auto* buf = static_cast<uint8_t*>(malloc(cap));
  if (buf == nullptr) {
    return MICA_ERR_NO_MEMORY;
  }
  mica::driver::NodeInfoWriter w(buf, cap);
  w.SetPath(node.path);
  for (uint32_t i = 0; i < grant.reg_count; i++) {
    w.AddReg(grant.regs[i]);
  }
  for (uint32_t i = 0; i < grant.irq_count; i++) {
    w.AddIrq(grant.irqs[i]);
  }
  if (node.dt.valid()) {
    for (const fdt::Property& p : dt.Properties(node.dt)) {
      w.AddProperty(p.name, p.data, p.len);
    }
  } else {
    mica::driver::NodeInfo added;
    if (added.Parse(node.added, node.added_size)) {
      for (uint32_t i = 0; i < added.property_count(); i++) {
        mica::driver::NodeProperty p;
        added.PropertyAt(i, &p);
        w.AddProperty(p.name, p.value, p.size);
      }
    }
  }
  uint32_t size = w.Finish();
  mica_status_t s = size == 0 ? MICA_ERR_OUT_OF_RANGE : MICA_OK;
  mica::Handle vmo;
  if (s == MICA_OK) {
    s = mica_vmo_create(size, 0, vmo.reset_and_get_address());
  }
  if (s == MICA_OK) {
    s = mica_vmo_write(vmo.get(), buf, 0, size);
  }
  free(buf);
  if (s == MICA_OK) {
    s = vmo.replace(MICA_RIGHTS_BASIC | MICA_RIGHT_READ | MICA_RIGHT_MAP | MICA_RIGHT_GET_PROPERTY,
                    out);
  }
  return s;
}

bool MakeResourceHandles(mica_handle_t root, const Grant& grant, mica_handle_t* handles,
                         uint32_t* info, uint32_t* count, char* why, size_t size) {
  uint32_t start = *count;
  mica_status_t s = MICA_OK;
  const char* what = "";
  for (uint32_t i = 0; i < grant.reg_count && s == MICA_OK; i++) {
    uint64_t base = PageDown(grant.regs[i].paddr);
    uint64_t len = PageUp(grant.regs[i].paddr + grant.regs[i].size) - base;
    mica_handle_t vmo = MICA_HANDLE_INVALID, rsrc = MICA_HANDLE_INVALID, h = MICA_HANDLE_INVALID;
    what = "vmo_create_physical";
    s = mica_vmo_create_physical(root, base, len, &vmo);
    if (s == MICA_OK) {
      what = "handle_replace";
      s = mica_handle_replace(
          vmo, MICA_RIGHTS_BASIC | MICA_RIGHTS_IO | MICA_RIGHT_MAP | MICA_RIGHT_GET_PROPERTY, &h);
    }
    if (s == MICA_OK) {
      handles[*count] = h;
      info[(*count)++] = MICA_BOOTSTRAP_HANDLE_INFO(MICA_DRIVER_HANDLE_MMIO, i);
      what = "resource_create";
      s = mica_resource_create(root, MICA_RSRC_KIND_MMIO, base, len, "driver", 6, &rsrc);
    }
    if (s == MICA_OK) {
      // Keep MANAGE_RESOURCE (vmo_create_contiguous needs it); the resource
      // covers only the node's own pages.
      handles[*count] = rsrc;
      info[(*count)++] = MICA_BOOTSTRAP_HANDLE_INFO(MICA_DRIVER_HANDLE_DMA, i);
    }
  }
  for (uint32_t i = 0; i < grant.irq_count && s == MICA_OK; i++) {
    mica_handle_t irq = MICA_HANDLE_INVALID;
    what = "interrupt_create";
    s = mica_interrupt_create(root, grant.irqs[i].vector, grant.irqs[i].flags, &irq);
    if (s == MICA_OK) {
      handles[*count] = irq;
      info[(*count)++] = MICA_BOOTSTRAP_HANDLE_INFO(MICA_DRIVER_HANDLE_IRQ, i);
    }
  }
  if (s != MICA_OK) {
    snprintf(why, size, "%s: %s", what, mica::driver::StatusName(s));
    mica_handle_close_many(handles + start, *count - start);
    *count = start;
    return false;
  }
  return true;
}

}  // namespace driver_manager

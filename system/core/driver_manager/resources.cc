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
bool ResolveNode(const fdt::Fdt& dt, fdt::Node node, dm::NodeResources* out, char* why,
                 size_t size) {
  dm::Error err;
  if (dm::ResolveResources(dt, node, out, &err) != dm::Status::kOk) {
    snprintf(why, size, "%s", err.message);
    return false;
  }
  if (out->mmio_count > mica::driver::kNodeInfoMaxRegs ||
      out->interrupt_count > mica::driver::kNodeInfoMaxIrqs) {
    snprintf(why, size, "%u reg ranges and %u interrupts (at most %u and %u)", out->mmio_count,
             out->interrupt_count, mica::driver::kNodeInfoMaxRegs, mica::driver::kNodeInfoMaxIrqs);
    return false;
  }
  for (uint32_t i = 0; i < out->interrupt_count; i++) {
    if (out->interrupts[i].kind != dm::IrqKind::kGic) {
      char what[96];
      dm::FormatInterrupt(dt, out->interrupts[i], what, sizeof(what));
      snprintf(why, size, "interrupt %u is not granted: %s", i, what);
      return false;
    }
  }
  return true;
}

namespace {

uint32_t Align4(uint32_t n) {
  return (n + 3) & ~3u;
}

// A devicetree node's configuration subnodes: children without a
// `compatible` (gpio-keys' keys, a controller's hogs), which no driver
// binds on their own. Their properties travel in the parent's description
// as "<subnode>/<property>" ('/' is not allowed in a property name, DT spec
// v0.4 §2.2.4.1), when all of them fit after the node's own (`used` bytes,
// `count` properties); otherwise none do.
void AddSubnodeProperties(const fdt::Fdt& dt, fdt::Node node, uint32_t used, uint32_t count,
                          mica::driver::NodeInfoWriter* w) {
  uint32_t bytes = used;
  for (fdt::Node child : dt.Children(node)) {
    if (dt.FindProperty(child, "compatible").valid()) {
      continue;
    }
    uint32_t prefix = static_cast<uint32_t>(strlen(dt.Name(child))) + 1;
    for (const fdt::Property& p : dt.Properties(child)) {
      bytes += 8 + Align4(prefix + static_cast<uint32_t>(strlen(p.name)) + 1) + Align4(p.len);
      count++;
    }
  }
  if (count > mica::driver::kNodeInfoMaxProps || bytes > mica::driver::kNodeInfoMaxSize) {
    return;
  }
  for (fdt::Node child : dt.Children(node)) {
    if (dt.FindProperty(child, "compatible").valid()) {
      continue;
    }
    for (const fdt::Property& p : dt.Properties(child)) {
      char name[160];
      int n = snprintf(name, sizeof(name), "%s/%s", dt.Name(child), p.name);
      if (n > 0 && static_cast<size_t>(n) < sizeof(name)) {
        w->AddProperty(name, p.data, p.len);
      }
    }
  }
}

}  // namespace

mica_status_t MakeNodeVmo(const fdt::Fdt& dt, const Node& node, const dm::NodeResources& res,
                          mica::Handle* out) {
  uint32_t cap = mica::driver::kNodeInfoMaxSize;
  auto* buf = static_cast<uint8_t*>(malloc(cap));
  if (buf == nullptr) {
    return MICA_ERR_NO_MEMORY;
  }
  mica::driver::NodeInfoWriter w(buf, cap);
  w.SetPath(node.path);
  for (uint32_t i = 0; i < res.mmio_count; i++) {
    w.AddReg({res.mmio[i].phys, res.mmio[i].size});
  }
  for (uint32_t i = 0; i < res.interrupt_count; i++) {
    w.AddIrq({res.interrupts[i].intid, res.interrupts[i].options});
  }
  if (node.dt.valid()) {
    uint32_t used = 64 + Align4(static_cast<uint32_t>(strlen(node.path)) + 1) +
                    res.mmio_count * 16 + res.interrupt_count * 8;
    uint32_t count = 0;
    for (const fdt::Property& p : dt.Properties(node.dt)) {
      w.AddProperty(p.name, p.data, p.len);
      used += 8 + Align4(static_cast<uint32_t>(strlen(p.name)) + 1) + Align4(p.len);
      count++;
    }
    AddSubnodeProperties(dt, node.dt, used, count, &w);
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

bool MakeResourceHandles(mica_handle_t root, const dm::NodeResources& res, mica_handle_t* handles,
                         uint32_t* info, uint32_t* count, char* why, size_t size) {
  uint32_t start = *count;
  mica_status_t s = MICA_OK;
  const char* what = "";
  for (uint32_t i = 0; i < res.mmio_count && s == MICA_OK; i++) {
    uint64_t base = res.mmio[i].page_base;
    uint64_t len = res.mmio[i].page_size;
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
  for (uint32_t i = 0; i < res.interrupt_count && s == MICA_OK; i++) {
    mica_handle_t irq = MICA_HANDLE_INVALID;
    what = "interrupt_create";
    s = mica_interrupt_create(root, res.interrupts[i].intid, res.interrupts[i].options, &irq);
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

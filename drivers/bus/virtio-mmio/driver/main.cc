// bin/virtio-mmio-driver: the virtio-mmio transport driver (virtio 1.2
// §4.2.2, legacy and modern). Bound to each "virtio,mmio" node; it maps the
// node's window, checks the magic and version and reads the device ID
// (§4.2.2.1: MagicValue, Version, DeviceID), and then:
// - device ID 0 (an empty slot; QEMU virt has 32 and fills them from the
//   highest address down): the process ends with MICA_DRIVER_EXIT_NO_DEVICE
//   and the manager lists the node as unbound, no restart;
// - any other ID: it hands its whole node (registers, DMA resource,
//   interrupt) to a child node `device` with compatible
//   "virtio,device<ID>", "virtio,device" and `virtio,device-id = <ID>`, so
//   the device driver is bound by device ID, never by address; after the
//   hand-over this process holds nothing of the device and only stays for
//   its child (children end with their parent).
// Both versions: the transport's Probe accepts Version 1 (legacy, QEMU's
// default) and 2 (modern, -global virtio-mmio.force-legacy=false).
#include <mica/driver/driver.h>
#include <stdio.h>

#include "drivers/bus/virtio-mmio/transport.h"

namespace {

mica_status_t Bind(mica::driver::Context& dev) {
  mica::driver::MmioRegion regs;
  MICA_TRY(dev.MapMmio(0, &regs));
  mica::virtio::MmioTransport transport(regs);
  if (transport.Probe() != mica::virtio::Status::kOk) {
    printf("%s: %s: no virtio-mmio magic or an unknown version\n", dev.name(), dev.node_path());
    return MICA_ERR_NOT_SUPPORTED;
  }
  const uint32_t id = transport.device_id();
  if (id == 0) {
    dev.NoDevice();
  }
  char compatible[40];
  int len = snprintf(compatible, sizeof(compatible), "virtio,device%u%cvirtio,device", id, '\0');
  const uint8_t id_cell[4] = {static_cast<uint8_t>(id >> 24), static_cast<uint8_t>(id >> 16),
                              static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id)};
  const mica::driver::NodeProperty props[] = {
      {"compatible", reinterpret_cast<const uint8_t*>(compatible), static_cast<uint32_t>(len + 1)},
      {"virtio,device-id", id_cell, sizeof(id_cell)},
  };
  printf("%s: %s: virtio device %u, version %u\n", dev.name(), dev.node_path(), id,
         transport.version());
  return dev.AddChildWithResources("device", props, 2);
}

}  // namespace

MICA_DRIVER_MAIN(Bind)

// The start contract between the driver manager and a driver process
// (docs/drivers.md, "What a driver gets"). Stable: drivers built out of
// tree rely on it. A driver normally reads it through the runtime
// (<mica/driver/driver.h>), not by hand.
//
// A driver starts with the ordinary process bootstrap message
// (docs/process-bootstrap.md): the runtime's handles (kinds 1-5: its debug
// log, root VMAR, process, first thread, and its own job as default job)
// and, in this order:
//   MICA_DRIVER_HANDLE_MANAGER  arg 0   a channel on which the manager
//                                       serves the IDL Manager protocol
//                                       (system/idl/driver.idl)
//   MICA_DRIVER_HANDLE_DRIVER   arg 0   a channel on which the driver serves
//                                       the IDL Driver protocol (Ping ...)
//   MICA_DRIVER_HANDLE_NODE     arg 0   a read-only VMO holding the node
//                                       description (node_info.h): path,
//                                       reg ranges, interrupts, properties
//   MICA_DRIVER_HANDLE_MMIO     arg i   a physical VMO over reg range i,
//                                       page-rounded (READ, WRITE, MAP,
//                                       no EXECUTE); the range's offset
//                                       in its first page is in the node
//                                       description
//   MICA_DRIVER_HANDLE_DMA      arg i   an MMIO resource over exactly the
//                                       pages of reg range i: enough for
//                                       vmo_create_contiguous (DMA buffers
//                                       no larger than the range, per call)
//                                       and for nothing outside the range
//   MICA_DRIVER_HANDLE_BTI      arg 0   the node's BTI (bus transaction
//                                       initiator, for bti_pin): made at the
//                                       node's first start and kept across
//                                       restarts, so PMTs a dead instance
//                                       left quarantined are still on it;
//                                       reset the device, then call
//                                       bti_release_quarantine
//                                       (docs/drivers.md, "DMA")
//   MICA_DRIVER_HANDLE_IRQ      arg j   an interrupt object for interrupt j
//                                       (GIC INTID and trigger from the
//                                       node's `interrupts`)
//   MICA_DRIVER_HANDLE_SYSTEM   arg c   a SYSTEM resource covering system
//                                       capability c (MICA_RSRC_SYSTEM_*),
//                                       only if the manifest asks for it
//                                       (`grant console`) and the node
//                                       qualifies (the console: the node
//                                       /chosen/stdout-path names)
//   MICA_DRIVER_HANDLE_POWER    arg 0   only if the manifest says `grant
//                                       power`: a channel on which the
//                                       manager serves the IDL Power
//                                       protocol (system/idl/power.idl)
// and argv = { <binary path>, <node path>, <driver name>, <start count>,
// <manifest arguments>... } where the start count is 0 on the first start
// and counts restarts after it. Nothing else: no root resource, no bootfs,
// no DTB.
#pragma once

#include <stdint.h>

#define MICA_DRIVER_HANDLE_MANAGER ((uint32_t)0x200)
#define MICA_DRIVER_HANDLE_NODE ((uint32_t)0x201)
#define MICA_DRIVER_HANDLE_MMIO ((uint32_t)0x202)
#define MICA_DRIVER_HANDLE_DMA ((uint32_t)0x203)
#define MICA_DRIVER_HANDLE_IRQ ((uint32_t)0x204)
#define MICA_DRIVER_HANDLE_DRIVER ((uint32_t)0x205)
#define MICA_DRIVER_HANDLE_SYSTEM ((uint32_t)0x206)
#define MICA_DRIVER_HANDLE_POWER ((uint32_t)0x207)
#define MICA_DRIVER_HANDLE_BTI ((uint32_t)0x208)

// The exit status of a driver that found no device behind its node (an
// empty virtio-mmio slot): the manager records the node as unbound with
// the reason "no device" and does not restart it (docs/drivers.md,
// "Empty slots"). Context::NoDevice() exits with it.
#define MICA_DRIVER_EXIT_NO_DEVICE 0x6e6f6465

// The property a child node carries (empty value) when its parent hands it
// the parent's own node resources (Context::AddChildWithResources).
#define MICA_DRIVER_PROP_PARENT_RESOURCES "mica,parent-resources"

// argv positions.
#define MICA_DRIVER_ARGV_NODE_PATH 1
#define MICA_DRIVER_ARGV_NAME 2
#define MICA_DRIVER_ARGV_START_COUNT 3
#define MICA_DRIVER_ARGV_FIRST_ARG 4

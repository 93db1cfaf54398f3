// The bootstrap message: what a process finds on its bootstrap channel.
//
// A process starts with one channel handle in x0 (system/ulib/README.md,
// "Entry ABI"). Its creator writes one message on the other end before
// starting it: this header, then the argument and environment strings, with
// the handles the process gets attached to the message, each described by a
// mica_bootstrap_handle_info_t. The runtime reads the message in crt0 before
// main() runs (system/ulib/c/bootstrap.c). docs/process-bootstrap.md is the
// full description.
//
// Layout (all integers little-endian, offsets from the start of the
// message, every offset 4-byte aligned, everything inside the message):
//
//   mica_bootstrap_header_t
//   uint32_t handle_info[handle_count]      at handle_info_offset
//   char args[args_size]                    at args_offset: argc strings,
//                                           each NUL-terminated
//   char environ[environ_size]              at environ_offset: environc
//                                           "NAME=value" strings, each
//                                           NUL-terminated
#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// "MBS1" as a little-endian uint32_t.
#define MICA_BOOTSTRAP_MAGIC ((uint32_t)0x3153424du)
#define MICA_BOOTSTRAP_VERSION ((uint32_t)1)

// The most argument strings, and the most environment strings, a message
// may carry.
#define MICA_BOOTSTRAP_MAX_STRINGS ((uint32_t)4096)

typedef struct mica_bootstrap_header {
  uint32_t magic;               // MICA_BOOTSTRAP_MAGIC
  uint32_t version;             // MICA_BOOTSTRAP_VERSION
  uint32_t handle_info_offset;  // array of handle_count uint32_t
  uint32_t handle_count;        // must equal the handles in the message
  uint32_t args_offset;
  uint32_t args_size;  // bytes of the argc strings, NULs included
  uint32_t argc;
  uint32_t environ_offset;
  uint32_t environ_size;
  uint32_t environc;
} mica_bootstrap_header_t;

// A handle's info word: its kind in the low 16 bits, an argument (an index
// for kinds that may repeat) in the high 16 bits.
#define MICA_BOOTSTRAP_HANDLE_INFO(kind, arg) \
  ((uint32_t)(((uint32_t)(arg)&0xffffu) << 16 | ((uint32_t)(kind)&0xffffu)))
#define MICA_BOOTSTRAP_HANDLE_KIND(info) ((uint32_t)(info)&0xffffu)
#define MICA_BOOTSTRAP_HANDLE_ARG(info) ((uint32_t)(info) >> 16)

// Handle kinds.
// The process itself (thread_create needs it).
#define MICA_BOOTSTRAP_PROC_SELF ((uint32_t)1)
// The process's root VMAR (malloc and thread stacks map into it).
#define MICA_BOOTSTRAP_VMAR_ROOT ((uint32_t)2)
// The job new child processes go into.
#define MICA_BOOTSTRAP_JOB_DEFAULT ((uint32_t)3)
// A debug log handle: stdout and stderr write to it.
#define MICA_BOOTSTRAP_DEBUGLOG ((uint32_t)4)
// The first thread.
#define MICA_BOOTSTRAP_THREAD_SELF ((uint32_t)5)
// Kinds 1-5 are the runtime's own (mica_rt_process_self() ...); every other
// kind is kept for mica_rt_take_startup_handle().
//
// System handles the kernel gives userboot, which passes them on to the
// program it starts (docs/process-bootstrap.md):
// The bootfs image, read-only (a VMO without MICA_RIGHT_WRITE).
#define MICA_BOOTSTRAP_VMO_BOOTFS ((uint32_t)0x10)
// The devicetree blob the kernel booted with, read-only.
#define MICA_BOOTSTRAP_VMO_DTB ((uint32_t)0x11)
// The root resource: hardware access (every MMIO range and interrupt).
#define MICA_BOOTSTRAP_ROOT_RESOURCE ((uint32_t)0x12)
// Component handles the component manager gives each component
// (docs/components.md, "Runtime"; system/idl/component.idl):
// A channel speaking component.Namespace: Open("/svc/<name>", channel).
#define MICA_BOOTSTRAP_SVC ((uint32_t)0x20)
// A channel on which the manager sends component.Outgoing.Connect for each
// client of a capability the component provides.
#define MICA_BOOTSTRAP_OUTGOING ((uint32_t)0x21)
// A channel on which the manager sends component.Lifecycle.Stop.
#define MICA_BOOTSTRAP_LIFECYCLE ((uint32_t)0x22)
// A log.Sink channel (system/idl/log.idl) for the logging API
// (<mica/log/log.h>, docs/logging.md), attached to the program's identity.
#define MICA_BOOTSTRAP_LOG_SINK ((uint32_t)0x28)
// Kinds from here up are for the program itself.
#define MICA_BOOTSTRAP_USER0 ((uint32_t)0x100)

#ifdef __cplusplus
}
#endif

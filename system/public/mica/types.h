// Mica ABI types and constants shared by the kernel, user space and host
// tools (docs/syscalls.md). Freestanding C11 and C++: only <stdint.h> and
// <stddef.h>. Every struct has a fixed layout on LP64 (AArch64 and the host),
// checked by the MICA_ABI_ASSERTs at the end of each section.
//
// gen_syscalls.py reads the `// meaning` line directly above each
// MICA_RIGHT_*, MICA_SIGNAL_* and MICA_OBJ_TYPE_* #define into the tables of
// docs/syscalls.md, so keep that layout.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <mica/status.h>

#ifdef __cplusplus
#define MICA_ABI_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define MICA_ABI_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

MICA_ABI_ASSERT(sizeof(void*) == 8, "the Mica ABI is LP64");

// ---- Scalar types ---------------------------------------------------------

// A process-local name for a kernel object plus the rights it grants.
typedef uint32_t mica_handle_t;
// A set of MICA_RIGHT_* bits.
typedef uint32_t mica_rights_t;
// A set of MICA_SIGNAL_* bits.
typedef uint32_t mica_signals_t;
// Nanoseconds. Deadlines are absolute values of the monotonic clock.
typedef int64_t mica_time_t;
// Nanoseconds between two mica_time_t values.
typedef int64_t mica_duration_t;
// A kernel object id: unique for the life of the system, never reused.
typedef uint64_t mica_koid_t;
// A user virtual address.
typedef uint64_t mica_vaddr_t;
// A physical address.
typedef uint64_t mica_paddr_t;
// One of the MICA_OBJ_TYPE_* values.
typedef uint32_t mica_obj_type_t;
// A futex word: futex_wait compares it, futex_wake wakes its waiters.
typedef int32_t mica_futex_t;
// A channel transaction id: the first 4 bytes of a channel_call message.
typedef uint32_t mica_txid_t;

// No handle. Never a valid handle value.
#define MICA_HANDLE_INVALID ((mica_handle_t)0)
// No kernel object has this id.
#define MICA_KOID_INVALID ((mica_koid_t)0)
// A deadline that never passes.
#define MICA_TIME_INFINITE ((mica_time_t)INT64_MAX)
// A deadline in the past: wait calls only poll.
#define MICA_TIME_INFINITE_PAST ((mica_time_t)INT64_MIN)

// The size of a page of virtual memory (4 KiB granule, DESIGN.md §4).
#define MICA_PAGE_SIZE ((size_t)4096)
// The longest object name, including the terminating NUL.
#define MICA_MAX_NAME_LEN ((size_t)32)

// ---- Rights ---------------------------------------------------------------

// No rights.
#define MICA_RIGHT_NONE ((mica_rights_t)0)
// handle_duplicate may copy the handle.
#define MICA_RIGHT_DUPLICATE ((mica_rights_t)1u << 0)
// The handle may be sent over a channel or given to a new process.
#define MICA_RIGHT_TRANSFER ((mica_rights_t)1u << 1)
// Read data or state: channel_read, vmo_read, port_wait, debuglog_read.
#define MICA_RIGHT_READ ((mica_rights_t)1u << 2)
// Write data or state: channel_write, vmo_write, port_queue, timer_set.
#define MICA_RIGHT_WRITE ((mica_rights_t)1u << 3)
// Map the memory executable.
#define MICA_RIGHT_EXECUTE ((mica_rights_t)1u << 4)
// Map a VMO into a VMAR, or map into a VMAR.
#define MICA_RIGHT_MAP ((mica_rights_t)1u << 5)
// object_get_property.
#define MICA_RIGHT_GET_PROPERTY ((mica_rights_t)1u << 6)
// object_set_property.
#define MICA_RIGHT_SET_PROPERTY ((mica_rights_t)1u << 7)
// List the children of a job or the threads of a process.
#define MICA_RIGHT_ENUMERATE ((mica_rights_t)1u << 8)
// Kill a task or destroy a VMAR.
#define MICA_RIGHT_DESTROY ((mica_rights_t)1u << 9)
// object_signal: set and clear the object's user signals.
#define MICA_RIGHT_SIGNAL ((mica_rights_t)1u << 10)
// object_signal_peer: set and clear the peer's user signals.
#define MICA_RIGHT_SIGNAL_PEER ((mica_rights_t)1u << 11)
// Wait on the object's signals, synchronously or through a port.
#define MICA_RIGHT_WAIT ((mica_rights_t)1u << 12)
// object_get_info beyond the handle's own basic information.
#define MICA_RIGHT_INSPECT ((mica_rights_t)1u << 13)
// Create child jobs of a job.
#define MICA_RIGHT_MANAGE_JOB ((mica_rights_t)1u << 14)
// Create and start processes in a job, or start a process.
#define MICA_RIGHT_MANAGE_PROCESS ((mica_rights_t)1u << 15)
// Create and start threads in a process, or start a thread.
#define MICA_RIGHT_MANAGE_THREAD ((mica_rights_t)1u << 16)
// Carve sub-resources, physical VMOs and interrupts out of a resource.
#define MICA_RIGHT_MANAGE_RESOURCE ((mica_rights_t)1u << 17)
// handle_duplicate/handle_replace: keep exactly the rights of the original.
#define MICA_RIGHT_SAME_RIGHTS ((mica_rights_t)1u << 31)

// Rights almost every object's handles carry.
#define MICA_RIGHTS_BASIC \
  (MICA_RIGHT_DUPLICATE | MICA_RIGHT_TRANSFER | MICA_RIGHT_WAIT | MICA_RIGHT_INSPECT)
// Reading and writing.
#define MICA_RIGHTS_IO (MICA_RIGHT_READ | MICA_RIGHT_WRITE)
// Getting and setting properties.
#define MICA_RIGHTS_PROPERTY (MICA_RIGHT_GET_PROPERTY | MICA_RIGHT_SET_PROPERTY)
// Every defined right (MICA_RIGHT_SAME_RIGHTS is a request, not a right).
#define MICA_RIGHTS_ALL ((mica_rights_t)0x0003ffffu)

// The rights of the handle(s) a create call returns, per object type.
// Channels cannot be duplicated: each endpoint has exactly one owner.
#define MICA_DEFAULT_CHANNEL_RIGHTS                                              \
  (MICA_RIGHT_TRANSFER | MICA_RIGHT_WAIT | MICA_RIGHT_INSPECT | MICA_RIGHTS_IO | \
   MICA_RIGHTS_PROPERTY | MICA_RIGHT_SIGNAL | MICA_RIGHT_SIGNAL_PEER)
#define MICA_DEFAULT_PORT_RIGHTS (MICA_RIGHTS_BASIC | MICA_RIGHTS_IO)
#define MICA_DEFAULT_EVENT_RIGHTS (MICA_RIGHTS_BASIC | MICA_RIGHTS_PROPERTY | MICA_RIGHT_SIGNAL)
#define MICA_DEFAULT_EVENTPAIR_RIGHTS (MICA_DEFAULT_EVENT_RIGHTS | MICA_RIGHT_SIGNAL_PEER)
#define MICA_DEFAULT_TIMER_RIGHTS \
  (MICA_RIGHTS_BASIC | MICA_RIGHTS_PROPERTY | MICA_RIGHT_WRITE | MICA_RIGHT_SIGNAL)
#define MICA_DEFAULT_PROCESS_RIGHTS                                                   \
  (MICA_RIGHTS_BASIC | MICA_RIGHTS_IO | MICA_RIGHTS_PROPERTY | MICA_RIGHT_ENUMERATE | \
   MICA_RIGHT_DESTROY | MICA_RIGHT_SIGNAL | MICA_RIGHT_MANAGE_PROCESS | MICA_RIGHT_MANAGE_THREAD)
#define MICA_DEFAULT_THREAD_RIGHTS                                                  \
  (MICA_RIGHTS_BASIC | MICA_RIGHTS_IO | MICA_RIGHTS_PROPERTY | MICA_RIGHT_DESTROY | \
   MICA_RIGHT_SIGNAL | MICA_RIGHT_MANAGE_THREAD)
#define MICA_DEFAULT_JOB_RIGHTS                                                                 \
  (MICA_RIGHTS_BASIC | MICA_RIGHTS_IO | MICA_RIGHTS_PROPERTY | MICA_RIGHT_ENUMERATE |           \
   MICA_RIGHT_DESTROY | MICA_RIGHT_SIGNAL | MICA_RIGHT_MANAGE_JOB | MICA_RIGHT_MANAGE_PROCESS | \
   MICA_RIGHT_MANAGE_THREAD)
#define MICA_DEFAULT_VMO_RIGHTS                                                     \
  (MICA_RIGHTS_BASIC | MICA_RIGHTS_IO | MICA_RIGHTS_PROPERTY | MICA_RIGHT_EXECUTE | \
   MICA_RIGHT_MAP | MICA_RIGHT_SIGNAL)
// A VMAR's READ/WRITE/EXECUTE rights follow its MICA_VM_CAN_MAP_* options.
#define MICA_DEFAULT_VMAR_RIGHTS \
  (MICA_RIGHTS_BASIC | MICA_RIGHTS_IO | MICA_RIGHT_EXECUTE | MICA_RIGHT_MAP | MICA_RIGHT_DESTROY)
// READ only when created with MICA_LOG_FLAG_READABLE.
#define MICA_DEFAULT_DEBUGLOG_RIGHTS (MICA_RIGHTS_BASIC | MICA_RIGHTS_IO | MICA_RIGHT_SIGNAL)
#define MICA_DEFAULT_INTERRUPT_RIGHTS (MICA_RIGHTS_BASIC | MICA_RIGHTS_IO | MICA_RIGHT_SIGNAL)
#define MICA_DEFAULT_RESOURCE_RIGHTS \
  (MICA_RIGHT_DUPLICATE | MICA_RIGHT_TRANSFER | MICA_RIGHT_INSPECT | MICA_RIGHT_MANAGE_RESOURCE)
// A BTI: MAP to pin, WRITE to release its quarantine.
#define MICA_DEFAULT_BTI_RIGHTS \
  (MICA_RIGHTS_BASIC | MICA_RIGHTS_IO | MICA_RIGHT_MAP | MICA_RIGHT_GET_PROPERTY)
// A PMT can be inspected and unpinned, never duplicated or sent: its one
// handle belongs to the process that pinned.
#define MICA_DEFAULT_PMT_RIGHTS (MICA_RIGHT_INSPECT)

// ---- Signals --------------------------------------------------------------

// No signal.
#define MICA_SIGNAL_NONE ((mica_signals_t)0)
// Data can be read: a channel or port has a message or packet queued.
#define MICA_SIGNAL_READABLE ((mica_signals_t)1u << 0)
// Data can be written: a channel's peer has room in its queue.
#define MICA_SIGNAL_WRITABLE ((mica_signals_t)1u << 1)
// The other end of a channel or event pair was closed.
#define MICA_SIGNAL_PEER_CLOSED ((mica_signals_t)1u << 2)
// An event, event pair or timer is signaled.
#define MICA_SIGNAL_SIGNALED ((mica_signals_t)1u << 3)
// A process, thread or job has terminated.
#define MICA_SIGNAL_TERMINATED ((mica_signals_t)1u << 4)
// User signal 0: set and cleared only by object_signal/object_signal_peer.
#define MICA_SIGNAL_USER0 ((mica_signals_t)1u << 24)
// User signal 1.
#define MICA_SIGNAL_USER1 ((mica_signals_t)1u << 25)
// User signal 2.
#define MICA_SIGNAL_USER2 ((mica_signals_t)1u << 26)
// User signal 3.
#define MICA_SIGNAL_USER3 ((mica_signals_t)1u << 27)
// User signal 4.
#define MICA_SIGNAL_USER4 ((mica_signals_t)1u << 28)
// User signal 5.
#define MICA_SIGNAL_USER5 ((mica_signals_t)1u << 29)
// User signal 6.
#define MICA_SIGNAL_USER6 ((mica_signals_t)1u << 30)
// User signal 7.
#define MICA_SIGNAL_USER7 ((mica_signals_t)1u << 31)
// All user signals.
#define MICA_SIGNAL_USER_ALL ((mica_signals_t)0xff000000u)

// Per-object names for the signals each object type raises.
#define MICA_CHANNEL_READABLE MICA_SIGNAL_READABLE
#define MICA_CHANNEL_WRITABLE MICA_SIGNAL_WRITABLE
#define MICA_CHANNEL_PEER_CLOSED MICA_SIGNAL_PEER_CLOSED
#define MICA_PORT_READABLE MICA_SIGNAL_READABLE
#define MICA_EVENT_SIGNALED MICA_SIGNAL_SIGNALED
#define MICA_EVENTPAIR_SIGNALED MICA_SIGNAL_SIGNALED
#define MICA_EVENTPAIR_PEER_CLOSED MICA_SIGNAL_PEER_CLOSED
#define MICA_TIMER_SIGNALED MICA_SIGNAL_SIGNALED
#define MICA_TASK_TERMINATED MICA_SIGNAL_TERMINATED
#define MICA_PROCESS_TERMINATED MICA_SIGNAL_TERMINATED
#define MICA_THREAD_TERMINATED MICA_SIGNAL_TERMINATED
#define MICA_JOB_TERMINATED MICA_SIGNAL_TERMINATED
#define MICA_LOG_READABLE MICA_SIGNAL_READABLE

// ---- Object types ---------------------------------------------------------

// No object (never the type of a live handle).
#define MICA_OBJ_TYPE_NONE ((mica_obj_type_t)0)
// A process: an address space, a handle table and threads.
#define MICA_OBJ_TYPE_PROCESS ((mica_obj_type_t)1)
// A thread of execution in a process.
#define MICA_OBJ_TYPE_THREAD ((mica_obj_type_t)2)
// A node in the tree of jobs that owns processes.
#define MICA_OBJ_TYPE_JOB ((mica_obj_type_t)3)
// A virtual memory object: a set of pages.
#define MICA_OBJ_TYPE_VMO ((mica_obj_type_t)4)
// A virtual memory address region of a process's address space.
#define MICA_OBJ_TYPE_VMAR ((mica_obj_type_t)5)
// One endpoint of a bidirectional message channel.
#define MICA_OBJ_TYPE_CHANNEL ((mica_obj_type_t)6)
// A queue of packets: signal, user, interrupt and timer notifications.
#define MICA_OBJ_TYPE_PORT ((mica_obj_type_t)7)
// An object with only a signal word.
#define MICA_OBJ_TYPE_EVENT ((mica_obj_type_t)8)
// One of two events that can signal each other.
#define MICA_OBJ_TYPE_EVENTPAIR ((mica_obj_type_t)9)
// A one-shot timer on the monotonic clock.
#define MICA_OBJ_TYPE_TIMER ((mica_obj_type_t)10)
// A handle to the kernel's debug log.
#define MICA_OBJ_TYPE_DEBUGLOG ((mica_obj_type_t)11)
// A hardware interrupt routed to user space.
#define MICA_OBJ_TYPE_INTERRUPT ((mica_obj_type_t)12)
// A right over physical ranges: the root resource, MMIO and IRQ ranges.
#define MICA_OBJ_TYPE_RESOURCE ((mica_obj_type_t)13)
// A bus transaction initiator: the DMA identity of one device.
#define MICA_OBJ_TYPE_BTI ((mica_obj_type_t)14)
// A pinned memory token: pages of a VMO pinned for a device's DMA.
#define MICA_OBJ_TYPE_PMT ((mica_obj_type_t)15)
// One more than the largest object type.
#define MICA_OBJ_TYPE_COUNT 16

// ---- Channels -------------------------------------------------------------

// The largest message: bytes and handles.
#define MICA_CHANNEL_MAX_MSG_BYTES ((uint32_t)65536)
#define MICA_CHANNEL_MAX_MSG_HANDLES ((uint32_t)64)
// A write fails with MICA_ERR_SHOULD_WAIT while the peer's queue holds this
// many unread messages (and the writer's endpoint is not WRITABLE).
#define MICA_CHANNEL_MAX_QUEUED_MSGS ((uint32_t)256)
// Transaction ids the kernel picks for channel_call have this bit set; ids
// chosen by user space for asynchronous protocols must have it clear.
#define MICA_TXID_KERNEL_BIT ((mica_txid_t)0x80000000u)

// The two messages of a channel_call.
typedef struct mica_channel_call_args {
  const void* wr_bytes;             // request bytes; the first 4 are the txid
  const mica_handle_t* wr_handles;  // handles to send (consumed)
  void* rd_bytes;                   // reply buffer
  mica_handle_t* rd_handles;        // reply handle buffer
  uint32_t wr_num_bytes;            // request size, 4..MICA_CHANNEL_MAX_MSG_BYTES
  uint32_t wr_num_handles;          // 0..MICA_CHANNEL_MAX_MSG_HANDLES
  uint32_t rd_num_bytes;            // capacity of rd_bytes
  uint32_t rd_num_handles;          // capacity of rd_handles
} mica_channel_call_args_t;
MICA_ABI_ASSERT(sizeof(mica_channel_call_args_t) == 48, "channel call args");

// channel_write_read option: only wait and read; nothing is written (a
// server's first call, before it has a reply to send).
#define MICA_CHANNEL_WRITE_READ_NO_WRITE ((uint32_t)1u)

// ---- Waiting and ports ----------------------------------------------------

// One entry of object_wait_many.
typedef struct mica_wait_item {
  mica_handle_t handle;    // in: the handle to wait on
  mica_signals_t waitfor;  // in: the signals that end the wait
  mica_signals_t pending;  // out: the object's signals when the wait ended
  uint32_t reserved;       // must be 0
} mica_wait_item_t;
MICA_ABI_ASSERT(sizeof(mica_wait_item_t) == 16, "wait item");

// The most items object_wait_many accepts.
#define MICA_WAIT_MANY_MAX_ITEMS ((size_t)64)

// object_wait_async option: the registration stays after it fires and is
// edge-triggered: its packet is queued when one of its signals rises (and at
// once if one is asserted when it registers), at most one at a time; an edge
// while that packet is still queued updates it in place (signal.count counts
// the edges, signal.observed the word at the latest edge).
#define MICA_WAIT_ASYNC_REPEATING ((uint32_t)1u)
// object_wait_async option, with MICA_WAIT_ASYNC_REPEATING, on a channel
// handle with MICA_RIGHT_READ and `signals` including
// MICA_CHANNEL_READABLE: port_reply_wait, when it takes this
// registration's packet, also reads the channel's next message into its
// buffers (the packet's type is then MICA_PKT_TYPE_MESSAGE). port_wait
// returns the packet as a plain signal packet.
#define MICA_WAIT_ASYNC_READ ((uint32_t)2u)

// A port_queue fails with MICA_ERR_SHOULD_WAIT while the port holds this
// many user packets.
#define MICA_PORT_MAX_USER_PACKETS ((uint32_t)1024)

// Packet types (mica_port_packet_t.type).
// Queued by port_queue.
#define MICA_PKT_TYPE_USER ((uint32_t)0)
// Queued when an object_wait_async wait is satisfied.
#define MICA_PKT_TYPE_SIGNAL ((uint32_t)1)
// Queued when an interrupt bound with interrupt_bind fires.
#define MICA_PKT_TYPE_INTERRUPT ((uint32_t)2)
// Queued when a timer bound with timer_bind fires.
#define MICA_PKT_TYPE_TIMER ((uint32_t)3)
// Returned by port_reply_wait for a MICA_WAIT_ASYNC_READ registration's
// packet when it read the channel's next message: the `signal` member as
// for MICA_PKT_TYPE_SIGNAL, with `signal.observed` the channel's signals
// just after the read (MICA_CHANNEL_READABLE: more messages are queued,
// and no new packet comes for them until the queue has been emptied).
#define MICA_PKT_TYPE_MESSAGE ((uint32_t)4)

// object_wait_async: which signals triggered and what the object had.
typedef struct mica_packet_signal {
  mica_signals_t trigger;   // the signals the wait asked for
  mica_signals_t observed;  // the object's signals when the packet was queued
  uint64_t count;           // 1; a repeating wait: the edges since it was queued
  mica_time_t timestamp;    // monotonic time the signals asserted
  uint64_t reserved[3];
} mica_packet_signal_t;

// port_queue: 48 bytes of the sender's choosing.
typedef union mica_packet_user {
  uint64_t u64[6];
  uint32_t u32[12];
  uint8_t u8[48];
} mica_packet_user_t;

// interrupt_bind: the interrupt fired.
typedef struct mica_packet_interrupt {
  mica_time_t timestamp;  // monotonic time the kernel took the interrupt
  uint64_t reserved[5];
} mica_packet_interrupt_t;

// timer_bind: the timer fired.
typedef struct mica_packet_timer {
  mica_time_t deadline;  // the deadline the timer was set to
  mica_time_t fired;     // monotonic time the kernel fired it
  uint64_t reserved[4];
} mica_packet_timer_t;

// A port packet: 64 bytes, one cache line.
typedef struct mica_port_packet {
  uint64_t key;          // the key given to wait_async/port_queue/*_bind
  uint32_t type;         // MICA_PKT_TYPE_*
  mica_status_t status;  // MICA_OK, or why the source went away
  union {
    mica_packet_signal_t signal;
    mica_packet_user_t user;
    mica_packet_interrupt_t interrupt;
    mica_packet_timer_t timer;
  };
} mica_port_packet_t;
MICA_ABI_ASSERT(sizeof(mica_packet_signal_t) == 48, "signal packet");
MICA_ABI_ASSERT(sizeof(mica_packet_user_t) == 48, "user packet");
MICA_ABI_ASSERT(sizeof(mica_packet_interrupt_t) == 48, "interrupt packet");
MICA_ABI_ASSERT(sizeof(mica_packet_timer_t) == 48, "timer packet");
MICA_ABI_ASSERT(sizeof(mica_port_packet_t) == 64, "port packet");

// ---- Virtual memory -------------------------------------------------------

// vmo_create options.
// The VMO may be resized with vmo_set_size.
#define MICA_VMO_RESIZABLE ((uint32_t)1u << 0)
// vmo_create_child options.
// Copy-on-write: the child sees the parent's pages until either writes.
#define MICA_VMO_CHILD_COPY_ON_WRITE ((uint32_t)1u << 0)
// The child may be resized with vmo_set_size.
#define MICA_VMO_CHILD_RESIZABLE ((uint32_t)1u << 1)

// vmar_allocate / vmar_map / vmar_protect options.
#define MICA_VM_PERM_READ ((uint32_t)1u << 0)
#define MICA_VM_PERM_WRITE ((uint32_t)1u << 1)
#define MICA_VM_PERM_EXECUTE ((uint32_t)1u << 2)
// Place at `offset` in the VMAR instead of a random address.
#define MICA_VM_SPECIFIC ((uint32_t)1u << 3)
// Like MICA_VM_SPECIFIC, replacing existing mappings in the range.
#define MICA_VM_SPECIFIC_OVERWRITE ((uint32_t)1u << 4)
// The new VMAR may hold readable / writable / executable mappings.
#define MICA_VM_CAN_MAP_READ ((uint32_t)1u << 5)
#define MICA_VM_CAN_MAP_WRITE ((uint32_t)1u << 6)
#define MICA_VM_CAN_MAP_EXECUTE ((uint32_t)1u << 7)
// The new VMAR accepts MICA_VM_SPECIFIC placements.
#define MICA_VM_CAN_MAP_SPECIFIC ((uint32_t)1u << 8)
// vmar_map: commit and map every page now instead of on first touch.
#define MICA_VM_MAP_RANGE ((uint32_t)1u << 9)

// Cache policies (vmo_set_cache_policy, mica_info_vmo_t.cache_policy).
// Normal write-back cacheable memory (the default).
#define MICA_CACHE_POLICY_CACHED ((uint32_t)0)
// Normal non-cacheable memory.
#define MICA_CACHE_POLICY_UNCACHED ((uint32_t)1)
// Device-nGnRE: device registers.
#define MICA_CACHE_POLICY_UNCACHED_DEVICE ((uint32_t)2)
// Normal non-cacheable, gathering writes (frame buffers).
#define MICA_CACHE_POLICY_WRITE_COMBINING ((uint32_t)3)

// vmo_op_range operations (the values of Zircon's ZX_VMO_OP_CACHE_*).
// Cleans the data cache to the point of unification and invalidates the
// instruction cache (code written through a mapping, then executed).
#define MICA_VMO_OP_CACHE_SYNC ((uint32_t)6)
// Invalidates the data cache (after a device wrote the memory). Executed as
// clean and invalidate: dirty lines are written back, never discarded.
#define MICA_VMO_OP_CACHE_INVALIDATE ((uint32_t)7)
// Cleans the data cache to the point of coherency (before a device reads).
#define MICA_VMO_OP_CACHE_CLEAN ((uint32_t)8)
// Cleans and invalidates the data cache to the point of coherency.
#define MICA_VMO_OP_CACHE_CLEAN_INVALIDATE ((uint32_t)9)
// Frees the committed pages of a page-aligned range of an anonymous VMO
// (they read as zeros again). MICA_ERR_BAD_STATE if one is pinned.
#define MICA_VMO_OP_DECOMMIT ((uint32_t)2)

// ---- DMA: BTIs and PMTs ----------------------------------------------------

// bti_pin options. The device reads the pages (the VMO handle needs
// MICA_RIGHT_READ) / writes them (MICA_RIGHT_WRITE); at least one.
#define MICA_BTI_PERM_READ ((uint32_t)1u << 0)
#define MICA_BTI_PERM_WRITE ((uint32_t)1u << 1)
// One device address for the whole range (the VMO must be contiguous).
#define MICA_BTI_CONTIGUOUS ((uint32_t)1u << 4)
// The most pages one bti_pin pins (16 MiB): the work of a call is bounded.
#define MICA_BTI_MAX_PIN_PAGES ((uint64_t)4096)
// What one BTI may hold at once, its PMTs with a handle and its quarantined
// ones together (a PMT can be quarantined at any time, so the quarantine is
// bounded only if both are): bti_pin fails with MICA_ERR_NO_RESOURCES
// past either, until a pmt_unpin or bti_release_quarantine.
#define MICA_BTI_MAX_PAGES ((uint64_t)16384)
#define MICA_BTI_MAX_PMTS ((uint32_t)1024)

// ---- Properties -----------------------------------------------------------

// char[MICA_MAX_NAME_LEN]: the object's name (any object type).
#define MICA_PROP_NAME ((uint32_t)1)
// int32_t: a thread's priority, MICA_PRIORITY_LOWEST..MICA_PRIORITY_HIGHEST.
#define MICA_PROP_THREAD_PRIORITY ((uint32_t)2)
// uint32_t, 0 or 1: allocation fault injection for a thread's system calls
// (threads). Only with kernel.failalloc= on the kernel command line
// (docs/kernel.md "Allocation failure"); without it, setting the property
// fails with MICA_ERR_NOT_SUPPORTED.
#define MICA_PROP_THREAD_FAIL_ALLOC ((uint32_t)3)
// uint64_t: the most kernel memory, in bytes, that a job and everything in
// it and below it may use (jobs; docs/kernel.md "Job memory limits"), or
// MICA_JOB_MEMORY_UNLIMITED. The first limit may only be set while the job
// is empty (no process, no child job); from inside the job a limit may be
// lowered but not raised.
#define MICA_PROP_JOB_MEMORY_LIMIT ((uint32_t)4)
#define MICA_JOB_MEMORY_UNLIMITED (~(uint64_t)0)

#define MICA_PRIORITY_LOWEST 0
#define MICA_PRIORITY_DEFAULT 16
#define MICA_PRIORITY_HIGHEST 31

// ---- Other object options ------------------------------------------------

// debuglog_create: the handle may also read the log.
#define MICA_LOG_FLAG_READABLE ((uint32_t)1u << 0)
// debuglog_create: the log takes the console over (with READABLE; needs
// the root resource or a SYSTEM resource covering MICA_RSRC_SYSTEM_CONSOLE):
// while it exists the kernel does not write its log to the console UART.
#define MICA_LOG_FLAG_CONSOLE ((uint32_t)1u << 1)

// debuglog_read: the record's data is its console line, the bytes the
// kernel writes to the UART for it (timestamp, writer, text, newline), up to
// the buffer's size (a console driver prints exactly what the kernel would).
#define MICA_LOG_READ_LINE ((uint32_t)1u << 0)

// The largest debuglog_write payload and the layout debuglog_read returns.
#define MICA_LOG_MAX_DATA ((size_t)224)
typedef struct mica_log_record {
  uint64_t sequence;      // increases by one per record; gaps mean drops
  mica_time_t timestamp;  // monotonic time of the write
  mica_koid_t pid;        // writer's process koid (0: the kernel)
  mica_koid_t tid;        // writer's thread koid (0: the kernel)
  uint16_t data_size;     // valid bytes in data
  uint16_t flags;         // reserved, 0
  uint32_t reserved;
  char data[MICA_LOG_MAX_DATA];
} mica_log_record_t;
MICA_ABI_ASSERT(sizeof(mica_log_record_t) == 264, "log record");

// resource_create kinds (the options argument).
// The root resource: everything (only the kernel creates it).
#define MICA_RSRC_KIND_ROOT ((uint32_t)0)
// A physical address range for vmo_create_physical.
#define MICA_RSRC_KIND_MMIO ((uint32_t)1)
// A range of interrupt numbers for interrupt_create.
#define MICA_RSRC_KIND_IRQ ((uint32_t)2)
// A range of system capabilities (the MICA_RSRC_SYSTEM_* numbers below);
// only the root resource can create one.
#define MICA_RSRC_KIND_SYSTEM ((uint32_t)3)

// System capabilities: the base (and base + size) of a SYSTEM resource.
// system_power.
#define MICA_RSRC_SYSTEM_POWER ((uint64_t)0)
// debuglog_create with MICA_LOG_FLAG_CONSOLE: taking the console over.
#define MICA_RSRC_SYSTEM_CONSOLE ((uint64_t)1)
// One past the last capability: a SYSTEM range ends at or before it.
#define MICA_RSRC_SYSTEM_COUNT ((uint64_t)2)

// system_power actions.
// PSCI SYSTEM_OFF: the machine powers off (QEMU exits).
#define MICA_SYSTEM_POWER_OFF ((uint32_t)1)
// PSCI SYSTEM_RESET: the machine reboots.
#define MICA_SYSTEM_POWER_REBOOT ((uint32_t)2)

// interrupt_create options.
// Edge-triggered (otherwise level-triggered).
#define MICA_INTERRUPT_EDGE ((uint32_t)1u << 0)
// Active-low / falling-edge (otherwise active-high / rising-edge).
#define MICA_INTERRUPT_ACTIVE_LOW ((uint32_t)1u << 1)

// ---- object_get_info topics -----------------------------------------------

// No buffer: MICA_OK if the handle is valid.
#define MICA_INFO_HANDLE_VALID ((uint32_t)1)
// mica_info_handle_basic_t.
#define MICA_INFO_HANDLE_BASIC ((uint32_t)2)
// mica_info_handle_count_t.
#define MICA_INFO_HANDLE_COUNT ((uint32_t)3)
// mica_info_process_t.
#define MICA_INFO_PROCESS ((uint32_t)4)
// mica_info_thread_t.
#define MICA_INFO_THREAD ((uint32_t)5)
// mica_info_task_stats_t (a process).
#define MICA_INFO_TASK_STATS ((uint32_t)6)
// mica_info_task_runtime_t (a thread, process or job).
#define MICA_INFO_TASK_RUNTIME ((uint32_t)7)
// mica_koid_t[]: the child jobs of a job.
#define MICA_INFO_JOB_CHILDREN ((uint32_t)8)
// mica_koid_t[]: the processes of a job.
#define MICA_INFO_JOB_PROCESSES ((uint32_t)9)
// mica_koid_t[]: the threads of a process.
#define MICA_INFO_PROCESS_THREADS ((uint32_t)10)
// mica_info_process_handle_stats_t.
#define MICA_INFO_PROCESS_HANDLE_STATS ((uint32_t)11)
// mica_info_vmo_t.
#define MICA_INFO_VMO ((uint32_t)12)
// mica_info_vmar_t.
#define MICA_INFO_VMAR ((uint32_t)13)
// mica_info_kmem_stats_t (needs the root resource).
#define MICA_INFO_KMEM_STATS ((uint32_t)14)
// mica_info_fail_alloc_t (needs the root resource).
#define MICA_INFO_FAIL_ALLOC ((uint32_t)15)
// mica_info_job_memory_t (a job).
#define MICA_INFO_JOB_MEMORY ((uint32_t)16)
// mica_info_bti_t (a BTI).
#define MICA_INFO_BTI ((uint32_t)17)

typedef struct mica_info_handle_basic {
  mica_koid_t koid;          // the object's id
  mica_koid_t related_koid;  // peer (channel, event pair), parent (task), else 0
  mica_rights_t rights;      // this handle's rights
  mica_obj_type_t type;      // MICA_OBJ_TYPE_*
} mica_info_handle_basic_t;
MICA_ABI_ASSERT(sizeof(mica_info_handle_basic_t) == 24, "handle basic");

typedef struct mica_info_handle_count {
  uint32_t handle_count;  // handles to the object in all processes
  uint32_t reserved;
} mica_info_handle_count_t;
MICA_ABI_ASSERT(sizeof(mica_info_handle_count_t) == 8, "handle count");

// mica_info_process_t.flags
#define MICA_INFO_PROCESS_FLAG_STARTED ((uint32_t)1u << 0)
#define MICA_INFO_PROCESS_FLAG_EXITED ((uint32_t)1u << 1)
// Killed by task_kill (of the process or a job above it).
#define MICA_INFO_PROCESS_FLAG_KILLED ((uint32_t)1u << 2)
// Killed by the kernel for an unhandled fault (see fault_*).
#define MICA_INFO_PROCESS_FLAG_FAULTED ((uint32_t)1u << 3)

// Jobs nest at most this deep below the root job (which is depth 0).
#define MICA_MAX_JOB_DEPTH 32

// The return code of a process killed by task_kill or by a fault.
#define MICA_TASK_RETCODE_KILLED ((int64_t)-1024)
#define MICA_TASK_RETCODE_FAULT ((int64_t)-1025)

typedef struct mica_info_process {
  int64_t return_code;         // valid once MICA_INFO_PROCESS_FLAG_EXITED
  mica_time_t start_time;      // monotonic time of process_start, 0 if not
  uint32_t flags;              // MICA_INFO_PROCESS_FLAG_*
  uint32_t fault_esr;          // ESR_EL1 of the fatal fault (FLAG_FAULTED)
  mica_vaddr_t fault_address;  // FAR_EL1 of the fatal fault (FLAG_FAULTED)
} mica_info_process_t;
MICA_ABI_ASSERT(sizeof(mica_info_process_t) == 32, "process info");

// mica_info_thread_t.state
#define MICA_THREAD_STATE_NEW ((uint32_t)0)
#define MICA_THREAD_STATE_RUNNING ((uint32_t)1)
#define MICA_THREAD_STATE_BLOCKED ((uint32_t)2)
#define MICA_THREAD_STATE_DYING ((uint32_t)3)
#define MICA_THREAD_STATE_DEAD ((uint32_t)4)

typedef struct mica_info_thread {
  uint32_t state;     // MICA_THREAD_STATE_*
  uint32_t last_cpu;  // the CPU it last ran on
  int32_t priority;   // MICA_PRIORITY_*
  uint32_t reserved;
} mica_info_thread_t;
MICA_ABI_ASSERT(sizeof(mica_info_thread_t) == 16, "thread info");

typedef struct mica_info_task_stats {
  uint64_t mem_mapped_bytes;   // bytes mapped in the address space
  uint64_t mem_private_bytes;  // committed bytes only this process maps
  uint64_t mem_shared_bytes;   // committed bytes also mapped elsewhere
  uint64_t handle_count;       // handles in its table
} mica_info_task_stats_t;
MICA_ABI_ASSERT(sizeof(mica_info_task_stats_t) == 32, "task stats");

typedef struct mica_info_task_runtime {
  mica_duration_t cpu_time;    // time spent running
  mica_duration_t queue_time;  // time spent ready but not running
} mica_info_task_runtime_t;
MICA_ABI_ASSERT(sizeof(mica_info_task_runtime_t) == 16, "task runtime");

typedef struct mica_info_process_handle_stats {
  uint32_t handle_count[MICA_OBJ_TYPE_COUNT];  // indexed by MICA_OBJ_TYPE_*
} mica_info_process_handle_stats_t;
MICA_ABI_ASSERT(sizeof(mica_info_process_handle_stats_t) == 64, "handle stats");

typedef struct mica_info_vmo {
  mica_koid_t koid;
  mica_koid_t parent_koid;  // the VMO it was cloned from, or 0
  uint64_t size_bytes;
  uint64_t committed_bytes;  // pages actually allocated to it
  mica_paddr_t paddr;        // base of a contiguous or physical VMO, else 0
  uint32_t flags;            // MICA_INFO_VMO_FLAG_*
  uint32_t cache_policy;     // MICA_CACHE_POLICY_*
  char name[MICA_MAX_NAME_LEN];
} mica_info_vmo_t;
MICA_ABI_ASSERT(sizeof(mica_info_vmo_t) == 80, "vmo info");

#define MICA_INFO_VMO_FLAG_RESIZABLE ((uint32_t)1u << 0)
#define MICA_INFO_VMO_FLAG_CONTIGUOUS ((uint32_t)1u << 1)
#define MICA_INFO_VMO_FLAG_PHYSICAL ((uint32_t)1u << 2)
#define MICA_INFO_VMO_FLAG_COW_CHILD ((uint32_t)1u << 3)

typedef struct mica_info_vmar {
  mica_vaddr_t base;
  uint64_t len;
} mica_info_vmar_t;
MICA_ABI_ASSERT(sizeof(mica_info_vmar_t) == 16, "vmar info");

typedef struct mica_info_kmem_stats {
  uint64_t total_bytes;      // RAM the kernel manages
  uint64_t free_bytes;       // free pages (and empty page tables kept for reuse)
  uint64_t wired_bytes;      // kernel image, page tables of the kernel
  uint64_t heap_bytes;       // kernel heap, in use
  uint64_t heap_free_bytes;  // kernel heap, free
  uint64_t vmo_bytes;        // pages committed to VMOs
  uint64_t mmu_bytes;        // user page tables
  uint64_t other_bytes;      // everything else
  // Dead processes whose memory the kernel's reaper thread has not freed
  // yet (the one it is freeing included), plus dead kernel threads (a
  // process's threads included) whose stacks an idle loop has not freed
  // yet. Once this reads 0, everything
  // that belonged to the processes that had died by the time of an
  // earlier read is back in free_bytes + heap_free_bytes: a leak check
  // waits for 0 and then compares exactly.
  uint64_t unreaped_processes;
  // 1 while the kernel's collector of channel cycles runs a collection or
  // is due to run one (the memory it is freeing is not back yet), else 0.
  uint64_t collector_busy;
  // Pages held by quarantined PMTs (bti_pin, docs/kernel.md "DMA"): not
  // free, owned by no VMO, until their BTI's quarantine is released. A
  // leak check compares free + heap free + quarantined bytes, or releases
  // the quarantine first.
  uint64_t quarantined_bytes;
} mica_info_kmem_stats_t;
MICA_ABI_ASSERT(sizeof(mica_info_kmem_stats_t) == 88, "kmem stats");

// mica_info_job_memory_t.flags: the job has its own account (it was given
// a MICA_PROP_JOB_MEMORY_LIMIT, MICA_JOB_MEMORY_UNLIMITED included); the
// other fields are only counted for such a job.
#define MICA_INFO_JOB_MEMORY_FLAG_ACCOUNTED ((uint32_t)1u << 0)

// The kernel memory charged to a job: heap objects, pages (VMO pages, page
// tables, kernel stacks) and queued messages that the threads of its
// processes and its child jobs' allocated and that are not yet freed.
typedef struct mica_info_job_memory {
  uint64_t limit;     // MICA_PROP_JOB_MEMORY_LIMIT
  uint64_t used;      // bytes charged now
  uint64_t peak;      // the most charged at once
  uint64_t failures;  // allocations refused because of this job's limit
  uint32_t flags;     // MICA_INFO_JOB_MEMORY_FLAG_*
  uint32_t reserved;
} mica_info_job_memory_t;
MICA_ABI_ASSERT(sizeof(mica_info_job_memory_t) == 40, "job memory");

// What a BTI holds (MICA_INFO_BTI). A PMT counts in exactly one of the
// two groups: pinned (it has a handle) or quarantined (its handle closed
// without pmt_unpin).
typedef struct mica_info_bti {
  uint64_t pinned_pages;       // pages of the PMTs with a handle
  uint64_t quarantined_pages;  // pages of the quarantined PMTs
  uint32_t pmt_count;          // PMTs with a handle
  uint32_t quarantine_count;   // quarantined PMTs
  uint64_t reserved;
} mica_info_bti_t;
MICA_ABI_ASSERT(sizeof(mica_info_bti_t) == 32, "bti info");

// mica_info_fail_alloc_t.mode: the kernel.failalloc= boot option.
#define MICA_FAIL_ALLOC_OFF ((uint32_t)0)
#define MICA_FAIL_ALLOC_RANDOM ((uint32_t)1)  // random:<seed>:<percent>
#define MICA_FAIL_ALLOC_EVERY ((uint32_t)2)   // every:<N>

// Allocation fault injection since boot. Every system call in which a
// failure was injected is counted once, by what it returned.
typedef struct mica_info_fail_alloc {
  uint32_t mode;  // MICA_FAIL_ALLOC_*
  uint32_t reserved;
  uint64_t injected;   // allocations made to fail
  uint64_t syscalls;   // calls in which at least one was
  uint64_t no_memory;  // of those, returned MICA_ERR_NO_MEMORY
  uint64_t ok;         // of those, returned MICA_OK (absorbed the failure)
  uint64_t other;      // of those, returned another status
} mica_info_fail_alloc_t;
MICA_ABI_ASSERT(sizeof(mica_info_fail_alloc_t) == 48, "fail alloc info");

// ---- system_get_info topics -----------------------------------------------

// mica_system_info_basic_t.
#define MICA_SYSTEM_INFO_BASIC ((uint32_t)1)

typedef struct mica_system_info_basic {
  uint32_t num_cpus;          // CPUs online
  uint32_t page_size;         // MICA_PAGE_SIZE
  uint64_t memory_bytes;      // RAM the kernel manages
  uint64_t ticks_per_second;  // frequency of the monotonic clock's counter
  char version[40];           // kernel version string, NUL-terminated
} mica_system_info_basic_t;
MICA_ABI_ASSERT(sizeof(mica_system_info_basic_t) == 64, "system info");

// mica_system_info_console_t.
#define MICA_SYSTEM_INFO_CONSOLE ((uint32_t)2)

typedef struct mica_system_info_console {
  uint64_t kernel_bytes;  // bytes the kernel has written to the console UART
  mica_koid_t owner;      // the console log that took the console over, or 0
  uint64_t handovers;     // times the console was taken over
  uint64_t reserved;
} mica_system_info_console_t;
MICA_ABI_ASSERT(sizeof(mica_system_info_console_t) == 32, "console info");

// mica_system_info_instructions_t: the calling CPU's retired-instruction
// count (the PMU's INST_RETIRED event, every exception level). Under QEMU
// (precise -icount only) it is the whole machine's count, idle time
// excluded (docs/performance.md).
#define MICA_SYSTEM_INFO_INSTRUCTIONS ((uint32_t)3)

typedef struct mica_system_info_instructions {
  uint64_t retired;  // instructions retired; read twice and subtract
  uint32_t cpu;      // the CPU that read it
  uint32_t reserved0;
  uint64_t reserved[2];
} mica_system_info_instructions_t;
MICA_ABI_ASSERT(sizeof(mica_system_info_instructions_t) == 32, "instructions info");

// mica_system_info_features_t: optional instructions every CPU has (the
// boot CPU's ID registers), for code that picks a faster path (Zircon's
// zx_system_get_features).
#define MICA_SYSTEM_INFO_FEATURES ((uint32_t)4)

// FEAT_CRC32: the CRC32B/H/W/X instructions (ID_AA64ISAR0_EL1.CRC32).
#define MICA_CPU_FEATURE_CRC32 ((uint64_t)1u << 0)

typedef struct mica_system_info_features {
  uint64_t cpu;  // MICA_CPU_FEATURE_* bits
  uint64_t reserved[3];
} mica_system_info_features_t;
MICA_ABI_ASSERT(sizeof(mica_system_info_features_t) == 32, "features info");

// Compile-time checks of the ABI struct layouts, shared by the C and C++
// checks so that both languages, on the host and on AArch64, agree on every
// offset the kernel and user space exchange.
#pragma once

#include <stddef.h>

#include <mica/syscalls.h>

#define MICA_CHECK_OFFSET(type, field, off) \
  MICA_ABI_ASSERT(offsetof(type, field) == (off), #type "." #field)

MICA_ABI_ASSERT(sizeof(mica_handle_t) == 4, "handle");
MICA_ABI_ASSERT(sizeof(mica_status_t) == 4, "status");
MICA_ABI_ASSERT(sizeof(mica_time_t) == 8, "time");
MICA_ABI_ASSERT(sizeof(size_t) == 8, "size_t");

MICA_CHECK_OFFSET(mica_channel_call_args_t, wr_bytes, 0);
MICA_CHECK_OFFSET(mica_channel_call_args_t, wr_handles, 8);
MICA_CHECK_OFFSET(mica_channel_call_args_t, rd_bytes, 16);
MICA_CHECK_OFFSET(mica_channel_call_args_t, rd_handles, 24);
MICA_CHECK_OFFSET(mica_channel_call_args_t, wr_num_bytes, 32);
MICA_CHECK_OFFSET(mica_channel_call_args_t, wr_num_handles, 36);
MICA_CHECK_OFFSET(mica_channel_call_args_t, rd_num_bytes, 40);
MICA_CHECK_OFFSET(mica_channel_call_args_t, rd_num_handles, 44);

MICA_CHECK_OFFSET(mica_wait_item_t, handle, 0);
MICA_CHECK_OFFSET(mica_wait_item_t, waitfor, 4);
MICA_CHECK_OFFSET(mica_wait_item_t, pending, 8);

MICA_CHECK_OFFSET(mica_port_packet_t, key, 0);
MICA_CHECK_OFFSET(mica_port_packet_t, type, 8);
MICA_CHECK_OFFSET(mica_port_packet_t, status, 12);
MICA_CHECK_OFFSET(mica_port_packet_t, signal, 16);
MICA_CHECK_OFFSET(mica_port_packet_t, user, 16);
MICA_CHECK_OFFSET(mica_port_packet_t, interrupt, 16);
MICA_CHECK_OFFSET(mica_port_packet_t, timer, 16);
MICA_CHECK_OFFSET(mica_packet_signal_t, trigger, 0);
MICA_CHECK_OFFSET(mica_packet_signal_t, observed, 4);
MICA_CHECK_OFFSET(mica_packet_signal_t, count, 8);
MICA_CHECK_OFFSET(mica_packet_signal_t, timestamp, 16);
MICA_CHECK_OFFSET(mica_packet_timer_t, deadline, 0);
MICA_CHECK_OFFSET(mica_packet_timer_t, fired, 8);

MICA_CHECK_OFFSET(mica_log_record_t, sequence, 0);
MICA_CHECK_OFFSET(mica_log_record_t, timestamp, 8);
MICA_CHECK_OFFSET(mica_log_record_t, pid, 16);
MICA_CHECK_OFFSET(mica_log_record_t, tid, 24);
MICA_CHECK_OFFSET(mica_log_record_t, data_size, 32);
MICA_CHECK_OFFSET(mica_log_record_t, data, 40);

MICA_CHECK_OFFSET(mica_info_handle_basic_t, koid, 0);
MICA_CHECK_OFFSET(mica_info_handle_basic_t, related_koid, 8);
MICA_CHECK_OFFSET(mica_info_handle_basic_t, rights, 16);
MICA_CHECK_OFFSET(mica_info_handle_basic_t, type, 20);
MICA_CHECK_OFFSET(mica_info_process_t, return_code, 0);
MICA_CHECK_OFFSET(mica_info_process_t, start_time, 8);
MICA_CHECK_OFFSET(mica_info_process_t, flags, 16);
MICA_CHECK_OFFSET(mica_info_process_t, fault_esr, 20);
MICA_CHECK_OFFSET(mica_info_process_t, fault_address, 24);
MICA_CHECK_OFFSET(mica_info_thread_t, priority, 8);
MICA_CHECK_OFFSET(mica_info_task_stats_t, handle_count, 24);
MICA_CHECK_OFFSET(mica_info_vmo_t, paddr, 32);
MICA_CHECK_OFFSET(mica_info_vmo_t, flags, 40);
MICA_CHECK_OFFSET(mica_info_vmo_t, cache_policy, 44);
MICA_CHECK_OFFSET(mica_info_vmo_t, name, 48);
MICA_CHECK_OFFSET(mica_info_kmem_stats_t, other_bytes, 56);
MICA_CHECK_OFFSET(mica_info_kmem_stats_t, unreaped_processes, 64);
MICA_CHECK_OFFSET(mica_info_kmem_stats_t, collector_busy, 72);
MICA_CHECK_OFFSET(mica_info_kmem_stats_t, quarantined_bytes, 80);
MICA_CHECK_OFFSET(mica_info_bti_t, pinned_pages, 0);
MICA_CHECK_OFFSET(mica_info_bti_t, quarantined_pages, 8);
MICA_CHECK_OFFSET(mica_info_bti_t, pmt_count, 16);
MICA_CHECK_OFFSET(mica_info_bti_t, quarantine_count, 20);
MICA_CHECK_OFFSET(mica_system_info_basic_t, memory_bytes, 8);
MICA_CHECK_OFFSET(mica_system_info_basic_t, ticks_per_second, 16);
MICA_CHECK_OFFSET(mica_system_info_basic_t, version, 24);
MICA_CHECK_OFFSET(mica_system_info_console_t, kernel_bytes, 0);
MICA_CHECK_OFFSET(mica_system_info_console_t, owner, 8);
MICA_CHECK_OFFSET(mica_system_info_console_t, handovers, 16);
MICA_CHECK_OFFSET(mica_system_info_console_t, reserved, 24);

// Rights, signals and object types fit their fields and do not overlap.
MICA_ABI_ASSERT((MICA_RIGHTS_ALL & MICA_RIGHT_SAME_RIGHTS) == 0, "same-rights is not a right");
MICA_ABI_ASSERT((MICA_DEFAULT_CHANNEL_RIGHTS & MICA_RIGHT_DUPLICATE) == 0,
                "channel endpoints are not duplicable");
MICA_ABI_ASSERT((MICA_SIGNAL_USER_ALL &
                 (MICA_SIGNAL_READABLE | MICA_SIGNAL_WRITABLE | MICA_SIGNAL_PEER_CLOSED |
                  MICA_SIGNAL_SIGNALED | MICA_SIGNAL_TERMINATED)) == 0,
                "user signals are separate from kernel signals");
MICA_ABI_ASSERT(MICA_OBJ_TYPE_PMT + 1 == MICA_OBJ_TYPE_COUNT, "object type count");
MICA_ABI_ASSERT(sizeof(((mica_info_process_handle_stats_t*)0)->handle_count) ==
                    MICA_OBJ_TYPE_COUNT * sizeof(uint32_t),
                "one handle count per object type");

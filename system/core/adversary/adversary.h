// bin/adversary's scenarios and the child side of its protocol
// (adversary.c describes the program).
#pragma once

#include <mica/syscalls.h>
#include <stdbool.h>
#include <stdint.h>

#define ADV_MS ((mica_time_t)1000000)

// A scenario's child side: runs in an unprivileged process of its own job;
// returns 0 when every check it makes itself passed, else prints why
// (adv_fail) and returns 1.
typedef int (*adv_scenario_fn)(void);

typedef struct {
  const char* name;
  adv_scenario_fn run;
} adv_scenario_t;

extern const adv_scenario_t kAdvScenarios[];
extern const uint32_t kAdvScenarioCount;

// Prints `adversary child <scenario>: <message>` and returns 1.
int adv_fail(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// The child's requests to the parent, over the control channel:
// adv_mark_baseline: the parent records the kernel's available memory now
//   (once the reaper is idle).
// adv_check_baseline: the parent requires it back exactly at the recorded
//   figure (re-reading for a few seconds, in case freeing is still under
//   way); false (with the parent's verdict recorded as a failure) if not.
// adv_await_kill: the parent kills this child's job now; never returns.
// The child must not commit new memory of its own (stack, heap, handle
// table growth) between a mark and a check: scenarios warm up first.
bool adv_mark_baseline(void);
bool adv_check_baseline(const char* what);
__attribute__((noreturn)) void adv_await_kill(void);

// The bootfs VMO (for scenarios that start server processes), or
// MICA_HANDLE_INVALID.
mica_handle_t adv_bootfs_vmo(void);

// A deadline `ms` milliseconds from now.
mica_time_t adv_after_ms(uint64_t ms);

// Closes handles[0, *count) and sets *count to 0.
void adv_close_all(mica_handle_t* handles, uint32_t* count);

// Scenario entry points (one file per family).
int adv_exhaust(void);
int adv_cycle_self_close(void);
int adv_cycle_self_kill(void);
int adv_cycle_pair_close(void);
int adv_cycle_pair_kill(void);
int adv_cycle_ring_close(void);
int adv_cycle_ring_kill(void);
int adv_cycle_carry_close(void);
int adv_cycle_carry_kill(void);
int adv_nest_channels_close(void);
int adv_nest_channels_kill(void);
int adv_nest_jobs(void);
int adv_nest_vmars(void);
int adv_calls_kill_threads(void);
int adv_calls_kill_servers(void);
int adv_calls_kill_job(void);
int adv_port_flood(void);
int adv_timer_flood(void);
int adv_timer_flood_kill(void);

int adv_job_limit(void);

// The server processes adv_calls_kill_servers starts (`adversary --server`).
int adv_server_main(mica_handle_t channel);
// The programs adv_job_limit starts in a limited job (`adversary
// --limited <mode>`), `ctl` their channel to it.
int adv_limited_main(const char* mode, mica_handle_t ctl);

// exhaust.c's creating calls, for the scenarios that run out of memory:
// adv_makers_setup makes the objects they work on; adv_every_call_fails
// runs each until it fails and requires NO_MEMORY (or `route_also`, or the
// call's own limit); adv_release_made closes what they made.
int adv_makers_setup(void);
// Makes `size`-byte VMOs (handles appended to vmos[*count..max)) and fills
// each with vmo_write from `source` until a call fails; returns that status
// (NO_RESOURCES once `max` are made).
mica_status_t adv_commit_vmos(uint64_t size, mica_handle_t* vmos, uint32_t* count, uint32_t max,
                              const uint8_t* source, uint64_t source_size);
int adv_every_call_fails(const char* route, mica_status_t route_also);
void adv_release_made(void);

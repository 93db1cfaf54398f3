// The Mica C runtime: process startup state.
//
// crt0 (system/ulib/c/start.S, libc_start.c) records what the process started
// with; these accessors return it. Handles listed here are owned by the
// runtime (stdio and malloc use them): do not close them.
#pragma once

#include <mica/types.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// The bootstrap channel from x0 at entry (MICA_HANDLE_INVALID if none). The
// runtime has read the bootstrap message from it; the program may keep using
// the channel.
mica_handle_t mica_rt_bootstrap_channel(void);

// The address the program was loaded at (x1 at entry).
uintptr_t mica_rt_load_base(void);

// Handles the runtime found in the bootstrap message (MICA_HANDLE_INVALID if
// the creator did not send one).
mica_handle_t mica_rt_process_self(void);
mica_handle_t mica_rt_vmar_root(void);
mica_handle_t mica_rt_job_default(void);
mica_handle_t mica_rt_debuglog(void);
// The root resource (only the first process gets it) and the devicetree blob
// as a read-only VMO.
mica_handle_t mica_rt_root_resource(void);
mica_handle_t mica_rt_dtb(void);

// Takes a startup handle whose info word is `info` (any kind but the
// runtime's own, 1-5; see <mica/rt/bootstrap.h>) out of the startup set:
// returns it and forgets it, so the caller owns it. MICA_HANDLE_INVALID if
// there is none (or it was taken already).
mica_handle_t mica_rt_take_startup_handle(uint32_t info);

// The info words of the startup handles that mica_rt_take_startup_handle()
// can still take, in message order: writes up to `max` of them to `infos`
// and returns how many there are (userboot uses it to pass on everything it
// does not use itself).
uint32_t mica_rt_startup_handle_infos(uint32_t* infos, uint32_t max);

#ifdef __cplusplus
}
#endif

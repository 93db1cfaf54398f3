// The machine's devicetree, from the MICA_BOOTSTRAP_VMO_DTB VMO the kernel gives
// the first process, parsed with the freestanding parser (devicetree/lib).
#pragma once

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// The GIC distributor's physical base and size (arm,gic-400,
// arm,cortex-a15-gic or arm,gic-v3); false if not found.
bool ct_dt_gic_distributor(uint64_t* base, uint64_t* size);
// The first RAM range (/memory reg 0); false if not found.
bool ct_dt_first_ram(uint64_t* base, uint64_t* size);
// True if the machine has PSCI 0.2 or later (an enabled arm,psci-0.2 or
// arm,psci-1.0 node whose method is "hvc" or "smc"): system_power works.
bool ct_dt_psci_system_power(void);

#ifdef __cplusplus
}
#endif

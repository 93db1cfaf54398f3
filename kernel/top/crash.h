// Deliberate kernel crashes, for testing the fault reports: the command
// line `kernel.crash=<kind>` runs one after boot (and after any ktests).
#pragma once

// kind: "null" (write through a null pointer), "stack" (overflow a kernel
// stack into its guard), "assert" (a failed MICA_ASSERT), "panic".
// Returns only if `kind` is unknown.
void CrashForTest(const char* kind);

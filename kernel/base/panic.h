// Panics and fault reports.
#pragma once

#include "kernel/arch/arm64/arch.h"

[[noreturn]] void Panic(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// A panic from an exception: prints the decoded ESR, FAR and every register.
[[noreturn]] void PanicWithFrame(const arch::IFrame* frame, const char* fmt, ...)
    __attribute__((format(printf, 2, 3)));
// Prints a frame-pointer backtrace starting at `fp` (and `pc` first if
// non-zero), with symbol names.
void PrintBacktrace(uint64_t pc, uint64_t fp);
// Looks up the text symbol containing `addr`: name and offset. False if none.
bool LookupSymbol(uint64_t addr, const char** name, uint64_t* offset);
// Decodes ESR_ELx.EC into a short description.
const char* EsrClassName(uint32_t ec);
// Called by the IPI handler on the other CPUs when one panics.
[[noreturn]] void StopThisCpu();
// How a panic stops the other CPUs (it sends them an IPI that ends in
// StopThisCpu): set by the interrupt controller's driver once it can send
// IPIs (gic::Init), before a second CPU starts. Until then a panic has no
// other CPU to stop.
void SetPanicStopOtherCpus(void (*stop)());

"""Outputs for the kernel: its handler declarations (kernel/syscall_decls.h)
and syscall table (kernel/syscall_table.inc); for tests: the recording
handlers of the host test and the fuzzer's table of argument shapes."""

from .emit_user import c_params
from .model import BANNER, SCALARS


def gen_kernel_decls(defs):
    o = [f"// {BANNER}", "//",
         "// One handler per syscall, implemented in kernel/syscalls/. Each returns a",
         "// mica::Status (kernel/lib/status.h); its entry in kernel/syscall_table.inc",
         "// turns that into the ABI's status (syscall_gen::ToAbi). Pointer arguments",
         "// arrive as the typed user pointers of kernel/arch/arm64/user_ptr.h.",
         "#pragma once",
         "", "#include <stddef.h>", "#include <stdint.h>", "",
         "#include <mica/status.h>", "#include <mica/types.h>", "",
         '#include "kernel/lib/status.h"', '#include "kernel/arch/arm64/user_ptr.h"', ""]
    for c in sorted(defs.calls, key=lambda c: c.number):
        one = f"mica::Status sys_{c.name}({c_params(c, kernel=True)});"
        if len(one) <= 100:
            o.append(one)
        else:
            o.append(f"mica::Status sys_{c.name}(")
            for k, p in enumerate(c.params):
                end = ");" if k == len(c.params) - 1 else ","
                o.append(f"    {p.kernel_type()} {p.name}{end}")
    o += [""]
    return "\n".join(o)


def kernel_arg(p, k):
    a = f"a{k}"
    if p.kind == "scalar":
        t = SCALARS[p.scalar][0]
        if p.scalar == "int32":
            return f"static_cast<int32_t>(static_cast<uint32_t>({a}))"
        return f"static_cast<{t}>({a})"
    if p.kind == "handle":
        return f"static_cast<mica_handle_t>({a})"
    return f"{p.kernel_type()}({a})"


def gen_kernel_table(defs):
    """One entry function per call, taking the eight argument registers as
    its own arguments (so the assembly entry path calls it with x0..x7 as
    they arrived), and a constexpr filler for the table indexed by number."""
    last = max(c.number for c in defs.calls)
    regs = ", ".join(f"uint64_t" for _ in range(8))
    o = [f"// {BANNER}", "//",
         "// The kernel's syscall table. Include it once, at namespace scope, after",
         "// kernel/syscall_decls.h. It defines, in namespace syscall_gen:",
         "//   Entry         int64_t(uint64_t x0, ..., uint64_t x7): one call's entry",
         "//   kLastNumber   the highest call number",
         "//   BadSyscall    the entry for numbers that name no call",
         "//   FillTable(t)  stores every call's entry at t[number] (t has at least",
         "//                 kLastNumber + 1 elements, pre-filled with BadSyscall)",
         "//   ToAbi(s)      the ABI's status (x0) for a handler's mica::Status",
         "// Each entry rejects a 32-bit argument whose register has any of bits 63:32",
         "// set with MICA_ERR_INVALID_ARGS before the handler runs, then calls",
         "// sys_<name> with the registers converted to the declared types.",
         "namespace syscall_gen {", "",
         f"using Entry = int64_t (*)({regs});",
         f"inline constexpr uint64_t kLastNumber = {last};", "",
         "// The one place where the kernel's errors become the ABI's status codes.",
         "// mica::Status has the values of MICA_OK and MICA_ERR_* (syscall_abi_test",
         "// checks each pair) and is 64 bits wide, so this is the handler's x0 as",
         "// it stands: an entry still ends in a tail call to its handler.",
         "[[gnu::always_inline]] constexpr int64_t ToAbi(mica::Status s) {",
         "  return static_cast<int64_t>(s);", "}", "",
         "static_assert(sizeof(mica::Status) == sizeof(int64_t));",
         "static_assert(ToAbi(mica::Status::kInvalidArgs) == MICA_ERR_INVALID_ARGS);",
         "static_assert(ToAbi(mica::Status::kBadSyscall) == MICA_ERR_BAD_SYSCALL);", "",
         f"inline int64_t BadSyscall({regs}) {{",
         "  return ToAbi(mica::Status::kBadSyscall);", "}", ""]
    for c in sorted(defs.calls, key=lambda c: c.number):
        used = {k for k in range(len(c.params))}
        params = ", ".join(f"uint64_t a{k}" if k in used else "uint64_t" for k in range(8))
        o.append(f"// {c.number}: {c.name}")
        head = f"inline int64_t Call_{c.name}({params}) {{"
        if len(head) <= 100:
            o.append(head)
        else:
            o.append(f"inline int64_t Call_{c.name}(")
            parts = [f"uint64_t a{k}" if k in used else "uint64_t" for k in range(8)]
            o.append("    " + ", ".join(parts[:4]) + ",")
            o.append("    " + ", ".join(parts[4:]) + ") {")
        narrow = [k for k, p in enumerate(c.params) if p.width() == 32]
        if narrow:
            expr = " | ".join(f"a{k}" for k in narrow)
            if len(narrow) > 1:
                expr = f"({expr})"
            o.append(f"  if ({expr} >> 32) {{")
            o.append("    return ToAbi(mica::Status::kInvalidArgs);")
            o.append("  }")
        args = [kernel_arg(p, k) for k, p in enumerate(c.params)]
        one = f"  return ToAbi(sys_{c.name}({', '.join(args)}));"
        if len(one) <= 100:
            o.append(one)
        else:
            o.append(f"  return ToAbi(sys_{c.name}(")
            for k, a in enumerate(args):
                o.append(f"      {a}{'));' if k == len(args) - 1 else ','}")
        o.append("}")
        o.append("")
    o.append("constexpr void FillTable(Entry* t) {")
    for c in sorted(defs.calls, key=lambda c: c.number):
        o.append(f"  t[{c.number}] = Call_{c.name};")
    o += ["}", "", "}  // namespace syscall_gen", ""]
    return "\n".join(o)


def gen_recorder(defs):
    """sys_* definitions for the host test: each passes its number and its
    arguments, converted back to register values by the test's Raw(), to the
    test's Record()."""
    o = [f"// {BANNER}", "//",
         "// Test support: sys_* handlers that record their arguments. The includer",
         "// defines `int64_t Record(uint64_t number, std::initializer_list<uint64_t>)`",
         "// and `Raw(x)` overloads giving the register value of each argument type.",
         "// A handler returns Record's value as its mica::Status.", ""]
    for c in sorted(defs.calls, key=lambda c: c.number):
        raws = ", ".join(f"Raw({p.name})" for p in c.params)
        o.append(f"mica::Status sys_{c.name}({c_params(c, kernel=True)}) {{")
        o.append(f"  return static_cast<mica::Status>(Record({c.number}, {{{raws}}}));")
        o.append("}")
    o += ["", "// {number, name, argument count, bit k set: argument k is 32 bits wide,",
          "//  never returns}",
          "struct SyscallShape {", "  uint64_t number;", "  const char* name;",
          "  int num_args;", "  uint32_t narrow_mask;", "  bool noreturn;", "};",
          "constexpr SyscallShape kSyscallShapes[] = {"]
    for c in sorted(defs.calls, key=lambda c: c.number):
        mask = sum(1 << k for k, p in enumerate(c.params) if p.width() == 32)
        nr = "true" if c.noreturn() else "false"
        o.append(f'    {{{c.number}, "{c.name}", {len(c.params)}, 0x{mask:x}, {nr}}},')
    o += ["};", ""]
    return "\n".join(o)


def gen_fuzz_shapes(defs):
    """A C table of every call's argument shapes, for bin/syscall-fuzz: it
    makes typed random arguments for each call, so a new call is fuzzed as
    soon as it is defined."""
    o = [f"// {BANNER}", "//",
         "// The argument shapes of every system call, for the syscall fuzzer.",
         "#pragma once", "",
         "#include <stdint.h>", "",
         "enum mica_arg_kind {",
         "  MICA_ARG_SCALAR32 = 1,  // uint32, int32, rights, signals",
         "  MICA_ARG_SCALAR64,      // uint64, int64, vaddr, paddr, koid",
         "  MICA_ARG_SIZE,          // size (maybe the count of another argument)",
         "  MICA_ARG_TIME,          // an absolute deadline",
         "  MICA_ARG_DURATION,",
         "  MICA_ARG_HANDLE,",
         "  MICA_ARG_IN_PTR,        // in_ptr, in_array, in_bytes, key_ptr",
         "  MICA_ARG_OUT_PTR,       // out_ptr, out_array, out_bytes, inout_*",
         "  MICA_ARG_OUT_HANDLE,",
         "  MICA_ARG_HANDLE_ARRAY,  // in_handle_array",
         "};", "",
         "#define MICA_SHAPE_NORETURN 1u",
         "#define MICA_SHAPE_BLOCKING 2u", "",
         "typedef struct mica_syscall_shape {",
         "  uint32_t number;",
         "  const char* name;",
         "  uint8_t num_args;",
         "  uint8_t flags;                 // MICA_SHAPE_*",
         "  uint8_t kind[8];               // enum mica_arg_kind",
         "  uint32_t obj_type[8];          // handle: the MICA_OBJ_TYPE_* it accepts (0 = any)",
         "} mica_syscall_shape_t;", "",
         "static const mica_syscall_shape_t kMicaSyscallShapes[] = {"]
    scalar_kind = {"uint32": "SCALAR32", "int32": "SCALAR32", "rights": "SCALAR32",
                   "signals": "SCALAR32", "uint64": "SCALAR64", "int64": "SCALAR64",
                   "vaddr": "SCALAR64", "paddr": "SCALAR64", "koid": "SCALAR64",
                   "size": "SIZE", "time": "TIME", "duration": "DURATION"}
    for c in sorted(defs.calls, key=lambda c: c.number):
        kinds, objs = [], []
        for p in c.params:
            k = p.kind
            if k == "scalar":
                kinds.append("MICA_ARG_" + scalar_kind[p.scalar])
            elif k == "handle":
                kinds.append("MICA_ARG_HANDLE")
            elif k in ("in_ptr", "in_array", "in_bytes", "key_ptr"):
                kinds.append("MICA_ARG_IN_PTR")
            elif k in ("out_ptr", "out_array", "out_bytes", "inout_ptr", "inout_array"):
                kinds.append("MICA_ARG_OUT_PTR")
            elif k == "out_handle":
                kinds.append("MICA_ARG_OUT_HANDLE")
            elif k == "in_handle_array":
                kinds.append("MICA_ARG_HANDLE_ARRAY")
            else:
                raise AssertionError(k)
            t = p.obj_types[0] if k == "handle" and len(p.obj_types) == 1 else None
            objs.append(f"MICA_OBJ_TYPE_{t.upper()}" if t else "0")
        flags = " | ".join(f for f, on in (("MICA_SHAPE_NORETURN", c.noreturn()),
                                           ("MICA_SHAPE_BLOCKING", "blocking" in c.attrs)) if on)
        o.append(f'    {{{c.number}, "{c.name}", {len(c.params)}, {flags or "0"}, '
                 f'{{{", ".join(kinds) or "0"}}}, {{{", ".join(objs) or "0"}}}}},')
    o += ["};", ""]
    return "\n".join(o)

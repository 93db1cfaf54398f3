"""Outputs for user space: the C header <mica/syscalls.h> (with its inline
calls) and the AArch64 stubs syscall_stubs.S."""

import textwrap

from .describe import all_statuses, rights_summary
from .model import BANNER


def c_comment(text, indent="", width=100):
    out = []
    for para in text.split("\n\n"):
        wrapped = textwrap.wrap(" ".join(para.split()), width - len(indent) - 3) or [""]
        out += [f"{indent}// {w}".rstrip() for w in wrapped]
        out.append(f"{indent}//")
    return out[:-1]


def c_params(call, kernel=False):
    if not call.params:
        return "void"
    return ", ".join(
        f"{p.kernel_type() if kernel else p.c_type()} {p.name}" for p in call.params)


def c_prototype(call, name_prefix="mica_"):
    ret = "void" if call.noreturn() else "mica_status_t"
    attr = "MICA_NORETURN " if call.noreturn() else ""
    one = f"{attr}{ret} {name_prefix}{call.name}({c_params(call)});"
    if len(one) <= 100:
        return [one]
    head = f"{attr}{ret} {name_prefix}{call.name}("
    lines = [head]
    for k, p in enumerate(call.params):
        end = ");" if k == len(call.params) - 1 else ","
        lines.append(f"    {p.c_type()} {p.name}{end}")
    return lines


def gen_c_header(defs, statuses):
    o = [f"// {BANNER}", "//", "// The Mica system calls (docs/syscalls.md).",
         "#pragma once", "",
         "#include <stddef.h>", "#include <stdint.h>", "", "#include <mica/status.h>",
         "#include <mica/types.h>", "",
         "#if defined(__cplusplus)", "#define MICA_NORETURN [[noreturn]]",
         "#else", "#define MICA_NORETURN _Noreturn", "#endif", "",
         "// Syscall numbers (x8 at `svc #0`)."]
    for c in sorted(defs.calls, key=lambda c: c.number):
        o.append(f"#define MICA_SYS_{c.name.upper()} {c.number}")
    o += ["", "// One more than the largest syscall number.",
          f"#define MICA_SYS_COUNT {len(defs.calls) + 1}", "",
          "// X(NAME, name, number, argument count) for every syscall, by number.",
          "#define MICA_SYSCALL_LIST(X) \\"]
    calls = sorted(defs.calls, key=lambda c: c.number)
    for k, c in enumerate(calls):
        cont = " \\" if k < len(calls) - 1 else ""
        o.append(f"  X({c.name.upper()}, {c.name}, {c.number}, {len(c.params)}){cont}")
    o += ["", "#if defined(__cplusplus)", 'extern "C" {', "#endif", ""]
    for sec in defs.sections:
        o.append(f"// ---- {sec.title} " + "-" * max(0, 90 - len(sec.title)))
        o.append("")
        for c in sec.calls:
            text = f"mica_{c.name}: {c.summary}"
            for b in c.body:
                text += "\n\n" + b
            o += c_comment(text)
            o.append("//")
            for p in c.params:
                o += c_comment(f"{p.name}: {p.doc}", width=100)
            o.append("//")
            o += c_comment(f"Rights: {rights_summary(c)}")
            if c.noreturn():
                o.append("// Does not return.")
            elif not all_statuses(c, statuses):
                o.append("// Always returns MICA_OK.")
            else:
                o.append("// Returns MICA_OK on success, or:")
                for code, text in all_statuses(c, statuses):
                    o += ["//   " + w for w in
                          textwrap.wrap(f"{code}: {text}", 94, subsequent_indent="  ")]
            o += c_prototype(c)
            o.append("")
    o += gen_inline_calls(defs)
    o += ["#if defined(__cplusplus)", '}  // extern "C"', "#endif", ""]
    return "\n".join(o)


def inline_arg(p):
    """The register value of an argument: 32-bit ones zero-extended."""
    if p.width() == 32:
        return f"(uint64_t)(uint32_t)({p.name})"
    if p.kind in ("scalar",):
        return f"(uint64_t)({p.name})"
    return f"(uint64_t)(uintptr_t)({p.name})"


def gen_inline_calls(defs):
    """GNU inline definitions of the calls that return: the compiler emits
    the `svc` in place of a call to the stub. The stubs (syscall_stubs.S)
    stay the out-of-line definitions (a call's address is its stub's)."""
    o = ["// ---- Inline calls " + "-" * 78, "",
         "// On AArch64 each call that returns is also defined inline (GNU inline",
         "// semantics: the library's stub remains the external definition, and a",
         "// call's address is its stub's), so a call costs its `svc` and argument",
         "// moves, not a branch to a stub. The asm tells the compiler what the ABI",
         "// lets a call clobber (docs/syscalls.md, \"Calling convention\"). Define",
         "// MICA_SYSCALLS_NO_INLINE to call the stubs instead.",
         "#if defined(__aarch64__) && !defined(MICA_SYSCALLS_NO_INLINE)",
         "#define MICA_SYSCALL_INLINE_ \\",
         "  __attribute__((__gnu_inline__, __always_inline__, __artificial__)) extern __inline__",
         ""]
    for c in sorted(defs.calls, key=lambda c: c.number):
        if c.noreturn():
            continue
        proto = c_prototype(c)
        proto[0] = "MICA_SYSCALL_INLINE_ " + proto[0] if len(proto) == 1 else proto[0]
        if len(proto) == 1:
            line = proto[0][:-1] + " {"
            if len(line) > 100:
                head = f"MICA_SYSCALL_INLINE_ mica_status_t mica_{c.name}("
                parts = [f"{p.c_type()} {p.name}" for p in c.params]
                lines = [head] + [f"    {x}," for x in parts[:-1]] + [f"    {parts[-1]}) {{"]
            else:
                lines = [line]
        else:
            lines = ["MICA_SYSCALL_INLINE_ " + proto[0]] + proto[1:]
            lines[-1] = lines[-1][:-1] + " {"
        o += lines
        n = len(c.params)
        for k, p in enumerate(c.params):
            o.append(f"  register uint64_t mica_x{k}_ __asm__(\"x{k}\") = {inline_arg(p)};")
        if n == 0:
            o.append("  register uint64_t mica_x0_ __asm__(\"x0\");")
        o.append(f"  register uint64_t mica_x8_ __asm__(\"x8\") = {c.number};")
        outs = ", ".join(f"\"+r\"(mica_x{k}_)" for k in range(max(n, 1)))
        if n == 0:
            outs = "\"=r\"(mica_x0_)"
        outs += ", \"+r\"(mica_x8_)"
        clob = [f"\"x{k}\"" for k in range(max(n, 1), 8)] + ["\"x16\"", "\"x17\"", "\"memory\""]
        o.append(f"  __asm__ __volatile__(\"svc #0\"")
        o.append(f"                       : {outs}")
        o.append("                       :")
        o.append(f"                       : {', '.join(clob)});")
        o.append("  return (mica_status_t)mica_x0_;")
        o += ["}", ""]
    o += ["#undef MICA_SYSCALL_INLINE_",
          "#endif  // __aarch64__ && !MICA_SYSCALLS_NO_INLINE", ""]
    return o


# ---- User stubs ------------------------------------------------------------


def gen_stubs(defs):
    o = [f"// {BANNER}", "//",
         "// AArch64 user stubs: number in x8, arguments in x0..x7, `svc #0`, status",
         "// in x0. Each 32-bit argument is zero-extended first: AAPCS64 leaves bits",
         "// 63:32 of a 32-bit argument's register unspecified, and the kernel rejects",
         "// a 32-bit argument with any of them set (docs/syscalls.md).", ""]
    for c in sorted(defs.calls, key=lambda c: c.number):
        sym = f"mica_{c.name}"
        o += [f".section .text.{sym},\"ax\",%progbits", f".globl {sym}",
              f".type {sym},%function", ".p2align 2", f"{sym}:", "  .cfi_startproc"]
        for k, p in enumerate(c.params):
            if p.width() == 32:
                o.append(f"  mov w{k}, w{k}")
        o += [f"  mov x8, #{c.number}", "  svc #0"]
        if c.noreturn():
            # The kernel never returns here; trap if it ever did.
            o.append("  brk #0x1")
        else:
            o.append("  ret")
        o += ["  .cfi_endproc", f".size {sym}, . - {sym}", ""]
    o += ['.section .note.GNU-stack,"",%progbits', ""]
    return "\n".join(o)

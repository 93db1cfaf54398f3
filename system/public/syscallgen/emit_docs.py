"""The markdown reference (syscalls.md, committed as docs/syscalls.md)."""

import re

from .describe import all_statuses, rights_summary
from .emit_user import c_prototype
from .model import BANNER
from .parse import parse_constants


def md_cell(text):
    return text.replace("|", "\\|").replace("\n", " ")


def gen_markdown(defs, statuses, types_h):
    o = ["<!-- " + BANNER + " -->", ""]
    o += defs.preamble
    o += ["", "## Status codes", "", "| Name | Value | Meaning |", "| --- | --- | --- |"]
    for name, (value, meaning) in statuses.items():
        o.append(f"| `{name}` | {value} | {md_cell(meaning)} |")
    o += ["", "## Rights", "", "| Right | Bit | Meaning |", "| --- | --- | --- |"]
    for name, value, meaning in parse_constants(types_h, "MICA_RIGHT_"):
        m = re.search(r"<<\s*(\d+)", value)
        bit = m.group(1) if m else "—"
        o.append(f"| `{name}` | {bit} | {md_cell(meaning)} |")
    o += ["", "Default rights of new handles are the `MICA_DEFAULT_<TYPE>_RIGHTS` macros of",
          "`<mica/types.h>`.", "", "## Signals", "", "| Signal | Bit | Meaning |",
          "| --- | --- | --- |"]
    for name, value, meaning in parse_constants(types_h, "MICA_SIGNAL_"):
        m = re.search(r"<<\s*(\d+)", value)
        bit = m.group(1) if m else "—"
        o.append(f"| `{name}` | {bit} | {md_cell(meaning)} |")
    o += ["", "## Object types", "", "| Type | Value | What it is |", "| --- | --- | --- |"]
    for name, value, meaning in parse_constants(types_h, "MICA_OBJ_TYPE_"):
        m = re.search(r"(\d+)\)*\s*$", value)
        o.append(f"| `{name}` | {m.group(1) if m else value} | {md_cell(meaning)} |")
    o += ["", "## Index", "", "| # | Call | Summary |", "| --- | --- | --- |"]
    for c in sorted(defs.calls, key=lambda c: c.number):
        o.append(f"| {c.number} | [`mica_{c.name}`](#mica_{c.name}) | {md_cell(c.summary)} |")
    for sec in defs.sections:
        o += ["", f"## {sec.title}", ""]
        if sec.doc:
            o += sec.doc + [""]
        for c in sec.calls:
            o += [f"### mica_{c.name}", "", f"Number {c.number}" +
                  (" · blocking" if "blocking" in c.attrs else "") +
                  (" · does not return" if c.noreturn() else "") + ".", "", "```c"]
            o += c_prototype(c)
            o += ["```", "", c.summary, ""]
            for b in c.body:
                o += [b, ""]
            if c.params:
                o += ["| Parameter | Type | Meaning |", "| --- | --- | --- |"]
                for p in c.params:
                    o.append(f"| `{p.name}` | `{md_cell(p.spelling())}` | {md_cell(p.doc)} |")
                o.append("")
            o += [f"**Rights:** {rights_summary(c)}", ""]
            if c.noreturn():
                o += ["**Returns:** never.", ""]
            elif not all_statuses(c, statuses):
                o += ["**Returns:** always `MICA_OK`.", ""]
            else:
                o += ["**Returns:** `MICA_OK` on success, or:", "", "| Status | When |",
                      "| --- | --- |"]
                for code, text in all_statuses(c, statuses):
                    o.append(f"| `{code}` | {md_cell(text)} |")
                o.append("")
    while o and o[-1] == "":
        o.pop()
    return "\n".join(o) + "\n"

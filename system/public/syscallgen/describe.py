"""What the documentation says about a call beyond its definition: the
statuses derived from its parameter types, and its rights. Shared by the C
header and the markdown reference."""


def objtype_text(p):
    names = [f"MICA_OBJ_TYPE_{t.upper()}" for t in p.obj_types]
    return " or ".join(names)


def all_statuses(call, statuses):
    """The documented errors: the ones derived from the parameter types, then
    those written in the definition, ordered as in mica/status.h."""
    derived = []
    narrow = [p.name for p in call.params if p.width() == 32]
    if narrow:
        names = ", ".join(f"`{x}`" for x in narrow)
        derived.append(("MICA_ERR_INVALID_ARGS",
                        f"A 32-bit argument ({names}) has a bit above bit 31 set in its register "
                        "(checked first; the C stubs never do this)."))
    for p in call.params:
        n = f"`{p.name}`"
        if p.kind == "handle":
            if p.optional:
                derived.append(("MICA_ERR_BAD_HANDLE",
                                f"{n} is neither MICA_HANDLE_INVALID nor a handle of the caller."))
            else:
                derived.append(("MICA_ERR_BAD_HANDLE", f"{n} is not a handle of the caller."))
            if p.obj_types:
                derived.append(("MICA_ERR_WRONG_TYPE", f"{n} is not a handle of type "
                                f"{objtype_text(p)}."))
            if p.rights:
                rights = " and ".join(f"MICA_RIGHT_{r}" for r in p.rights)
                derived.append(("MICA_ERR_ACCESS_DENIED", f"{n} lacks {rights}."))
        elif p.kind == "key_ptr":
            derived.append(("MICA_ERR_INVALID_ARGS", f"{n} is not a user-space address."))
        elif p.is_pointer():
            verb = {"in": "readable", "out": "writable", "inout": "readable and writable"}
            d = verb[p.kind.split("_")[0]]
            extent = "" if p.count is None else f" for `{p.count}` elements"
            if p.kind in ("in_bytes", "out_bytes"):
                extent = f" for `{p.count}` bytes"
            null = " and not NULL" if p.optional else ""
            derived.append(("MICA_ERR_INVALID_ARGS",
                            f"{n} is not {d} user memory{extent}{null}."))
    merged = derived + call.statuses
    return sorted(merged, key=lambda st: status_rank(statuses[st[0]][0]))


def status_rank(value):
    """Documentation order of statuses: the caller's mistakes (-10..-19), then
    missing rights (-30), the object's state (-20..-29), kernel limits
    (-1..-9) and device errors. Python's sort is stable, so entries with the
    same code keep their order: derived ones first."""
    for rank, (lo, hi) in enumerate(((-19, -10), (-39, -30), (-29, -20), (-9, -1))):
        if lo <= value <= hi:
            return (rank, -value)
    return (4, -value)


def rights_summary(call):
    parts = []
    for p in call.params:
        if p.kind == "handle":
            if p.rights:
                parts.append(f"`{p.name}`: " + ", ".join(f"MICA_RIGHT_{r}" for r in p.rights))
            else:
                parts.append(f"`{p.name}`: none")
    text = "; ".join(parts)
    if text and not call.rights_text:
        text += "."
    if call.rights_text:
        text = (text + ". " if text else "") + call.rights_text
    return text or "None (no handle arguments)."

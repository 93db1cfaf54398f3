"""Semantic checks and wire layout of a parsed IDL file (docs/idl.md).

check(file, objects, rights) resolves every name, enforces every rule and
returns a Library whose types carry their wire layout: inline size and
alignment, the most out-of-line bytes and handles a value can carry. The
first violation raises IdlError with its position. `objects` and `rights`
are the handle object types and right names of <mica/types.h>.
"""

from .errors import IdlError

MAX_MSG_BYTES = 65536  # MICA_CHANNEL_MAX_MSG_BYTES
MAX_MSG_HANDLES = 64   # MICA_CHANNEL_MAX_MSG_HANDLES
HEADER_SIZE = 16
MAX_ORDINAL = 0x7FFFFFFF

# name: (size, signed)
PRIMS = {"bool": (1, False), "int8": (1, True), "uint8": (1, False), "int16": (2, True),
         "uint16": (2, False), "int32": (4, True), "uint32": (4, False), "int64": (8, True),
         "uint64": (8, False)}
# C++ keywords cannot name anything (the names appear in the generated C++).
CPP_KEYWORDS = set("""alignas alignof and and_eq asm auto bitand bitor bool break case catch char
char8_t char16_t char32_t class compl concept const consteval constexpr constinit const_cast
continue co_await co_return co_yield decltype default delete do double dynamic_cast else enum
explicit export extern false float for friend goto if inline int long mutable namespace new
noexcept not not_eq nullptr operator or or_eq private protected public register
reinterpret_cast requires return short signed sizeof static static_assert static_cast struct
switch template this thread_local throw true try typedef typeid typename union unsigned using
virtual void volatile wchar_t while xor xor_eq""".split())
# Members of the generated classes' bases that a method may not hide.
RESERVED_METHODS = {"Begin", "Close", "HandleMessage", "HandleOneEvent", "OnEvent", "OnClosed",
                    "TakeChannel"}
KEYWORDS = set(PRIMS) | {"string", "vector", "array", "handle", "library", "const", "enum",
                         "bits", "struct", "protocol", "version"}


def align8(n):
    return (n + 7) & ~7


class Type:
    optional = False
    size = align = 1
    ool = handles = 0  # most out-of-line bytes / handles a value carries


class Prim(Type):
    def __init__(self, name):
        self.name = name
        self.size = self.align = PRIMS[name][0]
        self.signed = PRIMS[name][1]

    def range(self):
        bits = self.size * 8
        if self.name == "bool":
            return 0, 1
        return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if self.signed else (0, (1 << bits) - 1)


class EnumType(Type):
    def __init__(self, decl, prim, is_bits):
        self.decl, self.prim, self.is_bits = decl, prim, is_bits
        self.name = decl.name
        self.size = self.align = prim.size
        self.members = []  # (name, value)

    def mask(self):
        m = 0
        for _, v in self.members:
            m |= v
        return m


class StringType(Type):
    size, align = 16, 8

    def __init__(self, max_len, optional):
        self.max, self.optional = max_len, optional
        self.ool = align8(max_len)


class VectorType(Type):
    size, align = 16, 8

    def __init__(self, elem, max_len, optional):
        self.elem, self.max, self.optional = elem, max_len, optional

    def finish(self):
        self.ool = align8(self.max * self.elem.size) + self.max * self.elem.ool
        self.handles = self.max * self.elem.handles


class ArrayType(Type):
    """array<T>:N: N elements inline, back to back at T's alignment."""

    def __init__(self, elem, count, pos):
        self.elem, self.count, self.pos = elem, count, pos

    def finish(self):
        self.size, self.align = self.count * self.elem.size, self.elem.align
        self.ool = self.count * self.elem.ool
        self.handles = self.count * self.elem.handles


class HandleType(Type):
    size = align = 4
    handles = 1

    def __init__(self, obj, rights, optional):
        self.obj, self.rights, self.optional = obj, rights, optional


class StructType(Type):
    def __init__(self, name, decl=None):
        self.name, self.decl = name, decl
        self.fields = []  # (name, type, offset)
        self.done = False

    def layout(self):
        off, align = 0, 1
        placed = []
        for name, ty in self.fields:
            off = (off + ty.align - 1) & ~(ty.align - 1)
            placed.append((name, ty, off))
            off += ty.size
            align = max(align, ty.align)
        self.fields = placed
        self.align = align
        self.size = (off + align - 1) & ~(align - 1)
        self.ool = sum(ty.ool for _, ty, _ in placed)
        self.handles = sum(ty.handles for _, ty, _ in placed)
        self.done = True

    def padding(self):
        """(offset, length) of every gap between fields and at the end."""
        gaps, pos = [], 0
        for _, ty, off in self.fields:
            if off > pos:
                gaps.append((pos, off - pos))
            pos = off + ty.size
        if self.size > pos:
            gaps.append((pos, self.size - pos))
        return gaps


class OptionalStruct(Type):
    size, align = 8, 8
    optional = True

    def __init__(self, struct):
        self.struct = struct

    def finish(self):
        self.ool = align8(self.struct.size) + self.struct.ool
        self.handles = self.struct.handles


class Method:
    def __init__(self, decl, protocol):
        self.name, self.kind, self.ordinal = decl.name, decl.method_kind, decl.ordinal
        self.decl = decl
        self.request = StructType(f"{protocol}.{decl.name} request")
        self.response = StructType(f"{protocol}.{decl.name} response")


class Protocol:
    def __init__(self, decl, library):
        self.name, self.version, self.decl = decl.name, decl.version, decl
        self.qualified = f"{library}.{decl.name}"
        self.id = fnv1a32(self.qualified)
        self.methods = []


class Library:
    def __init__(self, name):
        self.name = name
        self.imports = {}    # library name -> Library, its `using`s
        self.kinds = {}      # declared name -> kind (const, enum, bits, struct, protocol)
        self.types = {}      # declared name -> EnumType | StructType
        self.consts = {}     # name -> (type, value)
        self.enums = []      # EnumType, in declaration order
        self.structs = []    # StructType, in an order where fields come first
        self.protocols = []


def fnv1a32(text):
    h = 0x811C9DC5
    for b in text.encode():
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


class Checker:
    def __init__(self, f, objects, rights, imports):
        self.f, self.objects, self.rights = f, objects, rights
        self.lib = Library(f.library)
        self.lib.imports = imports
        self.decls = {}
        self.types = self.lib.types  # declared name -> EnumType | StructType

    def error(self, pos, msg):
        raise IdlError(self.f.path, pos[0], pos[1], msg)

    def run(self):
        for d in self.f.decls:
            pos = getattr(d, "name_pos", d.pos)
            if d.name in KEYWORDS:
                self.error(pos, f"{d.name!r} is a reserved word and cannot name a {d.kind}")
            self.not_cpp_keyword(d.name, pos)
            if d.name in self.decls:
                prev = self.decls[d.name].pos
                self.error(pos, f"duplicate declaration {d.name!r} (first declared at "
                                f"{prev[0]}:{prev[1]})")
            self.decls[d.name] = d
            self.lib.kinds[d.name] = d.kind
        for d in self.f.decls:
            if d.kind == "const":
                self.const(d)
            elif d.kind in ("enum", "bits"):
                self.enum(d)
            elif d.kind == "struct":
                self.types[d.name] = StructType(d.name, d)
        for d in self.f.decls:
            if d.kind == "struct":
                self.struct_fields(self.types[d.name], d.fields, "struct " + d.name)
        self.check_recursion()
        for d in self.f.decls:
            if d.kind == "struct":
                self.finish_struct(self.types[d.name])
        for d in self.f.decls:
            if d.kind == "protocol":
                self.protocol(d)
        return self.lib

    def not_cpp_keyword(self, name, pos):
        if name in CPP_KEYWORDS:
            self.error(pos, f"{name!r} is a C++ keyword and cannot be a name")

    # ---- declarations

    def prim_of(self, ty, what, unsigned=False):
        if ty.base not in PRIMS or ty.base == "bool" or ty.optional:
            self.error(ty.pos, f"{what} must be an integer type, not {ty.base!r}")
        prim = Prim(ty.base)
        if unsigned and prim.signed:
            self.error(ty.pos, f"{what} must be an unsigned integer type, not {ty.base!r}")
        return prim

    def in_range(self, prim, value, pos, what):
        lo, hi = prim.range()
        if not lo <= value <= hi:
            self.error(pos, f"{what} {value} does not fit in {prim.name}")

    def const(self, d):
        prim = self.prim_of(d.type, f"constant {d.name}")
        self.in_range(prim, d.value, d.type.pos, f"constant {d.name}'s value")
        self.lib.consts[d.name] = (prim, d.value)

    def enum(self, d):
        is_bits = d.kind == "bits"
        prim = self.prim_of(d.underlying, f"the underlying type of {d.kind} {d.name}", is_bits)
        e = EnumType(d, prim, is_bits)
        if not d.members:
            self.error(d.name_pos, f"{d.kind} {d.name} has no members")
        names, values = {}, {}
        for m in d.members:
            self.not_cpp_keyword(m.name, m.pos)
            if m.name in names:
                self.error(m.pos, f"duplicate member {m.name!r} in {d.kind} {d.name}")
            if m.value in values:
                self.error(m.value_pos, f"{d.kind} {d.name}: {m.name} has the value of "
                                        f"{values[m.value]} ({m.value})")
            self.in_range(prim, m.value, m.value_pos, f"{d.name}.{m.name}'s value")
            if is_bits and (m.value == 0 or m.value & (m.value - 1)):
                self.error(m.value_pos, f"bits {d.name}.{m.name} must be a single bit, "
                                        f"not {m.value:#x}")
            names[m.name], values[m.value] = m.pos, m.name
            e.members.append((m.name, m.value))
        self.types[d.name] = e
        self.lib.enums.append(e)

    def struct_fields(self, st, fields, where):
        seen = {}
        for fd in fields:
            self.not_cpp_keyword(fd.name, fd.pos)
            if fd.name in seen:
                self.error(fd.pos, f"duplicate field {fd.name!r} in {where}")
            seen[fd.name] = fd.pos
            st.fields.append((fd.name, self.resolve(fd.type)))
        st.field_pos = {fd.name: fd.pos for fd in fields}

    def check_recursion(self):
        state = {}

        def refs(ty):
            if isinstance(ty, StructType):
                # An imported struct cannot contain this library's (imports have no cycles).
                return [ty] if self.types.get(ty.name) is ty else []
            if isinstance(ty, OptionalStruct):
                return refs(ty.struct)
            if isinstance(ty, (VectorType, ArrayType)):
                return refs(ty.elem)
            return []

        def visit(st, path):
            state[st.name] = "active"
            for fname, fty in st.fields:
                for target in refs(fty):
                    if state.get(target.name) == "active":
                        cycle = " -> ".join(path + [target.name])
                        self.error(st.field_pos[fname], f"struct {target.name} contains "
                                                        f"itself ({cycle})")
                    if target.name not in state:
                        visit(target, path + [target.name])
            state[st.name] = "done"

        for st in self.types.values():
            if isinstance(st, StructType) and st.name not in state:
                visit(st, [st.name])

    def finish_struct(self, st):
        if st.done:
            return
        for _, fty in st.fields:
            self.finish_type(fty)
        st.layout()
        self.lib.structs.append(st)

    def finish_type(self, ty):
        if isinstance(ty, StructType):
            self.finish_struct(ty)
        elif isinstance(ty, OptionalStruct):
            self.finish_struct(ty.struct)
            ty.finish()
        elif isinstance(ty, VectorType):
            self.finish_type(ty.elem)
            ty.finish()
        elif isinstance(ty, ArrayType):
            self.finish_type(ty.elem)
            ty.finish()
            if ty.size > MAX_MSG_BYTES - HEADER_SIZE:
                self.error(ty.pos, f"array of {ty.count} elements of {ty.elem.size} bytes takes "
                                   f"{ty.size} bytes inline, more than a message can carry "
                                   f"({MAX_MSG_BYTES - HEADER_SIZE})")

    def protocol(self, d):
        p = Protocol(d, self.lib.name)
        if not 1 <= d.version <= 0xFFFF:
            self.error(d.version_pos, f"protocol {d.name}'s version must be 1..65535")
        names, ordinals = {}, {}
        for md in d.methods:
            self.not_cpp_keyword(md.name, md.pos)
            if md.name in RESERVED_METHODS:
                self.error(md.pos, f"method name {md.name!r} is reserved by the generated C++")
            if md.name in names:
                self.error(md.pos, f"duplicate method {md.name!r} in protocol {d.name}")
            if not 1 <= md.ordinal <= MAX_ORDINAL:
                self.error(md.ordinal_pos, f"method ordinal {md.ordinal} is not in "
                                           f"1..{MAX_ORDINAL:#x}")
            if md.ordinal in ordinals:
                self.error(md.ordinal_pos, f"duplicate ordinal {md.ordinal} in protocol "
                                           f"{d.name} (also {ordinals[md.ordinal]})")
            names[md.name], ordinals[md.ordinal] = md.pos, md.name
            m = Method(md, d.name)
            for st, fields in ((m.request, md.request), (m.response, md.response)):
                self.struct_fields(st, fields, f"{d.name}.{md.name}")
                self.finish_struct_msg(st, md)
            p.methods.append(m)
        self.lib.protocols.append(p)

    def finish_struct_msg(self, st, md):
        for _, fty in st.fields:
            self.finish_type(fty)
        st.layout()
        total = HEADER_SIZE + align8(st.size) + st.ool
        if total > MAX_MSG_BYTES:
            self.error(md.pos, f"a {st.name} message can take {total} bytes, more than "
                               f"the channel limit {MAX_MSG_BYTES}")
        if st.handles > MAX_MSG_HANDLES:
            self.error(md.pos, f"a {st.name} message can carry {st.handles} handles, more "
                               f"than the channel limit {MAX_MSG_HANDLES}")

    # ---- types

    def lookup(self, name, pos):
        """The library that declares `name` (local or `lib.Name`) and the bare name."""
        lib, _, bare = name.rpartition(".")
        if not lib or lib == self.lib.name:
            return self.lib, bare
        if lib not in self.lib.imports:
            self.error(pos, f"library {lib!r} is not imported (add `using {lib};`)")
        return self.lib.imports[lib], bare

    def max_size(self, ty, what="maximum size", form=None):
        if ty.max is None:
            self.error(ty.pos, f"{ty.base} needs a {what} ({form or ty.base + ':N'})")
        value = ty.max
        if isinstance(value, str):
            lib, bare = self.lookup(value, ty.max_pos)
            if bare not in lib.consts:
                self.error(ty.max_pos, f"unknown constant {value!r}")
            value = lib.consts[bare][1]
        if not 1 <= value <= MAX_MSG_BYTES:
            self.error(ty.max_pos, f"{what} {value} is not in 1..{MAX_MSG_BYTES}")
        return value

    def array(self, ty):
        if ty.optional:
            self.error(ty.pos, "an array cannot be optional (it is inline: use a vector, or "
                               "optional elements)")
        return ArrayType(self.resolve(ty.elem), self.max_size(ty, "size", "array<T>:N"),
                         ty.max_pos)

    def resolve(self, ty):
        base = ty.base
        if "." in base:
            return self.resolve_declared(ty, *self.lookup(base, ty.pos))
        if base in PRIMS:
            if ty.optional:
                self.error(ty.pos, f"{base} cannot be optional (only strings, vectors, "
                                   f"handles and structs can)")
            return Prim(base)
        if base == "string":
            return StringType(self.max_size(ty), ty.optional)
        if base == "vector":
            return VectorType(self.resolve(ty.elem), self.max_size(ty), ty.optional)
        if base == "array":
            return self.array(ty)
        if base == "handle":
            return self.handle(ty)
        return self.resolve_declared(ty, self.lib, base)

    def resolve_declared(self, ty, lib, name):
        """An enum, bits or struct `name` of `lib` (this library or an import)."""
        t = lib.types.get(name)
        if isinstance(t, EnumType):
            if ty.optional:
                self.error(ty.pos, f"{ty.base} cannot be optional (only strings, vectors, "
                                   f"handles and structs can)")
            return t
        if t is not None:
            return OptionalStruct(t) if ty.optional else t
        if name in lib.kinds:
            self.error(ty.pos, f"{ty.base!r} is a {lib.kinds[name]}, not a type")
        self.error(ty.pos, f"unknown type {ty.base!r}")

    def handle(self, ty):
        obj = ty.obj
        if obj is not None and obj != "any" and obj not in self.objects:
            self.error(ty.obj_pos, f"unknown object type {obj!r} (one of any, "
                                   f"{', '.join(self.objects)})")
        rights = []
        for r, pos in ty.rights:
            if r not in self.rights:
                self.error(pos, f"unknown right {r!r} (one of {', '.join(self.rights)})")
            if r in rights:
                self.error(pos, f"right {r} named twice")
            rights.append(r)
        return HandleType(None if obj in (None, "any") else obj, rights, ty.optional)


def check(f, objects, rights, imports=None):
    """`imports`: the checked Library of each library `f` names in a `using`."""
    return Checker(f, objects, rights, imports or {}).run()

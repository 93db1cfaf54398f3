"""The C++ the IDL compiler generates (docs/idl.md, "Generated C++").

gen_types(lib, src) is <idl/LIB.h>: constants, enums, bits, structs, the
protocols' message structs and their Encode/Decode functions (every
toolchain). gen_ipc(lib, src) is <idl/LIB_ipc.h>: synchronous and
asynchronous clients, event handlers and server bases (user space only).
"""

from .check import (ArrayType, EnumType, HandleType, OptionalStruct, Prim, StringType,
                     StructType, VectorType, HEADER_SIZE, align8)

CPP_PRIM = {"bool": "bool", "int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t",
            "uint16": "uint16_t", "int32": "int32_t", "uint32": "uint32_t", "int64": "int64_t",
            "uint64": "uint64_t"}
HANDLE_CLASS = {"channel": "Channel", "event": "Event", "eventpair": "EventPair", "port": "Port",
                "timer": "Timer", "vmo": "Vmo", "vmar": "Vmar", "job": "Job",
                "process": "Process", "thread": "Thread", "debuglog": "Debuglog"}
W = "::mica::idl::"


def namespace(lib):
    return "idl::" + "::".join(lib.name.split("."))


def header_path(lib, suffix=""):
    return "idl/" + lib.name.replace(".", "/") + suffix + ".h"


def cpp_type(ty):
    if isinstance(ty, Prim):
        return CPP_PRIM[ty.name]
    if isinstance(ty, EnumType):
        return cpp_name(ty)
    if isinstance(ty, StringType):
        inner = f"{W}String<{ty.max}>"
    elif isinstance(ty, VectorType):
        inner = f"{W}Vector<{cpp_type(ty.elem)}, {ty.max}>"
    elif isinstance(ty, ArrayType):
        return f"{W}Array<{cpp_type(ty.elem)}, {ty.count}>"
    elif isinstance(ty, HandleType):
        return "::mica::" + HANDLE_CLASS.get(ty.obj, "Handle")
    elif isinstance(ty, OptionalStruct):
        return f"{W}Optional<{cpp_name(ty.struct)}>"
    else:
        return cpp_name(ty)
    return f"{W}Optional<{inner}>" if ty.optional else inner


def cpp_name(st):
    """A struct's or enum's C++ name: bare, P::MethodRequest, or qualified if imported."""
    return st.cpp if hasattr(st, "cpp") else st.name


def qualify_imports(lib):
    """Names the types of the libraries `lib` uses by their full C++ names
    (::idl::other::Type): only `lib`'s own types are emitted in this run."""
    for dep in lib.imports.values():
        for ty in dep.types.values():
            ty.cpp = f"::{namespace(dep)}::{ty.name}"


def memcpy_prim(ty):
    return isinstance(ty, Prim) and ty.name != "bool"


class Codegen:
    """Emits the statements that encode or decode one value (depth-first)."""

    def __init__(self):
        self.n = 0

    def tmp(self, base):
        self.n += 1
        return f"{base}{self.n}"

    def encode(self, ty, off, v, ind):
        p = " " * ind
        if isinstance(ty, Prim):
            val = f"{v} ? 1 : 0" if ty.name == "bool" else v
            put = "uint8_t" if ty.name == "bool" else CPP_PRIM[ty.name]
            return [f"{p}e.Put<{put}>({off}, {val});"]
        if isinstance(ty, EnumType):
            u = CPP_PRIM[ty.prim.name]
            return [f"{p}if (!IsValid({v})) return e.Fail(MICA_ERR_INVALID_ARGS);",
                    f"{p}e.Put<{u}>({off}, static_cast<{u}>({v}));"]
        if isinstance(ty, HandleType):
            return [f"{p}if (!e.PutHandle({off}, {v}, {str(ty.optional).lower()})) return false;"]
        if isinstance(ty, StructType):
            return [f"{p}if (!Encode(e, {off}, {v})) return false;"]
        if isinstance(ty, OptionalStruct):
            o = self.tmp("o")
            return [f"{p}{{",
                    f"{p}  uint32_t {o} = 0;",
                    f"{p}  if (!e.PutOptional({off}, {v}.has_value, {ty.struct.size}, &{o})) "
                    f"return false;",
                    f"{p}  if ({v}.has_value && !Encode(e, {o}, {v}.value)) return false;",
                    f"{p}}}"]
        if isinstance(ty, ArrayType):
            return self.array(ty, off, v, ind, self.encode,
                              f"e.PutBytes({off}, {v}.items, {ty.size});")
        return self.encode_vector(ty, off, v, ind)

    def array(self, ty, off, v, ind, each, bulk):
        """The elements of an array: one copy of plain integers, else a loop."""
        p = " " * ind
        if memcpy_prim(ty.elem):
            return [f"{p}{bulk}"]
        i = self.tmp("i")
        return ([f"{p}for (uint32_t {i} = 0; {i} < {ty.count}; ++{i}) {{"] +
                each(ty.elem, f"{off} + {i} * {ty.elem.size}", f"{v}.items[{i}]", ind + 2) +
                [f"{p}}}"])

    def encode_vector(self, ty, off, v, ind):
        p = " " * ind
        o, i = self.tmp("o"), self.tmp("i")
        present = f"{v}.has_value" if ty.optional else "true"
        val = f"{v}.value" if ty.optional else v
        elem = ty.elem if isinstance(ty, VectorType) else Prim("uint8")
        count = f"{val}.count" if isinstance(ty, VectorType) else f"{val}.size"
        data = f"{val}.items" if isinstance(ty, VectorType) else f"{val}.data"
        out = [f"{p}{{", f"{p}  uint32_t {o} = 0;",
               f"{p}  if (!e.PutVector({off}, {present}, {count}, {ty.max}, {elem.size}, &{o})) "
               f"return false;"]
        if memcpy_prim(elem):
            out.append(f"{p}  if ({present}) e.PutBytes({o}, {data}, "
                       f"size_t{{{count}}} * {elem.size});")
            if isinstance(ty, StringType):
                out.append(f"{p}  if ({present} && !{W}IsUtf8({data}, {count})) "
                           f"return e.Fail(MICA_ERR_INVALID_ARGS);")
        else:
            out.append(f"{p}  for (uint32_t {i} = 0; {present} && {i} < {count}; ++{i}) {{")
            out += self.encode(elem, f"{o} + {i} * {elem.size}", f"{data}[{i}]", ind + 4)
            out.append(f"{p}  }}")
        return out + [f"{p}}}"]

    def decode(self, ty, off, v, ind):
        p = " " * ind
        if isinstance(ty, Prim):
            if ty.name == "bool":
                return [f"{p}if (!d.GetBool({off}, &{v})) return false;"]
            return [f"{p}{v} = d.Get<{CPP_PRIM[ty.name]}>({off});"]
        if isinstance(ty, EnumType):
            u = CPP_PRIM[ty.prim.name]
            return [f"{p}{v} = static_cast<{cpp_name(ty)}>(d.Get<{u}>({off}));",
                    f"{p}if (!IsValid({v})) return d.Fail(MICA_ERR_INVALID_ARGS);"]
        if isinstance(ty, HandleType):
            h = self.tmp("h")
            obj = f"MICA_OBJ_TYPE_{ty.obj.upper()}" if ty.obj else "MICA_OBJ_TYPE_NONE"
            rights = " | ".join(f"MICA_RIGHT_{r}" for r in ty.rights) or "MICA_RIGHT_NONE"
            return [f"{p}{{", f"{p}  mica_handle_t {h} = MICA_HANDLE_INVALID;",
                    f"{p}  if (!d.TakeHandle({off}, {obj}, {rights}, "
                    f"{str(ty.optional).lower()}, &{h})) return false;",
                    f"{p}  {v}.reset({h});", f"{p}}}"]
        if isinstance(ty, StructType):
            return [f"{p}if (!Decode(d, {off}, &{v})) return false;"]
        if isinstance(ty, OptionalStruct):
            o, b = self.tmp("o"), self.tmp("p")
            return [f"{p}{{", f"{p}  uint32_t {o} = 0;", f"{p}  bool {b} = false;",
                    f"{p}  if (!d.GetOptional({off}, {ty.struct.size}, &{b}, &{o})) return false;",
                    f"{p}  {v}.has_value = {b};",
                    f"{p}  if ({b} && !Decode(d, {o}, &{v}.value)) return false;", f"{p}}}"]
        if isinstance(ty, ArrayType):
            return self.array(ty, off, v, ind, self.decode,
                              f"if (!d.GetBytes({off}, {v}.items, {ty.size})) return false;")
        return self.decode_vector(ty, off, v, ind)

    def decode_vector(self, ty, off, v, ind):
        p = " " * ind
        o, n, b, i = self.tmp("o"), self.tmp("n"), self.tmp("p"), self.tmp("i")
        val = f"{v}.value" if ty.optional else v
        elem = ty.elem if isinstance(ty, VectorType) else Prim("uint8")
        count = f"{val}.count" if isinstance(ty, VectorType) else f"{val}.size"
        data = f"{val}.items" if isinstance(ty, VectorType) else f"{val}.data"
        out = [f"{p}{{", f"{p}  uint32_t {o} = 0;", f"{p}  uint32_t {n} = 0;",
               f"{p}  bool {b} = false;",
               f"{p}  if (!d.GetVector({off}, {ty.max}, {elem.size}, "
               f"{str(ty.optional).lower()}, &{b}, &{n}, &{o})) return false;"]
        if ty.optional:
            out.append(f"{p}  {v}.has_value = {b};")
        out.append(f"{p}  {count} = {n};")
        if memcpy_prim(elem):
            out.append(f"{p}  if ({b} && !d.GetBytes({o}, {data}, size_t{{{n}}} * {elem.size})) "
                       f"return false;")
            if isinstance(ty, StringType):
                out.append(f"{p}  if (!{W}IsUtf8({data}, {n})) "
                           f"return d.Fail(MICA_ERR_INVALID_ARGS);")
        else:
            out.append(f"{p}  for (uint32_t {i} = 0; {i} < {n}; ++{i}) {{")
            out += self.decode(elem, f"{o} + {i} * {elem.size}", f"{data}[{i}]", ind + 4)
            out.append(f"{p}  }}")
        return out + [f"{p}}}"]


def struct_body(st, ind):
    p = " " * ind
    out = [f"{p}static constexpr uint32_t kWireSize = {st.size};",
           f"{p}static constexpr uint32_t kMaxBytes = {HEADER_SIZE + align8(st.size) + st.ool};",
           f"{p}static constexpr uint32_t kMaxHandles = {st.handles};"]
    for name, ty, _ in st.fields:
        out.append(f"{p}{cpp_type(ty)} {name}{{}};")
    return out


def codec(st):
    """Encode and Decode of one struct (inline part at `off`)."""
    name = cpp_name(st)
    g = Codegen()
    out = [f"inline bool Encode({W}Encoder& e, uint32_t off, {name}& v) {{"]
    if not st.fields:
        out.append("  static_cast<void>(off);")
        out.append("  static_cast<void>(v);")
    for fname, ty, foff in st.fields:
        out += g.encode(ty, f"off + {foff}", f"v.{fname}", 2)
    out += ["  return e.status() == MICA_OK;", "}", "",
            f"inline bool Decode({W}Decoder& d, uint32_t off, {name}* v) {{"]
    if not st.fields:
        out.append("  static_cast<void>(v);")
    for goff, glen in st.padding():
        out.append(f"  if (!d.CheckZero(off + {goff}, {glen})) return false;")
    if not st.padding() and not st.fields:
        out.append("  static_cast<void>(off);")
    for fname, ty, foff in st.fields:
        out += g.decode(ty, f"off + {foff}", f"v->{fname}", 2)
    out += ["  return d.status() == MICA_OK;", "}", ""]
    return out


def enum_decl(e):
    u = CPP_PRIM[e.prim.name]
    out = [f"enum class {e.name} : {u} {{"]
    out += [f"  {n} = {v}," for n, v in e.members]
    out += ["};", ""]
    if e.is_bits:
        out += [f"inline constexpr {u} k{e.name}Mask = {e.mask():#x};",
                f"constexpr {e.name} operator|({e.name} a, {e.name} b) {{",
                f"  return static_cast<{e.name}>(static_cast<{u}>(a) | static_cast<{u}>(b));",
                "}",
                f"constexpr {e.name} operator&({e.name} a, {e.name} b) {{",
                f"  return static_cast<{e.name}>(static_cast<{u}>(a) & static_cast<{u}>(b));",
                "}",
                f"constexpr bool IsValid({e.name} v) {{",
                f"  return (static_cast<{u}>(v) & ~k{e.name}Mask) == 0;", "}", ""]
    else:
        out += [f"constexpr bool IsValid({e.name} v) {{", "  switch (v) {"]
        out += [f"    case {e.name}::{n}:" for n, _ in e.members]
        out += ["      return true;", "  }", "  return false;", "}", ""]
    return out


def message_name(m, part):
    if m.kind == "event":
        return f"{m.name}Event"
    return f"{m.name}{part}"


def protocol_decl(p):
    out = [f"// protocol {p.name} version {p.version}",
           f"struct {p.name} {{",
           f"  static constexpr uint32_t kId = {p.id:#010x};",
           f"  static constexpr uint16_t kVersion = {p.version};",
           f"  static constexpr const char kName[] = \"{p.qualified}\";"]
    for m in p.methods:
        out.append(f"  static constexpr uint64_t k{m.name}Ordinal = "
                   f"{W}MakeOrdinal(kId, {m.ordinal});")
    for m in p.methods:
        parts = [("Request", m.request)] if m.kind != "twoway" else [
            ("Request", m.request), ("Response", m.response)]
        for part, st in parts:
            st.cpp = f"{p.name}::{message_name(m, part)}"
            out.append(f"  struct {message_name(m, part)} {{")
            out += struct_body(st, 4)
            out.append("  };")
    return out + ["};", ""]


def gen_types(lib, src):
    ns = namespace(lib)
    out = [f"// Generated by system/idl/idlc.py from {src}. Do not edit.",
           f"// Types and wire codecs of IDL library {lib.name} (docs/idl.md).",
           "#pragma once", "", "#include <mica/cpp/objects.h>", "#include <mica/idl/wire.h>",
           "#include <stdint.h>", ""]
    qualify_imports(lib)
    out += [f"#include <{header_path(dep)}>  // using {name};"
            for name, dep in sorted(lib.imports.items())]
    out += ([""] if lib.imports else []) + [f"namespace {ns} {{", ""]
    for name, (prim, value) in lib.consts.items():
        out.append(f"inline constexpr {CPP_PRIM[prim.name]} {name} = {value};")
    if lib.consts:
        out.append("")
    for e in lib.enums:
        out += enum_decl(e)
    for st in lib.structs:
        out.append(f"struct {st.name} {{")
        out += struct_body(st, 2)
        out += ["};", ""]
        out += codec(st)
    for p in lib.protocols:
        out += protocol_decl(p)
        for m in p.methods:
            out += codec(m.request)
            if m.kind == "twoway":
                out += codec(m.response)
    out += [f"}}  // namespace {ns}", ""]
    return "\n".join(out)


# ---- <idl/LIB_ipc.h>: clients, event handlers, servers (user space)

def max_bytes(structs):
    return max([HEADER_SIZE + align8(st.size) + st.ool for st in structs] + [0])


def unused(names, ind=4):
    return [" " * ind + f"static_cast<void>({n});" for n in names]


def event_handler(p):
    events = [m for m in p.methods if m.kind == "event"]
    out = [f"// The events of {p.name}: override the ones you want (the others are",
           "// decoded and dropped).",
           f"class {p.name}EventHandler {{", " public:",
           f"  virtual ~{p.name}EventHandler() = default;"]
    for m in events:
        out.append(f"  virtual void {m.name}({p.name}::{m.name}Event& event) {{ "
                   f"static_cast<void>(event); }}")
    out += ["};", "",
            f"inline mica_status_t DispatchEvent({p.name}EventHandler& handler, "
            f"const {W}MessageHeader& header, uint8_t* bytes, uint32_t num_bytes, "
            f"mica_handle_t* handles, uint32_t num_handles) {{"]
    if not events:
        out += unused(["handler", "header", "bytes", "num_bytes"], 2)
    for m in events:
        out += [f"  if (header.ordinal == {p.name}::k{m.name}Ordinal && header.txid == 0) {{",
                f"    {p.name}::{m.name}Event event;",
                f"    mica_status_t s = {W}DecodeMessage(bytes, num_bytes, handles, num_handles, "
                f"&event);",
                "    if (s == MICA_OK) {", f"      handler.{m.name}(event);", "    }",
                "    return s;", "  }"]
    return out + [f"  {W}CloseHandles(handles, num_handles);",
                  "  return MICA_ERR_NOT_SUPPORTED;", "}", ""]


def sync_client(p):
    events = [m.request for m in p.methods if m.kind == "event"]
    out = [f"// Calls {p.name} over channel_call; each call blocks until its reply.",
           f"class {p.name}SyncClient : public {W}SyncClientBase {{", " public:",
           "  using SyncClientBase::SyncClientBase;"]
    for m in p.methods:
        req = f"{p.name}::{m.name}Request"
        if m.kind == "twoway":
            out += [f"  mica_status_t {m.name}({req}& request, {p.name}::{m.name}Response* "
                    f"response) {{",
                    f"    return {W}SyncCall(*this, {p.name}::kVersion, {p.name}::k{m.name}Ordinal, "
                    f"request, response);", "  }"]
        elif m.kind == "oneway":
            out += [f"  mica_status_t {m.name}({req}& request) {{",
                    f"    return {W}SyncSend(*this, {p.name}::kVersion, "
                    f"{p.name}::k{m.name}Ordinal, request);", "  }"]
    if events:
        nh = max(st.handles for st in events)
        out += ["  // Waits for one event (until `deadline`) and hands it to `handler`.",
                f"  mica_status_t HandleOneEvent({p.name}EventHandler& handler, "
                f"mica_time_t deadline) {{",
                f"    alignas(8) uint8_t bytes[{max_bytes(events)}];",
                f"    mica_handle_t handles[{max(nh, 1)}];",
                "    uint32_t num_bytes = 0;", "    uint32_t num_handles = 0;",
                f"    mica_status_t s = {W}SyncClientBase::Read(deadline, bytes, sizeof(bytes), handles, {nh}, "
                f"&num_bytes, &num_handles);",
                "    if (s != MICA_OK) {", "      return s;", "    }",
                f"    {W}MessageHeader header{{}};",
                f"    s = {W}ReadHeader(bytes, num_bytes, &header);",
                f"    if (s == MICA_OK && header.version != {p.name}::kVersion) {{",
                "      s = MICA_ERR_NOT_SUPPORTED;", "    }",
                "    if (s != MICA_OK) {", f"      {W}CloseHandles(handles, num_handles);",
                "      return s;", "    }",
                "    return DispatchEvent(handler, header, bytes, num_bytes, handles, "
                "num_handles);", "  }"]
    return out + ["};", ""]


def async_client(p):
    incoming = [m.response for m in p.methods if m.kind == "twoway"] + \
        [m.request for m in p.methods if m.kind == "event"]
    name = f"{p.name}AsyncClient"
    out = [f"// Calls {p.name} from a mica::async::Loop: replies and events run on the loop.",
           f"class {name} : public {W}AsyncClientBase {{", " public:",
           f"  {name}(::mica::async::Loop* loop, ::mica::Channel channel, "
           f"{p.name}EventHandler* events = nullptr)",
           f"      : AsyncClientBase(loop, static_cast<::mica::Channel&&>(channel), {p.name}::kId, "
           f"{p.name}::kVersion, {max_bytes(incoming)}), events_(events) {{}}"]
    for m in p.methods:
        req = f"{p.name}::{m.name}Request"
        if m.kind == "twoway":
            resp = f"{p.name}::{m.name}Response"
            out += [f"  mica_status_t {m.name}({req}& request, "
                    f"::mica::async::InlineFunction<void(mica_status_t, {resp}*)> done) {{",
                    f"    return {W}AsyncCall<{req}, {resp}>(*this, {p.name}::k{m.name}Ordinal, "
                    f"request, static_cast<decltype(done)&&>(done));", "  }"]
        elif m.kind == "oneway":
            out += [f"  mica_status_t {m.name}({req}& request) {{",
                    f"    return {W}AsyncSend(*this, {p.name}::k{m.name}Ordinal, request);",
                    "  }"]
    out += [" protected:",
            f"  mica_status_t OnEvent(const {W}MessageHeader& header, uint8_t* bytes, "
            f"uint32_t num_bytes, mica_handle_t* handles, uint32_t num_handles) override {{",
            f"    {p.name}EventHandler ignore;",
            "    return DispatchEvent(events_ != nullptr ? *events_ : ignore, header, bytes, "
            "num_bytes, handles, num_handles);", "  }", "", " private:",
            f"  {p.name}EventHandler* events_;", "};", ""]
    return out


def server(p):
    requests = [m.request for m in p.methods if m.kind != "event"]
    name = f"{p.name}Server"
    out = [f"// The server base of {p.name}: derive, implement the methods, Begin() on",
           "// the loop. Requests are destroyed after the method returns: move out",
           "// the handles and data you keep. Two-way methods get a Completer to reply",
           "// with, now or later.",
           f"class {name} : public {W}ServerBase {{", " public:"]
    for m in p.methods:
        if m.kind == "twoway":
            out.append(f"  using {m.name}Completer = {W}Completer<{p.name}::{m.name}Response>;")
    out += [f"  {name}(::mica::async::Loop* loop, ::mica::Channel channel)",
            f"      : ServerBase(loop, static_cast<::mica::Channel&&>(channel), {p.name}::kId, "
            f"{p.name}::kVersion, {max_bytes(requests)}) {{}}"]
    for m in p.methods:
        req = f"{p.name}::{m.name}Request"
        if m.kind == "twoway":
            out.append(f"  virtual void {m.name}({req}& request, {m.name}Completer completer) = 0;")
        elif m.kind == "oneway":
            out.append(f"  virtual void {m.name}({req}& request) = 0;")
        else:
            out += [f"  mica_status_t Send{m.name}({p.name}::{m.name}Event& event) {{",
                    f"    return ServerBase::Send(0, {p.name}::k{m.name}Ordinal, event);", "  }"]
    out += [" protected:",
            f"  mica_status_t HandleMessage(const {W}MessageHeader& header, uint8_t* bytes, "
            f"uint32_t num_bytes, mica_handle_t* handles, uint32_t num_handles) override {{"]
    if not requests:
        out += unused(["header", "bytes", "num_bytes", "handles", "num_handles"])
    for m in p.methods:
        if m.kind == "event":
            continue
        req = f"{p.name}::{m.name}Request"
        txid_bad = "header.txid == 0" if m.kind == "twoway" else "header.txid != 0"
        call = (f"{m.name}(request, {m.name}Completer(this, header.txid, header.ordinal));"
                if m.kind == "twoway" else f"{m.name}(request);")
        out += [f"    if (header.ordinal == {p.name}::k{m.name}Ordinal) {{",
                f"      if ({txid_bad}) {{", "        return MICA_ERR_INVALID_ARGS;", "      }",
                f"      {req} request;",
                f"      mica_status_t s = {W}DecodeMessage(bytes, num_bytes, handles, "
                f"num_handles, &request);",
                "      if (s != MICA_OK) {", "        return s;", "      }",
                f"      {call}", "      return MICA_OK;", "    }"]
    return out + ["    return MICA_ERR_NOT_SUPPORTED;", "  }", "};", ""]


def gen_ipc(lib, src):
    ns = namespace(lib)
    out = [f"// Generated by system/idl/idlc.py from {src}. Do not edit.",
           f"// Clients and servers of IDL library {lib.name} (user space; docs/idl.md).",
           "#pragma once", "", f"#include <{header_path(lib)}>", "#include <mica/idl/ipc.h>",
           "", f"namespace {ns} {{", ""]
    for p in lib.protocols:
        out += event_handler(p) + sync_client(p) + async_client(p) + server(p)
    out += [f"}}  // namespace {ns}", ""]
    return "\n".join(out)

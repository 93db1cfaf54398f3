"""The lexer and parser of the Mica IDL (grammar: docs/idl.md, "Grammar").

parse(path, text) returns a File: the library name and its declarations,
each node carrying the (line, column) where it starts. The first syntax
error raises IdlError with its position; nothing is resolved here (names of
types and constants are checked by check.py).
"""

import re

from .errors import IdlError

_TOKEN = re.compile(r"""
    (?P<ws>[ \t\r]+)
  | (?P<nl>\n)
  | (?P<comment>//[^\n]*)
  | (?P<int>0[xX][0-9a-fA-F]+|-?[0-9]+)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<arrow>->)
  | (?P<punct>[;:{}()<>,=|?.])
""", re.X)


class Token:
    def __init__(self, kind, text, line, col):
        self.kind, self.text, self.line, self.col = kind, text, line, col

    def __repr__(self):
        return f"{self.kind}:{self.text}@{self.line}:{self.col}"


def tokenize(path, text):
    tokens, line, line_start, pos = [], 1, 0, 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        col = pos - line_start + 1
        if not m:
            raise IdlError(path, line, col, f"unexpected character {text[pos]!r}")
        kind = m.lastgroup
        if kind == "nl":
            line, line_start = line + 1, m.end()
        elif kind not in ("ws", "comment"):
            tokens.append(Token(kind, m.group(), line, col))
        pos = m.end()
    tokens.append(Token("eof", "end of file", line, pos - line_start + 1))
    return tokens


class Node:
    """A declaration or member with its source position."""

    def __init__(self, kind, name, pos, **attrs):
        self.kind, self.name, self.pos = kind, name, pos
        self.__dict__.update(attrs)


class TypeRef:
    """A use of a type: `base` is a keyword, a declared name or `library.Name`.

    string/vector: `max` (int or constant name, or None when missing);
    array: `max` is its element count; vector/array: `elem` (a TypeRef);
    handle: `obj` (object type name or None) and `rights` (list of (name,
    pos)); any type: `optional`.
    """

    def __init__(self, base, pos):
        self.base, self.pos = base, pos
        self.max, self.max_pos, self.elem = None, None, None
        self.obj, self.obj_pos, self.rights, self.optional = None, None, [], False


class File:
    """A parsed file: `imports` are the (library name, position) of its `using`s."""

    def __init__(self, path, library, imports, decls):
        self.path, self.library, self.imports, self.decls = path, library, imports, decls


class Parser:
    def __init__(self, path, text):
        self.path = path
        self.toks = tokenize(path, text)
        self.i = 0

    # ---- token helpers

    def peek(self, ahead=0):
        return self.toks[min(self.i + ahead, len(self.toks) - 1)]

    def error(self, tok, msg):
        raise IdlError(self.path, tok.line, tok.col, msg)

    def take(self):
        tok = self.peek()
        self.i += 1
        return tok

    def expect(self, text, what=None):
        tok = self.take()
        if tok.text != text or tok.kind == "eof":
            self.error(tok, f"expected {what or repr(text)}, found {tok.text!r}")
        return tok

    def accept(self, text):
        if self.peek().text == text and self.peek().kind != "eof":
            return self.take()
        return None

    def name(self, what="a name"):
        tok = self.take()
        if tok.kind != "name":
            self.error(tok, f"expected {what}, found {tok.text!r}")
        return tok

    def integer(self, what="an integer"):
        tok = self.take()
        if tok.kind != "int":
            self.error(tok, f"expected {what}, found {tok.text!r}")
        return int(tok.text, 0), tok

    # ---- grammar

    def parse(self):
        first = self.peek()
        if first.text != "library":
            self.error(first, "a file must start with `library name;`")
        self.take()
        library = self.dotted("a library name").text
        self.expect(";")
        imports = []
        while self.peek().text == "using" and self.peek().kind == "name":
            self.take()
            lib = self.dotted("a library name")
            imports.append((lib.text, (lib.line, lib.col)))
            self.expect(";")
        decls = []
        while self.peek().kind != "eof":
            decls.append(self.decl())
        return File(self.path, library, imports, decls)

    def dotted(self, what):
        """NAME ("." NAME)*, as one token spelled with its dots."""
        first = self.name(what)
        text = first.text
        while self.accept("."):
            text += "." + self.name(what).text
        return Token("name", text, first.line, first.col)

    def decl(self):
        tok = self.peek()
        parsers = {"const": self.const, "enum": self.enum, "bits": self.enum,
                   "struct": self.struct, "protocol": self.protocol}
        if tok.text == "using" and tok.kind == "name":
            self.error(tok, "`using` must come right after `library`, before any declaration")
        if tok.kind != "name" or tok.text not in parsers:
            self.error(tok, f"expected a declaration (const, enum, bits, struct, protocol), "
                            f"found {tok.text!r}")
        node = parsers[tok.text]()
        if tok.text != "const":
            self.accept(";")  # `};` is allowed after a body
        return node

    def const(self):
        kw = self.take()
        name = self.name("a constant name")
        ty = self.type_ref()
        self.expect("=")
        value, _ = self.integer("the constant's value")
        self.expect(";")
        return Node("const", name.text, (kw.line, kw.col), type=ty, value=value,
                    name_pos=(name.line, name.col))

    def enum(self):
        kw = self.take()
        name = self.name(f"a {kw.text} name")
        self.expect(":", f"':' and the underlying integer type of {kw.text} {name.text}")
        under = self.type_ref()
        self.expect("{")
        members = []
        while not self.accept("}"):
            m = self.name("a member name")
            self.expect("=")
            value, vtok = self.integer("the member's value")
            self.expect(";")
            members.append(Node("member", m.text, (m.line, m.col), value=value,
                                value_pos=(vtok.line, vtok.col)))
        return Node(kw.text, name.text, (kw.line, kw.col), underlying=under, members=members,
                    name_pos=(name.line, name.col))

    def struct(self):
        kw = self.take()
        name = self.name("a struct name")
        self.expect("{")
        fields = []
        while not self.accept("}"):
            fields.append(self.field())
            self.expect(";")
        return Node("struct", name.text, (kw.line, kw.col), fields=fields,
                    name_pos=(name.line, name.col))

    def field(self):
        n = self.name("a field name")
        return Node("field", n.text, (n.line, n.col), type=self.type_ref())

    def params(self):
        self.expect("(")
        fields = []
        if not self.accept(")"):
            fields.append(self.field())
            while self.accept(","):
                fields.append(self.field())
            self.expect(")")
        return fields

    def protocol(self):
        kw = self.take()
        name = self.name("a protocol name")
        vtok = self.peek()
        if vtok.text != "version":
            self.error(vtok, f"protocol {name.text} needs `version N` after its name")
        self.take()
        version, vnum = self.integer("the protocol's version")
        self.expect("{")
        methods = []
        while not self.accept("}"):
            methods.append(self.method())
        return Node("protocol", name.text, (kw.line, kw.col), version=version,
                    version_pos=(vnum.line, vnum.col), methods=methods,
                    name_pos=(name.line, name.col))

    def method(self):
        ordinal, otok = self.integer("a method ordinal (`N: Name(...)`)")
        self.expect(":")
        event = self.accept("->") is not None
        name = self.name("a method name")
        request = self.params()
        response = None
        if not event and self.accept("->"):
            response = self.params()
        self.expect(";")
        kind = "event" if event else ("twoway" if response is not None else "oneway")
        return Node("method", name.text, (name.line, name.col), ordinal=ordinal,
                    ordinal_pos=(otok.line, otok.col), method_kind=kind,
                    request=request, response=response or [])

    def size(self, ty):
        tok = self.peek()
        if not self.accept(":"):
            return
        tok = self.take()
        if tok.kind == "int":
            ty.max = int(tok.text, 0)
        elif tok.kind == "name":
            self.i -= 1
            ty.max = self.dotted("a maximum size").text
        else:
            self.error(tok, f"expected a maximum size, found {tok.text!r}")
        ty.max_pos = (tok.line, tok.col)

    def type_ref(self):
        tok = self.dotted("a type")
        ty = TypeRef(tok.text, (tok.line, tok.col))
        if tok.text in ("vector", "array"):
            self.expect("<")
            ty.elem = self.type_ref()
            self.expect(">")
            self.size(ty)
        elif tok.text == "string":
            self.size(ty)
        elif tok.text == "handle" and self.accept("<"):
            obj = self.name("an object type")
            ty.obj, ty.obj_pos = obj.text, (obj.line, obj.col)
            if self.accept(","):
                r = self.name("a right")
                ty.rights.append((r.text, (r.line, r.col)))
                while self.accept("|"):
                    r = self.name("a right")
                    ty.rights.append((r.text, (r.line, r.col)))
            self.expect(">")
        if self.accept("?"):
            ty.optional = True
        return ty


def parse(path, text):
    return Parser(path, text).parse()

"""Libraries that use other libraries' types (`using lib;`, docs/idl.md).

Loader(files, objects, rights) holds the parsed files the compiler was
given; library(f) checks `f` after every library it imports (found among
those files by their `library` name), each checked once. Errors, at the
`using` that causes them: an unknown library, one declared by several of
the files, a library imported twice, an import cycle.
"""

import os

from .check import check
from .errors import IdlError


class Loader:
    def __init__(self, files, objects, rights):
        self.objects, self.rights = objects, rights
        self.by_name = {}   # library name -> [File]
        for f in files:
            self.by_name.setdefault(f.library, []).append(f)
        self.checked = {}   # path -> Library
        self.active = []    # the files being checked, importer first

    def library(self, f):
        if f.path in self.checked:
            return self.checked[f.path]
        self.active.append(f)
        try:
            imports = {}
            for name, pos in f.imports:
                imports[name] = self.imported(f, name, pos, imports)
        finally:
            self.active.pop()
        lib = check(f, self.objects, self.rights, imports)
        self.checked[f.path] = lib
        return lib

    def imported(self, f, name, pos, seen):
        def error(msg):
            raise IdlError(f.path, pos[0], pos[1], msg)

        if name in seen:
            error(f"library {name!r} is imported twice")
        chain = [a.library for a in self.active]
        if name in chain:
            cycle = " -> ".join(chain[chain.index(name):] + [name])
            error(f"import cycle: {cycle}")
        found = self.by_name.get(name, [])
        if not found:
            error(f"unknown library {name!r} (no file given to the compiler declares it)")
        if len(found) > 1:
            names = ", ".join(sorted(os.path.basename(g.path) for g in found))
            error(f"library {name!r} is declared by {len(found)} of the files given ({names})")
        return self.library(found[0])

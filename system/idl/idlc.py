#!/usr/bin/env python3
"""The Mica IDL compiler: one .idl file in, the C++ of its library out.

  idlc.py FILE.idl --out-dir DIR [--library NAME] [--types-h PATH]
          [--import OTHER.idl]... [--imports-file LIST] [--depfile PATH]

writes DIR/idl/<library>.h (types and wire codecs, every toolchain) and
DIR/idl/<library>_ipc.h (clients and servers, user space). The libraries
FILE uses (`using lib;`) are found among the --import files and the files
listed one per line in LIST (what idl.gni passes); --depfile names the
files read, for ninja.
`idlc.py --check FILE...` only checks, each file on its own (its imports
found among the files given), printing one error line per failing file.
The handle object types and right names come from <mica/types.h>
(--types-h; default system/public/mica/types.h).

Errors are printed as `file:line:column: message` and the exit status is 1.
Python 3 standard library only; the language and the wire format are in
docs/idl.md, the modules in idlc/ (listed in its __init__.py).
"""

import argparse
import os
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from idlc.emit_cpp import gen_ipc, gen_types, header_path  # noqa: E402
from idlc.errors import IdlError  # noqa: E402
from idlc.imports import Loader  # noqa: E402
from idlc.syntax import parse  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_TYPES_H = os.path.join(HERE, "..", "public", "mica", "types.h")


def abi_names(types_h):
    """The object types (lower case) and rights of <mica/types.h>."""
    with open(types_h, encoding="utf-8") as f:
        text = f.read()
    objects = [n.lower() for n in re.findall(r"#define MICA_OBJ_TYPE_(\w+) ", text)
               if n not in ("NONE", "COUNT")]
    rights = [n for n in re.findall(r"#define MICA_RIGHT_(\w+) ", text)
              if n not in ("NONE", "SAME_RIGHTS")]
    return objects, rights


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def parse_file(path):
    with open(path, encoding="utf-8") as f:
        return parse(path, f.read())


def compile_file(path, loader, library=None):
    tree = parse_file(path)
    if library is not None and tree.library != library:
        raise IdlError(path, 1, 1, f"the library is {tree.library!r} but the build names it "
                                   f"{library!r}")
    return loader.library(tree)


def report(fn, reported):
    """fn()'s result, or None after printing its error (each distinct error once)."""
    try:
        return fn()
    except IdlError as e:
        msg = str(e)
    except OSError as e:
        msg = f"{e.filename}: {e.strerror}"
    if msg not in reported:
        reported.add(msg)
        print(msg, file=sys.stderr)
    return None


def load_all(paths, types_h, reported):
    """A Loader over the files at `paths` that parse (errors reported)."""
    objects, rights = abi_names(types_h)
    trees = [t for t in (report(lambda p=p: parse_file(p), reported) for p in paths) if t]
    return Loader(trees, objects, rights), trees


def import_paths(args):
    paths = list(args.imports)
    if args.imports_file:
        with open(args.imports_file, encoding="utf-8") as f:
            paths += [line.strip() for line in f if line.strip()]
    main = os.path.abspath(args.files[0])
    return sorted({p for p in paths if os.path.abspath(p) != main})


def write_depfile(path, target, sources):
    write(path, f"{target}: {' '.join(sources)}\n")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="+", metavar="file")
    ap.add_argument("--out-dir")
    ap.add_argument("--library", help="the library name the file must declare")
    ap.add_argument("--types-h", default=DEFAULT_TYPES_H)
    ap.add_argument("--check", action="store_true", help="check only; write nothing")
    ap.add_argument("--import", dest="imports", action="append", default=[], metavar="FILE",
                    help="a file of a library FILE may use")
    ap.add_argument("--imports-file", help="a file listing such files, one per line")
    ap.add_argument("--depfile", help="write the files read, for ninja")
    args = ap.parse_args(argv)
    reported = set()
    if args.check:
        # Each file on its own (imports among all): one line per failing file.
        loader, trees = load_all(args.files, args.types_h, reported)
        for tree in trees:
            report(lambda t=tree: loader.library(t), reported)
        return 1 if reported else 0
    if len(args.files) != 1:
        ap.error("give one file to compile (or --check several)")
    imports = report(lambda: import_paths(args), reported)
    if imports is None:
        return 1
    loader, _ = load_all(imports, args.types_h, reported)
    lib = report(lambda: compile_file(args.files[0], loader, args.library), reported)
    if lib is None:
        return 1
    src = os.path.basename(args.files[0])
    types_out = os.path.join(args.out_dir, header_path(lib))
    write(types_out, gen_types(lib, src))
    write(os.path.join(args.out_dir, header_path(lib, "_ipc")), gen_ipc(lib, src))
    if args.depfile:
        write_depfile(args.depfile, types_out, imports)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

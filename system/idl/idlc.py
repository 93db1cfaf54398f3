#!/usr/bin/env python3
"""The Mica IDL compiler: one .idl file in, the C++ of its library out.

  idlc.py FILE.idl --out-dir DIR [--library NAME] [--types-h PATH]

writes DIR/idl/<library>.h (types and wire codecs, every toolchain) and
DIR/idl/<library>_ipc.h (clients and servers, user space).
`idlc.py --check FILE...` only checks, each file on its own, printing one
error line per failing file. The handle object types and right names come from
<mica/types.h> (--types-h; default system/public/mica/types.h).

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

from idlc.check import check  # noqa: E402
from idlc.emit_cpp import gen_ipc, gen_types, header_path  # noqa: E402
from idlc.errors import IdlError  # noqa: E402
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


def compile_file(path, types_h, library=None):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    tree = parse(path, text)
    if library is not None and tree.library != library:
        raise IdlError(path, 1, 1, f"the library is {tree.library!r} but the build names it "
                                   f"{library!r}")
    objects, rights = abi_names(types_h)
    return check(tree, objects, rights)


def compile_or_report(path, types_h, library):
    """The checked library, or None after printing the error."""
    try:
        return compile_file(path, types_h, library)
    except IdlError as e:
        print(e, file=sys.stderr)
    except OSError as e:
        print(f"{path}: {e.strerror}", file=sys.stderr)
    return None


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="+", metavar="file")
    ap.add_argument("--out-dir")
    ap.add_argument("--library", help="the library name the file must declare")
    ap.add_argument("--types-h", default=DEFAULT_TYPES_H)
    ap.add_argument("--check", action="store_true", help="check only; write nothing")
    args = ap.parse_args(argv)
    if args.check:
        # Each file on its own: one line per failing file.
        failed = [f for f in args.files if compile_or_report(f, args.types_h, None) is None]
        return 1 if failed else 0
    if len(args.files) != 1:
        ap.error("give one file to compile (or --check several)")
    lib = compile_or_report(args.files[0], args.types_h, args.library)
    if lib is None:
        return 1
    src = os.path.basename(args.files[0])
    write(os.path.join(args.out_dir, header_path(lib)), gen_types(lib, src))
    write(os.path.join(args.out_dir, header_path(lib, "_ipc")), gen_ipc(lib, src))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

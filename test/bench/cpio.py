"""A minimal cpio "newc" writer for the Linux benchmark's initramfs
(docs/performance.md). Deterministic: fixed inode numbers, owners and
modification times, so the same inputs give the same bytes."""

import stat


def _header(ino: int, mode: int, size: int, name: bytes, rdev=(0, 0), nlink=1) -> bytes:
    fields = [
        ino, mode, 0, 0, nlink, 0, size,  # ino mode uid gid nlink mtime filesize
        0, 0, rdev[0], rdev[1],           # devmajor devminor rdevmajor rdevminor
        len(name) + 1, 0,                 # namesize check
    ]
    return b"070701" + b"".join(b"%08X" % f for f in fields)


def _pad(n: int) -> bytes:
    return b"\0" * ((4 - n % 4) % 4)


def write_newc(path: str, entries: list[tuple]) -> None:
    """entries: ("dir", name), ("file", name, data, mode), ("chr", name,
    major, minor). Names are relative ("init", "dev/console")."""
    out = bytearray()
    for ino, e in enumerate(entries, start=1):
        kind, name = e[0], e[1].encode()
        if kind == "dir":
            hdr, data = _header(ino, stat.S_IFDIR | 0o755, 0, name, nlink=2), b""
        elif kind == "file":
            data = e[2]
            hdr = _header(ino, stat.S_IFREG | e[3], len(data), name)
        elif kind == "chr":
            hdr, data = _header(ino, stat.S_IFCHR | 0o600, 0, name, rdev=(e[2], e[3])), b""
        else:
            raise ValueError(kind)
        out += hdr + name + b"\0"
        out += _pad(len(out))
        out += data
        out += _pad(len(out))
    trailer = b"TRAILER!!!"
    out += _header(0, 0, 0, trailer, nlink=1) + trailer + b"\0"
    out += _pad(len(out))
    out += b"\0" * ((512 - len(out) % 512) % 512)
    with open(path, "wb") as f:
        f.write(out)

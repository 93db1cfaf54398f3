#!/usr/bin/env python3
"""Generates the DTB fixtures the FDT host tests and the fuzzer use.

Writes into --out-dir:
  virt-*.dtb            QEMU virt blobs dumped with -machine dumpdtb=...
                        (GICv2/v3, several CPU counts and RAM sizes, EL2 and
                        EL3 variants), trimmed to the header's totalsize.
  rpi4-upstream.dtb     a copy of Debian's upstream bcm2711-rpi-4-b.dtb.
  rpi4-firmware.dtb     the upstream blob with the changes the Pi firmware
                        makes (devicetree/boards/rpi4-firmware.dtso, applied
                        with fdtoverlay).
  raspi4b-qemu.dtb      rpi4-firmware.dtb as QEMU raspi4b hands it to a kernel
                        loaded with -kernel (QEMU rewrites /memory and
                        /chosen), dumped with dumpdtb.
  <name>.dtb            each --test-dts file compiled by dtc.
  index.txt             the names above, one per line.

and into --seed-dir the same blobs repacked by dtc (QEMU's blobs carry ~1 MiB
of free space; packed copies make a compact libFuzzer seed corpus).

Every blob is sanity-checked with dtc so that a broken tool fails the build
here rather than as a confusing test failure.
"""

import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile

QEMU = "qemu-system-aarch64"

# (file name, -machine options, -smp, -m)
VIRT_CONFIGS = [
    (f"virt-gicv{gic}-smp{smp}-{mem}.dtb", f"virt,gic-version={gic}", smp, mem)
    for gic in (2, 3)
    for smp in (1, 2, 4, 8)
    for mem in ("512M", "4G")
] + [
    ("virt-gicv2-el2.dtb", "virt,gic-version=2,virtualization=on", 2, "1G"),
    ("virt-gicv3-el2.dtb", "virt,gic-version=3,virtualization=on", 4, "2G"),
    ("virt-gicv2-el3.dtb", "virt,gic-version=2,secure=on", 2, "1G"),
    ("virt-gicv3-el3-el2.dtb", "virt,gic-version=3,secure=on,virtualization=on", 8, "4G"),
]


def run(cmd, **kwargs):
    result = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        sys.exit(f"make_fixtures: command failed ({result.returncode}): {' '.join(cmd)}\n"
                 f"{result.stdout}{result.stderr}")
    return result


def trim_to_totalsize(path):
    """QEMU writes its 1 MiB FDT buffer; keep only the blob (header totalsize)."""
    with open(path, "rb") as f:
        data = f.read()
    magic, totalsize = struct.unpack(">II", data[:8])
    if magic != 0xD00DFEED or totalsize > len(data):
        sys.exit(f"make_fixtures: {path}: not a DTB")
    with open(path, "wb") as f:
        f.write(data[:totalsize])


def check_dtb(path):
    run(["dtc", "-q", "-I", "dtb", "-O", "dts", "-o", os.devnull, path])


def dump_virt(out_dir, name, machine, smp, mem):
    path = os.path.join(out_dir, name)
    run([QEMU, "-machine", f"{machine},dumpdtb={path}", "-cpu", "cortex-a72",
         "-smp", str(smp), "-m", mem, "-nographic", "-nic", "none"])
    trim_to_totalsize(path)
    return name


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out-dir", required=True)
    parser.add_argument("--upstream-rpi4", required=True, help="bcm2711-rpi-4-b.dtb")
    parser.add_argument("--firmware-overlay", required=True, help="rpi4-firmware.dtso")
    parser.add_argument("--seed-dir", required=True, help="packed copies for the fuzzer")
    parser.add_argument("--test-dts", nargs="*", default=[], help="small test trees (.dts)")
    args = parser.parse_args()

    os.makedirs(args.out_dir, exist_ok=True)
    names = []
    for name, machine, smp, mem in VIRT_CONFIGS:
        names.append(dump_virt(args.out_dir, name, machine, smp, mem))

    upstream = os.path.join(args.out_dir, "rpi4-upstream.dtb")
    shutil.copyfile(args.upstream_rpi4, upstream)
    names.append("rpi4-upstream.dtb")

    firmware = os.path.join(args.out_dir, "rpi4-firmware.dtb")
    with tempfile.TemporaryDirectory() as tmp:
        dtbo = os.path.join(tmp, "rpi4-firmware.dtbo")
        run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", dtbo, args.firmware_overlay])
        run(["fdtoverlay", "-i", upstream, "-o", firmware, dtbo])
        names.append("rpi4-firmware.dtb")

        # QEMU raspi4b needs something to load; its DTB handling is what we
        # want to capture, the (zero) kernel never runs.
        kernel = os.path.join(tmp, "zero.bin")
        with open(kernel, "wb") as f:
            f.write(bytes(4096))
        qemu_dtb = os.path.join(args.out_dir, "raspi4b-qemu.dtb")
        run([QEMU, "-machine", f"raspi4b,dumpdtb={qemu_dtb}", "-dtb", firmware,
             "-kernel", kernel, "-append", "console=ttyS1,115200 mica.boot=qemu",
             "-nographic", "-nic", "none"])
        trim_to_totalsize(qemu_dtb)
        names.append("raspi4b-qemu.dtb")

    for dts in args.test_dts:
        name = os.path.splitext(os.path.basename(dts))[0] + ".dtb"
        run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", os.path.join(args.out_dir, name), dts])
        names.append(name)

    os.makedirs(args.seed_dir, exist_ok=True)
    for name in names:
        check_dtb(os.path.join(args.out_dir, name))
        run(["dtc", "-q", "-I", "dtb", "-O", "dtb", "-o", os.path.join(args.seed_dir, name),
             os.path.join(args.out_dir, name)])
    with open(os.path.join(args.out_dir, "index.txt"), "w") as f:
        f.write("".join(n + "\n" for n in names))


if __name__ == "__main__":
    main()

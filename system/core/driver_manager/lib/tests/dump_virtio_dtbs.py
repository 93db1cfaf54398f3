#!/usr/bin/env python3
"""Dumps QEMU virt's DTB with different virtio devices attached, for
driver_manager_lib_test's check that the tree (and so every node's grant)
does not depend on them: QEMU always lists its 32 virtio-mmio transports.

    dump_virtio_dtbs.py OUT_DIR

Writes OUT_DIR/virtio-<config>.dtb for each configuration below (GICv3, one
CPU, 512 MiB, like virt-gicv3-smp1-512M.dtb). No network is reached:
-nic none, and the one network device uses a restricted user backend.
"""

import os
import subprocess
import sys

QEMU = "qemu-system-aarch64"
BASE = ["-machine", "virt,gic-version=3", "-cpu", "cortex-a72", "-smp", "1", "-m", "512M",
        "-nographic", "-nic", "none"]


def blk(n):
    args = []
    for i in range(n):
        args += ["-drive", f"if=none,id=d{i},file=/dev/null,format=raw,readonly=on",
                 "-device", f"virtio-blk-device,drive=d{i}"]
    return args


CONFIGS = {
    "none": [],
    "legacy-blk-rng": blk(1) + ["-device", "virtio-rng-device"],
    "modern-mixed": ["-global", "virtio-mmio.force-legacy=false"] + blk(4)
    + ["-device", "virtio-rng-device", "-device", "virtio-rng-device",
       "-netdev", "user,id=n0,restrict=on", "-device", "virtio-net-device,netdev=n0"],
}


def main(out_dir: str) -> int:
    os.makedirs(out_dir, exist_ok=True)
    for name, extra in CONFIGS.items():
        path = os.path.join(out_dir, f"virtio-{name}.dtb")
        cmd = [QEMU] + BASE[:1] + [BASE[1] + f",dumpdtb={path}"] + BASE[2:] + extra
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
        if r.returncode != 0 or not os.path.isfile(path):
            sys.stderr.write(f"{' '.join(cmd)} failed:\n{r.stderr.decode(errors='replace')}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

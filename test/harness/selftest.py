#!/usr/bin/env python3
"""Tests of the test harness itself, against a scripted stand-in for QEMU.

    python3 test/harness/selftest.py

A fake `qemu-system-aarch64` is put first on PATH; it prints the console
lines of a script named by $FAKE_QEMU_SCRIPT (directives: `@sleep S`,
`@hang`, `@exit N`, `@nonl TEXT` without a line end, `@echo` what was
typed up to a CR), so each verdict rule of
the harness (run_tests.py and its modules) is exercised without a kernel.
Every test also checks that no child process survives.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import cases  # noqa: E402
import checks  # noqa: E402
import common  # noqa: E402
import qemu  # noqa: E402
import qemu_jobs  # noqa: E402
import run_tests  # noqa: E402

FAKE_QEMU = textwrap.dedent(
    """\
    #!/usr/bin/env python3
    import os, sys, time
    with open(os.environ["FAKE_QEMU_SCRIPT"]) as f:
        script = f.read().splitlines()
    with open(os.environ["FAKE_QEMU_SCRIPT"] + ".argv", "w") as f:
        f.write("\\n".join(sys.argv[1:]))
    for line in script:
        if line.startswith("@sleep "):
            time.sleep(float(line.split()[1]))
        elif line == "@hang":
            time.sleep(3600)
        elif line.startswith("@nonl "):
            sys.stdout.write(line[6:])
            sys.stdout.flush()
        elif line.startswith("@exit "):
            sys.exit(int(line.split()[1]))
        elif line == "@echo":  # prints what was typed, up to a CR
            typed = b""
            while not typed.endswith(b"\\r"):
                c = os.read(0, 1)
                if not c:
                    break
                typed += c
            sys.stdout.write("typed: " + typed.decode().rstrip("\\r") + "\\r\\n")
            sys.stdout.flush()
        else:
            sys.stdout.write(line + "\\r\\n")
            sys.stdout.flush()
    time.sleep(3600)  # like a kernel idling after boot
    """
)


def run_tests_args(test, *extra):
    """The parsed arguments of `./mica test` against the scratch tree."""
    import argparse
    ns = argparse.Namespace(out=test.out, cache=test.cache, filter=None, jobs=1, timeout_scale=1.0,
                            quick=False, fuzz_time=20, pattern=None)
    for flag, value in zip(extra[::2], extra[1::2]):
        setattr(ns, flag.lstrip("-").replace("-", "_"), value)
    return ns


class HarnessTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="mica-harness-selftest-")
        root = Path(cls.tmp.name)
        bin_dir = root / "bin"
        bin_dir.mkdir()
        fake = bin_dir / qemu.QEMU
        fake.write_text(FAKE_QEMU)
        fake.chmod(0o755)
        os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
        cls.out = root / "out"
        cls.cache = root / "cache"
        for f in ("images/virt/Image", "images/virt/bootfs.img", "images/virt/uboot-disk.img",
                  "images/rpi4/sdcard.img", "fixtures/dtb/rpi4-firmware.dtb"):
            (cls.out / f).parent.mkdir(parents=True, exist_ok=True)
            (cls.out / f).write_bytes(b"")
        for f in ("arm64/bcm2711-rpi-4-b.dtb", "arm64/u-boot-rpi.bin"):
            (cls.cache / f).parent.mkdir(parents=True, exist_ok=True)
            (cls.cache / f).write_bytes(b"")
        cls.paths = qemu.Paths(cls.out, cls.cache)
        cls.script = root / "script"
        os.environ["FAKE_QEMU_SCRIPT"] = str(cls.script)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def tearDown(self):
        with qemu._live_lock:
            self.assertEqual(qemu._live, set(), "a child process outlived its case")

    def boot(self, lines, cfg=None, timeout=10.0):
        self.script.write_text("\n".join(lines) + "\n")
        cfg = cfg or qemu.BootConfig()
        cmd = qemu.qemu_command(cfg, self.paths)
        checker = checks.BootChecker(cfg.cpus, cfg.memory_mib)
        return qemu.run_case(cmd, checker, timeout, self.out / "test-logs" / "case.log")

    # --- boot verdicts -----------------------------------------------------

    def test_ready_line_passes(self):
        r = self.boot(["hello", "[ 0.5] mica: kernel ready: cpus=4 ram=2040MiB"])
        self.assertTrue(r.verdict.passed, r.verdict.reason)
        self.assertLess(r.seconds, 5)

    def test_wrong_cpu_count_fails(self):
        r = self.boot(["mica: kernel ready: cpus=2 ram=2040MiB"])
        self.assertFalse(r.verdict.passed)
        self.assertIn("cpus=2", r.verdict.reason)

    def test_ram_above_configured_fails(self):
        cfg = qemu.BootConfig(mem_mib=512)
        r = self.boot(["mica: kernel ready: cpus=4 ram=600MiB"], cfg)
        self.assertFalse(r.verdict.passed)
        self.assertIn("ram=600MiB", r.verdict.reason)

    def test_zero_ram_fails(self):
        self.assertFalse(self.boot(["mica: kernel ready: cpus=4 ram=0MiB"]).verdict.passed)

    def test_rpi4_expects_four_cpus(self):
        cfg = qemu.BootConfig(board="rpi4")
        self.assertTrue(self.boot(["mica: kernel ready: cpus=4 ram=1900MiB"], cfg).verdict.passed)

    def test_panic_fails_and_keeps_backtrace(self):
        r = self.boot(["KERNEL PANIC on cpu 1: data abort", "@sleep 0.3", "backtrace: frame0",
                       "mica: kernel ready: cpus=4 ram=2040MiB"])
        self.assertFalse(r.verdict.passed)
        self.assertIn("KERNEL PANIC", r.verdict.reason)
        log = r.log_path.read_text()
        self.assertIn("backtrace: frame0", log)
        self.assertTrue(log.startswith("# qemu-system-aarch64 "))

    def test_hang_times_out(self):
        r = self.boot(["booting...", "@hang"], timeout=1.0)
        self.assertFalse(r.verdict.passed)
        self.assertIn("timeout", r.verdict.reason)
        self.assertLess(r.seconds, 5)

    def test_early_exit_fails(self):
        r = self.boot(["qemu: could not load kernel", "@exit 1"])
        self.assertFalse(r.verdict.passed)
        self.assertIn("exited with status 1", r.verdict.reason)

    def test_unterminated_last_line_is_seen(self):
        r = self.boot(["@nonl mica: kernel ready: cpus=4 ram=100MiB", "@exit 0"])
        self.assertTrue(r.verdict.passed, r.verdict.reason)

    # --- ktest -------------------------------------------------------------

    def ktest(self, lines, timeout=10.0):
        self.script.write_text("\n".join(lines) + "\n")
        checker = checks.KtestChecker()
        cmd = qemu.qemu_command(qemu.BootConfig(append="kernel.test=all"), self.paths)
        r = qemu.run_case(cmd, checker, timeout, self.out / "test-logs" / "ktest.log")
        return checker, r

    def test_ktest_lines_and_done(self):
        checker, r = self.ktest(["ktest: start 2", "ktest: PASS pmm.alloc (1500 us)", "detail line", "ktest: FAIL heap.grow: out of memory",
                                 "ktest: done passed=1 failed=1"])
        self.assertTrue(r.verdict.passed)
        self.assertEqual([(k.name, k.passed) for k in checker.results],
                         [("pmm.alloc", True), ("heap.grow", False)])
        self.assertEqual(checker.results[0].seconds, 0.0015)
        self.assertEqual(checker.results[1].reason, "out of memory")
        self.assertEqual(checker.results[1].output, ["detail line"])
        self.assertEqual(checks.ktest_summary_problem(checker, r.verdict), "")

    def test_ktest_count_mismatch(self):
        checker, r = self.ktest(["ktest: PASS a", "ktest: done passed=2 failed=0"])
        self.assertIn("disagrees", checks.ktest_summary_problem(checker, r.verdict))

    def test_ktest_start_count_mismatch(self):
        checker, r = self.ktest(["ktest: start 3", "ktest: PASS a", "ktest: done passed=1 failed=0"])
        self.assertIn("announced 3", checks.ktest_summary_problem(checker, r.verdict))

    def test_ktest_missing_done(self):
        checker, r = self.ktest(["ktest: PASS a", "@hang"], timeout=1.0)
        self.assertIn("no 'ktest: done'", checks.ktest_summary_problem(checker, r.verdict))

    def test_ktest_no_tests(self):
        checker, r = self.ktest(["ktest: done passed=0 failed=0"])
        self.assertIn("no tests", checks.ktest_summary_problem(checker, r.verdict))

    # --- core-tests (a user program's line protocol) -------------------------

    def core(self, lines, timeout=10.0):
        self.script.write_text("\n".join(lines) + "\n")
        checker = checks.CoreTestsChecker()
        cmd = qemu.qemu_command(qemu.BootConfig(append="userboot.next=bin/core-tests"), self.paths)
        r = qemu.run_case(cmd, checker, timeout, self.out / "test-logs" / "core.log")
        return checker, r

    def test_core_lines_done_and_exit(self):
        checker, r = self.core(["core-tests(1024): core-tests: start 2",
                                "core-tests(1024): core-tests: PASS abi.numbers",
                                "core-tests(1024): core-tests:   also x.c:3: more",
                                "core-tests(1024): core-tests: FAIL channel.write: x.c:9: got -11",
                                "core-tests(1024): core-tests: done passed=1 failed=1",
                                "userboot: bin/core-tests exited with status 1"])
        self.assertTrue(r.verdict.passed, r.verdict.reason)
        self.assertEqual([(k.name, k.passed) for k in checker.results],
                         [("abi.numbers", True), ("channel.write", False)])
        self.assertEqual(checker.results[1].reason, "x.c:9: got -11")
        self.assertEqual(checker.results[1].output, ["core-tests(1024): core-tests:   also x.c:3: more"])
        self.assertIn("status 1, not 0", checks.suite_summary_problem(checker, r.verdict))

    def test_core_all_passed(self):
        checker, r = self.core(["core-tests: PASS a.b", "core-tests: done passed=1 failed=0",
                                "userboot: bin/core-tests exited with status 0"])
        self.assertEqual(checks.suite_summary_problem(checker, r.verdict), "")

    def test_core_needs_exit_line(self):
        checker, r = self.core(["core-tests: PASS a.b", "core-tests: done passed=1 failed=0", "@hang"],
                               timeout=1.0)
        self.assertFalse(r.verdict.passed)
        self.assertIn("exited with status' line", checks.suite_summary_problem(checker, r.verdict))

    def test_core_exit_before_done(self):
        checker, r = self.core(["core-tests: PASS a.b", "userboot: bin/core-tests exited with status -1025"])
        self.assertFalse(r.verdict.passed)
        self.assertLess(r.seconds, 5)  # decided at the exit line, not by the timeout
        self.assertIn("before 'core-tests: done'", checks.suite_summary_problem(checker, r.verdict))

    def test_core_count_mismatch(self):
        checker, r = self.core(["core-tests: PASS a.b", "core-tests: done passed=2 failed=0",
                                "userboot: bin/core-tests exited with status 0"])
        self.assertIn("disagrees", checks.suite_summary_problem(checker, r.verdict))

    # --- userboot (command line handling cases) ------------------------------

    def userboot(self, lines, expected, status, forbidden=(), timeout=10.0):
        self.script.write_text("\n".join(lines) + "\n")
        checker = checks.UserbootChecker(expected, status, forbidden)
        cmd = qemu.qemu_command(qemu.BootConfig(append="userboot.next=bin/x"), self.paths)
        return qemu.run_case(cmd, checker, timeout, self.out / "test-logs" / "userboot.log")

    def test_userboot_expected_lines_then_end(self):
        r = self.userboot(["[    0.2] userboot(1029): userboot: cannot start bin/x: no such file",
                           "[    0.3] userboot: ended with status 1", "@hang"],
                          [r"cannot start bin/x: no such file"], 1, (r"exited with status",))
        self.assertTrue(r.verdict.passed, r.verdict.reason)
        self.assertLess(r.seconds, 5)  # decided at the kernel's line

    def test_userboot_missing_line(self):
        r = self.userboot(["[    0.3] userboot: ended with status 1"], [r"cannot start"], 1)
        self.assertFalse(r.verdict.passed)
        self.assertIn("missing lines: cannot start", r.verdict.reason)

    def test_userboot_wrong_status_or_forbidden_line(self):
        r = self.userboot(["[    0.2] userboot(1029): userboot: bin/x exited with status 0",
                           "[    0.3] userboot: ended with status 0"], [], 1)
        self.assertIn("status 0, not 1", r.verdict.reason)
        r = self.userboot(["[    0.2] userboot(1029): userboot: bin/x exited with status 0",
                           "[    0.3] userboot: ended with status 1"], [], 1, (r"exited with status",))
        self.assertIn("unexpected lines", r.verdict.reason)

    def test_userboot_process_line_does_not_end_it(self):
        # userboot's own debug log lines are not the kernel's end line.
        r = self.userboot(["userboot(1029): userboot: ended with status 1", "@hang"], [], 1, timeout=1.0)
        self.assertFalse(r.verdict.passed)
        self.assertIn("no 'userboot: ended with status' line", r.verdict.reason)

    def test_core_filter_does_not_catch_host_names(self):
        opts = common.Options(run_tests_args(self, "--filter", "host/kernel_object_core_test"))
        names = [c.name for c in cases.core_cases()]
        self.assertFalse(qemu_jobs.suite_selected(opts, names[0], names, "core"))
        opts = common.Options(run_tests_args(self, "--filter", "core/.*/channel"))
        self.assertTrue(qemu_jobs.suite_selected(opts, names[0], names, "core"))

    # --- command lines -----------------------------------------------------

    def test_virt_command(self):
        cmd = qemu.qemu_command(qemu.BootConfig(gic=2, smp=2, cpu="cortex-a53", mem_mib=512, el2=True),
                                self.paths)
        joined = " ".join(cmd)
        self.assertIn("-machine virt,gic-version=2,virtualization=on", joined)
        self.assertIn("-cpu cortex-a53 -smp 2 -m 512M", joined)
        self.assertIn("-nic none", joined)
        self.assertIn("-monitor none", joined)
        self.assertIn("-serial stdio", joined)

    def test_virt_uboot_command(self):
        cmd = qemu.qemu_command(qemu.BootConfig(uboot=True), self.paths)
        self.assertIn("-bios", cmd)
        self.assertNotIn("-kernel", cmd)
        self.assertNotIn("-append", cmd)
        self.assertIn("virtio-blk-device,drive=hd0", cmd)

    def test_rpi4_console_is_second_serial(self):
        cmd = qemu.qemu_command(qemu.BootConfig(board="rpi4"), self.paths, console="mon:stdio",
                                interactive=True)
        i = cmd.index("-serial")
        self.assertEqual(cmd[i : i + 4], ["-serial", "null", "-serial", "mon:stdio"])
        self.assertNotIn("-smp", cmd)
        self.assertNotIn("-monitor", cmd)

    def test_board_limits_are_errors(self):
        with self.assertRaises(qemu.ConfigError):
            qemu.validate(qemu.BootConfig(gic=2, smp=9))
        with self.assertRaises(qemu.ConfigError):
            qemu.validate(qemu.BootConfig(uboot=True, append="x"))
        self.assertEqual(qemu.parse_mem_mib("4G"), 4096)
        self.assertEqual(qemu.parse_mem_mib("512"), 512)
        with self.assertRaises(qemu.ConfigError):
            qemu.parse_mem_mib("lots")

    def test_run_rejects_smp_on_rpi4(self):
        r = subprocess.run([sys.executable, str(HERE / "qemu.py"), "run", "--out", str(self.out),
                            "--cache", str(self.cache), "rpi4", "--smp", "2"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--smp cannot be used with rpi4", r.stderr)

    # --- ./mica run's disks (docs/storage.md, "What a user sees") ----------

    def test_data_disk_is_attached_read_write(self):
        cmd = qemu.qemu_command(qemu.BootConfig(data=Path("/d/x,1.img")), self.paths)
        i = cmd.index("if=none,file=/d/x,,1.img,format=raw,id=data")  # QEMU doubles commas
        self.assertEqual(cmd[i - 1], "-drive")
        self.assertEqual(cmd[i + 1 : i + 3], ["-device", "virtio-blk-device,drive=data"])
        self.assertNotIn("snapshot", " ".join(cmd))  # writes persist
        self.assertNotIn("id=data", " ".join(qemu.qemu_command(qemu.BootConfig(), self.paths)))

    def test_uboot_keeps_the_boot_disk_after_the_data_disk(self):
        cmd = qemu.qemu_command(qemu.BootConfig(uboot=True, data=Path("/d/x.img")), self.paths)
        drives = [a for a in cmd if a.startswith("if=none,")]
        self.assertEqual(drives, ["if=none,file=/d/x.img,format=raw,id=data",
                                  f"if=none,file={self.paths.uboot_disk},format=raw,id=hd0,snapshot=on"])
        # First on the command line: the top transport, so U-Boot's virtio 0
        # is the boot disk.
        self.assertLess(cmd.index("virtio-blk-device,drive=data"), cmd.index("virtio-blk-device,drive=hd0"))

    def test_data_disk_is_virt_only(self):
        with self.assertRaises(qemu.ConfigError):
            qemu.validate(qemu.BootConfig(board="rpi4", data=Path("/d/x.img")))
        r = self.mica_run("rpi4", "--data", str(self.out / "x.img"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("--data is for virt only", r.stderr)

    def mica_run(self, *args, root=None, script=("@exit 0",)):
        """qemu.py run (what ./mica run runs) against the fake QEMU; the
        project root (the default data disk's home) is `root`."""
        self.script.write_text("\n".join(script) + "\n")
        argv_file = Path(str(self.script) + ".argv")
        argv_file.unlink(missing_ok=True)
        env = dict(os.environ, MICA_ROOT=str(root or Path(self.tmp.name) / "root"))
        return subprocess.run([sys.executable, str(HERE / "qemu.py"), "run", "--out", str(self.out),
                               "--cache", str(self.cache), *args], capture_output=True, text=True, env=env)

    def qemu_argv(self) -> list[str]:
        path = Path(str(self.script) + ".argv")
        return path.read_text().split("\n") if path.exists() else []

    def assert_fat32_data_disk(self, image: Path):
        self.assertEqual(image.stat().st_size, qemu.DATA_IMAGE_MIB << 20)
        with open(image, "rb") as f:
            boot = f.read(512)
        self.assertEqual(boot[510:512], b"\x55\xaa")
        self.assertEqual(boot[71:82], b"MICADATA   ")  # BS_VolLab of a FAT32 BPB
        self.assertEqual(boot[82:90], b"FAT32   ")
        fsck = subprocess.run(["fsck.fat", "-n", str(image)], capture_output=True, text=True)
        self.assertEqual(fsck.returncode, 0, fsck.stdout + fsck.stderr)
        # FAT32 by its cluster count too (docs/storage.md, "The FAT type").
        clusters = int(re.search(r"(\d+)/(\d+) clusters", fsck.stdout).group(2))
        self.assertGreaterEqual(clusters, 65525)

    def test_run_makes_the_default_data_disk_once(self):
        root = Path(tempfile.mkdtemp(dir=self.tmp.name))
        image = root / ".mica" / "data.img"
        r = self.mica_run(root=root)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"data disk {image}: made now", r.stdout)
        self.assert_fat32_data_disk(image)
        self.assertIn(f"if=none,file={image},format=raw,id=data", self.qemu_argv())
        with open(image, "r+b") as f:  # a mark the next run must keep
            f.seek(1 << 20)
            f.write(b"kept")
        r = self.mica_run(root=root)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("made now", r.stdout)
        self.assertIn(f"data disk {image}: mounted at /data", r.stdout)
        with open(image, "rb") as f:
            f.seek(1 << 20)
            self.assertEqual(f.read(4), b"kept")

    def test_run_data_flag(self):
        root = Path(tempfile.mkdtemp(dir=self.tmp.name))
        image = root / "mine.img"
        r = self.mica_run("--data", str(image), root=root)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_fat32_data_disk(image)  # made if missing, like the default
        self.assertIn(f"if=none,file={image},format=raw,id=data", self.qemu_argv())
        self.assertFalse((root / ".mica").exists())
        # A missing directory is refused, not made; QEMU never starts.
        missing = root / "no-such-dir" / "x.img"
        r = self.mica_run("--data", str(missing), root=root)
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"data disk {missing}: directory {missing.parent} does not exist", r.stderr)
        self.assertEqual(self.qemu_argv(), [])
        self.assertFalse(missing.parent.exists())
        r = self.mica_run("--data", str(root), root=root)  # a directory, not an image
        self.assertEqual(r.returncode, 2)
        self.assertIn("is not a regular file", r.stderr)

    def test_run_no_data(self):
        root = Path(tempfile.mkdtemp(dir=self.tmp.name))
        r = self.mica_run("--no-data", root=root)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(any("id=data" in a for a in self.qemu_argv()))
        self.assertFalse((root / ".mica").exists())
        r = self.mica_run("--no-data", "--data", str(root / "x.img"), root=root)
        self.assertEqual(r.returncode, 2)
        self.assertIn("not allowed with argument", r.stderr)
        r = self.mica_run("rpi4", root=root)  # no data disk on the Pi (yet)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(any("id=data" in a for a in self.qemu_argv()))

    def test_run_help_names_the_data_flags(self):
        usage = subprocess.run([str(HERE.parents[1] / "mica"), "help"], capture_output=True, text=True).stdout
        self.assertIn("[--data FILE | --no-data]", usage)
        self.assertIn(".mica/data.img", usage)
        r = subprocess.run([sys.executable, str(HERE / "qemu.py"), "run", "--help"], capture_output=True, text=True)
        self.assertIn("--data FILE", r.stdout)
        self.assertIn("--no-data", r.stdout)

    # --- the storage cases' images (storage_cases.py) ----------------------

    def test_storage_images_are_damaged_as_planned(self):
        import storage_cases as sc
        root = Path(tempfile.mkdtemp(dir=self.tmp.name))
        image = qemu.default_data_image(root)
        self.assertTrue(qemu.ensure_data_image(image, make_parent=True))
        plan = sc.Plan(int.from_bytes(os.urandom(4), "little"))
        self.assertNotEqual(plan.written_text, sc.Plan(plan.seed + 1).written_text)
        plan.fill(image)
        self.assertEqual(sc.mtype_bytes(image, plan.big), plan.big_data)
        self.assertEqual(len(plan.big_data), 100 * 1024)
        self.assertEqual(sc._fsck(image), "")
        # What the host check wants, put there by mtools: found byte-exact;
        # one byte off is found too.
        files = plan.written_files()
        sc._run(["mmd", "-i", str(image), f"::/{plan.newdir}"])
        for path, data in files.items():
            sc.mcopy_bytes(image, path, data)
        self.assertEqual(sc._contents_problem(image, files), "")
        sc.mcopy_bytes(image, plan.written, b"x" + files[plan.written][1:])
        self.assertIn("first difference at 0", sc._contents_problem(image, files))
        plan.damage(image)
        fsck = subprocess.run(["fsck.fat", "-n", str(image)], capture_output=True, text=True).stdout
        self.assertIn(f"/{plan.loop.upper()}\n  Circular cluster chain", fsck)
        self.assertIn("Start cluster beyond limit", fsck)
        self.assertEqual(sc.mtype_bytes(image, f"{plan.damaged_dir}/{plan.intact}"), plan.intact_text.encode())
        # The bad boot sector: an MBR FAT32 partition at 1 MiB, one BPB
        # field changed.
        for offset, data, _ in sc._BAD_BOOT_SECTORS:
            bad = root / "bad.img"
            sc.make_bad_disk(bad, (offset, data, ""))
            raw = bad.read_bytes()
            self.assertEqual(raw[446 + 4], 0x0C)
            self.assertEqual(int.from_bytes(raw[446 + 8 : 446 + 12], "little"), 2048)
            sector = raw[2048 * 512 : 2049 * 512]
            self.assertEqual(sector[82:90], b"FAT32   ")
            self.assertEqual(sector[offset : offset + len(data)], data)

    # --- the whole run -----------------------------------------------------

    # --- the shell cases (shell_cases.py) ---------------------------------

    def shell(self, lines, inputs, expected, ordered=(), forbidden=(), poweroff=True, timeout=10.0, done=None,
              windows=()):
        import shell_cases
        self.script.write_text("\n".join(lines) + "\n")
        case = shell_cases.ShellCase("shell/test", qemu.BootConfig(), tuple(inputs), list(expected),
                                     list(ordered), tuple(forbidden), poweroff, done=done, windows=tuple(windows))
        cmd = qemu.qemu_command(case.config, self.paths)
        return qemu.run_case(cmd, shell_cases.ShellChecker(case), timeout, self.out / "test-logs" / "shell.log",
                             inputs=case.inputs)

    def test_shell_typing_with_a_computed_input_then_exit_0(self):
        r = self.shell(["shell: ready", "    42 pl031", "@echo", "@echo", "poweroff: done", "@exit 0"],
                       [(r"shell: ready$", b"ps\r"), (r"^\s*(\d+) pl031$", lambda m: f"kill {m.group(1)}\r".encode())],
                       [r"^typed: ps$", r"^typed: kill 42$"], ordered=[r"^typed: kill", r"^poweroff: done$"])
        self.assertTrue(r.verdict.passed, r.verdict.reason)

    def test_shell_needs_exit_0_lines_order_and_no_forbidden(self):
        r = self.shell(["a", "@exit 1"], [], [r"^a$"])
        self.assertFalse(r.verdict.passed)
        self.assertIn("status 1", r.verdict.reason)
        r = self.shell(["b", "a", "@exit 0"], [], [], ordered=[r"^a$", r"^b$"])
        self.assertIn("ordered line 1 missing or out of order", r.verdict.reason)
        r = self.shell(["a", "bad", "@exit 0"], [], [r"^a$", r"^c$"], forbidden=[r"bad"])
        self.assertIn("missing lines: ^c$", r.verdict.reason)
        self.assertIn("unexpected lines", r.verdict.reason)

    def test_shell_windows_forbid_only_between_start_and_end(self):
        window = [(r"^mica> log --tag x$", r"^log: \d+ records", r"INFO")]
        lines = ["INFO before", "mica> log --tag x", "[1.000] m[x] WARN: kept", "log: 1 records", "INFO after",
                 "@exit 0"]
        r = self.shell(lines, [], [], windows=window)
        self.assertTrue(r.verdict.passed, r.verdict.reason)
        lines = ["mica> log --tag x", "[1.000] m INFO: not x", "log: 1 records", "@exit 0"]
        r = self.shell(lines, [], [], windows=window)
        self.assertIn("unexpected lines", r.verdict.reason)
        self.assertIn("not x", r.verdict.reason)
        r = self.shell(["mica> log --tag x", "@exit 0"], [], [], windows=window)
        self.assertIn("windows never closed", r.verdict.reason)

    def test_shell_without_poweroff_ends_at_userboot(self):
        r = self.shell(["a", "[    0.3] userboot: ended with status 0", "@hang"], [], [r"^a$"], poweroff=False)
        self.assertTrue(r.verdict.passed, r.verdict.reason)
        r = self.shell(["a", "[    0.3] userboot: ended with status 2", "@hang"], [], [r"^a$"], poweroff=False)
        self.assertIn("status 2, not 0", r.verdict.reason)
        r = self.shell(["a", "@exit 0"], [], [r"^a$"], poweroff=False)
        self.assertFalse(r.verdict.passed)  # QEMU's own exit is no pass here

    def test_shell_with_a_done_line_ends_there(self):
        r = self.shell(["a", "still here", "@hang"], [], [r"^a$"], poweroff=False, done=r"^still here$")
        self.assertTrue(r.verdict.passed, r.verdict.reason)
        r = self.shell(["still here", "a", "@hang"], [], [r"^a$"], poweroff=False, done=r"^still here$")
        self.assertIn("missing lines: ^a$", r.verdict.reason)
        r = self.shell(["a", "[    0.3] userboot: ended with status 0", "@exit 0"], [], [r"^a$"], poweroff=False,
                       done=r"^still here$")
        self.assertFalse(r.verdict.passed)  # userboot's end is not the done line

    def test_run_tests_summary_is_last_line(self):
        self.script.write_text("mica: kernel ready: cpus=4 ram=100MiB\n")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = run_tests.main(["--out", str(self.out), "--cache", str(self.cache),
                                     "--filter", "^boot/(virt-gic3-smp4-a72|virt-gic3-smp1)", "--jobs", "2"])
        lines = out.getvalue().splitlines()
        qemu._stopping = False  # main() ends with stop_all(); let later tests spawn
        self.assertEqual(lines[-1], "1 passed, 1 failed")
        self.assertEqual(status, 1)
        self.assertTrue(lines[0].startswith("PASS boot/virt-gic3-smp4-a72-2G ("))
        self.assertIn("FAIL boot/virt-gic3-smp1-a53-512M", out.getvalue())
        self.assertTrue(lines[-2].startswith("total time: "))


if __name__ == "__main__":
    unittest.main(verbosity=2)

# Sourced by ./mica. `mica_run` boots Mica in QEMU with the console on this
# terminal: test/harness/qemu.py prints the exact QEMU command, then execs it.
# The same module builds the command lines `./mica test` boots, so `run` and
# the tests boot identical configurations (docs/testing.md).
mica_run() { python3 "$MICA_ROOT/test/harness/qemu.py" run --out "$OUT" --cache "$CACHE" "$@"; }

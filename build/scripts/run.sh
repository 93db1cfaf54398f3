# Sourced by ./mica: `mica_run` boots Mica in QEMU (filled in below).
mica_run() { python3 "$MICA_ROOT/test/harness/qemu.py" run --out "$OUT" --cache "$CACHE" "$@"; }

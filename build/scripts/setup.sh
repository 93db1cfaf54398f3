# Sourced by ./mica. `mica_setup` installs everything Mica needs from Debian
# (DESIGN.md §2) and is idempotent; `mica_ensure_setup` runs it only when
# something is missing.

MICA_DEBS=(
  clang-19 lld-19 llvm-19 libc++-19-dev libclang-rt-19-dev
  generate-ninja ninja-build python3
  picolibc-aarch64-linux-gnu libgcc-12-dev-arm64-cross libc6-dev-arm64-cross
  googletest libgtest-dev
  device-tree-compiler libfdt-dev
  u-boot-qemu u-boot-tools mtools dosfstools fdisk gdb-multiarch
  bsdextrautils  # hexdump: shell/virt-files compares the shell's hexdump with `hexdump -C`
  gcc-aarch64-linux-gnu  # ./mica bench: the static Linux counterparts (test/bench)
)
MICA_QEMU_MIN=10
MICA_ARM64_PKGS=(u-boot-rpi raspi-firmware linux-image-arm64)

log() { printf 'mica setup: %s\n' "$*" >&2; }
die() { printf 'mica setup: error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

debian_sources() {
  local f=/etc/apt/sources.list.d/debian.sources
  [[ -f $f ]] || die "$f not found: Mica's setup derives its apt entries from the machine's deb822 Debian sources"
  echo "$f"
}

# The stanza of the machine's own sources whose Suites line is
# "bookworm bookworm-updates", with Suites and Components replaced.
derive_stanza() {
  local suites=$1 components=$2
  awk 'BEGIN { RS = ""; ORS = "\n\n" } /Suites: bookworm bookworm-updates/' "$(debian_sources)" |
    sed -e "s/^Suites:.*/Suites: $suites/" -e "s/^Components:.*/Components: $components/"
}

qemu_ok() {
  command -v qemu-system-aarch64 >/dev/null || return 1
  local v
  v=$(qemu-system-aarch64 --version | sed -n 's/.*version \([0-9]*\)\..*/\1/p')
  [[ -n $v && $v -ge $MICA_QEMU_MIN ]]
}

debs_missing() {
  local missing=() p
  for p in "${MICA_DEBS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  echo "${missing[@]:-}"
}

arm64_ready() {
  [[ -f $CACHE/arm64/.complete ]]
}

setup_host_packages() {
  local backports=/etc/apt/sources.list.d/mica-backports.sources
  if [[ ! -f $backports ]]; then
    log "adding bookworm-backports (derived from $(debian_sources)) as $backports"
    derive_stanza bookworm-backports main | as_root tee "$backports" >/dev/null
    [[ -s $backports ]] || die "could not derive a bookworm-backports entry"
    MICA_NEED_UPDATE=1
  fi
  local missing
  missing=$(debs_missing)
  if [[ -n $missing ]] || ! qemu_ok; then
    log "apt-get update"
    as_root apt-get update -qq || die "apt-get update failed"
  fi
  if [[ -n $missing ]]; then
    log "installing: $missing"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing ||
      die "apt-get install failed for: $missing"
  fi
  if ! qemu_ok; then
    log "installing qemu-system-arm from bookworm-backports (QEMU >= $MICA_QEMU_MIN for raspi4b)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      -t bookworm-backports qemu-system-arm qemu-system-data ipxe-qemu ||
      die "could not install qemu-system-arm from bookworm-backports"
    qemu_ok || die "qemu-system-aarch64 is still older than $MICA_QEMU_MIN"
  fi
}

# arm64-only packages: downloaded with a private apt state and unpacked with
# dpkg -x into $CACHE/arm64/root; the system's package state is untouched.
setup_arm64_packages() {
  arm64_ready && return 0
  local dir=$CACHE/arm64
  rm -rf "$dir"
  mkdir -p "$dir/lists/partial" "$dir/archives/partial" "$dir/debs" "$dir/root"
  derive_stanza "bookworm bookworm-updates" "main non-free-firmware" >"$dir/sources.sources"
  local opts=(
    -oAPT::Architecture=arm64 -oAPT::Architectures=arm64
    -oDir::State::Lists="$dir/lists" -oDir::Cache="$dir"
    -oDir::Etc::sourcelist="$dir/sources.sources" -oDir::Etc::sourceparts=-
    -oDebug::NoLocking=1 -oAPT::Sandbox::User=root -qq
  )
  log "fetching arm64 package lists into $dir/lists"
  apt-get "${opts[@]}" update || die "apt-get update (arm64 lists) failed"
  local kpkg
  kpkg=$(apt-cache "${opts[@]}" depends linux-image-arm64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
  [[ -n $kpkg ]] || die "could not resolve linux-image-arm64 to a kernel package"
  local pkgs=(u-boot-rpi raspi-firmware "$kpkg")
  log "downloading arm64 packages: ${pkgs[*]}"
  (cd "$dir/debs" && apt-get "${opts[@]}" download "${pkgs[@]}") || die "apt-get download failed for ${pkgs[*]}"
  local deb
  for deb in "$dir"/debs/*.deb; do
    log "unpacking $(basename "$deb")"
    dpkg -x "$deb" "$dir/root" || die "dpkg -x $deb failed"
  done
  local dtb vmlinuz
  dtb=$(find "$dir/root/usr/lib" -path '*broadcom/bcm2711-rpi-4-b.dtb' | head -n 1)
  vmlinuz=$(find "$dir/root/boot" -name 'vmlinuz-*' | head -n 1)
  [[ -f $dir/root/usr/lib/u-boot/rpi_arm64/u-boot.bin ]] || die "u-boot-rpi did not provide rpi_arm64/u-boot.bin"
  [[ -f $dir/root/usr/lib/raspi-firmware/start4.elf ]] || die "raspi-firmware did not provide start4.elf"
  [[ -n $dtb ]] || die "$kpkg did not provide bcm2711-rpi-4-b.dtb"
  ln -sf "$dtb" "$dir/bcm2711-rpi-4-b.dtb"
  ln -sf "$vmlinuz" "$dir/vmlinuz"
  ln -sf "$dir/root/usr/lib/u-boot/rpi_arm64/u-boot.bin" "$dir/u-boot-rpi.bin"
  ln -sf "$dir/root/usr/lib/raspi-firmware" "$dir/firmware"
  touch "$dir/.complete"
  log "arm64 packages ready in $dir"
}

mica_setup() {
  setup_host_packages
  setup_arm64_packages
  log "done"
}

mica_ensure_setup() {
  if [[ -n $(debs_missing) ]] || ! qemu_ok || ! arm64_ready; then
    mica_setup
  fi
}

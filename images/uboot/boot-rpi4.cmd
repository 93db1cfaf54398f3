# Mica boot script for the Raspberry Pi 4 with Debian's U-Boot (rpi_arm64).
#
# Compiled into boot.scr (mkimage -A arm64 -T script -C none) and stored on
# the FAT partition of sdcard.img next to the firmware. The boot chain is:
# EEPROM boot loader -> start4.elf (reads config.txt, loads the DTB and
# kernel=u-boot.bin) -> U-Boot, whose distro boot (distro_bootcmd) scans the
# SD card, finds boot.scr and sources it with devtype, devnum,
# distro_bootpart and prefix set; the defaults below let the script also be
# run by hand (`load mmc 0:1 ${scriptaddr} boot.scr; source ${scriptaddr}`).
#
# Kernel command line: the U-Boot variable mica_bootargs if it is set, for
# example `setenv mica_bootargs kernel.test=all; boot` at the U-Boot prompt;
# otherwise none (the bootargs the firmware wrote into /chosen stay as they
# are). Mica needs no console= argument: it takes the console from
# /chosen/stdout-path, which is the mini-UART (serial1) on a Pi 4.
#
# Addresses are U-Boot's own (include/configs/rpi.h): the kernel is loaded at
# kernel_addr_r (0x80000) and booti moves it to the next 2 MiB boundary
# (0x200000), as the arm64 Image header allows; the bootfs goes to
# ramdisk_addr_r (0x2700000). The devicetree is the one the firmware passed
# to U-Boot (fdt_addr; with QEMU's -dtb, the one QEMU passed), falling back
# to U-Boot's control DTB.

if test -z "${devtype}"; then setenv devtype mmc; fi
if test -z "${devnum}"; then setenv devnum 0; fi
if test -z "${distro_bootpart}"; then setenv distro_bootpart 1; fi
if test -z "${prefix}"; then setenv prefix /; fi

if env exists mica_bootargs; then setenv bootargs "${mica_bootargs}"; else setenv bootargs; fi
if env exists fdt_addr; then setenv mica_fdt ${fdt_addr}; else setenv mica_fdt ${fdtcontroladdr}; fi

echo "Mica: loading from ${devtype} ${devnum}:${distro_bootpart}, bootargs [${bootargs}]"
if load ${devtype} ${devnum}:${distro_bootpart} ${kernel_addr_r} ${prefix}Image; then
  if load ${devtype} ${devnum}:${distro_bootpart} ${ramdisk_addr_r} ${prefix}bootfs.img; then
    booti ${kernel_addr_r} ${ramdisk_addr_r}:${filesize} ${mica_fdt}
    echo "Mica: booti failed"
  else
    echo "Mica: cannot load ${prefix}bootfs.img"
  fi
else
  echo "Mica: cannot load ${prefix}Image"
fi

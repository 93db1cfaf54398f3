# Mica boot script for QEMU virt with Debian's U-Boot (qemu_arm64) as -bios.
#
# Compiled into boot.scr (mkimage -A arm64 -T script -C none) and stored on
# the FAT partition of uboot-disk.img. U-Boot's distro boot (distro_bootcmd)
# scans the virtio disk, finds boot.scr and sources it with devtype, devnum,
# distro_bootpart and prefix set; the defaults below let the script also be
# run by hand (`load virtio 0:1 ${scriptaddr} boot.scr; source ${scriptaddr}`).
#
# Kernel command line: the U-Boot variable mica_bootargs if it is set, for
# example `setenv mica_bootargs kernel.test=all; boot` at the U-Boot prompt;
# otherwise none. Mica needs no console= argument: it takes the console from
# /chosen/stdout-path of the devicetree.
#
# Addresses are U-Boot's own (include/configs/qemu-arm.h): the kernel at
# kernel_addr_r (0x40400000, 2 MiB-aligned, so booti runs it in place), the
# bootfs at ramdisk_addr_r (0x44000000), and the devicetree QEMU built at
# fdt_addr (0x40000000), falling back to U-Boot's control DTB.

if test -z "${devtype}"; then setenv devtype virtio; fi
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

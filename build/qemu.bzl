"""Boot tests and run targets for kernel images (see scripts/qemu.sh)."""

load(":keel.bzl", "keel_kernel_image")

def keel_boot_test(
        name,
        image,
        expect,
        uefi = "",
        kcmd = "",
        initramfs = None,
        also_expect = [],
        timeout_s = 120,
        exit_status = 0,
        qemu_args = [],
        **kwargs):
    """A test that boots `image` and passes if it exits with success and prints
    a line matching the extended regex `expect` (and one for each regex in
    `also_expect`).

    `exit_status` is the scripts/qemu.sh status required instead of success
    (0), e.g. 2 for a machine reset under QEMU's -no-reboot. `qemu_args` are
    appended to QEMU's command line (scripts/qemu.sh --qemu-arg).

    `uefi` picks the boot path (scripts/qemu.sh): "" QEMU's PVH entry (an ELF
    image); "esp" OVMF booting Keel's own EFI image (keel_efi_image) as
    \\EFI\\BOOT\\BOOTX64.EFI; "shell" the same image from OVMF's UEFI shell
    (command line as load options); "grub" GRUB-EFI loading the ELF image.
    `initramfs` is a label of a cpio archive.
    """
    args = ["$(rootpath %s)" % image, "'%s'" % expect]
    for e in also_expect:
        args += ["--also", "'%s'" % e]
    if exit_status:
        args += ["--status", str(exit_status)]
    args += ["--timeout", str(timeout_s)]
    modes = {"esp": "--uefi", "shell": "--uefi-shell", "grub": "--uefi-grub"}
    if uefi:
        if uefi not in modes:
            fail("keel_boot_test: uefi must be one of %s, not %r" % (modes.keys(), uefi))
        args.append(modes[uefi])
    if kcmd:
        args += ["--kcmd", "'%s'" % kcmd]
    for a in qemu_args:
        args += ["--qemu-arg", "'%s'" % a]
    data = [image, Label("//scripts:qemu_scripts")]
    if initramfs:
        args += ["--initramfs", "$(rootpath %s)" % initramfs]
        data.append(initramfs)
    native.sh_test(
        name = name,
        srcs = [Label("//scripts:boot_test.sh")],
        args = args,
        data = data,
        tags = kwargs.pop("tags", []) + ["qemu"],
        **kwargs
    )

def keel_run(name, image, qemu_args = [], **kwargs):
    """`bazel run` target booting `image` in QEMU with the console on the terminal.

    `qemu_args` are scripts/qemu.sh options put before the image, e.g.
    `["--smp", "4"]`.
    """
    native.sh_binary(
        name = name,
        srcs = [Label("//scripts:run_image.sh")],
        args = qemu_args + ["$(rootpath %s)" % image],
        data = [
            image,
            Label("//scripts:qemu_scripts"),
        ],
        **kwargs
    )

def keel_kernel_program(name, srcs, deps, qemu_args = [], tags = [], **kwargs):
    """A small kernel to run by hand, e.g. a benchmark: `bazel run :<name>_run`.

    Creates the alwayslink cc_library `<name>_lib` from `srcs` (one of them
    defines KernelMain) and `deps`, the image `<name>` and the run target
    `<name>_run` (`qemu_args` as in keel_run). The library is kernel-only
    (tagged "manual"); `tags` go on the image and the run target.
    """
    native.cc_library(
        name = name + "_lib",
        srcs = srcs,
        deps = deps,
        tags = ["manual"],
        alwayslink = True,
        **kwargs
    )
    keel_kernel_image(name = name, deps = [":" + name + "_lib"], tags = tags)
    keel_run(name = name + "_run", image = ":" + name, qemu_args = qemu_args, tags = tags)

"""User-level tests: static Linux programs run by Keel from an initramfs.

keel_user_program builds one static test program with the host toolchain
(clang + glibc's libc.a); keel_user_test packs programs into an initramfs,
boots a kernel with it in QEMU and checks the console (user/user_test.sh).
"""

load("//build:initramfs.bzl", "keel_initramfs")

def keel_user_program(name, srcs = None, deps = [], copts = [], **kwargs):
    """A statically linked C (or C++) test program; srcs default to tests/<name>.c."""
    native.cc_binary(
        name = name,
        srcs = srcs if srcs != None else ["tests/%s.c" % name],
        copts = ["-std=gnu11"] + copts if not srcs or srcs[0].endswith(".c") else copts,
        linkopts = ["-static", "-pthread"],
        features = ["-pie"],
        deps = deps + ["//user/lib:check"],
        **kwargs
    )

def keel_user_test(
        name,
        programs = [],
        files = {},
        init = "/test/runner",
        init_args = [],
        expect = "user: [0-9]+ passed, 0 failed",
        also_expect = [],
        image = "//kernel:keel",
        smp = 1,
        mem = "1G",
        kcmd = "",
        timeout_s = 900,
        busybox = True,
        uefi = False,
        **kwargs):
    """Boots `image` with an initramfs of `programs` (as /test/NAME, plus
    /test/runner and /test/list) and `files` ({archive path: label}), init
    `init` with `init_args`; passes if init exits with status 0 (the kernel
    prints `keel: init exited with status 0` and powers off with success) and a
    console line matches `expect` and each of `also_expect` (kernel log
    lines, for instance). With `uefi`, OVMF boots `image` (then a
    keel_efi_image) from an EFI system partition, as `scripts/run --uefi`.

    Also defines NAME_initramfs (the .cpio) and NAME_initramfs_test, a host
    test (never manual) that the archive lists the expected files.
    """
    list_name = name + "_list"
    native.genrule(
        name = list_name,
        outs = [name + ".list"],
        cmd = "printf '%s\\n' " + " ".join(programs) + " > $@" if programs else "true > $@",
    )
    all_files = {"/test/" + p: p if ":" in p else ":" + p for p in programs}
    all_files["/test/runner"] = "//user:runner"
    all_files["/test/list"] = ":" + list_name
    all_files.update(files)
    keel_initramfs(
        name = name + "_initramfs",
        files = all_files,
        busybox = busybox,
        modes = {p: "0755" for p in files if p.endswith(".sh")},
    )
    cpio = ":" + name + "_initramfs"
    expected = sorted(all_files.keys())
    if busybox:
        expected += ["/bin/busybox", "/bin/sh=busybox", "/bin/ls=busybox"]
    native.sh_test(
        name = name + "_initramfs_test",
        size = "small",
        srcs = ["//build:initramfs_contents_test.py"],
        args = ["$(rootpath %s)" % cpio] + expected,
        data = [cpio, "//build:mkcpio.py"],
    )
    cmdline = "init=" + init
    if init_args:
        cmdline += " -- " + " ".join(init_args)
    if kcmd:
        cmdline = kcmd + " " + cmdline
    native.sh_test(
        name = name,
        srcs = ["//user:user_test.sh"],
        args = [
            "$(rootpath %s)" % image,
            "$(rootpath %s)" % cpio,
            "'%s'" % expect,
        ] + [
            "--also-expect='%s'" % e
            for e in also_expect
        ] + [
            "--timeout",
            str(timeout_s),
            "--smp",
            str(smp),
            "--mem",
            mem,
            "--kcmd",
            "'%s'" % cmdline,
        ] + (["--uefi"] if uefi else []),
        data = [image, cpio, "//scripts:qemu_scripts"],
        tags = kwargs.pop("tags", []) + ["qemu"],
        **kwargs
    )

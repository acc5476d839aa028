"""keel_ktest: boot a kernel image of in-kernel tests under QEMU as a Bazel test."""

load("//build:efi.bzl", "keel_efi_image")
load("//build:keel.bzl", "keel_kernel_image")

# Keel's targets, named through Label() so these macros also work when Keel is
# an external repository (@keel) of another workspace.
_MAIN = Label("//ktest:main")
_HARNESS = Label("//ktest:harness.py")
_RUN_KTEST = Label("//ktest:run_ktest.sh")
_TDX_SIM = Label("//ostd/tdx:sim_at_boot")
_QEMU_SCRIPTS = Label("//scripts:qemu_scripts")
_MAKE_ESP = Label("//scripts:make_esp.sh")

def keel_ktest(
        name,
        deps,
        srcs = [],
        smp = 4,
        mem = "256M",
        timeout = "moderate",
        filter = "",
        size = "medium",
        inactivity_timeout = 60,
        extra_qemu_args = [],
        disks = [],
        tags = [],
        sanitize = "",
        ubsan = False,
        tdx_sim = False,
        uefi = False,
        **kwargs):
    """Links `deps` (alwayslink ktest libraries) with //ktest:main and runs them.

    Creates `<name>_image` (the kernel ELF, built in the kernel configuration)
    and the sh_test `<name>`, which boots it with harness.py: per-test results
    in the log, a panicking or hanging test reported by name and the remaining
    tests run in a fresh boot, JUnit XML for Bazel.

    Args:
      name: the test target's name.
      deps: cc_library targets with TEST()s, each with alwayslink = True; with
          `srcs`, the dependencies of those sources instead.
      srcs: test sources (`foo_ktest.cc`). If given, they become the
          alwayslink, kernel-only cc_library `<name>s` (e.g. smp_ktests for
          smp_ktest), and the image links that.
      smp: number of virtual CPUs.
      mem: guest memory (QEMU -m syntax).
      timeout: Bazel test timeout; the harness stops 15 s before it.
      filter: gtest-style ktest.filter (e.g. "Mm.*-Mm.Slow*"); empty runs all.
          `bazel test --test_filter=PATTERN` overrides it for one run.
      size: Bazel test size.
      inactivity_timeout: seconds without serial output before the running
          test is declared hung.
      extra_qemu_args: appended to the QEMU command line; "@FREE_UDP_PORT@"
          becomes a UDP port on 127.0.0.1 that was free when the test started
          (the same in every boot of the test).
      disks: disk images made fresh for every boot, as "SIZE" or "SIZE:ro"
          (e.g. "8M"): raw images holding the harness's sector pattern
          (ktest/harness.py), attached as modern virtio-blk PCI devices in
          order (drive ids disk0, disk1, ...).
      tags: extra tags; "ktest" and "qemu" are always added.
      sanitize: "undefined" builds the image with UBSan's checks
          (keel_kernel_image's `sanitize`).
      ubsan: also define `<name>_ubsan`, the same test on an image built with
          UBSan's checks (tagged "ubsan").
      tdx_sim: also define `<name>_tdx_sim`, the same tests on a `tdx_sim`
          image: the simulated TDX module starts at boot, before the tests
          (docs/tdx.md, "The tdx_sim kernel"; tagged "tdx_sim").
      uefi: also define `<name>_uefi`, the same tests booted by OVMF from
          Keel's own EFI image of the same kernel (keel_efi_image), with no
          boot loader, as `scripts/run --uefi` boots (tagged "uefi").
      **kwargs: passed to the sh_test (e.g. visibility, flaky).
    """
    if srcs:
        native.cc_library(
            name = name + "s",
            srcs = srcs,
            deps = deps,
            tags = ["manual"],
            testonly = kwargs.get("testonly", False),
            alwayslink = True,
        )
        deps = [":" + name + "s"]
    variants = [(name, deps, sanitize, tags, False)]
    if ubsan:
        variants.append((name + "_ubsan", deps, "undefined", tags + ["ubsan"], False))
    if tdx_sim:
        variants.append((name + "_tdx_sim", deps + [_TDX_SIM], sanitize, tags + ["tdx_sim"], False))
    if uefi:
        variants.append((name + "_uefi", deps, sanitize, tags + ["uefi"], True))
    for test_name, test_deps, test_sanitize, test_tags, test_uefi in variants:
        _ktest_run(
            test_name,
            test_deps,
            test_uefi,
            test_sanitize,
            smp,
            mem,
            timeout,
            filter,
            size,
            inactivity_timeout,
            extra_qemu_args,
            disks,
            test_tags,
            **kwargs
        )

def _ktest_run(
        name,
        deps,
        uefi,
        sanitize,
        smp,
        mem,
        timeout,
        filter,
        size,
        inactivity_timeout,
        extra_qemu_args,
        disks,
        tags,
        **kwargs):
    """The image `<name>_image` of `deps` and the test `name` booting it (see keel_ktest)."""
    image = name + "_image"
    keel_kernel_image(
        name = image,
        deps = deps + [_MAIN],
        sanitize = sanitize,
        tags = ["manual"],
        testonly = kwargs.get("testonly", False),
    )
    data = [":" + image, _HARNESS]
    boot_image = ":" + image
    uefi_args = []
    if uefi:
        boot_image = ":" + name + "_efi"
        keel_efi_image(
            name = name + "_efi",
            kernel = ":" + image,
            tags = ["manual"],
            testonly = kwargs.get("testonly", False),
        )
        data += [boot_image, _MAKE_ESP, _QEMU_SCRIPTS]
        uefi_args = [
            "--uefi-esp-maker",
            "$(rootpath %s)" % _MAKE_ESP,
            "--append",
            "ktest.boot=uefi",
        ]
    args = [
        "$(rootpath %s)" % _HARNESS,
        "--kernel",
        "$(rootpath %s)" % boot_image,
    ] + uefi_args + [
        "--smp",
        str(smp),
        "--mem",
        mem,
        "--inactivity-timeout",
        str(inactivity_timeout),
    ]
    if filter:
        args += ["--filter", filter]
    for a in extra_qemu_args:
        args.append("--extra-qemu-arg=" + a)
    for d in disks:
        args.append("--disk=" + d)
    native.sh_test(
        name = name,
        srcs = [_RUN_KTEST],
        args = args,
        data = data,
        size = size,
        timeout = timeout,
        tags = tags + ["ktest", "qemu"],
        **kwargs
    )

"""Keel build rules: one cc_library for host and kernel, kernel images, QEMU tests.

A `cc_library` is built for the host by default (GoogleTest links it). Targets that
reach it through `keel_kernel_image` are built again in the kernel configuration:
the transition below adds the freestanding kernel flags and sets //build:kernel,
which `select()` can test through //build:kernel_build.

`keel_kernel_image(sanitize = "undefined")` builds the same code again with
UBSan's checks (UBSAN_COPTS) in a configuration of its own, so the normal
kernel's outputs stay as they are; ostd/ubsan.cc (//ostd:ubsan) is the runtime,
linked into sanitizer images only.
"""

load(":flags.bzl", "append_flags")

KERNEL_COPTS = [
    "-ffreestanding",
    "-fno-builtin-printf",
    "-mno-red-zone",
    "-mcmodel=kernel",
    "-fno-pic",
    "-fno-pie",
    "-fno-stack-protector",
    # A frame larger than a page touches each page as it grows, so it meets
    # the guard page below a kernel stack instead of jumping over it into
    # the next allocation.
    "-fstack-clash-protection",
    "-fno-omit-frame-pointer",
    "-mno-sse",
    "-mno-sse2",
    "-mno-mmx",
    "-mno-avx",
    "-ffunction-sections",
    "-fdata-sections",
    "-fno-asynchronous-unwind-tables",
    "-O2",
    "-g",
    "-DKEEL_KERNEL=1",
    "-Wno-unused-command-line-argument",
]

KERNEL_CXXOPTS = [
    "-fno-exceptions",
    "-fno-rtti",
    "-fno-threadsafe-statics",
    "-fno-use-cxa-atexit",
    "-fsized-deallocation",
    "-faligned-allocation",
]

# The UBSan checks of sanitizer kernels (docs/safety.md, "The UBSan kernel"):
# every undefined-behaviour check clang reports through a handler with a
# source location. Off: vptr and function (they need RTTI and the sanitizer
# runtime's type tables), float-cast-overflow and float-divide-by-zero (the
# kernel has no floating point), local-bounds (it traps with no location), and
# the checks of behaviour that is defined (unsigned overflow, implicit
# conversions, nullability).
UBSAN_CHECKS = [
    "alignment",
    "array-bounds",
    "bool",
    "builtin",
    "enum",
    "integer-divide-by-zero",
    "nonnull-attribute",
    "null",
    "object-size",
    "pointer-overflow",
    "return",
    "returns-nonnull-attribute",
    "shift",
    "signed-integer-overflow",
    "unreachable",
    "vla-bound",
]

UBSAN_COPTS = [
    "-fsanitize=" + ",".join(UBSAN_CHECKS),
    # Every report panics: clang calls only the __ubsan_handle_*_abort forms.
    "-fno-sanitize-recover=all",
]

_SANITIZER_COPTS = {
    "": [],
    "undefined": UBSAN_COPTS,
}

def _bool_flag_impl(ctx):
    return []

bool_flag = rule(
    implementation = _bool_flag_impl,
    build_setting = config.bool(flag = True),
)

# The kernel build setting, named through Label() so the transition sets Keel's
# flag also when Keel is an external repository (@keel) of another workspace.
_KERNEL_FLAG = str(Label("//build:kernel"))

def _kernel_transition_impl(settings, attr):
    copts = KERNEL_COPTS + _SANITIZER_COPTS[getattr(attr, "sanitize", "")]
    return {
        "//command_line_option:copt": append_flags(settings["//command_line_option:copt"], copts),
        "//command_line_option:cxxopt": append_flags(
            settings["//command_line_option:cxxopt"],
            KERNEL_CXXOPTS,
        ),
        "//command_line_option:features": ["-pic", "-supports_pic"],
        _KERNEL_FLAG: True,
    }

kernel_transition = transition(
    implementation = _kernel_transition_impl,
    inputs = ["//command_line_option:copt", "//command_line_option:cxxopt"],
    outputs = [
        "//command_line_option:copt",
        "//command_line_option:cxxopt",
        "//command_line_option:features",
        _KERNEL_FLAG,
    ],
)

def _archives(deps):
    """Static archives of every library reached from `deps`, in link order."""
    archives = []
    for dep in deps:
        for linker_input in dep[CcInfo].linking_context.linker_inputs.to_list():
            for lib in linker_input.libraries:
                a = lib.static_library or lib.pic_static_library
                if a and a not in archives:
                    archives.append(a)
    return archives

def _kernel_image_impl(ctx):
    runtime = ctx.attr._ubsan_runtime if ctx.attr.sanitize == "undefined" else []
    archives = _archives(ctx.attr.deps + runtime)
    script = ctx.file.linker_script
    order = ctx.file._symbol_order
    stage1 = ctx.actions.declare_file(ctx.label.name + ".stage1.elf")
    syms = ctx.actions.declare_file(ctx.label.name + ".ksyms.bin")
    out = ctx.actions.declare_file(ctx.label.name + ".elf")
    link_args = ["-nostdlib", "-static", "--no-pie", "--gc-sections", "-z", "max-page-size=4096",
                 "-z", "noexecstack", "--no-undefined", "-T", script.path,
                 "--symbol-ordering-file=" + order.path, "--no-warn-symbol-ordering", "--whole-archive"]
    link_args += [a.path for a in archives]
    link_args += ["--no-whole-archive"]

    # Stage 1 links without a symbol table. The table section sits after every
    # other section, so adding it in stage 2 moves no code or data.
    ctx.actions.run_shell(
        inputs = archives + [script, order],
        outputs = [stage1],
        command = "ld.lld-19 \"$@\"",
        arguments = link_args + ["-o", stage1.path],
        mnemonic = "KernelLinkStage1",
        progress_message = "Linking kernel %s (stage 1)" % ctx.label,
    )
    syms_obj = ctx.actions.declare_file(ctx.label.name + ".ksyms.o")
    ctx.actions.run_shell(
        inputs = [stage1, ctx.file._ksyms_tool],
        outputs = [syms, syms_obj],
        command = ("set -o pipefail; llvm-nm-19 --defined-only -n -C -S \"$1\" | python3 \"$2\" \"$3\" && " +
                   "llvm-objcopy-19 -I binary -O elf64-x86-64 " +
                   "--rename-section .data=.ksyms,alloc,load,readonly,data,contents \"$3\" \"$4\""),
        arguments = [stage1.path, ctx.file._ksyms_tool.path, syms.path, syms_obj.path],
        mnemonic = "KernelSymbols",
        progress_message = "Building kernel symbol table for %s" % ctx.label,
    )
    ctx.actions.run_shell(
        inputs = archives + [script, order, syms_obj, stage1],
        outputs = [out],
        # The final image must place code exactly where stage 1 did, or the
        # symbol table would lie: compare the text symbols of both links.
        command = ("set -o pipefail; ld.lld-19 \"$@\" && " +
                   "cmp -s <(llvm-nm-19 -n \"$STAGE1\" | grep -i ' t ') <(llvm-nm-19 -n \"$OUT\" | grep -i ' t ') || " +
                   "{ echo 'kernel: code moved between link stages' >&2; exit 1; }"),
        arguments = link_args + [syms_obj.path, "-o", out.path],
        env = {"STAGE1": stage1.path, "OUT": out.path},
        mnemonic = "KernelLink",
        progress_message = "Linking kernel %s" % ctx.label,
    )
    return [DefaultInfo(files = depset([out]), runfiles = ctx.runfiles(files = [out]))]

keel_kernel_image = rule(
    implementation = _kernel_image_impl,
    doc = "Links `deps` (built in the kernel configuration) into a bootable kernel ELF.",
    attrs = {
        "deps": attr.label_list(providers = [CcInfo], cfg = kernel_transition),
        "linker_script": attr.label(allow_single_file = True, default = Label("//arch/x86_64:kernel.ld")),
        "sanitize": attr.string(
            default = "",
            values = _SANITIZER_COPTS.keys(),
            doc = "\"undefined\": build `deps` with UBSan's checks (UBSAN_COPTS).",
        ),
        "_ksyms_tool": attr.label(allow_single_file = True, default = Label("//build:ksyms.py")),
        # Hot functions laid out together (arch/x86_64/hot_symbols.txt).
        "_symbol_order": attr.label(
            allow_single_file = True,
            default = Label("//arch/x86_64:hot_symbols.txt"),
        ),
        # Linked only when `sanitize` is "undefined", so other images stay as they were.
        "_ubsan_runtime": attr.label_list(
            providers = [CcInfo],
            cfg = kernel_transition,
            default = [Label("//ostd:ubsan")],
        ),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)

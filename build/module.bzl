"""Keel-native loadable modules: C++ against ostd's public API, built in the
kernel configuration and linked relocatable (`ld -r`) into a `.ko` that the
module loader (kernel/module) loads like a kbuild module.

    keel_module(name = "hello", srcs = ["hello.cc"], license = "GPL")  # -> hello.ko

The sources are ordinary kernel code (the safety gate checks them as it checks
kernel/) and define keel_module::Init and keel_module::Exit
(kernel/module/native_module.h). This rule adds what source code may not: the
.modinfo (name, license, Keel's vermagic) and the .gnu.linkonce.this_module
section. Calls into ostd resolve at load time against the kernel's export
table (kernel/module/exports.cc): a function it does not export is "Unknown
symbol" (ENOENT), as on Linux; //build:native_module_test checks the example.
"""

load("//build:keel.bzl", "kernel_transition")

# The vermagic Keel accepts (kKernelVermagic in kernel/module/loader.h;
# //build:native_module_test checks that they agree).
KEEL_VERMAGIC = "6.1.0-keel SMP preempt mod_unload modversions "

# One .text, .data, .rodata and .bss section each (the loader lays out
# sections, not functions), no address-significance table.
MODULE_COPTS = [
    "-fno-function-sections",
    "-fno-data-sections",
    "-fno-addrsig",
    "-fno-unique-section-names",
]

def _module_ko_impl(ctx):
    lib = ctx.attr.lib[0]
    objects = []
    for linker_input in lib[CcInfo].linking_context.linker_inputs.to_list():
        if linker_input.owner != lib.label:
            continue
        for l in linker_input.libraries:
            objects += l.objects or l.pic_objects or []
    if not objects:
        fail("keel_module: %s has no objects" % lib.label)
    modinfo = "name=%s\\0license=%s\\0vermagic=%s\\0" % (ctx.attr.module_name, ctx.attr.license,
                                                          KEEL_VERMAGIC)
    out = ctx.actions.declare_file(ctx.label.name + ".ko")
    ctx.actions.run_shell(
        inputs = objects,
        outputs = [out],
        command = " && ".join([
            "out=$1; shift",
            "dir=$(mktemp -d)",
            "printf '%s' > \"$dir/modinfo\"" % modinfo,
            "head -c 64 /dev/zero > \"$dir/this_module\"",
            # ld -r merges the objects (COMDAT groups of inline code become
            # ordinary sections); clang's empty .linker-options note goes.
            "ld.lld-19 -r --force-group-allocation -o \"$dir/mod.o\" \"$@\"",
            ("llvm-objcopy-19 --remove-section=.linker-options " +
             "--add-section .modinfo=\"$dir/modinfo\" " +
             "--set-section-flags .modinfo=alloc,readonly,contents " +
             "--add-section .gnu.linkonce.this_module=\"$dir/this_module\" " +
             "--set-section-flags .gnu.linkonce.this_module=alloc,contents " +
             "\"$dir/mod.o\" \"$out\""),
            "rm -rf \"$dir\"",
        ]),
        arguments = [out.path] + [o.path for o in objects],
        mnemonic = "KeelModule",
        progress_message = "Linking module %s" % ctx.label,
    )
    return [DefaultInfo(files = depset([out]), runfiles = ctx.runfiles(files = [out]))]

_module_ko = rule(
    implementation = _module_ko_impl,
    attrs = {
        "lib": attr.label(providers = [CcInfo], cfg = kernel_transition),
        "module_name": attr.string(mandatory = True),
        "license": attr.string(mandatory = True),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)

def keel_module(name, srcs, license, deps = [], **kwargs):
    """A Keel-native module `<name>.ko` from C++ `srcs` (see the file comment).

    `license` goes to .modinfo as for MODULE_LICENSE ("GPL", "Dual MIT/GPL",
    ...: a non-GPL license taints the kernel, as on Linux).
    """
    native.cc_library(
        name = name + "_objs",
        srcs = srcs,
        copts = MODULE_COPTS,
        deps = deps + ["//ostd", "//kernel/module:native_module"],
        tags = ["manual"],
    )
    _module_ko(name = name, lib = ":" + name + "_objs", module_name = name, license = license,
               **kwargs)

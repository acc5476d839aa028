"""keel_dependencies(): the external repositories Keel needs, for any workspace.

Keel's own WORKSPACE and a kernel's WORKSPACE that uses Keel as `@keel` both
call it; every path is resolved from the Keel checkout, so the caller names
only Keel itself:

    local_repository(name = "keel", path = "/path/to/keel")
    load("@keel//build:deps.bzl", "keel_dependencies")
    keel_dependencies()

Everything is offline (Debian's Bazel 4.2.3, see third_party/README.md).
"""

def _keel_shim_impl(rctx):
    # The shim's folder in the Keel checkout, wherever that checkout is.
    src = rctx.path(rctx.attr.build_file).dirname
    for child in src.readdir():
        rctx.symlink(child, child.basename)

# A repository made of one of Keel's third_party/ folders (a local_repository
# whose path follows the Keel checkout instead of the caller's workspace).
_keel_shim_repository = repository_rule(
    implementation = _keel_shim_impl,
    attrs = {"build_file": attr.label(allow_single_file = True)},
    local = True,
)

def keel_dependencies():
    """Declares rules_cc/rules_java/remote_coverage_tools shims, GoogleTest,
    abseil, BusyBox and LLVM 19 (Debian's packages) unless already declared."""
    existing = native.existing_rules()
    for name in ["rules_cc", "rules_java", "remote_coverage_tools"]:
        if name not in existing:
            _keel_shim_repository(
                name = name,
                build_file = Label("//third_party/%s:BUILD" % name),
            )
    local = {
        "com_google_googletest": ("/usr/src/googletest", "//third_party/googletest:googletest.BUILD"),
        "com_google_absl": ("/usr/include/absl", "//third_party/abseil:abseil.BUILD"),
        # Debian's busybox-static (/bin/busybox) for the initramfs (build/initramfs.bzl).
        "busybox": ("/bin", "//build:busybox.BUILD"),
        # Debian's LLVM 19 headers for the safety gate's clang plugin (tools/safety).
        "llvm_19": ("/usr/lib/llvm-19", "//third_party/llvm:llvm.BUILD"),
    }
    for name, (path, build_file) in local.items():
        if name not in existing:
            native.new_local_repository(
                name = name,
                build_file = str(Label(build_file)),
                path = path,
            )

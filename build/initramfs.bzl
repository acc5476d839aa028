"""keel_initramfs: a deterministic cpio newc archive for -initrd (build/mkcpio.py)."""

# Directories every Keel initramfs has (mount points and scratch space).
DEFAULT_DIRS = ["/dev", "/proc", "/sys", "/tmp", "/root", "/etc", "/usr/bin", "/sbin"]

def _keel_initramfs_impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name + ".cpio")
    args = ctx.actions.args()
    args.add("--out", out)
    inputs = []
    for target, dests in ctx.attr.files.items():
        files = target.files.to_list()
        if len(files) != 1:
            fail("%s: %s must be exactly one file" % (ctx.label, target.label))
        inputs += files
        for dest in dests.split(","):
            args.add_all("--file", [dest, files[0]])
    for d in ctx.attr.dirs:
        args.add("--dir", d)
    # A minimal /etc/passwd and /etc/group (root, nobody, the usual system
    # users), as a real system has, unless the archive brings its own.
    dests = [d for ds in ctx.attr.files.values() for d in ds.split(",")]
    for etc in [ctx.file._passwd, ctx.file._group]:
        if "/etc/" + etc.basename not in dests:
            inputs.append(etc)
            args.add_all("--file", ["/etc/" + etc.basename, etc])
    for dest, target in ctx.attr.symlinks.items():
        args.add_all("--symlink", [dest, target])
    for dest, mode in ctx.attr.modes.items():
        args.add_all("--mode", [dest, mode])
    if ctx.file.busybox:
        inputs.append(ctx.file.busybox)
        args.add("--busybox", ctx.file.busybox)
    ctx.actions.run(
        executable = "python3",
        arguments = [ctx.file._mkcpio.path, args],
        inputs = inputs + [ctx.file._mkcpio],
        outputs = [out],
        mnemonic = "Cpio",
        progress_message = "Packing initramfs %s" % ctx.label,
        use_default_shell_env = True,
    )
    return [DefaultInfo(files = depset([out]), runfiles = ctx.runfiles(files = [out]))]

_keel_initramfs = rule(
    implementation = _keel_initramfs_impl,
    attrs = {
        # label -> comma-separated archive paths (the macro inverts `files`).
        "files": attr.label_keyed_string_dict(allow_files = True),
        "dirs": attr.string_list(),
        "symlinks": attr.string_dict(),
        "modes": attr.string_dict(),
        "busybox": attr.label(allow_single_file = True),
        "_mkcpio": attr.label(allow_single_file = True, default = Label("//build:mkcpio.py")),
        "_passwd": attr.label(allow_single_file = True, default = Label("//build:etc/passwd")),
        "_group": attr.label(allow_single_file = True, default = Label("//build:etc/group")),
    },
)

def keel_initramfs(name, files = {}, dirs = [], symlinks = {}, modes = {}, busybox = False, **kwargs):
    """A cpio newc archive `<name>.cpio` for QEMU's -initrd.

    Every archive has DEFAULT_DIRS and build/etc/{passwd,group} as /etc/passwd
    and /etc/group (unless `files` names its own).

    Args:
      files: archive path -> label of one file, e.g. {"/test/hello": "//user:hello"}.
      dirs: extra empty directories (DEFAULT_DIRS are always there).
      symlinks: archive path -> link target, e.g. {"/init": "/bin/sh"}.
      modes: archive path -> octal permission string, e.g. {"/test/x.sh": "0755"}.
      busybox: add Debian's static /bin/busybox and a /bin/NAME symlink per applet
          (including /bin/sh).
    """
    by_label = {}
    for dest, label in files.items():
        by_label[label] = by_label[label] + "," + dest if label in by_label else dest
    _keel_initramfs(
        name = name,
        files = by_label,
        dirs = DEFAULT_DIRS + dirs,
        symlinks = symlinks,
        modes = modes,
        busybox = Label("@busybox//:busybox") if busybox else None,
        **kwargs
    )

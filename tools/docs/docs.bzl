"""ostd's public headers for Doxygen: the API reference and the doc check."""

def _public_headers_impl(ctx):
    hdrs = {}
    for dep in ctx.attr.deps:
        for f in dep[CcInfo].compilation_context.headers.to_list():
            p = f.short_path
            if f.is_source and p.startswith("ostd/") and "/internal/" not in p:
                hdrs[p] = f
    files = [hdrs[p] for p in sorted(hdrs)]
    return [DefaultInfo(files = depset(files), runfiles = ctx.runfiles(files = files))]

ostd_public_headers = rule(
    implementation = _public_headers_impl,
    doc = "The headers under ostd/ outside internal/ that `deps` reach (sources only, nothing is compiled).",
    attrs = {"deps": attr.label_list(providers = [CcInfo])},
)

def _api_docs_impl(ctx):
    out = ctx.actions.declare_directory(ctx.label.name)
    hdrs = ctx.files.hdrs
    ctx.actions.run(
        executable = "python3",
        arguments = [ctx.file._tool.path, "--doxyfile", ctx.file.doxyfile.path, "--filter",
                     ctx.file._filter.path, "--html", out.path] + [h.path for h in hdrs],
        inputs = hdrs + [ctx.file._tool, ctx.file._filter, ctx.file.doxyfile],
        outputs = [out],
        mnemonic = "Doxygen",
        progress_message = "Generating API reference %s" % ctx.label,
        use_default_shell_env = True,
    )
    return [DefaultInfo(files = depset([out]))]

ostd_api_docs = rule(
    implementation = _api_docs_impl,
    doc = "Doxygen HTML pages for `hdrs` in the directory <name>/ (open <name>/index.html).",
    attrs = {
        "hdrs": attr.label_list(allow_files = [".h"]),
        "doxyfile": attr.label(allow_single_file = True, default = Label("//tools/docs:Doxyfile")),
        "_tool": attr.label(allow_single_file = True, default = Label("//tools/docs:doxygen.py")),
        "_filter": attr.label(allow_single_file = True, default = Label("//tools/docs:doc_filter.sh")),
    },
)

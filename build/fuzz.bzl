"""Host fuzzers: libFuzzer with AddressSanitizer and UndefinedBehaviorSanitizer.

`keel_fuzzer(name, srcs, deps)` builds a libFuzzer target from `srcs` (which
define LLVMFuzzerTestOneInput) and the host libraries in `deps`. A transition
compiles the whole dependency tree, not only the harness, with coverage
instrumentation and both sanitizers, and links libFuzzer's driver; nothing else
in the build changes. It makes:

  <name>        the fuzzer executable (`bazel run //fuzz:<name> -- ARGS`)
  <name>_coverage  the same harness with clang's source-based coverage and no
                sanitizers, which scripts/fuzz --coverage runs over a corpus to
                report the lines of the parser it reached (llvm-cov-19)
  <name>_test   the regression run: every file of corpus/<name>/ once, then a
                short fuzz from that corpus with a fixed seed (run_fuzzer.sh)

The long run is `scripts/fuzz <name> [SECONDS]` (docs/fuzzing.md).
"""

load(":flags.bzl", "append_flags")

FUZZ_COPTS = [
    "-fsanitize=fuzzer-no-link,address,undefined",
    "-fno-sanitize-recover=all",
    "-O1",
    "-g",
]

FUZZ_LINKOPTS = [
    "-fsanitize=fuzzer,address,undefined",
    # UBSan's C++ parts (vptr, function checks) as `build:asan` in .bazelrc.
    "-fsanitize-link-c++-runtime",
    # gold warns about every ASan check symbol; lld-19 is installed for the kernel.
    "-fuse-ld=lld",
]

def _with_flags(settings, copts, linkopts):
    """The build settings with `copts` and `linkopts` appended (once)."""
    return {
        "//command_line_option:copt": append_flags(settings["//command_line_option:copt"], copts),
        "//command_line_option:linkopt": append_flags(
            settings["//command_line_option:linkopt"],
            linkopts,
        ),
    }

def _fuzz_transition_impl(settings, attr):
    return _with_flags(settings, FUZZ_COPTS, FUZZ_LINKOPTS)

fuzz_transition = transition(
    implementation = _fuzz_transition_impl,
    inputs = ["//command_line_option:copt", "//command_line_option:linkopt"],
    outputs = ["//command_line_option:copt", "//command_line_option:linkopt"],
)

# Source-based coverage, no sanitizers: libFuzzer's driver only replays inputs.
COVERAGE_COPTS = [
    "-fprofile-instr-generate",
    "-fcoverage-mapping",
    "-O0",
    "-g",
]

COVERAGE_LINKOPTS = [
    "-fsanitize=fuzzer",
    "-fprofile-instr-generate",
    "-fuse-ld=lld",
]

def _coverage_transition_impl(settings, attr):
    return _with_flags(settings, COVERAGE_COPTS, COVERAGE_LINKOPTS)

coverage_transition = transition(
    implementation = _coverage_transition_impl,
    inputs = ["//command_line_option:copt", "//command_line_option:linkopt"],
    outputs = ["//command_line_option:copt", "//command_line_option:linkopt"],
)

def _fuzz_binary_impl(ctx):
    binary = ctx.attr.binary[0]
    exe = binary[DefaultInfo].files_to_run.executable
    out = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.symlink(output = out, target_file = exe, is_executable = True)
    runfiles = ctx.runfiles(files = [exe]).merge(binary[DefaultInfo].default_runfiles)
    return [DefaultInfo(executable = out, files = depset([out]), runfiles = runfiles)]

_ALLOWLIST = {
    "_allowlist_function_transition": attr.label(
        default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
    ),
}

# The cc_binary `binary`, built in the fuzzing configuration.
fuzz_binary = rule(
    implementation = _fuzz_binary_impl,
    executable = True,
    attrs = dict(_ALLOWLIST, binary = attr.label(mandatory = True, cfg = fuzz_transition)),
)

# The cc_binary `binary`, built with coverage instrumentation.
fuzz_coverage_binary = rule(
    implementation = _fuzz_binary_impl,
    executable = True,
    attrs = dict(_ALLOWLIST, binary = attr.label(mandatory = True, cfg = coverage_transition)),
)

def keel_fuzzer(name, srcs, deps, regression_runs = 100000, max_len = 0, dict = None):
    """A libFuzzer target, its seed corpus corpus/<name>/ and its regression test.

    Args:
      name: the fuzzer (also the corpus directory's name).
      srcs: the harness.
      deps: the host libraries under test.
      regression_runs: fuzz iterations of the regression test (after the corpus).
      max_len: libFuzzer's -max_len (0: its default, from the corpus).
      dict: an optional libFuzzer dictionary file.
    """
    native.cc_binary(
        name = name + "_bin",
        testonly = True,
        srcs = srcs,
        deps = deps,
        # Built only through `name` (the transition adds libFuzzer's main).
        tags = ["manual"],
    )
    fuzz_binary(
        name = name,
        testonly = True,
        binary = ":" + name + "_bin",
    )
    fuzz_coverage_binary(
        name = name + "_coverage",
        testonly = True,
        binary = ":" + name + "_bin",
        tags = ["manual"],
    )
    corpus = native.glob(["corpus/" + name + "/*"])
    flags = ["-runs=%d" % regression_runs]
    if max_len:
        flags.append("-max_len=%d" % max_len)
    data = [":" + name] + corpus
    if dict:
        flags.append("-dict=$(rootpath %s)" % dict)
        data.append(dict)
    native.sh_test(
        name = name + "_test",
        size = "small",
        srcs = ["run_fuzzer.sh"],
        args = ["$(rootpath :%s)" % name, "fuzz/corpus/" + name] + flags,
        data = data,
    )

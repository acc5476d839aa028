#!/usr/bin/env python3
"""Keel safety lint: rejects unsafe C++ constructs in untrusted code.

Code in kernel/, drivers/ and examples/ is untrusted (see the architecture
design doc, "Layers and folders"): it may only use ostd's typed public API.
lib/ (the checked library: generic code with no privilege that ostd and
kernel code both use) is checked by the same rules, and more narrowly in one:
it may include only lib/ headers and allowlisted standard headers, never ostd/,
arch/ or ktest/ headers, so ostd can depend on it without a cycle.
The gate checks the parsed program, not spellings. This driver (python3,
stdlib only) runs three layers over every file of the untrusted trees:

  1. Files and text. Every file is judged by its name: C++ sources (.cc .cpp
     .cxx) and headers (.h .hpp .hh .inc .ipp .hxx) are linted, Bazel files
     (BUILD, BUILD.bazel, *.bzl) are scanned (rule build_file: no genrule, no
     copts/defines/includes/linkopts other than -Wno-...), documentation
     (.md .txt .rst .allow) is allowed, anything else (.c, .S, no
     extension...) is rejected (non_cxx_source) and so is any symbolic link
     (symlink: clang would judge the file it points to). On the raw text of
     C++ files,
     after undoing line splices: NOLINT anywhere (nolint), `#pragma ...
     system_header` and its _Pragma form (pragma), #line and GNU line markers
     (line_directive), and #include/#include_next/#import whose header is not
     a literal <...> or "..." (include).
  2. The keel-safety clang plugin (keel_safety_plugin.cc), loaded into
     `clang++-19 -fsyntax-only` once per translation unit: each source file and
     each header parsed standalone. It judges every AST node whose expansion
     location is in untrusted code (so a macro from anywhere expanded in
     kernel/ is kernel code; ostd, system headers and their template
     instantiations are not checked; instantiations of untrusted templates
     are): references to declarations outside ostd's public API
     (internal_decl), asm, banned attributes, casts, pointer arithmetic,
     integer-to-pointer conversion and bit casts to pointer-holding types,
     volatile, unions, new/delete, mem*/str* and __builtin_* functions,
     std:: functions on raw pointers or raw storage, pointer atomics, va_arg,
     declarations in TCB namespaces; see docs/safety.md for the full list. A TU that
     does not compile is rejected (parse_error).
  3. Whole-program checks on the plugin's records: every #include resolves
     (real path, symlinks and `..` resolved) to an allowed header: the
     untrusted trees, ostd's public headers, ktest/ktest.h, gtest in *_test.cc
     or an entry of tools/safety/kernel_headers.allow (include; lib/ files:
     only lib/, allowlisted standard headers and gtest in *_test.cc); and every
     function or variable declared but not defined in untrusted code is
     defined in some untrusted TU of the tree (extern_decl), so untrusted
     code cannot re-declare a TCB symbol to reach it.

Every rule is enforced everywhere: there is no list of tolerated findings and
no suppression comment.

Usage:
  lint.py [--root DIR] [--plugin SO] [--library] FILE...
        (files judged as kernel code, or with --library as lib/ code)
  lint.py [--root DIR] [--plugin SO] --tree kernel drivers examples lib

Output: one `path:line: error: [rule] message` line per violation, exit 1 if
there is any; otherwise `safety lint: N files clean` and exit 0.
"""

import argparse
import concurrent.futures
import hashlib
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CLANG = '/usr/bin/clang++-19'
PLUGIN_SOURCE = os.path.join(HERE, 'keel_safety_plugin.cc')
JOBS = max(1, os.cpu_count() or 1)

UNTRUSTED_DIRS = ('kernel', 'drivers', 'examples', 'lib')
# The checked library: untrusted (every rule applies) and included by ostd, so
# it may include only itself and allowlisted standard headers (check_include).
LIBRARY_DIRS = ('lib',)
CXX_SOURCE_EXTENSIONS = ('.cc', '.cpp', '.cxx')
# Used by header_allowlist.py (the files whose #includes it checks).
SOURCE_EXTENSIONS = ('.h', '.hpp', '.inc', '.cc', '.cpp')
HEADER_EXTENSIONS = ('.h', '.hpp', '.hh', '.inc', '.ipp', '.hxx')
BUILD_FILE_NAMES = ('BUILD', 'BUILD.bazel')
BUILD_FILE_EXTENSIONS = ('.bzl',)
DOC_EXTENSIONS = ('.md', '.txt', '.rst', '.allow')

# The one genrule the untrusted trees may use: kernel/exec embeds Debian's
# busybox into a host test (testonly; the generated source never reaches the
# kernel). Pinned by the sha256 of its text: any change is rejected again.
ALLOWED_GENRULE_SHA256 = {
    ('kernel/exec/BUILD', 'busybox_image_cc'):
        'c7c2d054c46bd8b515220ee507b0fb59b6508d2020fddc37d81c73898ddd0862',
}
# Symbols defined by that genrule's generated source (for extern_decl).
GENERATED_DEFINITIONS = frozenset([
    '_ZN6kernel4exec7testing12BusyboxImageEv',
])

# Quoted includes that untrusted code may use besides ostd/ public headers and
# its own trees.
ALLOWED_QUOTED_PREFIXES = ('kernel/', 'drivers/', 'examples/', 'lib/')
# Quoted includes that lib/ code may use.
LIBRARY_QUOTED_PREFIXES = ('lib/',)
ALLOWED_QUOTED_FILES = frozenset(['ktest/ktest.h'])
GTEST_HEADERS = frozenset(['gtest/gtest.h', 'gmock/gmock.h'])
# Public ostd header directories that grant more than the rest of the public
# API, and the one untrusted directory that may include them (and, in the
# plugin, refer to their declarations: kRestricted there).
RESTRICTED_HEADERS = (
    ('ostd/ffi/', 'kernel/module/',
     'module memory and foreign calls write and run arbitrary ring-0 code; only the module '
     'loader (kernel/module/) may use them'),
)


def restricted_include(header_rel, includer_rel):
    """A message if `includer_rel` may not include the restricted ostd header
    `header_rel` (both relative to the root), else None."""
    for header_dir, user_dir, why in RESTRICTED_HEADERS:
        if header_rel.startswith(header_dir) and not includer_rel.startswith(user_dir):
            return f'"{header_rel}" is restricted: {why}'
    return None
# Headers whose declarations untrusted code may reference besides ostd's
# public API: ktest's public header and the one it includes for TEST().
ALLOWED_DECL_HEADERS = ('ktest/ktest.h', 'ktest/test_case.h')

ALLOWLIST_FILE = os.path.join(HERE, 'kernel_headers.allow')


class Violation:
    """One finding: printed as `path:line: error: [rule] message`."""

    def __init__(self, path, line, rule, message):
        self.path = path
        self.line = line
        self.rule = rule
        self.message = message

    def key(self):
        return (self.path, self.line, self.rule)

    def __str__(self):
        return f'{self.path}:{self.line}: error: [{self.rule}] {self.message}'


# ----------------------------------------------------------------------------
# Header allowlist (shared with header_allowlist.py).
# ----------------------------------------------------------------------------


def load_allowlist(path=ALLOWLIST_FILE):
    """Parses kernel_headers.allow.

    Each entry line is `header [tcb-only]  # reason`. Returns a dict mapping the
    header name to True if every layer may include it, False if only the TCB
    (ostd/, arch/) may.
    """
    allowed = {}
    with open(path, encoding='utf-8') as f:
        for raw in f:
            line = raw.split('#', 1)[0].strip()
            if not line:
                continue
            fields = line.split()
            allowed[fields[0]] = 'tcb-only' not in fields[1:]
    return allowed


# ----------------------------------------------------------------------------
# Tokenizer.
# ----------------------------------------------------------------------------

_IDENT_RE = re.compile(r'[A-Za-z_$][A-Za-z0-9_$]*')
_NUMBER_RE = re.compile(r"\.?[0-9](?:[eEpP][+-]|'[0-9A-Za-z_]|[0-9A-Za-z_.])*")
_STRING_PREFIXES = frozenset(['u8', 'u', 'U', 'L', 'R', 'u8R', 'uR', 'UR', 'LR'])
_INCLUDE_DIRECTIVES = frozenset(['include', 'include_next', 'import'])


class Token:
    __slots__ = ('kind', 'text', 'line')

    def __init__(self, kind, text, line):
        self.kind = kind  # 'ident', 'number', 'string', 'char' or 'punct'.
        self.text = text
        self.line = line


class Scan:
    """The result of tokenizing one file."""

    def __init__(self):
        self.tokens = []
        self.comments = []  # (line, text)
        self.includes = []  # (line, '<' or '"', header)


def _skip_quoted(text, i, quote):
    """Returns the index just past the literal whose opening quote is at i."""
    n = len(text)
    i += 1
    while i < n:
        c = text[i]
        if c == '\\':
            i += 2
            continue
        if c == quote or c == '\n':  # An unterminated literal ends at the line end.
            return i + 1 if c == quote else i
        i += 1
    return n


def tokenize(text):
    """Splits C++ source into tokens, comments and include directives."""
    scan = Scan()
    n = len(text)
    i = 0
    line = 1
    at_line_start = True  # Only whitespace since the last newline.
    directive = None  # Tokens of the current preprocessor directive so far.
    while i < n:
        c = text[i]
        if c == '\n':
            line += 1
            i += 1
            at_line_start = True
            directive = None
            continue
        if c == '\\' and text.startswith('\n', i + 1):  # Line splice.
            line += 1
            i += 2
            continue
        if c in ' \t\r\f\v':
            i += 1
            continue
        if text.startswith('//', i):
            start = i
            while i < n and text[i] != '\n':
                if text[i] == '\\' and text.startswith('\n', i + 1):  # Spliced comment.
                    line += 1
                    i += 1
                i += 1
            scan.comments.append((line, text[start:i]))
            continue
        if text.startswith('/*', i):
            end = text.find('*/', i + 2)
            end = n if end < 0 else end + 2
            scan.comments.append((line, text[i:end]))
            line += text.count('\n', i, end)
            i = end
            continue
        start_line = line
        if directive is not None and len(directive) == 1 and directive[0] in _INCLUDE_DIRECTIVES:
            # Header name of an #include: <...> or "...".
            if c in '<"':
                close = '>' if c == '<' else '"'
                end = text.find(close, i + 1)
                eol = text.find('\n', i)
                if end >= 0 and (eol < 0 or end < eol):
                    scan.includes.append((line, c, text[i + 1:end]))
                    directive.append(text[i:end + 1])
                    i = end + 1
                    at_line_start = False
                    continue
        m = _IDENT_RE.match(text, i)
        if m:
            word = m.group()
            end = m.end()
            if word in _STRING_PREFIXES and end < n and text[end] in '"\'':
                if word.endswith('R') and text[end] == '"':
                    # Raw string: R"delim( ... )delim".
                    paren = text.find('(', end)
                    delim = text[end + 1:paren] if paren >= 0 else ''
                    close = text.find(')' + delim + '"', paren + 1) if paren >= 0 else -1
                    stop = n if close < 0 else close + len(delim) + 2
                else:
                    stop = _skip_quoted(text, end, text[end])
                line += text.count('\n', i, stop)
                scan.tokens.append(Token('string', '', start_line))
                i = stop
                at_line_start = False
                continue
            scan.tokens.append(Token('ident', word, line))
            if directive is not None:
                directive.append(word)
            i = end
            at_line_start = False
            continue
        m = _NUMBER_RE.match(text, i)
        if m:
            scan.tokens.append(Token('number', m.group(), line))
            i = m.end()
            at_line_start = False
            continue
        if c in '"\'':
            stop = _skip_quoted(text, i, c)
            scan.tokens.append(Token('string' if c == '"' else 'char', '', line))
            i = stop
            at_line_start = False
            continue
        if c == '#' and at_line_start:
            directive = []
        if text.startswith('::', i):
            scan.tokens.append(Token('punct', '::', line))
            i += 2
        else:
            scan.tokens.append(Token('punct', c, line))
            i += 1
        at_line_start = False
    return scan


def check_include(header, kind, path, allowed, library=False):
    """Returns a message if untrusted code may not include `header`, else None.
    `library`: the includer is lib/ code, which may include only lib/ headers,
    allowlisted standard headers and (in *_test.cc) gtest."""
    spelled = f'<{header}>' if kind == '<' else f'"{header}"'
    if library and kind != '<' and not header.startswith('absl/'):
        norm = os.path.normpath(header)
        if norm.startswith(LIBRARY_QUOTED_PREFIXES):
            return None
        if header in GTEST_HEADERS and path.endswith('_test.cc'):
            return None
        return (f'{spelled} may not be included by lib/ code (the checked library includes '
                'only lib/ and allowlisted standard headers; ostd depends on it, not the '
                'other way round)')
    if kind == '<' or header.startswith('absl/'):
        if allowed.get(header) is True:
            return None
        if header in GTEST_HEADERS and path.endswith('_test.cc'):
            return None  # Host GoogleTest files.
        if header in allowed:
            return (f'{spelled} is tcb-only in tools/safety/kernel_headers.allow '
                    '(ostd/ and arch/ only)')
        return f'{spelled} is not in tools/safety/kernel_headers.allow for untrusted code'
    norm = os.path.normpath(header)
    if norm.startswith('ostd/'):
        parts = norm.split('/')
        if 'internal' in parts[:-1] or (len(parts) > 1 and parts[1] == 'arch'):
            return f'"{header}" is not part of ostd\'s public API'
        return None
    if norm.startswith(ALLOWED_QUOTED_PREFIXES) or norm in ALLOWED_QUOTED_FILES:
        return None
    if header in GTEST_HEADERS and path.endswith('_test.cc'):
        return None
    if norm.startswith('arch/'):
        return f'"{header}" is an arch/ header; untrusted code may only use ostd\'s public API'
    return f'"{header}" may not be included by untrusted code'


# ----------------------------------------------------------------------------
# Layer 1: files and raw text.
# ----------------------------------------------------------------------------


def file_kind(path):
    """'source', 'header', 'build', 'doc' or 'other' for a file name."""
    name = os.path.basename(path)
    if name in BUILD_FILE_NAMES or name.endswith(BUILD_FILE_EXTENSIONS):
        return 'build'
    if name.endswith(CXX_SOURCE_EXTENSIONS):
        return 'source'
    if name.endswith(HEADER_EXTENSIONS):
        return 'header'
    if name.endswith(DOC_EXTENSIONS):
        return 'doc'
    return 'other'


def splice(text):
    """Undoes line splices. Returns (joined text, line_of(offset) function)."""
    starts = []  # (offset in joined text, physical line) at each segment start.
    out = []
    pos = 0
    line = 1
    joined_len = 0
    starts.append((0, 1))
    for m in re.finditer(r'\\[ \t]*\r?\n', text):
        seg = text[pos:m.start()]
        out.append(seg)
        joined_len += len(seg)
        line += seg.count('\n') + 1
        pos = m.end()
        starts.append((joined_len, line))
    out.append(text[pos:])
    joined = ''.join(out)
    offsets = [s[0] for s in starts]

    def line_of(offset):
        import bisect
        i = bisect.bisect_right(offsets, offset) - 1
        base_off, base_line = starts[i]
        return base_line + joined.count('\n', base_off, offset)

    return joined, line_of


def _raw_prefix(text, i):
    """True if the identifier ending at text[i] == 'R' is a raw string prefix."""
    j = i
    while j > 0 and (text[j - 1].isalnum() or text[j - 1] == '_'):
        j -= 1
    return text[j:i + 1] in ('R', 'uR', 'UR', 'LR', 'u8R')


def blank_comments_and_literals(text):
    """Replaces comments and the insides of string/char literals by spaces
    (newlines are kept, so offsets and lines are unchanged)."""
    out = list(text)
    n = len(text)
    i = 0

    def blank(a, b):
        for k in range(a, b):
            if out[k] != '\n':
                out[k] = ' '

    while i < n:
        c = text[i]
        if text.startswith('//', i):
            j = text.find('\n', i)
            j = n if j < 0 else j
            blank(i, j)
            i = j
        elif text.startswith('/*', i):
            j = text.find('*/', i + 2)
            j = n if j < 0 else j + 2
            blank(i, j)
            i = j
        elif c == 'R' and text.startswith('"', i + 1) and _raw_prefix(text, i):
            paren = text.find('(', i + 2)
            if paren < 0:
                i += 1
                continue
            delim = text[i + 2:paren]
            close = text.find(')' + delim + '"', paren + 1)
            j = n if close < 0 else close + len(delim) + 2
            blank(i + 2, j - 1)
            i = j
        elif c in '"\'':
            if c == "'" and i > 0 and text[i - 1].isalnum():
                i += 1  # Digit separator 1'000.
                continue
            j = i + 1
            while j < n and text[j] != c and text[j] != '\n':
                j += 2 if text[j] == '\\' else 1
            blank(i + 1, min(j, n))
            i = j + 1
        else:
            i += 1
    return ''.join(out)


_DIRECTIVE_RE = re.compile(r'^[ \t]*(?:#|%:)[ \t]*(\w*)(.*)$', re.M)
_PRAGMA_OPERATOR_RE = re.compile(r'_Pragma\s*\(\s*(?:u8|u|U|L)?R?"([^\n]*)"\s*\)')


def text_lint(path, display, allowed):
    """Layer 1 on the raw text of one C++ file."""
    with open(path, encoding='utf-8', errors='replace') as f:
        raw = f.read()
    joined, line_of = splice(raw)
    out = []

    def add(offset, rule, message):
        out.append(Violation(display, line_of(offset), rule, message))

    for m in re.finditer('NOLINT', joined):
        add(m.start(), 'nolint',
            'NOLINT is not allowed in untrusted code (it would silence the safety gate)')
    for m in _PRAGMA_OPERATOR_RE.finditer(joined):
        if 'system_header' in m.group(1):
            add(m.start(), 'pragma', '_Pragma system_header is not allowed')
    code = blank_comments_and_literals(joined)
    for m in _DIRECTIVE_RE.finditer(code):
        name, rest = m.group(1), m.group(2)
        if name.isdigit() or name == 'line':
            add(m.start(), 'line_directive', '#line and GNU line markers are not allowed '
                '(they change what file and line the compiler believes it is in)')
        elif name == 'pragma' and 'system_header' in joined[m.start(2):m.end(2)]:
            add(m.start(), 'pragma', '#pragma system_header is not allowed '
                '(it would hide this file from the gate)')
        elif name in ('include', 'include_next', 'import'):
            stripped = rest.lstrip()
            if not stripped or stripped[0] not in '<"':
                add(m.start(), 'include', f'#{name} must name its header with a literal '
                    '<...> or "..." (no macros)')
                continue
    return out


_BUILD_ATTR_RE = re.compile(r'\b(copts|nocopts|defines|local_defines|includes|linkopts)\s*=\s*')
_BUILD_BANNED_RE = re.compile(r'\b(genrule|cc_import|ctx\.actions|repository_rule|rule)\s*\(')
_STRING_RE = re.compile(r'"([^"\\]*)"|\'([^\'\\]*)\'')


def _call_text(text, open_paren):
    """The text of a call from its '(' to the matching ')'."""
    depth = 0
    for i in range(open_paren, len(text)):
        if text[i] == '(':
            depth += 1
        elif text[i] == ')':
            depth -= 1
            if depth == 0:
                return text[open_paren:i + 1]
    return text[open_paren:]


def build_lint(path, display):
    """Scans a BUILD/.bzl file of the untrusted trees (rule build_file)."""
    with open(path, encoding='utf-8', errors='replace') as f:
        text = f.read()
    # Drop comments (Starlark: # to end of line, outside strings; good enough
    # here because a string containing '#' only makes the scan stricter).
    code = re.sub(r'#[^\n]*', lambda m: ' ' * len(m.group()), text)  # Offsets kept.
    out = []

    def add(offset, message):
        out.append(Violation(display, code.count('\n', 0, offset) + 1, 'build_file', message))

    for m in _BUILD_BANNED_RE.finditer(code):
        kind = m.group(1)
        if kind == 'genrule':
            call = _call_text(code, m.end() - 1)
            name = re.search(r'\bname\s*=\s*"([^"]*)"', call)
            key = (display, name.group(1) if name else '')
            raw = text[m.end() - 1:m.end() - 1 + len(call)]  # Comments and strings included.
            digest = hashlib.sha256(raw.encode()).hexdigest()
            if ALLOWED_GENRULE_SHA256.get(key) == digest:
                continue
        add(m.start(), f'{kind} is not allowed in untrusted BUILD files (it runs or links '
            'code the safety gate never sees)')
    for m in _BUILD_ATTR_RE.finditer(code):
        attr = m.group(1)
        rest = code[m.end():]
        if not rest.startswith('['):
            add(m.start(), f'{attr} must be a literal list of -Wno-... flags')
            continue
        close = rest.find(']')
        body = rest[1:close if close >= 0 else len(rest)]
        leftover = _STRING_RE.sub('', body).replace(',', '').strip()
        values = [a or b for a, b in _STRING_RE.findall(body)]
        if leftover or any(not re.fullmatch(r'-Wno-[A-Za-z0-9_+=-]+', v) for v in values) or (
                attr in ('defines', 'local_defines', 'includes', 'nocopts') and values):
            add(m.start(), f'{attr} may only hold -Wno-... warning flags in untrusted code')
    return out


# ----------------------------------------------------------------------------
# Layer 2: the clang plugin.
# ----------------------------------------------------------------------------


def compile_args(path, root):
    """The compiler arguments for one translation unit."""
    args = ['-xc++', '-std=c++23', '-I' + root, '-w', '-ferror-limit=3']
    if not path.endswith('_test.cc'):
        # Kernel configuration; *_test.cc files are host GoogleTest sources.
        args += ['-DKEEL_KERNEL=1', '-ffreestanding', '-fno-exceptions', '-fno-rtti']
    return args


def plugin_command(path, root, plugin, untrusted, trusted):
    cmd = [CLANG, '-fsyntax-only'] + compile_args(path, root)
    for d in trusted:
        cmd.append('-I' + d)
    cmd += ['-Xclang', '-load', '-Xclang', plugin, '-Xclang', '-plugin', '-Xclang', 'keel-safety']
    plugin_args = ['root=' + root] + ['untrusted=' + d for d in untrusted] + [
        'trusted=' + d for d in trusted] + [
            'allowed=' + os.path.join(root, h) for h in ALLOWED_DECL_HEADERS]
    for a in plugin_args:
        cmd += ['-Xclang', '-plugin-arg-keel-safety', '-Xclang', a]
    return cmd + [path]


_DIAG_RE = re.compile(r'^(.*?):(\d+):\d+: (?:fatal )?error: (.*)$')


class TuResult:
    def __init__(self):
        self.violations = []
        self.includes = []  # (includer, line, angled, spelled, resolved)
        self.defined = set()
        self.declared = []  # (mangled, path, line, name)


def plugin_lint(path, ctx):
    """Runs the plugin on one translation unit."""
    res = TuResult()
    root = ctx['root']
    try:
        proc = subprocess.run(plugin_command(path, root, ctx['plugin'], ctx['untrusted'],
                                             ctx['trusted']),
                              capture_output=True, text=True, check=False)
    except OSError as e:
        res.violations.append(Violation(display_path(path, root), 1, 'parse_error',
                                        f'cannot run {CLANG}: {e}'))
        return res
    for raw in proc.stdout.splitlines():
        if not raw.startswith('@keel\t'):
            continue
        f = raw.split('\t')
        kind = f[1]
        if kind == 'V' and len(f) >= 6:
            res.violations.append(Violation(display_path(f[2], root), int(f[3]), f[4], f[5]))
        elif kind == 'I' and len(f) >= 7:
            res.includes.append((f[2], int(f[3]), f[4] == '1', f[5], f[6]))
        elif kind == 'D' and len(f) >= 3:
            res.defined.add(f[2])
        elif kind == 'X' and len(f) >= 6:
            res.declared.append((f[2], f[3], int(f[4]), f[5]))
    if proc.returncode != 0:
        where, line, message = path, 1, f'clang exited with {proc.returncode}'
        for raw in proc.stderr.splitlines():
            m = _DIAG_RE.match(raw)
            if m:
                where, line, message = m.group(1), int(m.group(2)), m.group(3)
                break
        res.violations.append(Violation(
            display_path(os.path.realpath(where) if os.path.exists(where) else path, root),
            line, 'parse_error',
            f'this file does not compile standalone (untrusted code must): {message}'))
    return res


def judge_include(includer, line, angled, spelled, resolved, ctx, allowed):
    """Layer 3: an #include in untrusted code, judged by its resolved real path."""
    root = ctx['root']
    library = any(under(includer, d) for d in ctx['library'])
    if not resolved:
        # Not found (also a parse_error): judge the spelling as written.
        message = check_include(spelled, '<' if angled else '"', includer, allowed, library)
        return Violation(display_path(includer, root), line, 'include', message) if message else None
    spelled_text = f'<{spelled}>' if angled else f'"{spelled}"'
    if library:
        if any(under(resolved, d) for d in ctx['library']):
            return None
        if under(resolved, root) or any(under(resolved, d) for d in ctx['trusted']):
            rel = display_path(resolved, root)
            return Violation(display_path(includer, root), line, 'include',
                             f'{spelled_text} resolves to {rel}; lib/ code may include only '
                             'lib/ and allowlisted standard headers (ostd depends on lib/, '
                             'not the other way round)')
    elif any(under(resolved, d) for d in ctx['untrusted'] + ctx['trusted']):
        return None
    message = None
    if under(resolved, root):
        rel = os.path.relpath(resolved, root)
        parts = rel.split('/')
        if rel in ALLOWED_QUOTED_FILES:
            return None
        if parts[0] == 'ostd':
            if 'internal' in parts[:-1] or (len(parts) > 1 and parts[1] == 'arch'):
                message = f'{spelled_text} resolves to {rel}, which is not part of ostd\'s public API'
            else:
                message = restricted_include(rel, display_path(includer, root))
                if message is None:
                    return None
        elif parts[0] == 'arch':
            message = (f'{spelled_text} resolves to {rel}, an arch/ header; untrusted code may '
                       'only use ostd\'s public API')
        else:
            message = f'{spelled_text} resolves to {rel}, which may not be included by untrusted code'
    else:
        # A system header: the spelled name must be allowlisted (or gtest in a test).
        message = check_include(spelled, '<' if angled or spelled.startswith('absl/') else '"',
                                includer, allowed, library)
        if message is None and not (angled or spelled.startswith('absl/')):
            if not (spelled in GTEST_HEADERS and includer.endswith('_test.cc')):
                message = f'{spelled_text} resolves to {resolved}, outside the allowed headers'
    if message is None:
        return None
    return Violation(display_path(includer, root), line, 'include', message)


# ----------------------------------------------------------------------------
# Driver.
# ----------------------------------------------------------------------------


def under(path, d):
    return path == d or path.startswith(d.rstrip('/') + '/')


def display_path(path, root):
    """Path relative to the root when inside it, else as given."""
    rel = os.path.relpath(path, root)
    return path if rel.startswith('..') else rel


def walk_tree(root, dirs):
    """Lists every file under root/dir for each dir; missing dirs are empty.
    Symbolic links (files or folders) are returned as well, to be rejected:
    clang would judge a linked file by its real path, outside the trees."""
    files = []
    for d in dirs:
        top = os.path.join(root, d)
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames.sort()
            files += [os.path.join(dirpath, n) for n in dirnames
                      if os.path.islink(os.path.join(dirpath, n))]
            for name in sorted(filenames):
                files.append(os.path.join(dirpath, name))
    return files


def find_plugin(explicit):
    """The plugin: --plugin, $KEEL_SAFETY_PLUGIN, or built here with clang++-19
    into a cache file named by the source's hash (a manual run needs no Bazel)."""
    if explicit:
        return os.path.abspath(explicit)
    env = os.environ.get('KEEL_SAFETY_PLUGIN')
    if env:
        return env
    with open(PLUGIN_SOURCE, 'rb') as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:16]
    out = os.path.join(tempfile.gettempdir(), f'keel_safety_plugin-{digest}.so')
    if not os.path.exists(out):
        tmp = out + f'.{os.getpid()}'
        subprocess.run([CLANG, '-std=c++23', '-fno-rtti', '-fPIC', '-shared', '-O1',
                        '-isystem', '/usr/lib/llvm-19/include', '-D_GNU_SOURCE',
                        '-D__STDC_CONSTANT_MACROS', '-D__STDC_FORMAT_MACROS',
                        '-D__STDC_LIMIT_MACROS', '-o', tmp, PLUGIN_SOURCE], check=True)
        os.replace(tmp, out)
    return out


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--root', default=os.getcwd(), help='workspace root (for includes)')
    parser.add_argument('--plugin', help='keel_safety_plugin.so (default: build it)')
    parser.add_argument('--tree', action='store_true',
                        help='arguments are directories under the root to walk')
    parser.add_argument('--trusted-include', action='append', default=[],
                        help='(self-test only) an include directory judged like ostd\'s '
                        'public headers')
    parser.add_argument('--library', action='store_true',
                        help='files given by name are judged as lib/ code (the checked '
                        'library: narrower includes)')
    parser.add_argument('paths', nargs='*')
    args = parser.parse_args(argv)
    root = os.path.realpath(args.root)

    untrusted = [os.path.join(root, d) for d in UNTRUSTED_DIRS]
    library = [os.path.join(root, d) for d in LIBRARY_DIRS]
    if args.tree:
        files = walk_tree(root, args.paths)
    else:
        files = []
        for p in args.paths:
            full = os.path.join(root, p) if not os.path.isabs(p) and not os.path.exists(p) else p
            if not os.path.isfile(full):
                print(f'{p}:1: error: [io] no such file', file=sys.stdout)
                return 1
            files.append(os.path.abspath(full))
        # Files given by name are judged as kernel code (or lib/ code with
        # --library), and so is their folder.
        for f in files:
            d = os.path.dirname(os.path.realpath(f))
            if d not in untrusted:
                untrusted.append(d)
            if args.library and d not in library:
                library.append(d)

    allowed = load_allowlist()
    violations = []
    tus = []
    for f in files:
        display = display_path(f, root)
        kind = file_kind(f)
        if os.path.islink(f):
            violations.append(Violation(
                display, 1, 'symlink', 'symbolic links are not allowed in the untrusted trees '
                '(the compiler and the gate would see the file they point to)'))
        elif kind == 'build':
            violations += build_lint(f, display)
        elif kind in ('source', 'header'):
            violations += text_lint(f, display, allowed)
            tus.append(f)
        elif kind == 'other':
            violations.append(Violation(
                display, 1, 'non_cxx_source',
                'only C++ sources (.cc .cpp .cxx), headers (.h .hpp .hh .inc .ipp .hxx), Bazel '
                'files and documentation may live in the untrusted trees'))

    ctx = {
        'root': root,
        'plugin': find_plugin(args.plugin) if tus else None,
        'untrusted': [os.path.realpath(d) for d in untrusted],
        'library': [os.path.realpath(d) for d in library],
        'trusted': [os.path.realpath(d) for d in args.trusted_include],
    }
    # Host *_test.cc files (GoogleTest headers) are the slowest: start them first.
    tus.sort(key=lambda f: not f.endswith('_test.cc'))
    defined = set(GENERATED_DEFINITIONS)
    declared = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=JOBS) as pool:
        for res in pool.map(lambda f: plugin_lint(f, ctx), tus):
            violations += res.violations
            defined |= res.defined
            declared += res.declared
            for inc in res.includes:
                v = judge_include(*inc, ctx, allowed)
                if v:
                    violations.append(v)
    # lib/'s own declarations are matched against lib/'s definitions only when
    # lib/ is linted as a tree (lint_test does); a file or tree linted without
    # it (a fixture that includes an ostd header built on lib/) cannot see them.
    lib_linted = args.tree and any(os.path.normpath(p) in LIBRARY_DIRS for p in args.paths)
    lib_real = [os.path.realpath(os.path.join(root, d)) for d in LIBRARY_DIRS]
    for mangled, path, line, name in declared:
        if not lib_linted and any(under(path, d) for d in lib_real):
            continue
        if mangled not in defined:
            violations.append(Violation(
                display_path(path, root), line, 'extern_decl',
                f"'{name}' is declared in untrusted code but defined in no untrusted file: a "
                're-declaration of a TCB or assembly symbol? Include ostd\'s public header instead'))

    seen = set()
    unique = []
    for v in violations:
        if v.key() not in seen:
            seen.add(v.key())
            unique.append(v)
    unique.sort(key=lambda v: (v.path, v.line, v.rule))
    for v in unique:
        print(v)
    if unique:
        print(f'safety lint: {len(unique)} violation(s) in {len(files)} files', file=sys.stderr)
        return 1
    print(f'safety lint: {len(files)} files clean')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))

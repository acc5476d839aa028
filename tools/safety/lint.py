#!/usr/bin/env python3
"""Keel safety lint: rejects unsafe C++ constructs in untrusted code.

Code in kernel/, drivers/ and examples/ is untrusted (see the architecture
design doc, "Layers and folders"): it may only use ostd's typed public API.
This lint enforces that mechanically, in three layers:

  1. A token scanner (this file, stdlib only). It strips comments and string
     and character literals (including raw strings), then rejects keyword-level
     constructs: inline asm, reinterpret_cast, const_cast, volatile, union, the
     mem* functions and builtins, placement new, bit casts to pointer types,
     NOLINT comments (they would silence layer 2) and #include of anything that
     is not ostd's public API, the untrusted trees, ktest/ktest.h or an
     allowlisted standard/abseil header (tools/safety/kernel_headers.allow).
  2. clang-tidy-19 with a fixed profile of type-aware checks (C-style and
     functional casts, pointer arithmetic, int-to-pointer, union access, asm),
     run on every .cc/.cpp file; headers are checked when a .cc includes them
     (the header filter is limited to the untrusted trees) and always by layer 1.
  3. A type-aware AST layer: clang-query-19 (clang-19's AST matchers, one parse
     per .cc/.cpp with the same compile arguments as layer 2) finds builtin
     pointer differences `p - q` (both operands of pointer type, result
     ptrdiff_t), which clang-tidy's pointer-arithmetic check and
     -Wunsafe-buffer-usage miss because the result is not a pointer. It reports
     only expressions whose expansion location is in the linted file or in a
     header under the untrusted trees (never code in system or ostd headers,
     e.g. their template instantiations). Differences of class-type iterators
     (std::span's __normal_iterator) are operator calls and are allowed;
     std::array / std::string_view iterators are raw pointers in libstdc++, so
     `arr.end() - arr.begin()` is reported (use arr.size() or std::ssize).
     `p += n`, `p -= n`, `++p`, `--p` and `p - n` yield pointers and are
     reported by layer 2 (pointer_arithmetic).

Usage:
  lint.py [--root DIR] [--no-tidy] FILE...      (--no-tidy: layer 1 only)
  lint.py [--root DIR] [--no-tidy] --tree kernel drivers examples

Output: one `path:line: error: [rule] message` line per violation, exit 1 if
there is any; otherwise `safety lint: N files clean` and exit 0.
"""

import argparse
import concurrent.futures
import os
import re
import subprocess
import sys

SOURCE_EXTENSIONS = ('.h', '.hpp', '.inc', '.cc', '.cpp')
TIDY_EXTENSIONS = ('.cc', '.cpp')
CLANG_TIDY = '/usr/bin/clang-tidy-19'
CLANG_QUERY = '/usr/bin/clang-query-19'
# Parallel clang processes (layers 2 and 3 share one pool).
TIDY_JOBS = max(2, min(8, os.cpu_count() or 2))

# The clang-tidy profile. Each check maps to the rule name that is printed.
# google-readability-casting is the only check that reports *every* C-style
# cast (cppcoreguidelines-pro-type-cstyle-cast skips arithmetic ones) and
# functional casts to pointer types (`using P = int*; P(x)`).
TIDY_CHECKS = {
    'cppcoreguidelines-pro-type-reinterpret-cast': 'reinterpret_cast',
    'cppcoreguidelines-pro-type-const-cast': 'const_cast',
    'cppcoreguidelines-pro-type-cstyle-cast': 'cstyle_cast',
    'google-readability-casting': 'cstyle_cast',
    'cppcoreguidelines-pro-bounds-pointer-arithmetic': 'pointer_arithmetic',
    'cppcoreguidelines-pro-type-union-access': 'union',
    'hicpp-no-assembler': 'asm',
    'performance-no-int-to-ptr': 'int_to_ptr',
}

# Directories (relative to the root) whose headers layers 2 and 3 report on.
TIDY_HEADER_DIRS = ('kernel', 'drivers', 'examples', 'tools/safety/testdata')

# Keyword-level rules of the token layer: identifier -> (rule, message).
BANNED_IDENTIFIERS = {
    'asm': ('asm', 'inline assembly is only allowed in arch/ and ostd/'),
    '__asm': ('asm', 'inline assembly is only allowed in arch/ and ostd/'),
    '__asm__': ('asm', 'inline assembly is only allowed in arch/ and ostd/'),
    'reinterpret_cast': ('reinterpret_cast',
                         'reinterpret_cast is not allowed; use a typed ostd API'),
    'const_cast': ('const_cast', 'const_cast is not allowed'),
    'volatile': ('volatile', 'volatile is not allowed; use ostd::IoMem / atomics'),
    '__volatile': ('volatile', 'volatile is not allowed; use ostd::IoMem / atomics'),
    '__volatile__': ('volatile', 'volatile is not allowed; use ostd::IoMem / atomics'),
    'union': ('union', 'union is not allowed (type punning); use std::variant or std::bit_cast'),
    'construct_at': ('placement_new', 'std::construct_at on raw memory is not allowed'),
    'start_lifetime_as': ('placement_new', 'start_lifetime_as on raw memory is not allowed'),
}

# Raw memory functions; any `__builtin_mem*` is rejected as well.
MEM_FUNCTIONS = frozenset([
    'memcpy', 'memset', 'memmove', 'memcmp', 'memchr', 'mempcpy', 'bcopy', 'bzero',
    'explicit_bzero', 'wmemcpy', 'wmemset', 'wmemmove', 'wmemcmp',
])

# Keywords after which `volatile`/`goto` belong to an asm statement that is
# already reported.
ASM_KEYWORDS = frozenset(['asm', '__asm', '__asm__'])

# Quoted includes that untrusted code may use besides ostd/ public headers and
# its own trees.
ALLOWED_QUOTED_PREFIXES = ('kernel/', 'drivers/', 'examples/')
ALLOWED_QUOTED_FILES = frozenset(['ktest/ktest.h'])
GTEST_HEADERS = frozenset(['gtest/gtest.h', 'gmock/gmock.h'])

ALLOWLIST_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'kernel_headers.allow')


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


# ----------------------------------------------------------------------------
# Token layer rules.
# ----------------------------------------------------------------------------


def _matching(tokens, i, open_text, close_text):
    """Returns the index of the token closing the bracket at tokens[i], or -1."""
    depth = 0
    for j in range(i, len(tokens)):
        t = tokens[j].text
        if tokens[j].kind != 'punct':
            continue
        if t == open_text:
            depth += 1
        elif t == close_text:
            depth -= 1
            if depth == 0:
                return j
        elif t == ';':
            return -1
    return -1


def _is_nothrow(tokens):
    """True for the tokens `nothrow` or `std :: nothrow` (or `:: std :: nothrow`)."""
    words = [t.text for t in tokens]
    return words in (['nothrow'], ['std', '::', 'nothrow'], ['::', 'std', '::', 'nothrow'])


def check_placement_new(tokens, i):
    """Checks the `new` at tokens[i]; returns a message if it is placement new."""
    if i > 0 and tokens[i - 1].text == 'operator':
        return None  # Declaration or call of an allocation function.
    if i + 1 >= len(tokens) or tokens[i + 1].text != '(':
        return None
    close = _matching(tokens, i + 1, '(', ')')
    if close < 0:
        return None
    if _is_nothrow(tokens[i + 2:close]):
        return None  # `new (std::nothrow) T` is fallible allocation: allowed.
    after = tokens[close + 1] if close + 1 < len(tokens) else None
    if after is not None and (after.kind == 'ident' or after.text in ('::', '(')):
        return 'placement new is not allowed (only `new (std::nothrow) T`)'
    return None  # `new (T)`: parenthesized type-id.


def check_bit_cast(tokens, i):
    """Checks a bit cast at tokens[i]; returns a message if it targets a pointer."""
    name = tokens[i].text
    if i + 1 >= len(tokens):
        return None
    if name == 'bit_cast' and tokens[i + 1].text == '<':
        close = _matching(tokens, i + 1, '<', '>')
        target = tokens[i + 2:close] if close > 0 else []
    elif name == '__builtin_bit_cast' and tokens[i + 1].text == '(':
        close = _matching(tokens, i + 1, '(', ')')
        target = []
        depth = 0
        for t in tokens[i + 2:close if close > 0 else len(tokens)]:
            if t.text in ('(', '<', '['):
                depth += 1
            elif t.text in (')', '>', ']'):
                depth -= 1
            elif t.text == ',' and depth == 0:
                break
            target.append(t)
    else:
        return None
    if any(t.text == '*' for t in target):
        return f'{name} to a pointer type (integer-to-pointer conversion) is not allowed'
    return None


def check_include(header, kind, path, allowed):
    """Returns a message if untrusted code may not include `header`, else None."""
    spelled = f'<{header}>' if kind == '<' else f'"{header}"'
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


def token_lint(path, display, allowed):
    """Runs the token layer on one file; returns a list of Violations."""
    with open(path, encoding='utf-8', errors='replace') as f:
        scan = tokenize(f.read())
    out = []

    def add(line, rule, message):
        out.append(Violation(display, line, rule, message))

    for line, kind, header in scan.includes:
        message = check_include(header, kind, path, allowed)
        if message:
            add(line, 'include', message)
    for line, text in scan.comments:
        if 'NOLINT' in text:
            add(line, 'nolint',
                'NOLINT is not allowed in untrusted code (it would silence the safety gate)')
    tokens = scan.tokens
    for i, tok in enumerate(tokens):
        if tok.kind != 'ident':
            continue
        word = tok.text
        prev = tokens[i - 1].text if i > 0 else ''
        if prev in ('.', '->'):
            continue  # A member name, e.g. `cfg.volatile_`; never a keyword.
        if word in BANNED_IDENTIFIERS:
            if word.endswith(('volatile', 'volatile__')) and prev in ASM_KEYWORDS:
                continue  # `asm volatile`: reported once, as asm.
            add(tok.line, *BANNED_IDENTIFIERS[word])
        elif word in MEM_FUNCTIONS or word.startswith('__builtin_mem'):
            add(tok.line, 'memfunc', f'{word} on raw memory is not allowed; '
                'use std::span / std::copy / ostd::VmWriter')
        elif word == 'new':
            message = check_placement_new(tokens, i)
            if message:
                add(tok.line, 'placement_new', message)
        elif word in ('bit_cast', '__builtin_bit_cast'):
            message = check_bit_cast(tokens, i)
            if message:
                add(tok.line, 'int_to_ptr', message)
    return out


# ----------------------------------------------------------------------------
# clang-tidy layer.
# ----------------------------------------------------------------------------

_TIDY_LINE_RE = re.compile(r'^(.*?):(\d+):\d+: (error|warning): (.*?) \[([^\]]+)\]$')


def header_filter_regex(root):
    """The regex (llvm::Regex syntax) of headers that layers 2 and 3 report on."""
    return '^' + re.escape(root) + '/(' + '|'.join(
        re.escape(d) for d in TIDY_HEADER_DIRS) + ')/'


def compile_args(path, root):
    """The compiler arguments for one translation unit (layers 2 and 3)."""
    args = ['-xc++', '-std=c++23', '-I' + root, '-Wno-unknown-warning-option']
    if not path.endswith('_test.cc'):
        # Kernel configuration; *_test.cc files are host GoogleTest sources.
        args += ['-DKEEL_KERNEL=1', '-ffreestanding', '-fno-exceptions', '-fno-rtti']
    return args


def tidy_command(path, root):
    """Builds the clang-tidy command line for one translation unit."""
    header_filter = header_filter_regex(root)
    config = ('{Checks: \'-*,' + ','.join(TIDY_CHECKS) + '\', '
              'WarningsAsErrors: \'*\', HeaderFilterRegex: \'' + header_filter + '\'}')
    return [CLANG_TIDY, '--quiet', '--config=' + config, '--warnings-as-errors=*',
            '--header-filter=' + header_filter, path, '--'] + compile_args(path, root)


def tidy_lint(path, root):
    """Runs clang-tidy on one file; returns a list of Violations."""
    try:
        proc = subprocess.run(tidy_command(path, root), capture_output=True, text=True, check=False)
    except OSError as e:
        return [Violation(display_path(path, root), 1, 'tidy', f'cannot run {CLANG_TIDY}: {e}')]
    out = []
    for raw in proc.stdout.splitlines() + proc.stderr.splitlines():
        m = _TIDY_LINE_RE.match(raw)
        if not m:
            continue
        where, line, _, message, checks = m.groups()
        check = checks.split(',')[0]
        if check in TIDY_CHECKS:
            rule = TIDY_CHECKS[check]
            message = f'{message} ({check})'
        elif check.startswith('clang-diagnostic'):
            rule = 'parse_error'
            message = f'clang-tidy cannot compile this file: {message}'
        else:
            rule = 'tidy'
            message = f'{message} ({check})'
        out.append(Violation(display_path(os.path.abspath(where), root), int(line), rule, message))
    if proc.returncode != 0 and not out:
        tail = (proc.stderr.strip().splitlines() or ['no output'])[-1]
        out.append(Violation(display_path(path, root), 1, 'parse_error',
                             f'clang-tidy failed (exit {proc.returncode}): {tail}'))
    return out


# ----------------------------------------------------------------------------
# AST layer (clang-query-19): pointer differences.
# ----------------------------------------------------------------------------

_POINTER_DIFFERENCE_BIND = 'pointer_difference'
_QUERY_MATCH_RE = re.compile(r'^(.*?):(\d+):\d+: note: "' + _POINTER_DIFFERENCE_BIND
                             + r'" binds here$')
_QUERY_DONE_RE = re.compile(r'^\d+ match(es)?\.$')


def pointer_difference_matcher(root):
    """The clang-query matcher of builtin `pointer - pointer` in untrusted code.

    Operand types are compared canonically, so typedefs (`using P = int*`),
    array-to-pointer decay and raw-pointer iterators are seen through; template
    patterns and their instantiations are both visited (duplicates collapse).
    The location filter uses the expansion location: a macro expanded in
    untrusted code is reported at its use.
    """
    pointer = 'hasType(hasCanonicalType(pointerType()))'
    where = ('anyOf(isExpansionInMainFile(), isExpansionInFileMatching("'
             + header_filter_regex(root).replace('"', '\\"') + '"))')
    return (f'binaryOperator(hasOperatorName("-"), hasLHS({pointer}), hasRHS({pointer}), '
            f'{where}).bind("{_POINTER_DIFFERENCE_BIND}")')


def query_command(paths, root):
    """Builds the clang-query command line for translation units that share
    their compile arguments (one process parses them in turn)."""
    return [CLANG_QUERY, '-c', 'set output diag', '-c', 'set bind-root false',
            '-c', 'match ' + pointer_difference_matcher(root)] + list(paths) + [
                '--'] + compile_args(paths[0], root)


def query_batches(paths, root, jobs):
    """Splits the files into at most `jobs` batches per set of compile arguments.

    One clang-query process per batch saves process start-up and header file
    I/O (about 15% of the layer's CPU time) while keeping the pool busy.
    """
    groups = {}
    for path in paths:
        groups.setdefault(tuple(compile_args(path, root)), []).append(path)
    batches = []
    for group in groups.values():
        n = min(jobs, len(group))
        batches += [group[i::n] for i in range(n)]
    return batches


def ast_lint(paths, root):
    """Runs the AST layer on a batch of files; returns a list of Violations.

    Compile errors are left to layer 2 (which reports them as parse_error); the
    matchers still run on the partial AST.
    """
    def failed(message):
        return [Violation(display_path(p, root), 1, 'ast', message) for p in paths]

    try:
        proc = subprocess.run(query_command(paths, root), capture_output=True, text=True,
                              check=False)
    except OSError as e:
        return failed(f'cannot run {CLANG_QUERY}: {e}')
    out = []
    done = False
    for raw in proc.stdout.splitlines():
        if _QUERY_DONE_RE.match(raw):
            done = True
        m = _QUERY_MATCH_RE.match(raw)
        if not m:
            continue
        where, line = m.groups()
        out.append(Violation(
            display_path(os.path.abspath(where), root), int(line), 'pointer_difference',
            'subtracting two pointers is pointer arithmetic; keep indices or use '
            'std::span (subspan/size) instead'))
    if not done:
        tail = (proc.stderr.strip().splitlines() or ['no output'])[-1]
        out += failed(f'clang-query failed (exit {proc.returncode}): {tail}')
    return out


# ----------------------------------------------------------------------------
# Driver.
# ----------------------------------------------------------------------------


def display_path(path, root):
    """Path relative to the root when inside it, else as given."""
    rel = os.path.relpath(path, root)
    return path if rel.startswith('..') else rel


def walk_tree(root, dirs):
    """Lists the source files under root/dir for each dir; missing dirs are empty."""
    files = []
    for d in dirs:
        top = os.path.join(root, d)
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames.sort()
            for name in sorted(filenames):
                if name.endswith(SOURCE_EXTENSIONS):
                    files.append(os.path.join(dirpath, name))
    return files


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--root', default=os.getcwd(), help='workspace root (for includes)')
    parser.add_argument('--no-tidy', action='store_true',
                        help='token layer only (skip clang-tidy and clang-query)')
    parser.add_argument('--tree', action='store_true',
                        help='arguments are directories under the root to walk')
    parser.add_argument('paths', nargs='*')
    args = parser.parse_args(argv)
    root = os.path.abspath(args.root)

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

    allowed = load_allowlist()
    violations = []
    for f in files:
        violations += token_lint(f, display_path(f, root), allowed)

    if not args.no_tidy:
        # Layers 2 and 3 share one pool. Host *_test.cc files (GoogleTest
        # headers) are the slowest to parse, so their jobs are started first.
        tidy_files = sorted((f for f in files if f.endswith(TIDY_EXTENSIONS)),
                            key=lambda f: not f.endswith('_test.cc'))
        jobs = [(tidy_lint, f) for f in tidy_files]
        jobs += [(ast_lint, b) for b in query_batches(tidy_files, root, TIDY_JOBS)]
        jobs.sort(key=lambda job: not any(
            f.endswith('_test.cc') for f in ([job[1]] if isinstance(job[1], str) else job[1])))
        with concurrent.futures.ThreadPoolExecutor(max_workers=TIDY_JOBS) as pool:
            for result in pool.map(lambda job: job[0](job[1], root), jobs):
                violations += result

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

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Recall of `tracer-lsp index` against an independent ground truth.

The ground truth is computed here, differently from the indexer (plain
regular expressions over comment-stripped text plus a small one-file macro
expander, no tree-sitter), from a source tree read at run time:

* Linux-style declarations: TRACE_EVENT, TRACE_EVENT_FN, TRACE_EVENT_FN_COND,
  TRACE_EVENT_CONDITION, TRACE_EVENT_NOP, DECLARE_TRACE, DECLARE_TRACE_CONDITION,
  DECLARE_TRACE_WRITABLE (name = 1st argument); DEFINE_EVENT, DEFINE_EVENT_FN,
  DEFINE_EVENT_PRINT, DEFINE_EVENT_CONDITION, DEFINE_EVENT_NOP,
  DEFINE_EVENT_WRITABLE (name = 2nd argument).
* lttng-modules declarations: LTTNG_TRACEPOINT_EVENT{,_MAP,_CODE,_CODE_MAP,
  _NOARGS,_MAP_NOARGS} (name = 1st argument) and
  LTTNG_TRACEPOINT_EVENT_INSTANCE{,_MAP,_NOARGS,_MAP_NOARGS} (name = 2nd
  argument); for the _MAP forms the map name is accepted as an alias.
* Wrapper macros: a `#define W(params) body` whose body calls one of the
  above (or another wrapper) is expanded at each use, with parameter
  substitution and `##` pasting; an object-like `#define A TRACE_EVENT` is an
  alias. A wrapper applies in the file that defines it and in files that
  `#include` that file (one level), never globally by name.
* Excluded: include/linux/tracepoint.h, include/linux/tracepoint-defs.h,
  include/trace/*.h and include/trace/stages/*.h (the framework that defines
  these macros), and every preprocessor directive line (so `#define` bodies
  only count through their uses).
* Probe sites: `trace_NAME(`, `trace_NAME_rcuidle(`, `trace_NAME_enabled(`,
  `register_trace_NAME(`, `unregister_trace_NAME(` (and the
  `register_trace_prio_NAME(` variant) outside comments and strings, in .c/.h
  files, whose NAME is a ground-truth event name. Not sites: the macro name of
  a `#define trace_NAME(...)`, and a function declared or defined under that
  name (`static inline void trace_NAME(...) {}` stubs), recognised by a type
  word just before it.
* A declaration macro whose head is split by `#if A / NAME(a, / #else /
  NAME(b, / #endif` declares both a and b (parentheses are matched along the
  first branch met, skipping #else/#elif parts).

Files: every regular (non-symlink) .c/.h file under --tree, hidden
directories skipped; .gitignore files are not interpreted.

It then runs `tracer-lsp index TREE --json` (or reads --json FILE) and prints
event-name recall, site recall, and, for lttng-modules-style trees, the recall
of every LTTNG_TRACEPOINT_EVENT* declaration occurrence (file:line). It always
exits 0: it reports, it does not judge.

Standard library only.
"""

import argparse
import bisect
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import time

# --------------------------------------------------------------------------
# Declaration macros: name -> (index of the event-name argument,
#                              index of the map-name argument or None)
BUILTIN_DECLS = {
    "TRACE_EVENT": (0, None),
    "TRACE_EVENT_FN": (0, None),
    "TRACE_EVENT_FN_COND": (0, None),
    "TRACE_EVENT_CONDITION": (0, None),
    "TRACE_EVENT_NOP": (0, None),
    "DECLARE_TRACE": (0, None),
    "DECLARE_TRACE_CONDITION": (0, None),
    "DECLARE_TRACE_WRITABLE": (0, None),
    "DEFINE_EVENT": (1, None),
    "DEFINE_EVENT_FN": (1, None),
    "DEFINE_EVENT_PRINT": (1, None),
    "DEFINE_EVENT_CONDITION": (1, None),
    "DEFINE_EVENT_NOP": (1, None),
    "DEFINE_EVENT_WRITABLE": (1, None),
    "LTTNG_TRACEPOINT_EVENT": (0, None),
    "LTTNG_TRACEPOINT_EVENT_NOARGS": (0, None),
    "LTTNG_TRACEPOINT_EVENT_CODE": (0, None),
    "LTTNG_TRACEPOINT_EVENT_MAP": (0, 1),
    "LTTNG_TRACEPOINT_EVENT_MAP_NOARGS": (0, 1),
    "LTTNG_TRACEPOINT_EVENT_CODE_MAP": (0, 1),
    "LTTNG_TRACEPOINT_EVENT_INSTANCE": (1, None),
    "LTTNG_TRACEPOINT_EVENT_INSTANCE_NOARGS": (1, None),
    "LTTNG_TRACEPOINT_EVENT_INSTANCE_MAP": (1, 2),
    "LTTNG_TRACEPOINT_EVENT_INSTANCE_MAP_NOARGS": (1, 2),
}
# Macros of the same families that declare no event (classes, flags, enums).
NON_EVENT_FORMS = re.compile(
    r"^(DECLARE_EVENT_CLASS\w*|LTTNG_TRACEPOINT_EVENT_CLASS\w*|LTTNG_TRACEPOINT_ENUM"
    r"|TRACE_EVENT_FLAGS|TRACE_EVENT_PERF_PERM|DECLARE_TRACEPOINT|TRACE_EVENT_FL_\w+)$"
)
FAMILY_RE = re.compile(
    r"\b(TRACE_EVENT\w*|DEFINE_EVENT\w*|DECLARE_TRACE\w*|DECLARE_EVENT_CLASS\w*"
    r"|LTTNG_TRACEPOINT\w*)\s*\("
)
FAMILY_WORDS = (b"TRACE_EVENT", b"DEFINE_EVENT", b"DECLARE_TRACE", b"DECLARE_EVENT_CLASS", b"LTTNG_TRACEPOINT")
INCLUDE_BYTES_RE = re.compile(rb'#[ \t]*include[ \t]*[<"]([^>"\n]+)[>"]')
TRACE_CALL_BYTES_RE = re.compile(rb"(?<![A-Za-z0-9_])trace_[A-Za-z0-9_]+\s*\(")
SITE_RE = re.compile(r"(?<![A-Za-z0-9_])((?:un)?register_)?trace_([A-Za-z0-9_]+)\s*\(")
IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
NAME_RE = re.compile(r"^[A-Za-z0-9_]+$")
INCLUDE_RE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*[<"]([^>"\n]+)[>"]', re.M)
DIRECTIVE_RE = re.compile(r"^[ \t]*#(?:[^\n\\]|\\[\s\S])*", re.M)
DEFINE_RE = re.compile(r"^[ \t]*#[ \t]*define[ \t]+([A-Za-z_][A-Za-z0-9_]*)(\([^)]*\))?")
STRIP_RE = re.compile(
    r"//(?:[^\n\\]|\\[\s\S])*"          # line comment (may continue with \)
    r"|/\*[\s\S]*?(?:\*/|\Z)"           # block comment (maybe unterminated)
    r'|"(?:[^"\\\n]|\\[\s\S])*"?'       # string literal
    r"|'(?:[^'\\\n]|\\[\s\S])*'?"       # char literal
)


def framework_file(rel):
    """The files that define the tracepoint macros themselves."""
    if rel in ("include/linux/tracepoint.h", "include/linux/tracepoint-defs.h"):
        return True
    d, base = os.path.split(rel)
    return d in ("include/trace", "include/trace/stages") and base.endswith(".h")


def _strip_sub(m):
    s = m.group(0)
    c = s[0]
    if c == "/":  # comment: blanks, keeping line count; a newline inside a
        # block comment becomes a continuation so a directive line goes on
        # (the preprocessor sees a block comment as one space).
        if s[1] == "*":
            return re.sub(r"[^\n]", " ", s).replace("\n", "\\\n")
        return re.sub(r"[^\n\\]", " ", s)
    # string/char literal: keep the quotes and backslashes, hide the rest
    return c + re.sub(r"[^\n\\]", "x", s[1:-1]) + s[-1] if len(s) > 1 else s


def strip_c(text):
    return STRIP_RE.sub(_strip_sub, text)


class LineIndex:
    def __init__(self, text):
        self.starts = [0]
        pos = text.find("\n")
        while pos >= 0:
            self.starts.append(pos + 1)
            pos = text.find("\n", pos + 1)

    def line(self, off):
        return bisect.bisect_right(self.starts, off)  # 1-based


PP_KIND_RE = re.compile(r"[ \t]*#[ \t]*(\w+)")


def match_paren(text, open_pos, fi=None):
    """Offset just past the ')' matching text[open_pos] == '(' (strings are
    already hidden); None when the file ends first. With fi (a FileInfo),
    preprocessor lines are skipped and, at each #else/#elif met, the rest of
    that conditional up to its #endif, so a macro whose head is split across
    `#if A / NAME(a, / #else / NAME(b, / #endif` closes where it should."""
    depth = 0
    i = open_pos
    n = len(text)
    starts = fi.dir_starts if fi is not None else ()
    k = bisect.bisect_left(starts, open_pos) if fi is not None else 0
    next_dir = starts[k] if k < len(starts) else n + 1
    while i < n:
        if i == next_dir:
            s, e = fi.directives[k]
            kind = PP_KIND_RE.match(text, s).group(1) if PP_KIND_RE.match(text, s) else ""
            k += 1
            if kind in ("else", "elif"):
                level = 0  # skip to the matching #endif
                while k < len(starts):
                    m = PP_KIND_RE.match(text, starts[k])
                    kk = m.group(1) if m else ""
                    if kk.startswith("if"):
                        level += 1
                    elif kk == "endif":
                        if level == 0:
                            e = fi.directives[k][1]
                            k += 1
                            break
                        level -= 1
                    k += 1
            i = e
            next_dir = starts[k] if k < len(starts) else n + 1
            continue
        c = text[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


def split_args(inner):
    args, depth, cur = [], 0, []
    for c in inner:
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        if c == "," and depth == 0:
            args.append("".join(cur))
            cur = []
        else:
            cur.append(c)
    args.append("".join(cur))
    return [a.strip() for a in args]


def clean_name(arg):
    s = re.sub(r"\s*##\s*", "", arg.replace("\\\n", " ")).strip()
    return s if NAME_RE.match(s) else None


class Define:
    __slots__ = ("name", "params", "variadic", "body", "file", "line")

    def __init__(self, name, params, variadic, body, file, line):
        self.name, self.params, self.variadic = name, params, variadic
        self.body, self.file, self.line = body, file, line


class FileInfo:
    __slots__ = ("rel", "text", "lines", "directives", "dir_starts", "defines", "includes")


def load_file(root, rel):
    with open(os.path.join(root, rel), "rb") as f:
        raw = f.read()
    fi = FileInfo()
    fi.rel = rel
    fi.text = strip_c(raw.decode("utf-8", "replace"))
    fi.lines = LineIndex(fi.text)
    fi.directives = [(m.start(), m.end()) for m in DIRECTIVE_RE.finditer(fi.text)]
    fi.dir_starts = [s for s, _ in fi.directives]
    fi.defines = []
    for s, e in fi.directives:
        d = fi.text[s:e]
        m = DEFINE_RE.match(d)
        if not m:
            continue
        body = d[m.end():].replace("\\\n", " ").replace("\\\r\n", " ")
        params, variadic = None, False
        if m.group(2) is not None:
            params = []
            for p in m.group(2)[1:-1].split(","):
                p = p.strip()
                if p == "...":
                    variadic = True
                    params.append("__VA_ARGS__")
                elif p.endswith("..."):
                    variadic = True
                    params.append(p[:-3].strip())
                elif p:
                    params.append(p)
        fi.defines.append(Define(m.group(1), params, variadic, body.strip(), rel, fi.lines.line(s)))
    fi.includes = INCLUDE_RE.findall(fi.text)
    return fi


def in_directive(fi, off):
    i = bisect.bisect_right(fi.dir_starts, off) - 1
    return i >= 0 and fi.directives[i][0] <= off < fi.directives[i][1]


class Decl:
    __slots__ = ("name", "alt", "macro", "file", "line", "end_line", "via")

    def __init__(self, name, alt, macro, file, line, end_line, via):
        self.name, self.alt, self.macro = name, alt, macro
        self.file, self.line, self.end_line, self.via = file, line, end_line, via


def substitute(d, args):
    """Expand function-like define d with args: parameter substitution, then
    `##` pasting and `#x` stringification (turned into a dummy string)."""
    amap = {}
    for i, p in enumerate(d.params):
        if p == "__VA_ARGS__" or (d.variadic and i == len(d.params) - 1):
            amap[p] = ", ".join(args[i:])
            if p != "__VA_ARGS__":
                amap["__VA_ARGS__"] = amap[p]
            break
        amap[p] = args[i] if i < len(args) else ""
    body = re.sub(r"(?<!#)#\s*([A-Za-z_]\w*)", lambda m: '"x"' if m.group(1) in amap else m.group(0), d.body)
    body = IDENT_RE.sub(lambda m: amap.get(m.group(0), m.group(0)), body)
    return re.sub(r"\s*##\s*", "", body)


class Expander:
    def __init__(self, scope):
        # scope: name -> list[Define] (wrappers and aliases visible in a file)
        self.scope = scope
        names = set(BUILTIN_DECLS) | set(scope)
        self.call_re = re.compile(r"\b(" + "|".join(sorted(names, key=len, reverse=True)) + r")\s*\(")

    def resolve_alias(self, name, depth=0):
        """Object-like alias chain -> list of (builtin or function-like name,
        label for reports)."""
        if name in BUILTIN_DECLS or depth > 8:
            return [(name, name)]
        out = []
        for d in self.scope.get(name, ()):
            if d.params is None:
                out.extend((t, name + ">" + label) for t, label in self.resolve_alias(d.body, depth + 1))
            else:
                out.append((name, name))
        return out

    def expand(self, text, depth=0, fi=None):
        """Yield (offset_in_text, end_offset, macro, name, alt) for every event
        declared in text (macro-expanded up to a few levels). With fi, text is
        that file's text and its preprocessor lines are skipped."""
        for m in self.call_re.finditer(text):
            if fi is not None and in_directive(fi, m.start()):
                continue
            end = match_paren(text, m.end() - 1, fi)
            if end is None:
                continue
            args = split_args(text[m.end():end - 1])
            for target, label in self.resolve_alias(m.group(1)):
                if target in BUILTIN_DECLS:
                    ni, mi = BUILTIN_DECLS[target]
                    name = clean_name(args[ni]) if ni < len(args) else None
                    alt = clean_name(args[mi]) if mi is not None and mi < len(args) else None
                    yield (m.start(), end, label, name, alt)
                elif depth < 6:
                    for d in self.scope.get(target, ()):
                        if d.params is None:
                            continue
                        sub = substitute(d, args)
                        for _s, _e, macro, name, alt in self.expand(sub, depth + 1):
                            yield (m.start(), end, "%s>%s" % (label, macro), name, alt)


def is_wrapper(d, known):
    if d.name in BUILTIN_DECLS:
        return False
    if d.params is None:
        return d.body in known
    return any(re.search(r"\b" + re.escape(k) + r"\s*\(", d.body) for k in known if k in d.body)


NOT_A_TYPE = {"return", "else", "do", "case", "sizeof", "typeof", "__typeof__", "goto"}
PREV_TOKEN_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*|\S)\s*$")


def is_declarator(text, off):
    """True when the identifier at off is declared or defined there, i.e. the
    token before it is a type word (`void trace_x(`, `int\ntrace_x(`) rather
    than an operator, a bracket or a keyword such as `return`."""
    m = PREV_TOKEN_RE.search(text, max(0, off - 200), off)
    if not m:
        return False
    tok = m.group(1)
    return (tok[0].isalpha() or tok[0] == "_") and tok not in NOT_A_TYPE


def walk_tree(root):
    """Regular .c/.h files (relative paths), hidden dirs skipped, no symlinks."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(x for x in dirnames if not x.startswith("."))
        for fn in sorted(filenames):
            if fn.startswith(".") or not (fn.endswith(".c") or fn.endswith(".h")):
                continue
            p = os.path.join(dirpath, fn)
            if os.path.islink(p):
                continue
            out.append(os.path.relpath(p, root))
    return out


def resolve_include(inc, rel, exists):
    """Candidate tree-relative paths an #include may name."""
    cands = [os.path.normpath(os.path.join(os.path.dirname(rel), inc)), "include/" + inc, "include/uapi/" + inc]
    if rel.startswith("arch/"):
        arch = rel.split("/")[1]
        cands += ["arch/%s/include/%s" % (arch, inc), "arch/%s/include/uapi/%s" % (arch, inc)]
    return [c for c in cands if c in exists]


def ground_truth(root, log):
    t0 = time.time()
    files = walk_tree(root)
    exists = set(files)
    stats = collections.Counter()
    decl_files, call_files = [], []
    includes = {}  # rel -> [included path] for files outside decl_files
    for rel in files:
        try:
            with open(os.path.join(root, rel), "rb") as f:
                raw = f.read()
        except OSError:
            stats["unreadable"] += 1
            continue
        stats["files"] += 1
        stats["bytes"] += len(raw)
        if framework_file(rel):
            continue
        if any(w in raw for w in FAMILY_WORDS):
            decl_files.append(rel)
        else:
            inc = INCLUDE_BYTES_RE.findall(raw)
            if inc:
                includes[rel] = [i.decode("utf-8", "replace") for i in inc]
        if b"trace_" in raw and TRACE_CALL_BYTES_RE.search(raw):
            call_files.append(rel)
    log("ground truth: walked %d .c/.h files (%.1f MB) in %.1fs; %d mention a declaration macro family, %d a trace_*( call"
        % (stats["files"], stats["bytes"] / 1e6, time.time() - t0, len(decl_files), len(call_files)))

    infos = {rel: load_file(root, rel) for rel in decl_files}

    # Wrappers: fixpoint over defines in files of the declaration families.
    known = set(BUILTIN_DECLS)
    wrappers = {}  # rel -> name -> [Define]
    changed = True
    while changed:
        changed = False
        for rel, fi in infos.items():
            for d in fi.defines:
                if d.name not in known and is_wrapper(d, known):
                    known.add(d.name)
                    changed = True
    for rel, fi in infos.items():
        for d in fi.defines:
            if d.name in known and d.name not in BUILTIN_DECLS and is_wrapper(d, known):
                wrappers.setdefault(rel, {}).setdefault(d.name, []).append(d)
    wrapper_names = set(known) - set(BUILTIN_DECLS)

    # Files that may use a wrapper without mentioning a family macro: those
    # that include a file defining one.
    for rel, incs in includes.items():
        if any(c in wrappers for inc in incs for c in resolve_include(inc, rel, exists)):
            try:
                infos[rel] = load_file(root, rel)
            except OSError:
                pass
    log("ground truth: %d wrapper macro names in %d files; %d files to expand" % (len(wrapper_names), len(wrappers), len(infos)))

    decls = []
    unresolved = []
    other_forms = collections.Counter()
    for rel in sorted(infos):
        fi = infos[rel]
        scope = {}
        for src in [rel] + [c for inc in fi.includes for c in resolve_include(inc, rel, exists)]:
            for name, defs in wrappers.get(src, {}).items():
                scope.setdefault(name, []).extend(defs)
        for m in FAMILY_RE.finditer(fi.text):
            if not in_directive(fi, m.start()):
                form = m.group(1)
                if form not in BUILTIN_DECLS and form not in scope and not NON_EVENT_FORMS.match(form):
                    other_forms[form] += 1
        exp = Expander(scope)
        seen = set()
        for s, e, macro, name, alt in exp.expand(fi.text, fi=fi):
            line = fi.lines.line(s)
            if name is None:
                unresolved.append((rel, line, macro))
                continue
            key = (line, name)
            if key in seen:  # the same use through two #if-branch definitions or aliases
                continue
            seen.add(key)
            decls.append(Decl(name, alt, macro, rel, line, fi.lines.line(max(s, e - 1)), "wrapper" if ">" in macro else "direct"))

    names = {d.name for d in decls}

    # Probe sites.
    sites = []
    undeclared_calls = collections.Counter()
    for rel in call_files:
        fi = infos.get(rel) or load_file(root, rel)
        for m in SITE_RE.finditer(fi.text):
            reg, n = m.group(1), m.group(2)
            if in_directive(fi, m.start()):
                ls = fi.text.rfind("\n", 0, m.start()) + 1
                if re.match(r"^[ \t]*#[ \t]*define[ \t]+$", fi.text[ls:m.start()]):
                    continue
            if is_declarator(fi.text, m.start()):
                continue  # `static inline void trace_foo(...) {}`: a stub, not a call
            form, ev = None, None
            if reg and n.startswith("prio_") and n not in names and n[5:] in names:
                n = n[5:]  # register_trace_prio_NAME(probe, data, prio)
            if n in names:
                ev, form = n, ("register" if reg else "call")
            elif not reg and n.endswith("_rcuidle") and n[:-8] in names:
                ev, form = n[:-8], "rcuidle"
            elif not reg and n.endswith("_enabled") and n[:-8] in names:
                ev, form = n[:-8], "enabled"
            if ev is None:
                undeclared_calls[(reg or "") + "trace_" + n] += 1
                continue
            sites.append((rel, fi.lines.line(m.start()), ev, form))

    return {
        "stats": stats,
        "decl_files": decl_files,
        "call_files": call_files,
        "decls": decls,
        "names": names,
        "wrapper_names": wrapper_names,
        "unresolved": unresolved,
        "other_forms": other_forms,
        "sites": sites,
        "undeclared_calls": undeclared_calls,
        "seconds": time.time() - t0,
    }


def find_indexer(explicit):
    if explicit:
        return explicit
    env = os.environ.get("TRACER_LSP")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    cand = os.path.join(here, "..", "target", "release", "tracer-lsp")
    if os.access(cand, os.X_OK):
        return os.path.normpath(cand)
    return shutil.which("tracer-lsp")


def load_index(args, log):
    if args.json:
        try:
            with open(args.json, encoding="utf-8") as f:
                return json.load(f), None
        except (OSError, ValueError) as e:
            return None, "cannot read %s: %s" % (args.json, e)
    exe = find_indexer(args.indexer)
    if not exe:
        return None, "no tracer-lsp binary (build it, or pass --indexer BIN / --json FILE)"
    log("running: %s index %s --json" % (exe, args.tree))
    t0 = time.time()
    try:
        p = subprocess.run([exe, "index", args.tree, "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as e:
        return None, "cannot run %s: %s" % (exe, e)
    if p.returncode != 0:
        return None, "%s exited with %d: %s" % (exe, p.returncode, p.stderr.decode("utf-8", "replace")[-2000:])
    log("indexer finished in %.1fs (including JSON output)" % (time.time() - t0))
    if args.save_json:
        with open(args.save_json, "wb") as f:
            f.write(p.stdout)
    try:
        return json.loads(p.stdout), None
    except ValueError as e:
        return None, "indexer output is not JSON: %s" % e


def norm(path):
    return os.path.normpath(path).replace("\\", "/") if path else path


def pct(a, b):
    return "%.2f%%" % (100.0 * a / b) if b else "n/a"


def report(gt, idx, limit, out):
    p = lambda *a: print(*a, file=out)
    st = gt["stats"]
    decls, names, sites = gt["decls"], gt["names"], gt["sites"]
    site_files = {s[0] for s in sites}
    decl_event_files = {d.file for d in decls}
    p("== ground truth (%.1fs) ==" % gt["seconds"])
    p("  .c/.h files:                        %d (%.1f MB)" % (st["files"], st["bytes"] / 1e6))
    p("  files mentioning a decl macro family: %d" % len(gt["decl_files"]))
    p("  files with a trace_*( call:           %d" % len(gt["call_files"]))
    p("  files declaring >=1 event:            %d" % len(decl_event_files))
    p("  files with >=1 ground-truth site:     %d" % len(site_files))
    p("  files with either:                    %d" % len(decl_event_files | site_files))
    p("  declarations (occurrences):           %d (%d through wrapper macros; wrappers: %d names)"
      % (len(decls), sum(1 for d in decls if d.via == "wrapper"), len(gt["wrapper_names"])))
    p("  distinct event names:                 %d" % len(names))
    p("  probe sites (file,line,name):         %d (forms: %s)"
      % (len(sites), ", ".join("%s=%d" % kv for kv in sorted(collections.Counter(s[3] for s in sites).items()))))
    if gt["unresolved"]:
        p("  declarations whose name is not a literal after expansion: %d, e.g. %s"
          % (len(gt["unresolved"]), "; ".join("%s:%d %s" % u for u in gt["unresolved"][:5])))
    if gt["other_forms"]:
        p("  other family-like macro uses not counted: %s"
          % ", ".join("%s=%d" % kv for kv in gt["other_forms"].most_common(15)))

    if idx is None:
        return
    ev = idx.get("events") or []
    isites = idx.get("sites") or []
    p("== indexer ==")
    p("  files indexed: %s, events: %d, classes: %d, sites: %d"
      % (idx.get("files"), len(ev), len(idx.get("classes") or []), len(isites)))
    inames = {e.get("name") for e in ev}
    if names:
        alias = collections.defaultdict(set)
        for d in decls:
            if d.alt:
                alias[d.name].add(d.alt)
        found = {n for n in names if n in inames or alias[n] & inames}
        missed = sorted(names - found)
        first = {}
        for d in decls:
            first.setdefault(d.name, d)
        p("== distinct event names ==")
        p("  ground truth: %d, found: %d, recall: %s" % (len(names), len(found), pct(len(found), len(names))))
        if missed:
            p("  missed (first %d of %d):" % (min(limit, len(missed)), len(missed)))
            for n in missed[:limit]:
                d = first[n]
                p("    %-40s %s:%d  [%s]" % (n, d.file, d.line, d.macro))
        alts = set().union(*alias.values()) if alias else set()
        extra = sorted(n for n in inames - names - alts if n is not None)
        if extra:
            where = {}
            for e in ev:
                where.setdefault(e.get("name"), e)
            covered = lambda e: str(e.get("macro")).split(">")[-1] in BUILTIN_DECLS
            other = sum(1 for n in extra if not covered(where[n]))
            p("  indexer names not in ground truth (first %d of %d; %d of them from macros the ground truth"
              " does not cover, e.g. SDT/UST):" % (min(limit, len(extra)), len(extra), other))
            for n in extra[:limit]:
                e = where[n]
                p("    %-40s %s:%s  [%s]%s" % (n, e.get("file"), e.get("line"), e.get("macro"),
                                            "" if covered(e) else "  (not a ground-truth form)"))

    if sites:
        have = collections.Counter((norm(s.get("file")), s.get("line"), s.get("event")) for s in isites)
        gtc = collections.Counter((s[0], s[1], s[2]) for s in sites)
        matched = sum(min(c, have[k]) for k, c in gtc.items())
        p("== probe sites ==")
        p("  ground truth: %d, matched (file,line,event): %d, recall: %s"
          % (len(sites), matched, pct(matched, len(sites))))
        miss = []
        for k, c in sorted(gtc.items()):
            if c > have[k]:
                miss.append(k)
        if miss:
            forms = {(s[0], s[1], s[2]): s[3] for s in sites}
            p("  missed (first %d of %d):" % (min(limit, len(miss)), len(miss)))
            for f, l, n in miss[:limit]:
                p("    %s:%d  %s  [%s]" % (f, l, n, forms[(f, l, n)]))
        unres = [s for s in isites if s.get("event") not in inames]
        if unres:
            p("  indexer sites whose event is not an indexed event: %d (first %d)" % (len(unres), min(limit, 10)))
            for s in unres[:min(limit, 10)]:
                p("    %s:%s  %s  [%s]" % (s.get("file"), s.get("line"), s.get("event"), s.get("form")))

    ldecls = [d for d in decls if d.macro.split(">")[-1].startswith("LTTNG_")]
    if ldecls:
        by_file = collections.defaultdict(list)
        for e in ev:
            by_file[norm(e.get("file"))].append(e)
        ok, miss = 0, []
        for d in ldecls:
            cands = by_file.get(d.file, [])
            want = {d.name} | ({d.alt} if d.alt else set())
            if any(isinstance(e.get("line"), int) and d.line <= e["line"] <= d.end_line and e.get("name") in want
                   for e in cands):
                ok += 1
            else:
                near = [e for e in cands if e.get("name") in want]
                at = [e for e in cands if isinstance(e.get("line"), int) and d.line <= e["line"] <= d.end_line]
                hint = ("name found at line %s" % ", ".join(str(e.get("line")) for e in near[:3]) if near
                        else "an event at these lines is named %s" % ", ".join(str(e.get("name")) for e in at[:3]) if at
                        else "nothing in this file at these lines")
                miss.append((d, hint))
        p("== LTTNG_TRACEPOINT_EVENT* declarations (each occurrence, file:line) ==")
        p("  ground truth: %d (%d through wrapper macros), found: %d, recall: %s"
          % (len(ldecls), sum(1 for d in ldecls if d.via == "wrapper"), ok, pct(ok, len(ldecls))))
        if miss:
            p("  missed (first %d of %d):" % (min(limit, len(miss)), len(miss)))
            for d, hint in miss[:limit]:
                p("    %s:%d-%d  %s%s  [%s]  (%s)" % (d.file, d.line, d.end_line, d.name,
                                                    " / " + d.alt if d.alt else "", d.macro, hint))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tree", required=True, help="source tree (Linux, or lttng-modules' instrumentation/events)")
    ap.add_argument("--json", help="read saved `tracer-lsp index TREE --json` output instead of running it")
    ap.add_argument("--indexer", help="tracer-lsp binary (default: $TRACER_LSP, ../target/release/tracer-lsp, PATH)")
    ap.add_argument("--save-json", help="also save the indexer output here")
    ap.add_argument("--no-index", action="store_true", help="ground truth only")
    ap.add_argument("--dump-ground-truth", metavar="FILE", help="write the ground truth as JSON")
    ap.add_argument("--limit", type=int, default=30, help="how many misses/extras to list (default 30)")
    args = ap.parse_args()
    log = lambda msg: print("[recall] " + msg, file=sys.stderr, flush=True)
    try:
        if not os.path.isdir(args.tree):
            print("recall.py: not a directory: %s" % args.tree)
            return 0
        args.tree = os.path.abspath(args.tree)
        gt = ground_truth(args.tree, log)
        if args.dump_ground_truth:
            with open(args.dump_ground_truth, "w", encoding="utf-8") as f:
                json.dump({
                    "events": [{"name": d.name, "map": d.alt, "macro": d.macro, "file": d.file,
                                "line": d.line, "end_line": d.end_line} for d in gt["decls"]],
                    "sites": [{"event": s[2], "form": s[3], "file": s[0], "line": s[1]} for s in gt["sites"]],
                }, f, indent=1)
            log("ground truth written to %s" % args.dump_ground_truth)
        idx, err = (None, None) if args.no_index else load_index(args, log)
        print("tree: %s" % args.tree)
        report(gt, idx, args.limit, sys.stdout)
        if err:
            print("== indexer ==\n  not measured: %s" % err)
    except Exception as e:  # report, never fail the caller
        import traceback
        traceback.print_exc()
        print("recall.py: error: %s" % e)
    return 0


if __name__ == "__main__":
    sys.exit(main())

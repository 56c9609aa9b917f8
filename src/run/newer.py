"""Syntax newer than the embedded CPython.

A guide written for Python 3.12 (`class A[T]: ...`) fails to compile here;
that is a version it needs, not an error in it. On a SyntaxError, the
offending line's tokens are checked against the few constructs a newer
grammar added, each recognised by its shape (never by searching the text).
"""

import io
import sys
import tokenize

NAME, OP, STRING = tokenize.NAME, tokenize.OP, tokenize.STRING


def tokens_of(line):
    """The line's tokens, as far as this CPython's tokenizer gets."""
    found = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(line).readline):
            if token.type in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER):
                break
            if token.type not in (tokenize.INDENT, tokenize.DEDENT, tokenize.COMMENT):
                found.append(token)
    except (tokenize.TokenError, SyntaxError):
        pass
    return found


def is_(token, kind, *texts):
    return token.type == kind and (not texts or token.string in texts)


def header_brackets(tokens):
    """The tokens inside `[...]` right after `class N`, `def N` or `type N`
    at the start of a statement, or None."""
    start = 1 if tokens and is_(tokens[0], NAME, "async") else 0
    head = tokens[start:start + 3]
    if len(head) < 3 or not is_(head[0], NAME, "class", "def", "type"):
        return None
    if not is_(head[1], NAME) or not is_(head[2], OP, "["):
        return None
    depth, inside = 0, []
    for token in tokens[start + 2:]:
        depth += is_(token, OP, "[", "(", "{") - is_(token, OP, "]", ")", "}")
        if depth == 0:
            return inside[1:]
        inside.append((depth, token))
    return inside[1:]


def type_parameter_defaults(tokens):
    inside = header_brackets(tokens)
    return inside is not None and any(d == 1 and is_(t, OP, "=") for d, t in inside)


def type_parameters(tokens):
    return header_brackets(tokens) is not None


def type_alias(tokens):
    """`type X = ...` (the soft keyword, at the start of a statement)."""
    return (len(tokens) >= 3 and is_(tokens[0], NAME, "type") and is_(tokens[1], NAME)
            and is_(tokens[2], OP, "=", "["))


def fstring_fields_open(text):
    """An f-string token whose replacement field is still open at its end,
    or holds a backslash or `#`: 3.11's tokenizer ended it at a quote that
    3.12 (PEP 701) reads inside the field."""
    quote = text.lstrip("rRfFbBuU")
    prefix = text[:len(text) - len(quote)].lower()
    if "f" not in prefix:
        return False
    width = 3 if quote[:3] in ('"""', "'''") else 1
    body = quote[width:-width] if len(quote) >= 2 * width else quote[width:]
    depth, i = 0, 0
    while i < len(body):
        c = body[i]
        if depth == 0 and c in "{}" and body[i:i + 2] in ("{{", "}}"):
            i += 2
            continue
        if depth > 0 and c in "'\"":  # a string inside the field
            end = body.find(c, i + 1)
            if end < 0 or "\\" in body[i:end]:
                return True
            i = end + 1
            continue
        depth += (c == "{") - (c == "}")
        if depth > 0 and c in "\\#":
            return True
        i += 1
    return depth > 0


def nested_fstring_quotes(tokens):
    return any(is_(t, STRING) and fstring_fields_open(t.string) for t in tokens)


def template_string(tokens):
    """`t"..."` (PEP 750): a `t` prefix this tokenizer reads as a name
    touching the string after it."""
    return any(is_(a, NAME) and a.string.lower() in ("t", "tr", "rt") and is_(b, STRING)
               and a.end == b.start for a, b in zip(tokens, tokens[1:]))


def unparenthesized_except(tokens):
    """`except A, B:` (PEP 758)."""
    if not tokens or not is_(tokens[0], NAME, "except"):
        return False
    names = [t for t in tokens[1:] if not is_(t, OP, "*")]
    if any(is_(t, NAME, "as") for t in names) or not names or is_(names[0], OP, "("):
        return False
    return any(is_(t, OP, ",") for t in names) and is_(tokens[-1], OP, ":")


def except_star(tokens):
    return len(tokens) >= 2 and is_(tokens[0], NAME, "except") and is_(tokens[1], OP, "*")


def match_statement(tokens):
    return (len(tokens) >= 3 and is_(tokens[0], NAME, "match")
            and not is_(tokens[1], OP, "=", ".", ",", ")") and is_(tokens[-1], OP, ":"))


# Most specific first: a default in type parameters is 3.13, the rest 3.12.
RECOGNISERS = (
    ((3, 13), "type parameter defaults (PEP 696)", type_parameter_defaults),
    ((3, 12), "type parameters (PEP 695)", type_parameters),
    ((3, 12), "a `type` alias (PEP 695)", type_alias),
    ((3, 12), "an f-string reusing its quotes, or with `\\` or `#` in a field (PEP 701)",
     nested_fstring_quotes),
    ((3, 14), "a template string (PEP 750)", template_string),
    ((3, 14), "`except` without parentheses (PEP 758)", unparenthesized_except),
    ((3, 11), "`except*` (PEP 654)", except_star),
    ((3, 10), "a `match` statement (PEP 634)", match_statement),
)


def needed(line, running=None):
    """(version, what) a newer grammar that accepts `line` needs, if it is
    newer than `running` (this CPython)."""
    running = running or sys.version_info[:2]
    tokens = tokens_of(line)
    for version, what, recognise in RECOGNISERS:
        if version > tuple(running) and recognise(tokens):
            return version, what
    return None


class NewerSyntax(Exception):
    """An example needs a newer CPython than the embedded one."""

    def __init__(self, version, what, line):
        super().__init__(f"needs Python {version[0]}.{version[1]}: {what}, line {line}")
        self.reason = str(self)


def check(exc, lines, first_line):
    """Raises NewerSyntax for `exc` (a SyntaxError of the code `lines`, whose
    first line is guide line `first_line`) when a newer grammar accepts it."""
    at = (exc.lineno or 0) - 1
    if not isinstance(exc, SyntaxError) or not 0 <= at < len(lines):
        return
    found = needed(lines[at])
    if found:
        raise NewerSyntax(*found, first_line + at) from exc

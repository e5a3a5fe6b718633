"""Small LibCST rewrites that several fixes share: drop an argument, add a keyword argument.

Each returns the new node, or None when it cannot make the change cleanly (the engine also
refuses any replacement that would lose a comment)."""

from __future__ import annotations

import libcst as cst

from fastlint.analysis.chains import children


def has_comment(node: cst.CSTNode) -> bool:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, cst.Comment):
            return True
        stack.extend(children(item))
    return False


def without_arg(call: cst.Call, arg: cst.Arg) -> cst.Call | None:
    """`call` without `arg`, the commas and line breaks around it kept as the other arguments
    had them: `f(a, debug=True)` -> `f(a)`, `f(debug=True, b=1)` -> `f(b=1)`."""
    args = list(call.args)
    index = next((i for i, a in enumerate(args) if a is arg), None)
    if index is None:
        return None
    del args[index]
    if not args:
        return call.with_changes(args=(), whitespace_before_args=cst.SimpleWhitespace(""))
    if index == len(args):  # the last one went: the new last takes its comma (or its absence)
        previous = args[-1]
        args[-1] = previous.with_changes(comma=arg.comma, whitespace_after_arg=arg.whitespace_after_arg)
    return call.with_changes(args=args)


def with_keyword(call: cst.Call, keyword: str, value: cst.BaseExpression, after: cst.Arg | None = None) -> cst.Call | None:
    """`call` with `keyword=value` added after the argument `after` (by default, after the last
    one), in the call's layout: on its own line in a call written one argument per line, before a
    trailing comma if there is one. None for a call with comments among its arguments, one that
    passes `**kwargs` last, or one that already has that keyword."""
    new = cst.Arg(
        value=value,
        keyword=cst.Name(keyword),
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
    )
    args = list(call.args)
    if not args:
        return call.with_changes(args=[new])
    if any(has_comment(a) for a in args) or has_comment(call.whitespace_before_args):
        return None
    if any(a.keyword is not None and a.keyword.value == keyword for a in args) or args[-1].star == "**":
        return None
    if after is not None and after is not args[-1]:
        index = next((i for i, a in enumerate(args) if a is after), None)
        if index is None or not isinstance(after.comma, cst.Comma):
            return None
        args.insert(index + 1, new.with_changes(comma=after.comma))
        return call.with_changes(args=args)
    last = args[-1]
    if len(args) >= 2 and isinstance(args[-2].comma, cst.Comma):
        separator = args[-2].comma
    elif isinstance(call.whitespace_before_args, cst.ParenthesizedWhitespace):
        separator = cst.Comma(whitespace_after=call.whitespace_before_args)
    else:
        separator = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    new = new.with_changes(comma=last.comma, whitespace_after_arg=last.whitespace_after_arg)
    args[-1] = last.with_changes(comma=separator, whitespace_after_arg=cst.SimpleWhitespace(""))
    args.append(new)
    return call.with_changes(args=args)

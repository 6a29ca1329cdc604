"""YAML from the corpus (catalogues, front matter) parsed with a bound on alias expansion: an
alias (`*name`) repeats its anchor's whole node, so a few hundred bytes of nested aliases stand
for millions of nodes (« billion laughs »); whatever walks the result as a tree pays for all of
them. The node graph is measured before anything is built from it."""

from __future__ import annotations

from typing import Any

import yaml

MAX_EXPANDED_NODES = 100_000  # nodes that aliases may add to what is written (a 1,000-document catalogue is about 20,000)


class AliasBombError(yaml.YAMLError):
    """Aliases add more than MAX_EXPANDED_NODES nodes to what is written; `line` (1-based) is where the node they expand starts."""

    def __init__(self, line: int, nodes: int, limit: int) -> None:
        self.line = line
        self.nodes = nodes
        self.limit = limit
        self.problem = (f"aliases (*name) repeat the node on line {line} until the document stands for {nodes:,} nodes; "
                        f"the limit is {limit:,}")
        super().__init__(self.problem)


def compose_bounded(text: str, limit: int = MAX_EXPANDED_NODES, first_line: int = 1) -> yaml.Node | None:
    """The node graph of one YAML document (safe tags only); AliasBombError when expanding its
    aliases would give more than `limit` nodes (lines counted from `first_line`, for YAML that
    starts inside a file)."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
    finally:
        loader.dispose()
    if root is not None:
        # What is written out costs what it weighs (the file size bounds it): only the nodes
        # that aliases add count against the bound, so a large flat catalogue is never refused.
        allowed = limit + _distinct(root)
        sizes: dict[int, int] = {}
        total = _expanded(root, sizes, allowed)
        if total > allowed:
            node = _innermost_over(root, sizes, allowed)
            raise AliasBombError(node.start_mark.line + first_line, total, limit)
    return root


def _distinct(root: yaml.Node) -> int:
    """How many distinct nodes the graph holds (each alias's target counted once)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen.add(id(node))
            stack.extend(children(node))
    return len(seen)


def construct(root: yaml.Node | None) -> Any:
    """The Python value of a node graph checked by compose_bounded (aliases stay shared)."""
    if root is None:
        return None
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(root)
    finally:
        loader.dispose()


def load_bounded(text: str, limit: int = MAX_EXPANDED_NODES, first_line: int = 1) -> Any:
    """yaml.safe_load with the alias bound of compose_bounded."""
    return construct(compose_bounded(text, limit, first_line))


def children(node: yaml.Node) -> list[yaml.Node]:
    """A node's direct children (keys and values of a mapping, items of a sequence)."""
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _expanded(root: yaml.Node, sizes: dict[int, int], limit: int) -> int:
    """How many nodes `root` stands for once every alias is written out; each distinct node is
    measured once (post-order, without recursion), sizes capped just above `limit`. A node met
    again while it is being measured (a recursive alias) counts as over the limit."""
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            sizes[key] = min(limit + 1, 1 + sum(sizes[id(c)] for c in children(node)))
            continue
        if key in sizes:
            continue
        if key in on_path:
            sizes[key] = limit + 1
            continue
        on_path.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children(node) if id(c) not in sizes)
    return sizes[id(root)] if sizes[id(root)] <= limit else _uncapped(root, sizes)


def _uncapped(root: yaml.Node, sizes: dict[int, int]) -> int:
    """The real expanded size for the message (the capped one says only « over »): children's
    sizes multiplied out again from the capped table, bounded to keep the figure finite."""
    memo: dict[int, int] = {}

    def size(node: yaml.Node, depth: int) -> int:
        if id(node) in memo:
            return memo[id(node)]
        if depth > 50:
            return sizes[id(node)]
        memo[id(node)] = -1  # a recursive alias: counted once
        memo[id(node)] = 1 + sum(max(size(c, depth + 1), 1) for c in children(node))
        return memo[id(node)]

    return size(root, 0)


def _innermost_over(root: yaml.Node, sizes: dict[int, int], limit: int) -> yaml.Node:
    """The deepest node over the limit, following the first child over it: where the repetition
    is written."""
    node, seen = root, {id(root)}
    while True:
        over = [c for c in children(node) if sizes.get(id(c), 0) > limit and id(c) not in seen]
        if not over:
            return node
        node = over[0]
        seen.add(id(node))

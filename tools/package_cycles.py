#!/usr/bin/env python3
"""Fails when the workspace's packages depend on each other in a circle.

Reads every target's direct dependencies (`bazel query 'deps(//..., 1)'`),
folds them into a package graph (an edge a -> b when some target of package
a depends on some target of package b; external repositories ignored) and
looks for strongly connected components with more than one package
(package_group targets, named by `visibility`, are not dependencies). Tests
count: a test in a lower package that depends on a higher one closes a
circle too. Prints "PASS package-cycles" or, for each circle, the packages
and the target edges that make it, then "FAIL package-cycles"; exits 1 on a
circle. Run from the workspace root: python3 tools/package_cycles.py
[extra bazel flags].
"""

import collections
import re
import subprocess
import sys

EDGE = re.compile(r'^\s*"(//[^"]*)" -> "(//[^"]*)"$')


def package_of(label):
    return label[2:].split(":", 1)[0]


def main(argv):
    out = subprocess.run(
        ["bazel", "query", *argv[1:], "deps(//..., 1)", "--output=graph",
         "--nograph:factored"],
        check=True, capture_output=True, text=True).stdout
    # Visibility is not a dependency: a package_group named in a
    # `visibility` attribute (//valkey:internal) shows up as an edge.
    kinds = subprocess.run(
        ["bazel", "query", *argv[1:], "deps(//..., 1)", "--output=label_kind"],
        check=True, capture_output=True, text=True).stdout
    groups = {line.split()[-1] for line in kinds.splitlines()
              if line.startswith("package group ")}
    graph = collections.defaultdict(set)
    why = collections.defaultdict(list)  # (pkg, pkg) -> target edges
    for line in out.splitlines():
        m = EDGE.match(line)
        if not m:
            continue
        if m.group(2) in groups:
            continue
        a, b = package_of(m.group(1)), package_of(m.group(2))
        if a != b:
            graph[a].add(b)
            why[(a, b)].append(f"{m.group(1)} -> {m.group(2)}")

    # Tarjan's strongly connected components, iteratively.
    index, low, on_stack, stack, sccs = {}, {}, set(), [], []
    counter = [0]
    nodes = set(graph) | {b for bs in graph.values() for b in bs}
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                scc = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    scc.append(top)
                    if top == node:
                        break
                if len(scc) > 1:
                    sccs.append(sorted(scc))

    if not sccs:
        print(f"PASS package-cycles ({len(nodes)} packages, no circle)")
        return 0
    for scc in sccs:
        print("circle between packages: " + ", ".join(scc))
        members = set(scc)
        for (a, b), edges in sorted(why.items()):
            if a in members and b in members:
                for e in edges[:3]:
                    print(f"  {e}")
                if len(edges) > 3:
                    print(f"  ... and {len(edges) - 3} more {a} -> {b}")
    print("FAIL package-cycles")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

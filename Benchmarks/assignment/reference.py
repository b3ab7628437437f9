#!/usr/bin/env python3
"""Reference exact solver for a wysc assignment instance: OR-tools' min-cost flow.

usage: reference.py DIR K   → prints {"objective": N, "assignments": [[judge, proposal], ...]}

The same model as wysc: source → proposal (capacity K), proposal → judge (capacity 1, cost
-affinity, conflicts left out), judge → sink (capacity max_load). Affinity is the number of
shared tags, or affinity.csv when present. Arcs are built with numpy, not Python loops.
"""
import csv
import json
import os
import sys
import time

import numpy as np
from ortools.graph.python import min_cost_flow


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def main():
    directory, k = sys.argv[1], int(sys.argv[2])
    started = time.perf_counter()
    proposals = read(os.path.join(directory, "proposals.csv"))
    judges = read(os.path.join(directory, "judges.csv"))
    conflicts = read(os.path.join(directory, "conflicts.csv"))
    P, J = len(proposals), len(judges)
    p_index = {row["id"]: i for i, row in enumerate(proposals)}
    j_index = {row["id"]: i for i, row in enumerate(judges)}

    affinity_path = os.path.join(directory, "affinity.csv")
    if os.path.exists(affinity_path):
        scores = np.zeros((P, J), dtype=np.int64)
        for row in read(affinity_path):
            scores[p_index[row["proposal_id"]], j_index[row["judge_id"]]] = int(row["score"])
    else:
        tags = {}
        def mask(text):
            value = 0
            for tag in filter(None, (t.strip() for t in text.split(";"))):
                value |= 1 << tags.setdefault(tag, len(tags))
            return value
        pm = np.array([mask(r["tags"]) for r in proposals], dtype=np.uint64)
        jm = np.array([mask(r["tags"]) for r in judges], dtype=np.uint64)
        scores = np.bitwise_count(pm[:, None] & jm[None, :]).astype(np.int64)

    allowed = np.ones((P, J), dtype=bool)
    for row in conflicts:
        allowed[p_index[row["proposal_id"]], j_index[row["judge_id"]]] = False
    tails_p, heads_j = np.nonzero(allowed)

    source, sink = P + J, P + J + 1
    flow = min_cost_flow.SimpleMinCostFlow()
    tails = np.concatenate([np.full(P, source), tails_p, P + np.arange(J)])
    heads = np.concatenate([np.arange(P), P + heads_j, np.full(J, sink)])
    capacities = np.concatenate([np.full(P, k), np.ones(len(tails_p), dtype=np.int64),
                                 np.array([int(r["max_load"]) for r in judges], dtype=np.int64)])
    costs = np.concatenate([np.zeros(P, dtype=np.int64), -scores[tails_p, heads_j], np.zeros(J, dtype=np.int64)])
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    flow.set_nodes_supplies(np.array([source, sink]), np.array([k * P, -k * P]))
    built = time.perf_counter()
    status = flow.solve()
    solved = time.perf_counter()
    if status != flow.OPTIMAL:
        print(f"reference: no complete assignment (status {status})", file=sys.stderr)
        sys.exit(1)
    first = P
    count = len(tails_p)
    arc_flows = flow.flows(np.arange(first, first + count))
    chosen = np.nonzero(arc_flows)[0]
    pairs = [[judges[heads_j[a]]["id"], proposals[tails_p[a]]["id"]] for a in chosen]
    print(json.dumps({"objective": int(-flow.optimal_cost()), "assignments": pairs}))
    print(f"reference: read+build {built - started:.2f}s, solve {solved - built:.2f}s", file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes a seeded judge assignment instance in wysc's file format.

usage: generate.py DIR PROPOSALS JUDGES K [--seed N] [--affinity tags|explicit|similarity]
                   [--slack N] [--conflicts FRACTION]

Proposals carry 1-3 WeGO thematic clusters as tags and come from universities in WeGO member
cities; judges have 2-4 areas of expertise. conflicts.csv lists every same-university and
same-city pair (the complete forbidden list), plus a random FRACTION of all pairs when given.

Affinity:
  tags        no affinity.csv: the solver counts shared tags (0-3, few distinct costs).
  explicit    affinity.csv scores every pair that shares a cluster with a whole number 10-49
              (about half of all pairs listed), as a reviewer-matching service would: more
              shared clusters, a broader judge and chance each add to it.
  similarity  affinity.csv scores every pair with a text similarity in [0, 1], scaled to 0-10000:
              a wide range of costs, nearly all distinct.

Each judge may take an even share (P*K/J, rounded up) plus SLACK proposals; --slack 0 is tight.
"""
import argparse
import csv
import math
import os
import random

import numpy as np

CLUSTERS = [
    "Smart Government", "Smart People", "Smart Economy", "Smart Living", "Smart Mobility",
    "Smart Environment", "Smart/Green Buildings", "Big Data & Data-Driven Policy",
    "Smart Street Lighting", "Smart City Living Labs",
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("proposals", type=int)
    parser.add_argument("judges", type=int)
    parser.add_argument("k", type=int)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--affinity", choices=["tags", "explicit", "similarity"], default="tags")
    parser.add_argument("--slack", type=int, default=None, help="proposals above an even share per judge")
    parser.add_argument("--conflicts", type=float, default=0.0, help="extra random conflicts, a fraction of all pairs")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(args.directory, exist_ok=True)

    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "..", "Data", "wego-member-cities.csv"), encoding="utf-8") as f:
        cities = [row["city"] for row in csv.DictReader(f)]
    universities = [(f"U{i:04d}", rng.choice(cities)) for i in range(max(10, args.proposals // 8))]

    proposals = []
    for i in range(args.proposals):
        university, city = rng.choice(universities)
        tags = rng.sample(CLUSTERS, rng.randint(1, 3))
        proposals.append((f"P{i:05d}", university, city, tags))
    judges = []
    share = args.proposals * args.k / args.judges
    # Without --slack, the original family: 20% above an even share.
    load = math.ceil(share * 1.2) if args.slack is None else math.ceil(share) + args.slack
    for i in range(args.judges):
        university, city = rng.choice(universities) if rng.random() < 0.5 else (f"J-U{i:04d}", rng.choice(cities))
        tags = rng.sample(CLUSTERS, rng.randint(2, 4))
        judges.append((f"J{i:04d}", university, city, tags, load))

    with open(os.path.join(args.directory, "proposals.csv"), "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "university", "city", "tags"])
        for pid, university, city, tags in proposals:
            writer.writerow([pid, university, city, ";".join(tags)])
    with open(os.path.join(args.directory, "judges.csv"), "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "university", "city", "tags", "max_load"])
        for jid, university, city, tags, max_load in judges:
            writer.writerow([jid, university, city, ";".join(tags), max_load])

    P, J = len(proposals), len(judges)
    forbidden = np.zeros((P, J), dtype=bool)
    by_university, by_city = {}, {}
    for index, (_, university, city, _) in enumerate(proposals):
        by_university.setdefault(university, []).append(index)
        by_city.setdefault(city, []).append(index)
    for j, (_, university, city, _, _) in enumerate(judges):
        for index in set(by_university.get(university, [])) | set(by_city.get(city, [])):
            forbidden[index, j] = True
    numbers = np.random.default_rng(args.seed)
    if args.conflicts > 0:
        forbidden |= numbers.random((P, J)) < args.conflicts
    with open(os.path.join(args.directory, "conflicts.csv"), "w", newline="", encoding="utf-8") as f:
        f.write("judge_id,proposal_id\n")
        ps, js = np.nonzero(forbidden.T)[1], np.nonzero(forbidden.T)[0]
        f.writelines(f"{judges[j][0]},{proposals[p][0]}\n" for j, p in zip(js.tolist(), ps.tolist()))

    if args.affinity == "tags":
        return
    index = {name: i for i, name in enumerate(CLUSTERS)}
    proposal_masks = np.array([sum(1 << index[t] for t in tags) for _, _, _, tags in proposals], dtype=np.int64)
    judge_masks = np.array([sum(1 << index[t] for t in tags) for _, _, _, tags, _ in judges], dtype=np.int64)
    shared = np.bitwise_count((proposal_masks[:, None] & judge_masks[None, :]).astype(np.uint64)).astype(np.int64)
    if args.affinity == "explicit":
        # More shared clusters, a broader judge and chance make a pair score higher; some judges
        # fit almost everything, so the best-liked judges are wanted far beyond their load.
        listed = shared > 0
        breadth = numbers.integers(0, 15, size=J)
        scores = np.clip(10 + 6 * (shared - 1) + breadth[None, :] + numbers.integers(0, 15, size=(P, J)), 10, 49)
    else:
        listed = np.ones((P, J), dtype=bool)
        similarity = np.clip(0.25 * shared + 0.5 * numbers.random((P, J)), 0.0, 1.0)
        scores = np.rint(similarity * 10000).astype(np.int64)
    with open(os.path.join(args.directory, "affinity.csv"), "w", newline="", encoding="utf-8") as f:
        f.write("judge_id,proposal_id,score\n")
        for j in range(J):
            ps = np.nonzero(listed[:, j])[0]
            jid = judges[j][0]
            f.write("".join(f"{jid},{proposals[p][0]},{s}\n" for p, s in zip(ps.tolist(), scores[ps, j].tolist())))


if __name__ == "__main__":
    main()

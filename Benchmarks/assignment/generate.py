#!/usr/bin/env python3
"""Writes a seeded judge assignment instance in wysc's file format.

usage: generate.py DIR PROPOSALS JUDGES K [--seed N]

Proposals carry 1-3 WeGO thematic clusters as tags and come from universities in WeGO member
cities; judges have 2-4 areas of expertise. conflicts.csv lists every same-university and
same-city pair (the complete forbidden list), and each judge may take 20% more than an even share.
"""
import argparse
import csv
import math
import os
import random

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
    load = math.ceil(args.proposals * args.k / args.judges * 1.2)
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
    by_university, by_city = {}, {}
    for index, (_, university, city, _) in enumerate(proposals):
        by_university.setdefault(university, []).append(index)
        by_city.setdefault(city, []).append(index)
    with open(os.path.join(args.directory, "conflicts.csv"), "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["judge_id", "proposal_id"])
        for jid, university, city, _, _ in judges:
            for index in sorted(set(by_university.get(university, [])) | set(by_city.get(city, []))):
                writer.writerow([jid, proposals[index][0]])


if __name__ == "__main__":
    main()

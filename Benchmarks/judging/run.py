#!/usr/bin/env python3
"""Simulates screening rounds with known truth through wysc itself and measures how close each
ranking method comes to the truth. Called by ./run with DATABASE_URL set to a throwaway cluster.

Each proposal has a true quality; each judge a leniency (bias), a range (scale) and noise; a judge's
score on the 1-10 rubric is 5.5 + 1.5 x scale x quality + bias + noise, rounded and clipped. Teams,
proposals and judges are imported, the engine assigns 3 judges per proposal when screening opens,
the scorecards are imported and `wysc results` ranks them with each method. Python's standard
library only."""
import csv
import io
import math
import os
import random
import subprocess
import sys

WORKFLOW = "Benchmarks/judging/workflow.yaml"
TOPICS = ["Smart Mobility", "Smart Environment", "Smart Government", "Big Data"]
TOPIC_EFFECT = [-0.8, -0.3, 0.3, 0.8]
CUT = 20
METHODS = ["raw", "zscore", "model"]

SETTINGS = [
    ("noise 0.5", dict(noise=0.5)),
    ("noise 1.0", dict(noise=1.0)),
    ("noise 1.5", dict(noise=1.5)),
    ("quality differs by topic", dict(topic_effect=True)),
    ("small round (60 proposals, 24 judges)", dict(proposals=60, judges=24)),
    ("large round (400 proposals, 80 judges)", dict(proposals=400, judges=80)),
    ("a quarter of the judges score 2 at most", dict(few=True)),
    ("10% of scorecards missing", dict(missing=0.1)),
]


def run(command, stdin=None):
    process = subprocess.run(command, capture_output=True, text=True, input=stdin)
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({process.returncode}):\n{process.stderr[-3000:]}")
    return process.stdout


def write_csv(path, header, rows):
    with open(path, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)


# The assignment's policy, measured apart: with a round max_load above what is needed, the loads
# are uneven unless the round asks every judge for a minimum (the default: the fair share).
POLICY_SETTINGS = [
    ("noise 1.0", dict()),
    ("quality differs by topic", dict(topic_effect=True)),
]
POLICIES = [
    ("max_load 30, min_load 0", "max_load: 30, min_load: 0"),
    ("max_load 30, min_load 8", "max_load: 30, min_load: 8"),
    ("max_load 30, fair share (default)", "max_load: 30"),
]


def simulate(wysc, psql, url, work, slug, rng, proposals=180, judges=32, noise=1.0, topic_effect=False, few=False, missing=0.0,
             workflow=WORKFLOW):
    """One round through wysc; returns the true quality, {method: [(truth, row)]}, the oracle's
    scores, and the assignment as (judge, proposal, affinity) triples."""
    topic = [rng.randrange(len(TOPICS)) for _ in range(proposals)]
    quality = [rng.gauss(0, 1) + (TOPIC_EFFECT[topic[p]] if topic_effect else 0) for p in range(proposals)]
    bias = [rng.gauss(0, 0.7) for _ in range(judges)]
    scale = [math.exp(rng.gauss(0, 0.3)) for _ in range(judges)]
    # Each judge knows their own cluster and one other: the assignment follows topics, with some crossing.
    expertise = [[TOPICS[j % len(TOPICS)], TOPICS[(j + 1 + rng.randrange(len(TOPICS) - 1)) % len(TOPICS)]] for j in range(judges)]
    max_load = [2 if few and j % 4 == 0 else "" for j in range(judges)]

    pairs = setup_round(wysc, psql, url, work, slug, workflow, topic, expertise, max_load)
    scores, oracle_sums, assignment = [], {}, []
    for j, p, email, proposal in pairs:
        assignment.append((j, p, int(TOPICS[topic[p]] in expertise[j])))
        if missing and rng.random() < missing:
            continue
        total = 5.5 + 1.5 * scale[j] * quality[p] + bias[j] + rng.gauss(0, noise)
        value = min(10, max(1, round(total)))
        scores.append([email, proposal, value])
        # The oracle knows each judge's bias and scale and takes them out.
        oracle_sums.setdefault(p, []).append((value - 5.5 - bias[j]) / (1.5 * scale[j]))
    write_csv(f"{work}/scores.csv", ["judge", "proposal", "quality"], scores)
    run([wysc, "score", "import", f"{work}/scores.csv", "--competition", slug])

    results = {}
    for method in METHODS:
        text = run([wysc, "results", "--round", "screening", "--method", method, "--format", "csv", "--competition", slug])
        rows = list(csv.DictReader(io.StringIO(text)))
        results[method] = [(quality[int(row["team"].split()[1])], row) for row in rows]
    oracle = {p: sum(values) / len(values) for p, values in oracle_sums.items()}
    return quality, results, oracle, assignment


def setup_round(wysc, psql, url, work, slug, workflow, topic, expertise, max_load):
    """A competition in its screening round, judges assigned by the engine; returns the assignment
    as (judge index, proposal index, judge email, proposal id)."""
    proposals, judges = len(topic), len(expertise)
    run([wysc, "competition", "create", slug, "--workflow", workflow])
    write_csv(f"{work}/teams.csv", ["team", "university", "name", "email"],
              [[f"Team {p}", f"University {p % 10}", f"Member {p}", f"m{p}@{slug}.example.org"] for p in range(proposals)])
    run([wysc, "team", "import", f"{work}/teams.csv", "--competition", slug])
    run([wysc, "phase", "advance", "--competition", slug])
    write_csv(f"{work}/form.csv", ["team", "title", "abstract", "tags"],
              [[f"Team {p}", f"Idea {p}", "An abstract.", TOPICS[topic[p]]] for p in range(proposals)])
    run([wysc, "proposal", "import", f"{work}/form.csv", "--competition", slug])
    write_csv(f"{work}/judges.csv", ["name", "email", "university", "city", "country", "expertise", "max_load"],
              [[f"Judge {j}", f"judge{j}@{slug}.example.org", "", "", "", ";".join(expertise[j]), max_load[j]] for j in range(judges)])
    run([wysc, "judge", "import", f"{work}/judges.csv", "--competition", slug])
    run([wysc, "phase", "advance", "--competition", slug])
    rows = run([psql, "-qtA", "-F", ",", url, "-c",
                f"""SELECT j.email, a.proposal_id, t.name FROM assignment a JOIN judge j ON j.id = a.judge_id
                    JOIN proposal p ON p.id = a.proposal_id JOIN team t ON t.id = p.team_id
                    JOIN competition c ON c.id = a.competition_id
                    WHERE c.slug = '{slug}' AND a.round = 'screening' ORDER BY a.proposal_id, j.email"""]).splitlines()
    pairs = []
    for line in rows:
        email, proposal, team = line.split(",", 2)
        pairs.append((int(email.split("@")[0][len("judge"):]), int(team.split()[1]), email, proposal))
    return pairs


# Scoring per criterion: does fitting the judge model to each criterion, then weighting, beat
# fitting it to the weighted total? Judges differ per criterion on top of their overall leniency
# and range (or not), and the criteria's true qualities are correlated (0.64).
CRITERIA = [("innovation", 0.3), ("impact", 0.25), ("feasibility", 0.2), ("sustainability", 0.15), ("presentation", 0.1)]
CRITERIA_SETTINGS = [
    ("judges alike over the criteria", dict(criterion_bias=0.0, criterion_scale=0.0)),
    ("judges differ per criterion", dict(criterion_bias=0.5, criterion_scale=0.2)),
    ("judges differ much per criterion", dict(criterion_bias=1.0, criterion_scale=0.4)),
]


def compare_criteria(wysc, psql, url, work, seeds):
    base = open(WORKFLOW).read()
    single = "    - {id: quality, weight: 1}\n"
    rubric = "".join(f"    - {{id: {name}, weight: {weight}}}\n" for name, weight in CRITERIA)
    five = f"{work}/workflow-criteria.yaml"
    with open(five, "w") as out:
        out.write(base.replace(single, rubric))
    print(f"\nPer criterion or on the total ({seeds} seeds; 180 proposals, 32 judges, 3 per proposal, noise 1.0 per criterion):\n")
    header = f"{'setting':34} {'raw total':>13} {'model on the total':>19} {'model per criterion':>20}"
    print(header)
    print("-" * len(header))
    for index, (name, parameters) in enumerate(CRITERIA_SETTINGS):
        figures = {"raw": [], "total": [], "criteria": []}
        for seed in range(seeds):
            rng = random.Random(90_000 + 1000 * index + seed)
            proposals, judges = 180, 32
            topic = [rng.randrange(len(TOPICS)) for _ in range(proposals)]
            overall = [rng.gauss(0, 1) for _ in range(proposals)]
            quality = [[0.8 * overall[p] + 0.6 * rng.gauss(0, 1) for _ in CRITERIA] for p in range(proposals)]
            truth = [sum(weight * quality[p][c] for c, (_, weight) in enumerate(CRITERIA)) for p in range(proposals)]
            bias = [rng.gauss(0, 0.7) for _ in range(judges)]
            scale = [math.exp(rng.gauss(0, 0.3)) for _ in range(judges)]
            criterion_bias = [[bias[j] + rng.gauss(0, parameters["criterion_bias"]) for _ in CRITERIA] for j in range(judges)]
            criterion_scale = [[scale[j] * math.exp(rng.gauss(0, parameters["criterion_scale"])) for _ in CRITERIA] for j in range(judges)]
            expertise = [[TOPICS[j % len(TOPICS)], TOPICS[(j + 1 + rng.randrange(len(TOPICS) - 1)) % len(TOPICS)]] for j in range(judges)]
            no_loads = [""] * judges
            values = {}

            def value(j, p, c):
                if (j, p, c) not in values:
                    total = 5.5 + 1.5 * criterion_scale[j][c] * quality[p][c] + criterion_bias[j][c] + rng.gauss(0, 1.0)
                    values[(j, p, c)] = min(10, max(1, round(total)))
                return values[(j, p, c)]

            def ranked(slug):
                text = run([wysc, "results", "--round", "screening", "--method", "model", "--format", "csv", "--competition", slug])
                return {int(row["team"].split()[1]): float(row["score"]) for row in csv.DictReader(io.StringIO(text))}

            slug = f"criteria-{index}-{seed}"
            pairs = setup_round(wysc, psql, url, work, slug, five, topic, expertise, no_loads)
            write_csv(f"{work}/scores.csv", ["judge", "proposal"] + [c for c, _ in CRITERIA],
                      [[email, proposal] + [value(j, p, c) for c in range(len(CRITERIA))] for j, p, email, proposal in pairs])
            run([wysc, "score", "import", f"{work}/scores.csv", "--competition", slug])
            on_total = ranked(slug)
            raw = {}
            for j, p, _, _ in pairs:
                raw.setdefault(p, []).append(sum(weight * value(j, p, c) for c, (_, weight) in enumerate(CRITERIA)))
            raw = {p: sum(totals) / len(totals) for p, totals in raw.items()}
            per_criterion = {p: 0.0 for p in on_total}
            for c, (criterion, weight) in enumerate(CRITERIA):
                alone = f"{slug}-{criterion}"
                # The same teams, proposals and judges: the engine gives the same assignment.
                criterion_pairs = setup_round(wysc, psql, url, work, alone, WORKFLOW, topic, expertise, no_loads)
                assert sorted((j, p) for j, p, _, _ in criterion_pairs) == sorted((j, p) for j, p, _, _ in pairs)
                write_csv(f"{work}/scores.csv", ["judge", "proposal", "quality"],
                          [[email, proposal, value(j, p, c)] for j, p, email, proposal in criterion_pairs])
                run([wysc, "score", "import", f"{work}/scores.csv", "--competition", alone])
                for p, score in ranked(alone).items():
                    per_criterion[p] += weight * score
            for key, scores in (("raw", raw), ("total", on_total), ("criteria", per_criterion)):
                order = sorted(scores, key=lambda p: -scores[p])
                ordered_truths = [truth[p] for p in order]
                figures[key].append((spearman([scores[p] for p in order], ordered_truths), top_precision(ordered_truths, truth)))
            print(f"  {name}: seed {seed + 1} of {seeds}", file=sys.stderr, end="\r")
        cells = [f"{sum(f[0] for f in figures[key]) / seeds:.3f} / {sum(f[1] for f in figures[key]) / seeds:.2f}"
                 for key in ("raw", "total", "criteria")]
        print(f"{name:34} {cells[0]:>13} {cells[1]:>19} {cells[2]:>20}", flush=True)
    print("(Spearman with the true weighted quality / precision of its top 20.) Per criterion: the judge model fitted to")
    print("each criterion alone (a competition per criterion, the same assignment), the estimates then weighted.")


def judge_groups(assignment):
    """How many groups of judges share no proposal with each other (union-find over proposals)."""
    parent = {}

    def root(j):
        while parent[j] != j:
            parent[j] = parent[parent[j]]
            j = parent[j]
        return j

    first = {}
    for j, p, _ in assignment:
        parent.setdefault(j, j)
        if p in first:
            a, b = root(j), root(first[p])
            if a != b:
                parent[max(a, b)] = min(a, b)
        else:
            first[p] = j
    return len({root(j) for j in parent})


def compare_policies(wysc, psql, url, work, seeds):
    """The trade-off of the assignment's minimum load: affinity given up against accuracy gained."""
    print(f"\nAssignment policy ({seeds} seeds; 180 proposals, 32 judges, 3 per proposal, a round max_load of 30):\n")
    header = (f"{'setting':26} {'policy':34} {'on-topic reviews':>16} {'loads':>7} {'groups':>6} {'co-reviewers':>12} "
              f"{'zscore':>13} {'model':>13} {'truth known':>13}")
    print(header)
    print("-" * len(header))
    base = open(WORKFLOW).read()
    anchor = "{id: screening, reviews_per_proposal: 3,"
    for index, (name, parameters) in enumerate(POLICY_SETTINGS):
        for variant, (policy, keys) in enumerate(POLICIES):
            workflow = f"{work}/workflow-{variant}.yaml"
            with open(workflow, "w") as out:
                out.write(base.replace(anchor, anchor[:-1] + f", {keys},"))
            on_topic, lowest, highest, groups, co_reviewers = [], [], [], [], []
            figures = {method: [] for method in ["zscore", "model", "oracle"]}
            for seed in range(seeds):
                rng = random.Random(50_000 + 1000 * index + seed)
                quality, results, oracle, assignment = simulate(
                    wysc, psql, url, work, f"policy-{index}-{variant}-{seed}", rng, workflow=workflow, **parameters)
                on_topic.append(sum(a for _, _, a in assignment) / len(assignment))
                loads = [0] * 32
                for j, _, _ in assignment:
                    loads[j] += 1
                lowest.append(min(loads))
                highest.append(max(loads))
                groups.append(judge_groups(assignment))
                judges_of = {}
                for j, p, _ in assignment:
                    judges_of.setdefault(p, set()).add(j)
                partners = {}
                for judges in judges_of.values():
                    for j in judges:
                        partners.setdefault(j, set()).update(judges - {j})
                co_reviewers.append(sum(len(others) for others in partners.values()) / len(partners))
                oracle_items = sorted(oracle.items(), key=lambda item: -item[1])
                oracle_truths = [quality[p] for p, _ in oracle_items]
                figures["oracle"].append((spearman([s for _, s in oracle_items], oracle_truths), top_precision(oracle_truths, quality)))
                for method in ["zscore", "model"]:
                    truths = [truth for truth, _ in results[method]]
                    scores = [float(row["score"]) for _, row in results[method]]
                    figures[method].append((spearman(scores, truths), top_precision(truths, quality)))
                print(f"  {name}, {policy}: seed {seed + 1} of {seeds}", file=sys.stderr, end="\r")
            cells = []
            for method in figures:
                rho = sum(f[0] for f in figures[method]) / seeds
                precision = sum(f[1] for f in figures[method]) / seeds
                cells.append(f"{rho:.3f} / {precision:.2f}")
            print(f"{name:26} {policy:34} {100 * sum(on_topic) / seeds:15.1f}% {min(lowest):>3}-{max(highest):<3} "
                  f"{max(groups):>6} {sum(co_reviewers) / seeds:12.1f} " + " ".join(f"{cell:>13}" for cell in cells), flush=True)
    print("on-topic reviews: the share of reviews whose judge knows the proposal's topic (the affinity given up);")
    print("loads: the smallest and largest load over the seeds; groups: the most groups of judges sharing no proposal;")
    print("co-reviewers: how many other judges a judge shares a proposal with, on average. The judges' comparability")
    print("can at most bring the model up to 'truth known', which knows every judge's bias and scale exactly.")


def ranks(values):
    """Ranks 1..n with ties averaged."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    result = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            result[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return result


def spearman(xs, ys):
    rx, ry = ranks(xs), ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    return cov / math.sqrt(sum((a - mx) ** 2 for a in rx) * sum((b - my) ** 2 for b in ry))


def top_precision(truth_by_position, all_truths):
    """Share of the first CUT positions held by proposals truly in the top CUT."""
    threshold = sorted(all_truths, reverse=True)[CUT - 1]
    return sum(1 for truth in truth_by_position[:CUT] if truth >= threshold) / CUT


def main():
    wysc, psql, work, seeds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    part = sys.argv[5] if len(sys.argv) > 5 else "all"
    url = os.environ["DATABASE_URL"]
    run([wysc, "db", "migrate"])
    write_csv(f"{work}/universities.csv", ["name", "city", "country"], [[f"University {n}", f"City {n}", "Country"] for n in range(10)])
    run([wysc, "university", "import", f"{work}/universities.csv"])

    if part in ("all", "methods"):
        summary = {method: [] for method in METHODS + ["oracle"]}
        print(f"{seeds} seeds per setting; Spearman with the true quality / precision of the top {CUT}, means over seeds.\n")
        header = f"{'setting':42} " + " ".join(f"{name:>13}" for name in METHODS + ["truth known"]) + "   P(top 20) off by  rank range holds  uncertain: proposals / mistakes"
        print(header)
        print("-" * len(header))
        for index, (name, parameters) in enumerate(SETTINGS):
            figures = {method: [] for method in METHODS + ["oracle"]}
            probabilities, coverage, uncertain_share, mistakes_held = [], [], [], []
            for seed in range(seeds):
                rng = random.Random(1000 * index + seed)
                quality, results, oracle, _ = simulate(wysc, psql, url, work, f"bench-{index}-{seed}", rng, **parameters)
                for method in METHODS:
                    lines = results[method]
                    truths = [truth for truth, _ in lines]
                    scores = [float(row["score"]) for _, row in lines]
                    figures[method].append((spearman(scores, truths), top_precision(truths, quality)))
                oracle_items = sorted(oracle.items(), key=lambda item: -item[1])
                oracle_truths = [quality[p] for p, _ in oracle_items]
                figures["oracle"].append((spearman([s for _, s in oracle_items], oracle_truths), top_precision(oracle_truths, quality)))
                # The model's probabilities and ranges, against the truth of the proposals that were ranked.
                ranked_truths = sorted((truth for truth, _ in results["model"]), reverse=True)
                threshold = ranked_truths[min(CUT, len(ranked_truths)) - 1]
                true_rank = {truth: position + 1 for position, truth in enumerate(ranked_truths)}
                uncertain, mistakes, mistakes_uncertain = 0, 0, 0
                for position, (truth, row) in enumerate(results["model"]):
                    in_cut = truth >= threshold
                    probabilities.append((float(row["p_cut"]), in_cut))
                    coverage.append(int(row["best_rank"]) <= true_rank[truth] <= int(row["worst_rank"]))
                    is_uncertain = row["uncertain"] == "yes"
                    uncertain += is_uncertain
                    if (position < CUT) != in_cut:
                        mistakes += 1
                        mistakes_uncertain += is_uncertain
                uncertain_share.append(uncertain / len(results["model"]))
                if mistakes:
                    mistakes_held.append(mistakes_uncertain / mistakes)
                print(f"  {name}: seed {seed + 1} of {seeds}", file=sys.stderr, end="\r")
            cells = []
            for method in METHODS + ["oracle"]:
                rho = sum(f[0] for f in figures[method]) / len(figures[method])
                precision = sum(f[1] for f in figures[method]) / len(figures[method])
                summary[method].append(precision)
                cells.append(f"{rho:.3f} / {precision:.2f}")
            # Calibration: in bins of the predicted probability, how far the observed share is from it.
            bins = [(0, 0.1), (0.1, 0.3), (0.3, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.01)]
            error = 0.0
            for low, high in bins:
                inside = [(p, hit) for p, hit in probabilities if low <= p < high]
                if inside:
                    predicted = sum(p for p, _ in inside) / len(inside)
                    observed = sum(hit for _, hit in inside) / len(inside)
                    error += len(inside) / len(probabilities) * abs(predicted - observed)
            held = sum(coverage) / len(coverage)
            share = sum(uncertain_share) / len(uncertain_share)
            held_mistakes = sum(mistakes_held) / len(mistakes_held) if mistakes_held else float("nan")
            print(f"{name:42} " + " ".join(f"{cell:>13}" for cell in cells)
                  + f"   {100 * error:12.1f} pts {100 * held:12.0f}%   {100 * share:9.0f}% / {100 * held_mistakes:.0f}%", flush=True)

        print()
        means = {method: sum(values) / len(values) for method, values in summary.items()}
        print(f"Top-{CUT} precision over the settings: raw {means['raw']:.3f}, zscore {means['zscore']:.3f}, "
              f"model {means['model']:.3f}, truth known {means['oracle']:.3f}.")
        gain = means["model"] - means["zscore"]
        print(f"model - zscore: {gain:+.3f} (target >= +0.04: {'met' if gain >= 0.04 else 'not met'}); "
              f"model - truth known: {means['model'] - means['oracle']:+.3f} (target: at least even, within noise).")
        print("P(top 20) off by: the mean distance between the predicted probability and the observed share, over")
        print("bins of the prediction (target within 5 points); rank range holds: how often the true rank lies in")
        print("best_rank..worst_rank (an 80% range); uncertain: the share of proposals marked uncertain at the cut,")
        print("and the share of the shortlist's mistakes (in but not truly top 20, or out but truly in) among them.")
    if part in ("all", "policies"):
        compare_policies(wysc, psql, url, work, seeds)
    if part in ("all", "criteria"):
        compare_criteria(wysc, psql, url, work, seeds)


if __name__ == "__main__":
    main()

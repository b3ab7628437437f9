#!/usr/bin/env python3
"""Runs wysc's assignment solver and the reference solver on the same seeded instances and prints
their times, ratio, objectives and peak memory side by side. Called by ./run."""
import json
import re
import os
import subprocess
import sys
import time

# name: (proposals, judges, k, generator options). The first three are the original family (shared
# tags as affinity, few distinct costs); the others stress the solver as real instances do.
FAMILIES = {
    "small": (200, 30, 3, []),
    "medium": (2000, 200, 3, []),
    "large": (10000, 1000, 3, []),
    "explicit": (2000, 200, 3, ["--affinity", "explicit", "--slack", "1"]),
    "explicit-large": (10000, 1000, 3, ["--affinity", "explicit", "--slack", "1"]),
    "similarity": (2000, 200, 3, ["--affinity", "similarity", "--slack", "1"]),
    "tight": (2000, 200, 3, ["--affinity", "explicit", "--slack", "0"]),
    "conflicts-30": (2000, 200, 3, ["--affinity", "explicit", "--slack", "1", "--conflicts", "0.3"]),
    "many-judges": (1000, 1000, 3, ["--affinity", "explicit", "--slack", "1"]),
    "few-judges": (5000, 50, 3, ["--affinity", "explicit", "--slack", "1"]),
    "finals-k5": (1000, 150, 5, ["--affinity", "explicit", "--slack", "1"]),
}


def measure(command):
    """Wall time, peak resident memory (MB) and stdout of a command."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = process.communicate()
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({process.returncode}):\n{err.decode()}")
    return elapsed, out.decode(), err.decode()


def peak_memory_mb(command):
    """Peak RSS of one run, from wait4's rusage."""
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.execvp(command[0], command)
    _, status, usage = os.wait4(pid, 0)
    return usage.ru_maxrss / 1024


def seconds(pattern, text):
    """A time the solver printed on stderr, in seconds."""
    match = re.search(pattern, text)
    if not match:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "ms" else value


def ratio(reference, ours):
    """How many times faster wysc is; under a millisecond either way is too small to compare."""
    if ours < 0.001 or reference < 0.001:
        return "-"
    return f"{reference / ours:.1f}x"


def main():
    wysc, python, workdir = sys.argv[1], sys.argv[2], sys.argv[3]
    names = sys.argv[4].split(",") if len(sys.argv) > 4 else list(FAMILIES)
    unknown = [name for name in names if name not in FAMILIES]
    if unknown:
        sys.exit(f"unknown instance family {', '.join(unknown)}; there are: {', '.join(FAMILIES)}")
    here = os.path.dirname(os.path.abspath(__file__))
    rows = []
    for name in names:
        proposals, judges, k, options = FAMILIES[name]
        directory = os.path.join(workdir, name)
        subprocess.run([python, os.path.join(here, "generate.py"), directory, str(proposals), str(judges), str(k), *options], check=True)
        ours = [wysc, "assign", "solve", "--input", directory, "--per-proposal", str(k), "--format", "json"]
        reference = [python, os.path.join(here, "reference.py"), directory, str(k)]
        our_time, our_out, our_err = measure(ours)
        ref_time, ref_out, ref_err = measure(reference)
        rows.append({
            "instance": f"{name} ({proposals}x{judges}, k={k})",
            "wysc_s": our_time, "reference_s": ref_time,
            "wysc_solve": seconds(r"solved in ([0-9.]+) (s)", our_err),
            "wysc_read": seconds(r"read [0-9.]+ MB in ([0-9.]+) (s)", our_err),
            "wysc_megabytes": float(re.search(r"read ([0-9.]+) MB", our_err).group(1)),
            "reference_solve": seconds(r"solve ([0-9.]+)(s)", ref_err),
            "wysc_objective": json.loads(our_out)["objective"], "reference_objective": json.loads(ref_out)["objective"],
            "wysc_mb": peak_memory_mb(ours), "reference_mb": peak_memory_mb(reference),
        })
        print(f"  {name}: done", file=sys.stderr)

    header = (f"{'instance':<34} {'solve wysc':>10} {'OR-tools':>9} {'ratio':>6}   {'run wysc':>8} {'OR-tools':>9} {'ratio':>6}"
              f" {'objective wysc':>15} {'reference':>10} {'same':>5} {'wysc MB':>8} {'ref MB':>7}")
    print(header)
    print("-" * len(header))
    failed = False
    for row in rows:
        same = row["wysc_objective"] == row["reference_objective"]
        failed |= not same
        print(f"{row['instance']:<34} {row['wysc_solve']:>9.3f}s {row['reference_solve']:>8.2f}s {ratio(row['reference_solve'], row['wysc_solve']):>6}"
              f"   {row['wysc_s']:>7.2f}s {row['reference_s']:>8.2f}s {ratio(row['reference_s'], row['wysc_s']):>6} "
              f"{row['wysc_objective']:>15} {row['reference_objective']:>10} {'yes' if same else 'NO':>5} {row['wysc_mb']:>8.0f} {row['reference_mb']:>7.0f}")
    print()
    print(f"{'instance':<34} {'files':>9} {'wysc read':>10} {'speed':>11}   (target: at least 100 MB/s)")
    for row in rows:
        speed = f"{row['wysc_megabytes'] / row['wysc_read']:.0f} MB/s" if row["wysc_read"] >= 0.001 else "-"
        print(f"{row['instance']:<34} {row['wysc_megabytes']:>6.1f} MB {row['wysc_read']:>9.3f}s {speed:>11}")
    print()
    print("solve: the solver alone, as each reports it; run: the whole process (read the CSV files, solve, print the assignment).")
    print("ratio = OR-tools time / wysc time. Targets: the same objective everywhere; the solve at least as fast as OR-tools'")
    print("min-cost flow and the whole run faster than the reference's on every family; explicit-large under 5 s and 1 GB.")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

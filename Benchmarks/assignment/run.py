#!/usr/bin/env python3
"""Runs wysc's assignment solver and the reference solver on the same seeded instances and prints
their times, ratio, objectives and peak memory side by side. Called by ./run."""
import json
import os
import subprocess
import sys
import time

SIZES = {"small": (200, 30, 3), "medium": (2000, 200, 3), "large": (10000, 1000, 3)}


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


def main():
    wysc, python, workdir = sys.argv[1], sys.argv[2], sys.argv[3]
    sizes = sys.argv[4].split(",") if len(sys.argv) > 4 else list(SIZES)
    here = os.path.dirname(os.path.abspath(__file__))
    rows = []
    for name in sizes:
        proposals, judges, k = SIZES[name]
        directory = os.path.join(workdir, name)
        subprocess.run([python, os.path.join(here, "generate.py"), directory, str(proposals), str(judges), str(k)], check=True)
        ours = [wysc, "assign", "solve", "--input", directory, "--per-proposal", str(k), "--format", "json"]
        reference = [python, os.path.join(here, "reference.py"), directory, str(k)]
        our_time, our_out, _ = measure(ours)
        ref_time, ref_out, ref_err = measure(reference)
        rows.append({
            "instance": f"{name} ({proposals} proposals, {judges} judges, k={k})",
            "wysc_s": our_time, "reference_s": ref_time,
            "wysc_objective": json.loads(our_out)["objective"], "reference_objective": json.loads(ref_out)["objective"],
            "wysc_mb": peak_memory_mb(ours), "reference_mb": peak_memory_mb(reference),
            "reference_detail": ref_err.strip().splitlines()[-1],
        })
        print(f"  {name}: done", file=sys.stderr)

    header = f"{'instance':<44} {'wysc':>8} {'OR-tools':>9} {'ratio':>7} {'objective wysc':>15} {'objective ref':>14} {'same':>5} {'wysc MB':>8} {'ref MB':>7}"
    print(header)
    print("-" * len(header))
    failed = False
    for row in rows:
        same = row["wysc_objective"] == row["reference_objective"]
        failed |= not same
        print(f"{row['instance']:<44} {row['wysc_s']:>7.2f}s {row['reference_s']:>8.2f}s {row['reference_s'] / row['wysc_s']:>6.1f}x "
              f"{row['wysc_objective']:>15} {row['reference_objective']:>14} {'yes' if same else 'NO':>5} {row['wysc_mb']:>8.0f} {row['reference_mb']:>7.0f}")
    print()
    print("Times are whole runs (read the CSV files, solve, print the assignment); ratio = OR-tools time / wysc time.")
    print("Targets: the same objective on every instance, faster than the reference at every size, large under 5 s and 1 GB.")
    for row in rows:
        print(f"  {row['instance'].split(' ')[0]}: {row['reference_detail']}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

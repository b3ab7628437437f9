#!/usr/bin/env python3
"""Measures wysc's everyday command-line paths against PostgreSQL's own client doing the same
work, and prints them side by side. Called by ./run with DATABASE_URL set to a throwaway cluster."""
import os
import random
import statistics
import subprocess
import sys
import time

WORKFLOW = "Workflows/wysc.yaml"
SCORING_WORKFLOW = "Benchmarks/scoring/workflow.yaml"


def run(command, check=True):
    """Wall seconds, CPU seconds (user + system, children included), peak RSS in MB, stdout."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = process.communicate()
    wall = time.perf_counter() - started
    # communicate() waited already; the rusage of the last child is read from the totals below.
    if check and process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({process.returncode}):\n{err.decode()[-2000:]}")
    return wall, out.decode()


def measure(command):
    """Wall and CPU seconds and peak RSS (MB) of one process, from wait4's rusage. Started with
    posix_spawn/vfork (subprocess), so that the child is not charged for copying this process."""
    started = time.perf_counter()
    with open("/tmp/wysc-cli-bench-last.err", "wb") as log:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{open('/tmp/wysc-cli-bench-last.err').read()[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def team_file(path, universities, teams, members, padding=0):
    """A valid team import file: `members` per team, birth dates within the workflow's age limit."""
    rng = random.Random(7)
    with open(path, "w") as out:
        out.write("team,university,name,email,birth_date,role\n")
        for team in range(teams):
            university = universities[team % len(universities)]
            for member in range(members):
                name = f"Member {member} of Team {team}" + (" " + "x" * rng.randint(padding // 2, padding) if padding else "")
                role = "leader" if member == 0 else "member"
                out.write(f"Team {team},{university},{name},m{member}.t{team}@example.org,{1995 + rng.randint(0, 9)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)},{role}\n")


def same_writes_script(file, competition_id):
    """What `wysc team import` writes, as psql would: the file staged by \\copy, then the write
    statement of TeamImport.write (keep the two alike)."""
    return f"""BEGIN;
CREATE TEMP TABLE team_import (row_number serial, team text NOT NULL, university text NOT NULL, name text NOT NULL,
    email text NOT NULL, birth_date date, role text NOT NULL) ON COMMIT DROP;
\\copy team_import (team, university, name, email, birth_date, role) FROM '{file}' WITH (FORMAT csv, HEADER)
WITH new_team AS (
    INSERT INTO team (competition_id, name, university_id, registered_by)
    SELECT DISTINCT ON (lower(s.team)) {competition_id}, s.team, u.id, 'benchmark'
    FROM team_import s JOIN university u ON lower(u.name) = lower(s.university)
    ORDER BY lower(s.team), s.row_number
    RETURNING id, name, university_id
), new_member AS (
    INSERT INTO team_member (team_id, competition_id, name, email, birth_date, role)
    SELECT t.id, {competition_id}, s.name, s.email, s.birth_date, s.role
    FROM team_import s JOIN new_team t ON lower(t.name) = lower(s.team)
    ORDER BY s.row_number
    RETURNING id, team_id, name, email, role
), audit AS (
    INSERT INTO audit_log (actor, action, subject, after, competition_id)
    SELECT 'benchmark', 'team.register', 'team:' || t.name,
           jsonb_build_object('university', u.name, 'members',
               jsonb_agg(jsonb_build_object('name', m.name, 'email', m.email, 'role', m.role) ORDER BY m.id)),
           {competition_id}
    FROM new_team t JOIN university u ON u.id = t.university_id JOIN new_member m ON m.team_id = t.id
    GROUP BY t.id, t.name, u.name ORDER BY t.id
    RETURNING 1
)
SELECT (SELECT count(*) FROM new_team), (SELECT count(*) FROM new_member), (SELECT count(*) FROM audit);
COMMIT;
"""


def median_of(samples):
    return statistics.median(samples)


def main():
    wysc, psql, work, repeats = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    url = os.environ["DATABASE_URL"]
    run([wysc, "db", "migrate"])
    universities = [f"University {n}" for n in range(500)]
    with open(f"{work}/universities.csv", "w") as out:
        out.write("name,city,country\n")
        for n, name in enumerate(universities):
            out.write(f"{name},City {n},Country {n % 50}\n")
    run([wysc, "university", "import", f"{work}/universities.csv"])
    small = f"{work}/teams-10k.csv"
    team_file(small, universities, 2000, 5)
    large = f"{work}/teams-50mb.csv"
    team_file(large, universities, 90_000, 5, padding=50)
    large_mb = os.path.getsize(large) / 1e6
    large_rows = sum(1 for _ in open(large)) - 1
    columns = "row_number serial, team text, university text, name text, email text, birth_date date, role text"

    def copy_reference(file, table):
        run([psql, "-q", url, "-c", f"CREATE TABLE {table} ({columns})"])
        script = f"{work}/{table}.sql"
        with open(script, "w") as out:
            out.write(f"\\copy {table} (team, university, name, email, birth_date, role) FROM '{file}' WITH (FORMAT csv, HEADER)\n")
        return measure([psql, "-q", url, "-f", script])

    rows = []
    print("team import of 10,000 rows…", file=sys.stderr)
    ours, theirs = [], []
    for n in range(repeats):
        run([wysc, "competition", "create", f"import-{n}", "--workflow", WORKFLOW])
        ours.append(measure([wysc, "team", "import", small, "--competition", f"import-{n}"]))
        theirs.append(copy_reference(small, f"reference_{n}"))
    rows.append(("team import, 10,000 rows (2,000 teams)", ours, theirs, "<= 4x"))
    # The database's own share: psql staging the file and running the import's write statement
    # (teams, members and audit rows, with their keys and checks), without wysc's validation.
    same_writes = []
    for n in range(repeats):
        run([wysc, "competition", "create", f"same-writes-{n}", "--workflow", WORKFLOW])
        _, competition_id = run([psql, "-qtA", url, "-c", f"SELECT id FROM competition WHERE slug = 'same-writes-{n}'"])
        script = f"{work}/same-writes-{n}.sql"
        with open(script, "w") as out:
            out.write(same_writes_script(small, int(competition_id)))
        same_writes.append(measure([psql, "-q", "-v", "ON_ERROR_STOP=1", url, "-f", script]))
    rows.append(("  the same, against psql doing its writes", ours, same_writes, "(floor)"))

    print(f"team import of a {large_mb:.0f} MB file ({large_rows:,} rows)…", file=sys.stderr)
    run([wysc, "competition", "create", "import-large", "--workflow", WORKFLOW])
    ours = [measure([wysc, "team", "import", large, "--competition", "import-large"])]
    theirs = [copy_reference(large, "reference_large")]
    rows.append((f"team import, {large_mb:.0f} MB ({large_rows:,} rows)", ours, theirs, "< 10 s, < 200 MB"))

    print("one scorecard…", file=sys.stderr)
    run([wysc, "demo", "--workflow", SCORING_WORKFLOW, "--teams", "60", "--slug", "scoring"])
    _, judges = run([wysc, "judge", "list", "--competition", "scoring", "--format", "csv"])
    # The first judge with a proposal to score.
    for line in judges.splitlines()[1:]:
        email = line.split(",")[1]
        _, queue = run([wysc, "judge", "queue", "--competition", "scoring", "--judge", email, "--format", "csv"])
        if len(queue.splitlines()) > 1:
            proposal = queue.splitlines()[1].split(",")[0]
            break
    else:
        sys.exit("the scoring demo assigned no judge a proposal")
    _, ids = run([psql, "-qtA", url, "-c",
                  f"SELECT c.id, j.id FROM competition c JOIN judge j ON j.competition_id = c.id WHERE c.slug = 'scoring' AND lower(j.email) = lower('{email}')"])
    competition_id, judge_id = ids.strip().split("|")
    ours, theirs = [], []
    for n in range(max(repeats * 3, 9)):
        value = n % 9 + 1
        ours.append(measure([wysc, "score", proposal, "--competition", "scoring", "--judge", email,
                             "--set", f"innovation={value}", "--set", f"impact={10 - value}", "--set", f"feasibility={value}"]))
        statement = f"""BEGIN;
INSERT INTO scorecard (competition_id, round, judge_id, proposal_id, scores, total, comment, submitted, updated_by)
  VALUES ({competition_id}, 'screening', {judge_id}, {proposal}, jsonb_build_object('innovation', {value}, 'impact', {10 - value}, 'feasibility', {value}), 5.5, '', true, 'judge:{judge_id}')
  ON CONFLICT (competition_id, round, judge_id, proposal_id) DO UPDATE
  SET scores = EXCLUDED.scores, total = EXCLUDED.total, revision = scorecard.revision + 1, updated_at = now(), updated_by = EXCLUDED.updated_by;
INSERT INTO audit_log (actor, action, subject, before, after, competition_id)
  VALUES ('judge:{judge_id}', 'scorecard.submit', 'scorecard:screening/#{proposal}', '{{}}'::jsonb, '{{"benchmark": true}}'::jsonb, {competition_id});
COMMIT;"""
        theirs.append(measure([psql, "-q", url, "-c", statement]))
    rows.append(("one scorecard (wysc score --set)", ours, theirs, "<= 1.5x"))

    print("--version…", file=sys.stderr)
    ours = [measure([wysc, "--version"]) for _ in range(30)]
    theirs = [measure([psql, "--version"]) for _ in range(30)]
    rows.append(("--version", ours, theirs, "<= 12 ms CPU"))

    print()
    header = f"{'work':44} {'wysc wall':>10} {'CPU':>8} {'MB':>6}   {'psql wall':>10} {'CPU':>8} {'MB':>6}   {'ratio':>6}  target"
    print(header)
    print("-" * len(header))
    for name, ours, theirs, target in rows:
        wall, cpu, mb = (median_of([s[i] for s in ours]) for i in range(3))
        ref_wall, ref_cpu, ref_mb = (median_of([s[i] for s in theirs]) for i in range(3))
        ratio = wall / ref_wall if ref_wall > 0 else float("nan")
        def t(x):
            return f"{x * 1000:.1f} ms" if x < 1 else f"{x:.2f} s"
        print(f"{name:44} {t(wall):>10} {t(cpu):>8} {mb:6.0f}   {t(ref_wall):>10} {t(ref_cpu):>8} {ref_mb:6.0f}   {ratio:5.1f}x  {target}")
    print()
    print("Medians of whole processes (wall, and CPU as user + system); MB = peak resident memory.")
    print("ratio = wysc wall time / psql wall time, on the same throwaway PostgreSQL (Unix socket).")


if __name__ == "__main__":
    main()

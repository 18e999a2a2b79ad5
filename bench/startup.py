"""Cold start with 1,000 image tags: first paint of the window and the image list populated, beside
`docker images`, in the same run.

Run as root: `.venv/bin/python bench/startup.py [--tags 1000] [--runs 5] [--compare OTHER_CHECKOUT]
[--bytecode cached|none]`. Starts its own isolated engine. With ``--compare`` (say a `git worktree` at
the previous commit, whose app.py knows BERTH_PAINTED_FILE) the two checkouts start alternately, so
both see the same load.

Bytecode: an installed Berth (a wheel, the .deb bundle) starts from compiled bytecode. By default
(``cached``) every start here does too: the checkouts' bytecode goes to a private cache folder
(PYTHONPYCACHEPREFIX, nothing written into a checkout), filled by one unmeasured start each, even
where the environment says PYTHONDONTWRITEBYTECODE. ``none`` compiles every module at every start,
as a source checkout run with PYTHONDONTWRITEBYTECODE does.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, IsolatedEngine, berth_cold_start, time_cli, write_result

IMPORT_PROBE = ("import sys, time; t = time.perf_counter(); import desktop.ui.main_window; "
                "print(time.perf_counter() - t, 'docker' in sys.modules, 'requests' in sys.modules)")


def import_probe(root: Path, runs: int) -> tuple[float, bool, bool]:
    """Median seconds to import desktop.ui.main_window in a fresh process, and whether that pulled
    in the Docker SDK and requests."""
    times, last = [], ""
    for _ in range(runs):
        last = subprocess.run([sys.executable, "-c", IMPORT_PROBE], cwd=root, check=True, text=True,
                              env=dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(root)),
                              capture_output=True).stdout.split()
        times.append(float(last[0]))
    return statistics.median(times), last[1] == "True", last[2] == "True"


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tags", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--compare", type=Path, help="another checkout to start alternately (the 'before')")
    parser.add_argument("--bytecode", choices=("cached", "none"), default="cached",
                        help="start from cached bytecode, as an installed Berth does (default), or compile each time")
    parser.add_argument("--append", action="store_true", help="add a dated section to results/startup.md")
    parser.add_argument("--label", default="", help="a note for the heading of an --append run")
    args = parser.parse_args()
    if args.bytecode == "cached":  # every Berth started from here inherits this environment
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        os.environ["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="berth-bench-pyc-")
    else:
        os.environ.pop("PYTHONPYCACHEPREFIX", None)
        os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    checkouts = {"this checkout": ROOT}
    if args.compare:
        checkouts = {"before": args.compare.resolve(), "after": ROOT}
    load_before = load_average()
    with IsolatedEngine(registry=False) as engine:
        base = engine.build_busybox_image("bench/base:0")
        import docker
        client = docker.DockerClient(base_url=engine.docker_host)
        t0 = time.perf_counter()
        for i in range(args.tags - 1):
            client.api.tag(base, f"bench/app{i // 50}", f"v{i}")
        setup = time.perf_counter() - t0
        client.close()
        cli_runs, starts = [], {name: [] for name in checkouts}
        for root in checkouts.values():  # unmeasured: fills the bytecode cache, warms the disk cache
            berth_cold_start(engine.docker_host, root)
        for _ in range(args.runs):  # alternate, so every checkout and the CLI share the machine's load
            for name, root in checkouts.items():
                starts[name].append(berth_cold_start(engine.docker_host, root))
            cli_runs.append(time_cli(engine, "images", runs=1))
        imports = {name: import_probe(root, args.runs) for name, root in checkouts.items()}
    cli = statistics.median(cli_runs)
    rows = ["| measure | " + " | ".join(checkouts) + " |", "| --- |" + " --- |" * len(checkouts)]

    def row(label: str, cells) -> None:
        rows.append(f"| {label} | " + " | ".join(cells) + " |")

    row("first paint (s)", (f"{statistics.median(s[0] for s in starts[n]):.3f}" for n in checkouts))
    row(f"list populated, {starts[next(iter(checkouts))][0][2]} rows (s)",
        (f"{statistics.median(s[1] for s in starts[n]):.3f}" for n in checkouts))
    row("CPU Berth had used by first paint / list populated, all threads (s)",
        (f"{statistics.median(s.painted_cpu for s in starts[n]):.3f} / {statistics.median(s.ready_cpu for s in starts[n]):.3f}"
         for n in checkouts))
    row("list populated / `docker images`",
        (f"{statistics.median(s[1] for s in starts[n]) / cli:.1f}x" for n in checkouts))
    row("`import desktop.ui.main_window` alone (s)", (f"{imports[n][0]:.3f}" for n in checkouts))
    row("... pulls in the Docker SDK / requests",
        (f"{'yes' if imports[n][1] else 'no'} / {'yes' if imports[n][2] else 'no'}" for n in checkouts))
    table = "\n".join(rows)
    text = f"""# Cold start: first paint and a populated image list

Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; isolated dockerd,
{'bytecode cached (as installed)' if args.bytecode == 'cached' else 'no bytecode cache (every module compiled at each start)'},
{args.tags} image tags (created in {setup:.1f} s). Load average (1, 5, 15 min) {load_before} before,
{load_average()} after. Medians of {args.runs} Berth starts per column (offscreen, a new process each,
started alternately{' with the other checkout' if args.compare else ''}) and {args.runs} `docker images` runs
between them: `docker images` took {cli:.3f} s.

{table}

"First paint" is the window's first paint event, flushed (BERTH_PAINTED_FILE); "list populated" is
the image list's first load shown (BERTH_READY_FILE). Both include starting Python and Qt; the CLI's
figure is a listing alone, so the ratio says what a user waits beyond `docker images`. The CPU row
(user + system time of Berth's process, from /proc, in 10 ms ticks) is what a busy machine cannot
inflate: on 2 shared cores the wall-clock figures also hold the time Berth waited for a CPU.
"""
    path = ROOT / "bench" / "results" / "startup.md"
    if args.append:  # a dated section under the earlier ones, which stay as they were
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"\n## {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC{f' ({args.label})' if args.label else ''}\n\n"
                    + text.split("\n", 2)[2])
    else:
        write_result("startup", text)
    print(text)
    print(f"written to {path}")


if __name__ == "__main__":
    main()

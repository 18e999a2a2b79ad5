"""Save and load of a 100 MB and a 1 GB image: Berth beside `docker save -o` / `docker load -i`.

In one run, against one isolated engine: images built FROM the busybox base with a layer of
random data; each operation is timed for the CLI (a `docker` process, wall time) and for Berth
(the engine-layer function the save/load tasks call, in a fresh Python process that reports its
own time and memory). Runs alternate CLI and Berth so the page cache favours neither, after one
uncounted warm-up round; before every operation the disks are synced, so one tool's dirty pages
do not slow the next. Before every load the image is removed, so the engine really unpacks the
layers each time.

Memory: the Berth worker resets its peak-RSS mark (``/proc/self/clear_refs``) just before the
operation and reports VmHWM minus VmRSS at that moment: the growth the operation caused.

Goals: Berth's speed at least 0.95 of the CLI's (CLI time / Berth time >= 0.95); peak memory
growth under 64 MB and about the same for both sizes (constant memory).

Run as root: `.venv/bin/python bench/archive_save_load.py [--runs 6] [--sizes 100,1024]`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from common import ROOT, IsolatedEngine, write_result

MB = 1024 * 1024


def _status(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def worker(op: str, host: str, image: str, path: str) -> None:
    """Runs in its own process: one save or load, then prints seconds and memory as JSON."""
    import gc

    import docker

    from desktop.engine import archive, image_archive
    from desktop.engine.connection import Endpoint, connect

    info = connect([Endpoint(host, "user")])
    client = docker.DockerClient(base_url=host, version=info.api_version, timeout=None)
    client.api.version()  # the connection is open before the clock starts
    gc.collect()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset VmHWM to the current RSS
    rss_before = _status("VmRSS")
    start = time.perf_counter()
    if op == "save":
        image_archive.save_images(client, [image], path)
    else:
        contents = archive.inspect_archive(path)
        result = image_archive.load_archive(client, path, contents=contents, engine=info)
        assert image in result.tags, result
    seconds = time.perf_counter() - start
    peak = _status("VmHWM")
    client.close()
    print(json.dumps({"seconds": seconds, "rss_before": rss_before, "growth": peak - rss_before}))


def run_berth(engine: IsolatedEngine, op: str, image: str, path: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--worker", op, engine.docker_host, image, path],
                         cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), check=True, capture_output=True,
                         text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_cli(engine: IsolatedEngine, *args: str) -> float:
    start = time.perf_counter()
    subprocess.run(["docker", *args], env=engine.env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def image_id(engine: IsolatedEngine, ref: str) -> str:
    return engine.cli("inspect", "-f", "{{.Id}}", ref).stdout.strip()


def settle() -> None:
    """Write back what the previous operation left dirty, so it does not slow the next one."""
    os.sync()
    time.sleep(0.5)


def measure(engine: IsolatedEngine, image: str, folder: str, runs: int) -> dict:
    cli_tar = os.path.join(folder, "cli.tar")
    berth_tar = os.path.join(folder, "berth.tar")
    expected = image_id(engine, image)
    save = {"cli": [], "berth": [], "growth": []}
    load = {"cli": [], "berth": [], "growth": []}
    for run in range(-1, runs):  # run -1 warms the caches and is not counted
        order = ("cli", "berth") if run % 2 == 0 else ("berth", "cli")
        for who in order:
            settle()
            if who == "cli":
                seconds = run_cli(engine, "save", "-o", cli_tar, image)
                growth = None
            else:
                result = run_berth(engine, "save", image, berth_tar)
                seconds, growth = result["seconds"], result["growth"]
            if run >= 0:
                save[who].append(seconds)
                if growth is not None:
                    save["growth"].append(growth)
        assert abs(os.path.getsize(cli_tar) - os.path.getsize(berth_tar)) < MB
        for who in order:
            engine.cli("rmi", image)
            settle()
            if who == "cli":
                seconds = run_cli(engine, "load", "-i", cli_tar)
                growth = None
            else:
                result = run_berth(engine, "load", image, cli_tar)
                seconds, growth = result["seconds"], result["growth"]
            if run >= 0:
                load[who].append(seconds)
                if growth is not None:
                    load["growth"].append(growth)
            assert image_id(engine, image) == expected
    return {"save": save, "load": load, "archive": os.path.getsize(cli_tar)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--sizes", default="100,1024", help="image data sizes in MiB")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    folder = tempfile.mkdtemp(prefix="berth-bench-archive-", dir="/var/tmp")
    results = {}
    loads = [os.getloadavg()[0]]
    try:
        with IsolatedEngine(registry=False) as engine:
            engine.ensure_busybox_base()
            for size in sizes:
                image = f"bench/blob{size}:1"
                t0 = time.perf_counter()
                engine.build_busybox_image(image, [f"RUN head -c {size * MB} /dev/urandom > /data"])
                print(f"built {image} in {time.perf_counter() - t0:.1f} s", flush=True)
                results[size] = measure(engine, image, folder, args.runs)
                engine.cli("rmi", image)
                print(f"{size} MiB: {json.dumps(results[size])}", flush=True)
            version = engine.cli("version", "--format", "{{.Server.Version}}").stdout.strip()
            loads.append(os.getloadavg()[0])
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    lines = []
    growths = []
    verdicts = []
    for size in sizes:
        data = results[size]
        for op in ("save", "load"):
            cli = statistics.median(data[op]["cli"])
            berth = statistics.median(data[op]["berth"])
            ratio = cli / berth
            growth = max(data[op]["growth"])
            growths.append(growth)
            verdicts.append(ratio >= 0.95 and growth < 64 * MB)
            command = "docker save -o" if op == "save" else "docker load -i"
            lines.append(f"| {size} MiB | {op} | `{command}` {cli:.2f} s | {berth:.2f} s | {ratio:.2f} | "
                         f"{growth / MB:.1f} MB |")
    spread = (max(growths) - min(growths)) / MB
    text = f"""# Save and load of large images

Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; isolated dockerd
{version}. Images: the busybox base plus one layer of random data; archive sizes
{", ".join(f"{results[s]['archive'] / MB:.0f} MiB" for s in sizes)}. Median of {args.runs} runs each, CLI and Berth
alternating after a warm-up round, disks synced before each operation; every load starts with the
image removed. Berth is the engine-layer function the
save/load tasks run (`image_archive.save_images`; `archive.inspect_archive` + `image_archive.load_archive`),
timed inside a fresh process; the CLI's time is the wall time of the `docker` process.
Load average at the start and the end of the run: {loads[0]:.1f} and {loads[1]:.1f} (on {os.cpu_count()} cores;
anything else running on the machine makes single runs vary, hence the medians).

| image data | operation | CLI | Berth | speed ratio (CLI / Berth) | Berth peak memory growth |
| --- | --- | --- | --- | --- | --- |
{chr(10).join(lines)}

Goals: speed ratio at least 0.95; memory growth under 64 MB and the same for both sizes (it is
the worst of the runs; the spread between operations and sizes is {spread:.1f} MB).
Result: {"all goals met" if all(verdicts) else "NOT all goals met"}.
"""
    path = write_result("archive_save_load", text)
    print(text)
    print(f"written to {path}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(*sys.argv[2:6])
    else:
        main()

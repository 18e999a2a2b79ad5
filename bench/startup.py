"""Cold start to a populated image list, with 1,000 image tags, beside `docker images`.

Run as root: `.venv/bin/python bench/startup.py [--tags 1000]`. Starts its own isolated engine.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

from common import IsolatedEngine, berth_cold_start, time_cli, write_result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tags", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with IsolatedEngine(registry=False) as engine:
        base = engine.build_busybox_image("bench/base:0")
        import docker
        client = docker.DockerClient(base_url=engine.docker_host)
        t0 = time.perf_counter()
        for i in range(args.tags - 1):
            client.api.tag(base, f"bench/app{i // 50}", f"v{i}")
        setup = time.perf_counter() - t0
        cli = time_cli(engine, "images", runs=5)
        starts = [berth_cold_start(engine.docker_host) for _ in range(args.runs)]
        rows = starts[0][1]
        berth = statistics.median(s for s, _ in starts)
        client.close()
    text = f"""# Cold start to a populated image list

Machine: {platform.machine()}, Python {platform.python_version()}; isolated dockerd, {args.tags} image tags
(created in {setup:.1f} s). Median of {args.runs} Berth starts (offscreen, new process each) and 5 CLI runs.

| measure | seconds |
| --- | --- |
| `docker images` ({args.tags} rows) | {cli:.3f} |
| Berth: spawn to window with {rows} rows | {berth:.3f} |
| ratio Berth / CLI | {berth / cli:.1f}x |

Berth's figure includes starting Python and Qt and building the window; the CLI's is a
listing alone, so the ratio says what a user waits beyond `docker images`, not a like-for-like race.
"""
    path = write_result("startup", text)
    print(text)
    print(f"written to {path}")


if __name__ == "__main__":
    main()

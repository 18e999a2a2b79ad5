"""The containers engine layer against the real isolated engine, with the docker CLI as the oracle:
run (ports, env, volumes, restart policies, limits) and what goes wrong when running, every
lifecycle action on many containers, rename, prune, logs, stats, exec and commit."""

import json
import subprocess
import sys
import threading
import time

import docker
import pytest

from desktop.engine import commit, container_ops, containers, logs, run, run_spec, stats
from desktop.engine.cancel import CancelToken
from desktop.engine.errors import BerthError, Cancelled, Conflict, EngineError, NotFound
from desktop.engine.exec_shell import ExecShell, exec_run
from desktop.engine.run_spec import RunSpec

pytestmark = pytest.mark.engine

# shell loops that end at once on SIGTERM (busybox as PID 1 ignores it otherwise)
SLEEPER = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"]


@pytest.fixture
def name(unique_repo):
    return unique_repo.replace("/", "-")


@pytest.fixture
def new_client(docker_engine):
    made = []

    def make():
        client = docker.DockerClient(base_url=docker_engine.docker_host, version="auto", timeout=None)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def cleanup(docker_engine):
    names = []
    yield names
    if names:
        docker_engine.cli("rm", "-f", "-v", *names, check=False)


def inspect(engine, name):
    return json.loads(engine.cli("inspect", name).stdout)[0]


def names_on_engine(engine, prefix):
    out = engine.cli("ps", "-a", "--format", "{{.Names}}").stdout.split()
    return sorted(n for n in out if n.startswith(prefix))


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05) -> None:
    """Poll *predicate* until true (the engine acts asynchronously); fail after *timeout*."""
    pause = threading.Event()
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting for the engine"
        pause.wait(interval)


def in_netns(engine, *args, **kw):
    return subprocess.run(["ip", "netns", "exec", engine.netns, *args], capture_output=True, text=True, **kw)


# --- run ----------------------------------------------------------------------------------------
def test_run_with_ports_env_volumes_restart_and_limits(docker_engine, docker_client, busybox_image, name, cleanup,
                                                        tmp_path):
    www = tmp_path / "www"
    www.mkdir()
    (www / "index.html").write_text("hello from berth\n")
    env_file = tmp_path / "app.env"
    env_file.write_text("# settings\nGREETING=hi there\nFROM_HOST\n")
    volume = f"{name}-data"
    spec = RunSpec(
        image=busybox_image, name=name, command=("httpd", "-f", "-p", "8080", "-h", "/www"),
        env=tuple(run_spec.parse_env_lines(env_file.read_text(), environ={"FROM_HOST": "outside"})) + (("MODE", "test"),),
        ports=(run_spec.make_port(8080, "tcp", "127.0.0.1", 18301), run_spec.make_port(9090)),
        mounts=(run_spec.make_mount("bind", str(www), "/www", read_only=True),
                run_spec.make_mount("volume", volume, "/data"), run_spec.make_mount("volume", "", "/anon"),
                run_spec.make_mount("tmpfs", "", "/scratch")),
        working_dir="/data", user="0", restart=run_spec.parse_restart("on-failure:2"),
        labels=(("team", "berth"),), memory=run_spec.parse_memory("64m"), nano_cpus=run_spec.parse_cpus("0.5"))
    cleanup.append(name)
    try:
        result = run.run_container(docker_client, spec)
        assert result.name == name and len(result.id) == 64
        data = inspect(docker_engine, name)
        assert data["State"]["Running"] and data["Id"] == result.id
        assert {"GREETING=hi there", "FROM_HOST=outside", "MODE=test"} <= set(data["Config"]["Env"])
        host = data["HostConfig"]
        assert host["PortBindings"]["8080/tcp"] == [{"HostIp": "127.0.0.1", "HostPort": "18301"}]
        assert host["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 2}
        assert host["Memory"] == 64 * 1024 * 1024 and host["NanoCpus"] == 500_000_000
        assert data["Config"]["Labels"]["team"] == "berth" and data["Config"]["WorkingDir"] == "/data"
        mounts = {m["Destination"]: m for m in data["Mounts"]}
        assert mounts["/www"]["Type"] == "bind" and mounts["/www"]["Source"] == str(www) and not mounts["/www"]["RW"]
        assert mounts["/data"]["Name"] == volume and mounts["/anon"]["Type"] == "volume"
        assert any(m["Type"] == "tmpfs" and m["Target"] == "/scratch" for m in host["Mounts"])
        # the published port really serves the bind-mounted file (inside the engine's namespace)
        ephemeral = json.loads(docker_engine.cli("inspect", "-f", "{{json .NetworkSettings.Ports}}", name).stdout)
        assert int(ephemeral["9090/tcp"][0]["HostPort"]) > 0
        wait_until(lambda: in_netns(docker_engine, "busybox", "wget", "-qO-",
                                    "http://127.0.0.1:18301/index.html").stdout == "hello from berth\n")
        details = containers.inspect_container(docker_client, name)
        assert details.restart_policy == "on-failure:2" and details.memory == 64 * 1024 * 1024
        assert ("8080/tcp", "127.0.0.1:18301") in details.port_bindings
        assert details.command_line == "httpd -f -p 8080 -h /www" and details.running
    finally:
        docker_engine.cli("rm", "-f", "-v", name, check=False)
        docker_engine.cli("volume", "rm", volume, check=False)


def test_auto_remove_and_a_generated_name(docker_engine, docker_client, busybox_image, cleanup):
    result = run.run_container(docker_client, RunSpec(busybox_image, command=("true",), auto_remove=True))
    cleanup.append(result.id)
    assert result.name and result.name != result.id[:12]  # the engine's adjective_name
    wait_until(lambda: docker_engine.cli("inspect", result.id, check=False).returncode != 0)  # gone once it exited


def test_a_port_another_container_publishes_is_refused_before_anything_is_created(
        docker_engine, docker_client, busybox_image, name, cleanup):
    cleanup += [f"{name}-holder", name]
    docker_engine.cli("run", "-d", "--name", f"{name}-holder", "-p", "127.0.0.1:18302:80", busybox_image,
                      "httpd", "-f", "-p", "80")
    spec = RunSpec(busybox_image, name=name, command=("httpd", "-f", "-p", "80"),
                   ports=(run_spec.make_port(80, "tcp", "", 18302),))
    with pytest.raises(Conflict) as caught:
        run.run_container(docker_client, spec)
    assert f"already published by container {name}-holder" in str(caught.value)
    assert names_on_engine(docker_engine, name) == [f"{name}-holder"]


def test_a_port_taken_outside_docker_fails_the_start_and_nothing_is_left(docker_engine, docker_client, busybox_image,
                                                                         name, cleanup):
    holder = subprocess.Popen(
        ["ip", "netns", "exec", docker_engine.netns, sys.executable, "-c",
         "import signal, socket\ns = socket.socket(); s.bind(('127.0.0.1', 18303)); s.listen()\n"
         "print('ready', flush=True); signal.pause()"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        cleanup.append(name)
        spec = RunSpec(busybox_image, name=name, command=("httpd", "-f", "-p", "80"),
                       ports=(run_spec.make_port(80, "tcp", "127.0.0.1", 18303),))
        with pytest.raises(Conflict) as caught:
            run.run_container(docker_client, spec)
        message = str(caught.value)
        assert "was created but could not start" in message and "127.0.0.1:18303 is already in use" in message
        assert "removed again" in message
        assert names_on_engine(docker_engine, name) == []
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()


def test_a_missing_command_leaves_nothing_unless_asked_to_keep_it(docker_engine, docker_client, busybox_image, name,
                                                                  cleanup):
    cleanup.append(name)
    with pytest.raises(EngineError) as caught:
        run.run_container(docker_client, RunSpec(busybox_image, name=name, command=("no-such-program",)))
    assert "the command “no-such-program” does not exist in the image" in str(caught.value)
    assert names_on_engine(docker_engine, name) == []
    with pytest.raises(EngineError) as caught:
        run.run_container(docker_client, RunSpec(busybox_image, name=name, command=("no-such-program",),
                                                 keep_on_failure=True))
    assert f"kept, stopped, as {name}" in str(caught.value)
    assert docker_engine.cli("inspect", "-f", "{{.State.Status}}", name).stdout.strip() == "created"


def test_create_refusals_are_clear_and_create_nothing(docker_engine, docker_client, busybox_image, name, cleanup,
                                                      tmp_path):
    cleanup += [name, f"{name}-taken"]
    missing = tmp_path / "not-there"
    with pytest.raises(EngineError, match=f"the folder {missing} does not exist on the engine's machine"):
        run.run_container(docker_client, RunSpec(busybox_image, name=name, command=("true",),
                                                 mounts=(run_spec.make_mount("bind", str(missing), "/x"),)))
    docker_engine.cli("tag", busybox_image, f"{name}:gone")
    docker_engine.cli("rmi", f"{name}:gone")  # the image went while the dialog was open
    with pytest.raises(NotFound, match=f"the image {name}:gone is not on the engine any more"):
        run.run_container(docker_client, RunSpec(f"{name}:gone", name=name, command=("true",)))
    docker_engine.cli("create", "--name", f"{name}-taken", busybox_image, "true")
    with pytest.raises(Conflict, match="already in use"):
        run.run_container(docker_client, RunSpec(busybox_image, name=f"{name}-taken", command=("true",)))
    with pytest.raises(run_spec.SpecError, match="too short"):
        run.run_container(docker_client, RunSpec(busybox_image, name="x", command=("true",)))
    with pytest.raises(NotFound, match="network no-such-net not found"):
        run.run_container(docker_client, RunSpec(busybox_image, name=name, command=("true",), network="no-such-net"))
    assert names_on_engine(docker_engine, name) == [f"{name}-taken"]


# --- lifecycle --------------------------------------------------------------------------------------
def state(engine, name):
    return json.loads(engine.cli("inspect", "-f", "{{json .State}}", name).stdout)


def test_every_lifecycle_action_on_many_containers(docker_engine, busybox_image, name, new_client, cleanup):
    names = [f"{name}-{i}" for i in range(3)]
    cleanup += names
    targets = []
    for n in names:
        cid = docker_engine.cli("create", "--name", n, busybox_image, *SLEEPER).stdout.strip()
        targets.append(container_ops.Target(cid, n))

    report = container_ops.apply_action(new_client, "start", targets)
    assert report.summary == "Started 3 containers" and not report.problems
    assert all(state(docker_engine, n)["Running"] for n in names)
    report = container_ops.apply_action(new_client, "pause", targets)
    assert all(state(docker_engine, n)["Paused"] for n in names)
    report = container_ops.apply_action(new_client, "unpause", targets)
    assert not any(state(docker_engine, n)["Paused"] for n in names) and report.summary == "Unpaused 3 containers"
    before = state(docker_engine, names[0])["StartedAt"]
    container_ops.apply_action(new_client, "restart", targets[:1], timeout=1)
    after = state(docker_engine, names[0])
    assert after["Running"] and after["StartedAt"] != before
    report = container_ops.apply_action(new_client, "stop", targets[:2], timeout=5)
    assert [state(docker_engine, n)["Status"] for n in names] == ["exited", "exited", "running"]
    assert state(docker_engine, names[0])["ExitCode"] == 0  # the trap ended it: no kill needed

    # a failure on one does not stop the others: pausing two stopped and one running container
    progress = []
    report = container_ops.apply_action(new_client, "pause", targets,
                                        on_progress=lambda done, total, text: progress.append((done, total)))
    assert report.summary == "Paused 1 of 3 containers"
    assert sorted(o.name for o in report.problems) == names[:2]
    assert all("is not running" in o.message and o.message.startswith(o.name) for o in report.problems)
    assert state(docker_engine, names[2])["Paused"]
    assert progress[-1] == (3, 3)
    container_ops.apply_action(new_client, "unpause", targets[2:])

    report = container_ops.apply_action(new_client, "kill", targets[2:], signal="SIGKILL")
    assert state(docker_engine, names[2])["ExitCode"] == 137 and not report.problems
    with pytest.raises(BerthError, match="not a signal"):
        container_ops.apply_action(new_client, "kill", targets, signal="SIGNOPE")

    report = container_ops.apply_action(new_client, "remove", targets)
    assert report.summary == "Removed 3 containers"
    assert names_on_engine(docker_engine, name) == []


def test_kill_sends_the_chosen_signal(docker_engine, busybox_image, name, new_client, cleanup):
    cleanup.append(name)
    cid = docker_engine.cli("run", "-d", "--name", name, busybox_image, "sh", "-c",
                            "trap 'echo got HUP' HUP; echo trap set; while true; do sleep 0.1; done").stdout.strip()
    wait_until(lambda: "trap set" in docker_engine.cli("logs", name).stdout)
    report = container_ops.apply_action(new_client, "kill", [container_ops.Target(cid, name)], signal="SIGHUP")
    assert not report.problems
    wait_until(lambda: "got HUP" in docker_engine.cli("logs", name).stdout)
    assert state(docker_engine, name)["Running"]  # HUP was handled, not fatal


def test_remove_running_needs_force_and_volumes_go_on_request(docker_engine, busybox_image, name, new_client, cleanup):
    cleanup.append(name)
    cid = docker_engine.cli("run", "-d", "--name", name, "-v", "/anon", busybox_image, "sleep", "600").stdout.strip()
    volume = json.loads(docker_engine.cli("inspect", "-f", "{{json .Mounts}}", name).stdout)[0]["Name"]
    target = [container_ops.Target(cid, name)]
    report = container_ops.apply_action(new_client, "remove", target)
    assert report.problems and "cannot remove a running container" in report.problems[0].message
    assert state(docker_engine, name)["Running"]
    report = container_ops.apply_action(new_client, "remove", target, force=True, volumes=True)
    assert not report.problems and names_on_engine(docker_engine, name) == []
    assert docker_engine.cli("volume", "inspect", volume, check=False).returncode != 0


def test_rename(docker_engine, docker_client, busybox_image, name, cleanup):
    cleanup += [name, f"{name}-new", f"{name}-other"]
    cid = docker_engine.cli("create", "--name", name, busybox_image, "true").stdout.strip()
    docker_engine.cli("create", "--name", f"{name}-other", busybox_image, "true")
    assert container_ops.rename_container(docker_client, cid, f"{name}-new") == f"{name}-new"
    assert docker_engine.cli("inspect", "-f", "{{.Name}}", cid).stdout.strip() == f"/{name}-new"
    with pytest.raises(Conflict, match="already in use"):
        container_ops.rename_container(docker_client, cid, f"{name}-other")
    with pytest.raises(BerthError, match="not allowed"):
        container_ops.rename_container(docker_client, cid, "bad name")
    assert docker_engine.cli("inspect", "-f", "{{.Name}}", cid).stdout.strip() == f"/{name}-new"


def test_prune_removes_exactly_what_the_preview_listed(fresh_engine):
    fresh_engine.ensure_busybox_base()
    image = fresh_engine.ensure_busybox_base()
    client = docker.DockerClient(base_url=fresh_engine.docker_host, version="auto", timeout=60)
    clients = []

    def new_client():
        clients.append(docker.DockerClient(base_url=fresh_engine.docker_host, version="auto", timeout=60))
        return clients[-1]

    try:
        fresh_engine.cli("run", "--name", "done-1", image, "sh", "-c", "echo data > /file")
        fresh_engine.cli("create", "--name", "made-2", image, "true")
        fresh_engine.cli("run", "-d", "--name", "running-3", image, "sleep", "600")
        fresh_engine.cli("create", "--name", "late-4", image, "sleep", "600")
        preview = container_ops.preview_prune(client)
        assert sorted(c.row.name for c in preview) == ["done-1", "late-4", "made-2"]
        assert next(c for c in preview if c.row.name == "done-1").size > 0  # the file it wrote
        fresh_engine.cli("start", "late-4")  # started after the preview: must not be killed
        report, freed = container_ops.prune(new_client, preview)
        assert sorted(o.name for o in report.succeeded) == ["done-1", "made-2"]
        assert [o.name for o in report.problems] == ["late-4"]
        assert freed == next(c for c in preview if c.row.name == "done-1").size + \
            next(c for c in preview if c.row.name == "made-2").size
        left = fresh_engine.cli("ps", "-a", "--format", "{{.Names}}").stdout.split()
        assert sorted(left) == ["late-4", "running-3"]
    finally:
        fresh_engine.cli("rm", "-f", "running-3", "late-4", check=False)
        client.close()
        for c in clients:
            c.close()


# --- logs -------------------------------------------------------------------------------------------
def follow_in_thread(client, cid, options, token):
    batches, errors = [], []

    def work():
        try:
            logs.follow_logs(client, cid, options, token, batches.append)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            errors.append(exc)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread, batches, errors


def test_follow_logs_keeps_stdout_and_stderr_apart_and_cancels_at_once(docker_engine, busybox_image, name, new_client,
                                                                       cleanup):
    cleanup.append(name)
    cid = docker_engine.cli("run", "-d", "--name", name, busybox_image, "sh", "-c",
                            "i=0; while true; do echo out $i; echo err $i >&2; i=$((i+1)); sleep 0.02; done").stdout.strip()
    token = CancelToken()
    started = time.monotonic()
    thread, batches, errors = follow_in_thread(new_client(), cid, logs.LogOptions(tail=0), token)
    wait_until(lambda: sum(len(b.lines) for b in batches) >= 100, timeout=15)
    token.cancel()
    thread.join(5)
    elapsed = time.monotonic() - started
    assert not thread.is_alive() and isinstance(errors[0], Cancelled)
    lines = [line for b in batches for line in b.lines]
    assert len(lines) >= 100
    assert len(batches) <= elapsed * 20 + 2  # at most ~20 deliveries a second, whatever the rate
    assert all(line.text.startswith("out ") for line in lines if line.stream == logs.STDOUT)
    assert all(line.text.startswith("err ") for line in lines if line.stream == logs.STDERR)
    outs = [int(line.text.split()[1]) for line in lines if line.stream == logs.STDOUT]
    assert outs == list(range(outs[0], outs[0] + len(outs)))  # nothing lost or reordered
    assert all(line.timestamp.startswith("20") and line.timestamp.endswith("Z") for line in lines)


def test_logs_tail_end_and_save(docker_engine, docker_client, busybox_image, name, new_client, cleanup, tmp_path):
    cleanup.append(name)
    cid = docker_engine.cli("create", "--name", name, busybox_image, "sh", "-c",
                            "for i in $(seq 1 50); do echo line $i; done; echo oops >&2").stdout.strip()
    docker_engine.cli("start", "-a", name)
    token = CancelToken()
    thread, batches, errors = follow_in_thread(new_client(), cid, logs.LogOptions(tail=5), token)
    thread.join(10)
    assert not thread.is_alive() and not errors  # a stopped container's log ends by itself
    lines = [line for b in batches for line in b.lines]
    cli = docker_engine.cli("logs", "--tail", "5", name)  # the oracle: stdout and stderr apart
    assert sorted(l.text for l in lines if not l.is_stderr) == sorted(cli.stdout.splitlines())
    assert [l.text for l in lines if l.is_stderr] == cli.stderr.splitlines()
    assert len(lines) == 5 and "line 50" in cli.stdout
    path = tmp_path / "out.log"
    count = logs.save_logs(new_client(), cid, str(path), timestamps=False, token=CancelToken())
    assert count == 51
    saved = path.read_text().splitlines()
    assert sorted(saved) == sorted([f"line {i}" for i in range(1, 51)] + ["oops"])
    assert [line for line in saved if line != "oops"] == [f"line {i}" for i in range(1, 51)]
    with pytest.raises(NotFound, match="no longer exists"):
        logs.follow_logs(new_client(), "0" * 64, logs.LogOptions(), CancelToken(), lambda b: None)


def test_a_flood_of_lines_is_bounded(docker_engine, busybox_image, name, new_client, cleanup):
    cleanup.append(name)
    cid = docker_engine.cli("run", "-d", "--name", name, busybox_image, "sh", "-c",
                            "seq 1 30000; sleep 600").stdout.strip()
    token = CancelToken()
    received = []
    blocked = threading.Event()

    def slow_receiver(batch):  # a receiver that falls far behind
        received.append(batch)
        blocked.wait(0.5)

    client = new_client()
    errors = []

    def work():
        try:
            logs.follow_logs(client, cid, logs.LogOptions(tail=None), token, slow_receiver, interval=0.05,
                             max_pending=1000)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    wait_until(lambda: sum(len(b.lines) + b.dropped for b in received) >= 30000, timeout=20)
    token.cancel()
    thread.join(5)
    assert isinstance(errors[0], Cancelled)
    assert max(len(b.lines) for b in received) <= 1000  # never more than the bound in memory
    assert sum(len(b.lines) + b.dropped for b in received) == 30000  # every line delivered or counted
    assert received[-1].lines[-1].text == "30000"


# --- stats ----------------------------------------------------------------------------------------------
def test_stats_stream_arrives_and_stops(docker_engine, busybox_image, name, new_client, cleanup):
    cleanup.append(name)
    cid = docker_engine.cli("run", "-d", "--name", name, "--memory", "64m", busybox_image, "sh", "-c",
                            "while true; do :; done").stdout.strip()
    token = CancelToken()
    samples, errors = [], []

    def work():
        try:
            stats.stream_stats(new_client(), cid, token, samples.append)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    wait_until(lambda: len(samples) >= 3, timeout=15)
    cancelled_at = time.monotonic()
    token.cancel()
    thread.join(5)
    assert time.monotonic() - cancelled_at < 2 and not thread.is_alive()
    assert isinstance(errors[0], Cancelled)
    assert len(samples) >= 3
    last = samples[-1]
    assert last.memory_limit == 64 * 1024 * 1024 and 0 < last.memory_usage < last.memory_limit
    assert last.cpu_percent > 5  # a busy loop (the machine is shared, so no exact figure)
    assert last.pids >= 1 and last.container_id == cid

    sampler = stats.StatsSampler(new_client, parallel=4, period=0.5)
    sampler.set_wanted([cid, "0" * 64])  # an unknown id is skipped, not fatal
    got, token2 = [], CancelToken()

    def on_samples(found):
        got.append(found)
        token2.cancel()

    with pytest.raises(Cancelled):
        sampler.run(token2, on_samples)
    assert list(got[0]) == [cid] and got[0][cid].cpu_percent > 5
    docker_engine.cli("rm", "-f", name)
    with pytest.raises(NotFound):
        stats.stream_stats(new_client(), cid, CancelToken(), samples.append)


# --- exec -----------------------------------------------------------------------------------------------
def read_all(shell, until, timeout=10):
    out = b""
    deadline = time.time() + timeout
    while until not in out and time.time() < deadline:
        data = shell.read()
        if not data:
            break
        out += data
    return out


def test_an_interactive_shell_runs_commands_and_resizes(docker_engine, docker_client, busybox_image, name, new_client,
                                                       cleanup):
    cleanup.append(name)
    cid = docker_engine.cli("run", "-d", "--name", name, busybox_image, "sleep", "600").stdout.strip()
    shell = ExecShell(new_client, cid, rows=33, cols=101)
    shell.open()
    try:
        shell.send(b"echo hi-$((40+2)); stty size\n")
        out = read_all(shell, b"33 101")
        assert b"hi-42" in out and b"33 101" in out  # the TTY has the size asked for
        shell.resize(20, 70)  # queued before the keystrokes below, so done before they run
        shell.send(b"stty size; exit 3\n")
        out += read_all(shell, b"never", timeout=10)
        assert b"20 70" in out
    finally:
        end = shell.finish()
    assert end.exit_code == 3 and end.message == ""
    code, output = exec_run(docker_client, cid, ["sh", "-c", "echo out; echo err >&2; exit 4"])
    assert code == 4 and sorted(output.splitlines()) == ["err", "out"]


def test_a_shell_in_a_stopped_container_or_without_sh(docker_engine, busybox_image, name, new_client, cleanup):
    cleanup += [name, f"{name}-bare"]
    cid = docker_engine.cli("create", "--name", name, busybox_image, "true").stdout.strip()
    shell = ExecShell(new_client, cid)
    with pytest.raises(Conflict, match="the container is not running. Start it first"):
        shell.open()
    shell.finish()
    bare = docker_engine.cli("run", "-d", "--name", f"{name}-bare", busybox_image, "sleep", "600").stdout.strip()
    shell = ExecShell(new_client, bare, command=("/no/shell",))
    shell.open()
    read_all(shell, b"never", timeout=10)
    end = shell.finish()
    assert end.exit_code in (126, 127) and "/no/shell is missing" in end.message


# --- commit ------------------------------------------------------------------------------------------------
def test_commit_makes_an_image_the_cli_sees(docker_engine, docker_client, busybox_image, name, unique_repo, cleanup):
    cleanup += [name, f"{name}-check"]
    cid = docker_engine.cli("create", "--name", name, busybox_image, "sh", "-c", "echo committed > /proof").stdout.strip()
    docker_engine.cli("start", "-a", name)
    with pytest.raises(BerthError, match="must be lowercase"):
        commit.commit_container(docker_client, cid, "Bad/Name", "v1")
    with pytest.raises(BerthError, match="tag"):
        commit.commit_container(docker_client, cid, unique_repo, "bad tag")
    assert docker_engine.cli("image", "inspect", f"{unique_repo}:v1", check=False).returncode != 0
    result = commit.commit_container(docker_client, cid, unique_repo, "v1", message="saved by berth",
                                     author="Berth Tests <t@example.com>")
    assert result.reference == f"{unique_repo}:v1"
    data = json.loads(docker_engine.cli("image", "inspect", f"{unique_repo}:v1").stdout)[0]
    assert data["Id"] == result.image_id
    assert data["Comment"] == "saved by berth" and data["Author"] == "Berth Tests <t@example.com>"
    out = docker_engine.cli("run", "--rm", f"{unique_repo}:v1", "cat", "/proof").stdout
    assert out == "committed\n"
    latest = commit.commit_container(docker_client, cid, unique_repo, "")
    assert latest.reference == f"{unique_repo}:latest"
    docker_engine.cli("rmi", f"{unique_repo}:v1", f"{unique_repo}:latest")


# --- copy in and out -------------------------------------------------------------------------------------------
def test_copy_files_out_of_and_into_a_container(docker_engine, docker_client, busybox_image, name, cleanup, tmp_path):
    from desktop.engine import file_copy

    cleanup.append(name)
    cid = docker_engine.cli("run", "-d", "--name", name, busybox_image, "sh", "-c",
                            "mkdir -p /data/sub && echo one > /data/a.txt && echo two > /data/sub/b.txt && "
                            "sleep 600").stdout.strip()
    wait_until(lambda: docker_engine.cli("exec", name, "cat", "/data/sub/b.txt", check=False).stdout == "two\n")
    out = tmp_path / "out"
    out.mkdir()
    progress = []
    local = file_copy.copy_from_container(docker_client, cid, "/data", str(out),
                                          on_progress=lambda done, total, text: progress.append(done))
    assert local == str(out / "data")
    assert (out / "data" / "a.txt").read_text() == "one\n" and (out / "data" / "sub" / "b.txt").read_text() == "two\n"
    assert progress and progress[-1] > 0
    with pytest.raises(NotFound, match="/nope does not exist in the container"):
        file_copy.copy_from_container(docker_client, cid, "/nope", str(out))
    with pytest.raises(BerthError, match="must be absolute"):
        file_copy.copy_from_container(docker_client, cid, "data", str(out))

    upload = tmp_path / "upload"
    upload.mkdir()
    (upload / "c.txt").write_text("three\n")
    assert file_copy.copy_into_container(docker_client, cid, str(upload), "/data") == "/data/upload"
    assert docker_engine.cli("exec", name, "cat", "/data/upload/c.txt").stdout == "three\n"
    (tmp_path / "single.txt").write_text("single\n")
    file_copy.copy_into_container(docker_client, cid, str(tmp_path / "single.txt"), "/")
    assert docker_engine.cli("exec", name, "cat", "/single.txt").stdout == "single\n"
    with pytest.raises(NotFound, match="The folder /no/such/dir does not exist in the container"):
        file_copy.copy_into_container(docker_client, cid, str(tmp_path / "single.txt"), "/no/such/dir")
    with pytest.raises(BerthError, match="does not exist"):
        file_copy.copy_into_container(docker_client, cid, str(tmp_path / "missing"), "/")

"""The containers list kept live from event payloads, against the real isolated engine: every
lifecycle action done with the docker CLI shows in the model without listing the whole engine
again, and the model ends up as the CLI lists it (state, status wording, ports bound at start)."""

import json
import time

import pytest

from desktop.engine.container_events import row_after
from desktop.engine.container_status import unix_seconds
from desktop.engine.containers import list_containers
from desktop.engine.events import EngineEvent
from desktop.models.containers_model import ContainersModel
from desktop.tasks.containers_feed import ContainersFeed
from tests.helpers import connected_session

pytestmark = pytest.mark.engine

SLEEPER = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"]


@pytest.fixture
def live(qtbot, docker_engine):
    with connected_session(qtbot, docker_engine) as session:
        model = ContainersModel()
        feed = ContainersFeed(session, model)
        full_listings = []
        feed.busyChanged.connect(lambda busy: busy and full_listings.append(time.monotonic()))
        feed.refresh()
        qtbot.waitUntil(lambda: feed.loaded_once and not feed.busy, timeout=20000)
        full_listings.clear()
        yield feed, model, full_listings
        feed.deleteLater()


@pytest.fixture
def names(docker_engine, unique_repo):
    made = []

    def make(count: int, *extra: str) -> list[str]:
        for i in range(count):
            name = f"{unique_repo.replace('/', '-')}-{len(made)}"
            docker_engine.cli("create", "--name", name, *extra, docker_engine.ensure_busybox_base(), *SLEEPER)
            made.append(name)
        return made[-count:]

    yield make
    if made:
        docker_engine.cli("rm", "-f", *made, check=False)


def cli_rows(engine, names):
    """name -> (state, status) as ``docker ps -a`` shows them."""
    out = engine.cli("ps", "-a", "--no-trunc", "--format", "{{json .}}").stdout
    rows = {}
    for line in out.splitlines():
        item = json.loads(line)
        if item["Names"] in names:
            rows[item["Names"]] = (item["State"], item["Status"])
    return rows


def model_rows(model, names):
    return {r.name: r for r in model.rows() if r.name in names}


def states(model, names):
    return {name: row.state for name, row in model_rows(model, names).items()}


def test_lifecycle_actions_show_from_events_without_listing_everything(qtbot, live, docker_engine, names):
    feed, model, full_listings = live
    made = names(3)
    qtbot.waitUntil(lambda: set(model_rows(model, made)) == set(made), timeout=10000)
    assert set(states(model, made).values()) == {"created"}

    docker_engine.cli("start", *made)
    qtbot.waitUntil(lambda: set(states(model, made).values()) == {"running"}, timeout=10000)
    docker_engine.cli("pause", made[0])
    qtbot.waitUntil(lambda: states(model, made)[made[0]] == "paused", timeout=10000)
    docker_engine.cli("unpause", made[0])
    qtbot.waitUntil(lambda: states(model, made)[made[0]] == "running", timeout=10000)
    docker_engine.cli("kill", made[1])
    qtbot.waitUntil(lambda: states(model, made)[made[1]] == "exited", timeout=10000)
    renamed = made[2] + "-renamed"
    docker_engine.cli("rename", made[2], renamed)
    made.append(renamed)  # removed with the others at the end
    qtbot.waitUntil(lambda: renamed in states(model, made), timeout=10000)
    docker_engine.cli("rm", "-f", renamed)
    qtbot.waitUntil(lambda: renamed not in states(model, made), timeout=10000)

    # once the rechecks have settled, the model says what the CLI says, in the CLI's own words
    def same_as_cli():
        cli = cli_rows(docker_engine, made)
        ours = {name: (row.state, row.status) for name, row in model_rows(model, made).items()}
        return ours.keys() == cli.keys() and all(
            ours[n][0] == cli[n][0] and ours[n][1].split()[0] == cli[n][1].split()[0] for n in cli)

    qtbot.waitUntil(same_as_cli, timeout=10000)
    assert model_rows(model, made)[made[1]].status.startswith("Exited (137)")
    assert full_listings == [], "events and rechecks by id were enough: no listing of everything"


def test_ports_bound_at_start_appear_after_the_recheck(qtbot, live, docker_engine, names):
    feed, model, _ = live
    (name,) = names(1, "-p", "127.0.0.1::80")
    qtbot.waitUntil(lambda: name in states(model, [name]), timeout=10000)
    assert model_rows(model, [name])[name].published_ports == ()  # no host port until it starts
    docker_engine.cli("start", name)
    host_port = int(docker_engine.cli("port", name, "80/tcp").stdout.split(":")[-1])
    qtbot.waitUntil(lambda: [p.host_port for p in model_rows(model, [name])[name].published_ports] == [host_port],
                    timeout=10000)


def test_running_only_follows_starts_and_stops(qtbot, live, docker_engine, names):
    feed, model, _ = live
    made = names(2)
    docker_engine.cli("start", made[0])
    feed.set_option("all_containers", False)
    qtbot.waitUntil(lambda: set(states(model, made)) == {made[0]}, timeout=10000)
    docker_engine.cli("start", made[1])  # a container the list did not hold: asked for by id
    qtbot.waitUntil(lambda: set(states(model, made)) == set(made), timeout=10000)
    docker_engine.cli("kill", made[0])
    qtbot.waitUntil(lambda: set(states(model, made)) == {made[1]}, timeout=10000)
    assert set(docker_engine.cli("ps", "--format", "{{.Names}}").stdout.split()) & set(made) == {made[1]}


def test_an_answer_older_than_the_events_does_not_undo_them(qtbot, live, docker_engine, docker_client, names):
    feed, model, _ = live
    (name,) = names(1)
    qtbot.waitUntil(lambda: name in states(model, [name]), timeout=10000)
    stale = list_containers(docker_client)  # the engine's answer from before the start...
    feed._task, feed._started = object(), time.monotonic()  # ...to a listing under way from now on
    try:
        docker_engine.cli("start", name)
        qtbot.waitUntil(lambda: states(model, [name]) == {name: "running"}, timeout=10000)
        feed._on_loaded(stale)  # arrives after the start event
        assert states(model, [name]) == {name: "running"}
    finally:
        feed._task = None
    assert json.loads(docker_engine.cli("inspect", "-f", "{{json .State.Running}}", name).stdout) is True


def test_real_events_patch_rows_as_the_cli_then_lists_them(docker_engine, docker_client, names):
    """Engine-level: each real event, applied to the row listed before it, gives the state the
    next listing shows."""
    (name,) = names(1)
    container_id = docker_engine.cli("inspect", "-f", "{{.Id}}", name).stdout.strip()
    since = int(time.time()) - 1
    steps = [("start", "running"), ("pause", "paused"), ("unpause", "running"), ("kill", "exited")]
    (row,) = list_containers(docker_client, ids=[container_id])
    for action, expected in steps:
        docker_engine.cli(action, name)
        # the events of this step (and perhaps, within the same second, the last one's: in order,
        # applying them again changes nothing)
        events = [EngineEvent.from_api(e) for e in docker_client.api.events(
            since=since, until=int(time.time()) + 1, decode=True,
            filters={"container": container_id, "type": "container"})]
        since = int(time.time())
        for event in events:
            patched = row_after(row, event)
            if patched is not None:
                row = patched
        (listed,) = list_containers(docker_client, ids=[container_id])
        assert row.state == listed.state == expected, (action, row, listed)
        assert row.status.split()[0] == listed.status.split()[0]
        # the time the status counts from: the start (or death) event's own time, which the
        # engine's StartedAt (FinishedAt) confirms; the listing's interval holds it too
        field = "FinishedAt" if expected == "exited" else "StartedAt"
        exact = unix_seconds(docker_engine.cli("inspect", "-f", f"{{{{.State.{field}}}}}", name).stdout.strip())
        assert abs(row.since - exact) < 0.1, (action, row.anchor, exact)
        low, high = listed.anchor
        assert low - 0.05 <= exact <= high + 0.05, (action, listed.status, listed.anchor, exact)

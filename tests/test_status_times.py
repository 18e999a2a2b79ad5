"""Container statuses stay true against one clock, as the images' ages do: the Containers view
words "Up 5 seconds" from each row's anchor (an event's own time, a listing's time minus the
duration it said), so rows started together agree and ages advance without any new listing.
The docker CLI's ``{{.Status}}`` at the same moment is the oracle."""

import time

import pytest
from PySide6.QtWidgets import QVBoxLayout, QWidget

from desktop.engine.container_status import duration_range, human_duration, parse_status, unix_seconds
from desktop.models.containers_model import ContainersModel, status_text
from desktop.tasks.containers_feed import ContainersFeed
from desktop.ui.containers_view import ContainersView
from tests.helpers import connected_session

pytestmark = pytest.mark.engine

SLEEPER = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"]


@pytest.fixture
def names(docker_engine, unique_repo):
    made = []

    def make(count: int) -> list[str]:
        new = [f"{unique_repo.replace('/', '-')}-{len(made) + i}" for i in range(count)]
        made.extend(new)
        return new

    yield make
    if made:
        docker_engine.cli("rm", "-f", *made, check=False)


@pytest.fixture
def listing(qtbot, docker_engine):
    """open() builds a Containers view over a live feed of a connected session, shows it, lists
    once and returns (model, feed, view, parent, counts): the listings it asks for from then on."""
    made = []
    with connected_session(qtbot, docker_engine) as session:
        def open_view():
            model = ContainersModel()
            feed = ContainersFeed(session, model)
            counts = {"full": 0, "loaded": 0}
            feed.busyChanged.connect(lambda busy: busy and counts.__setitem__("full", counts["full"] + 1))
            feed.loaded.connect(lambda: counts.__setitem__("loaded", counts["loaded"] + 1))
            parent = QWidget()
            qtbot.addWidget(parent)
            view = ContainersView(model, feed, parent, session=session)
            QVBoxLayout(parent).addWidget(view)
            parent.resize(1100, 500)
            parent.show()
            feed.refresh()
            qtbot.waitUntil(lambda: feed.loaded_once and not feed.busy, timeout=20000)
            counts.update(full=0, loaded=0)
            made.append((parent, feed))
            return model, feed, view, parent, counts

        yield open_view
        for parent, feed in made:
            parent.close()
            feed.deleteLater()


def shown_status(view, name):
    """The Status cell as the table shows it now (through the filter proxy)."""
    model = view.model
    for r in range(view.proxy.rowCount()):
        if view.proxy.index(r, model.NAME).data() == name:
            return view.proxy.index(r, model.STATUS).data()
    return None


def seconds_in(text):
    """5 for "Up 5 seconds", 0 for "Up Less than a second", None for other wording."""
    words = parse_status(text or "")
    if words is None or not words.words.endswith(("second", "seconds")):
        return None
    return int(duration_range(words.words)[0])


def cli_status(engine, names):
    """name -> the CLI's status, and the interval (unix seconds) the CLI asked in."""
    asked = time.time()
    out = engine.cli("ps", "-a", "--format", "{{.Names}}\t{{.Status}}").stdout
    answered = time.time()
    found = dict(line.split("\t", 1) for line in out.splitlines() if "\t" in line)
    return {n: found.get(n) for n in names}, asked, answered


def agrees_with_cli(model, name, cli_text, asked, answered):
    """The model words *name* as the CLI did at some instant it was asking, give or take the one
    second the engine's own rounding (StartedAt versus the start event's time) may add."""
    row = next(r for r in model.rows() if r.name == name)
    t = asked - 1.0
    seen = set()
    while t <= answered + 1.0:
        seen.add(status_text(row, t))
        t += 0.1
    return cli_text in seen, seen


def test_rows_started_together_agree_and_match_the_cli(qtbot, listing, docker_engine, names):
    model, feed, view, parent, counts = listing()
    first, second = names(2)
    image = docker_engine.ensure_busybox_base()
    for name in (first, second):
        docker_engine.cli("create", "--name", name, image, *SLEEPER)
    docker_engine.cli("start", first, second)
    qtbot.waitUntil(lambda: seconds_in(shown_status(view, first)) is not None
                    and seconds_in(shown_status(view, second)) is not None, timeout=10000)

    # the second is listed again later (pause and resume make the feed ask for it), the first not
    qtbot.waitUntil(lambda: (seconds_in(shown_status(view, first)) or 0) >= 2, timeout=10000)
    rechecks = counts["loaded"]
    docker_engine.cli("pause", second)
    docker_engine.cli("unpause", second)
    qtbot.waitUntil(lambda: counts["loaded"] > rechecks and not feed.busy, timeout=10000)
    listed_second = next(r for r in model.rows() if r.name == second)
    assert parse_status(listed_second.status).words != "Less than a second"  # listed seconds later

    # some seconds pass: each row says what the engine's own StartedAt gives at the instant the
    # cells were worded (one clock for all rows), and what the CLI says
    qtbot.waitUntil(lambda: (seconds_in(shown_status(view, first)) or 0) >= 5, timeout=15000)
    started = {n: unix_seconds(docker_engine.cli("inspect", "-f", "{{.State.StartedAt}}", n).stdout.strip())
               for n in (first, second)}
    now = model.now
    shown = {n: shown_status(view, n) for n in (first, second)}
    truth = {n: {f"Up {human_duration(now - started[n] + d)}" for d in (-0.05, 0.0, 0.05)} for n in (first, second)}
    for n in (first, second):
        assert shown[n] in truth[n], (n, shown[n], truth[n])
    if len(truth[first] | truth[second]) == 1:  # the starts fall in the same second of this clock
        assert shown[first] == shown[second]
    rows = {r.name: r for r in model.rows() if r.name in (first, second)}
    for n in (first, second):  # anchored at the start event's time: StartedAt, give or take delivery
        assert abs(rows[n].since - started[n]) < 0.25, (n, rows[n].anchor, started[n])
    # two starts in the same second of the clock read the same (on a loaded machine `docker start
    # a b` can start them a second apart: then the truth differs and so do the rows)
    t = max(started.values()) + 7.5
    if abs(started[first] - started[second]) < 0.25:
        assert status_text(rows[first], t) == status_text(rows[second], t) == "Up 7 seconds"
    cli, asked, answered = cli_status(docker_engine, (first, second))
    for name in (first, second):
        ok, seen = agrees_with_cli(model, name, cli[name], asked, answered)
        assert ok, f"{name}: the CLI says {cli[name]!r}, Berth would say one of {sorted(seen)}"

    # and after a stop, the exit's age counts on the same way
    docker_engine.cli("stop", "-t", "0", first)
    qtbot.waitUntil(lambda: (shown_status(view, first) or "").startswith("Exited ("), timeout=10000)
    qtbot.waitUntil(lambda: (seconds_in(shown_status(view, first)) or 0) >= 2, timeout=10000)
    assert shown_status(view, first).endswith(" seconds ago")
    cli, asked, answered = cli_status(docker_engine, (first,))
    ok, seen = agrees_with_cli(model, first, cli[first], asked, answered)
    assert ok, f"the CLI says {cli[first]!r}, Berth would say one of {sorted(seen)}"


def test_a_status_listed_once_keeps_counting_without_another_listing(qtbot, listing, docker_engine, names):
    (name,) = names(1)
    docker_engine.cli("run", "-d", "--name", name, docker_engine.ensure_busybox_base(), *SLEEPER)
    # list it while the engine words it "Up 1 second" (its start event came before the feed)
    qtbot.waitUntil(lambda: cli_status(docker_engine, (name,))[0][name] == "Up 1 second", timeout=10000)
    model, feed, view, parent, counts = listing()
    row = next(r for r in model.rows() if r.name == name)
    listed = seconds_in(row.status)
    assert listed is not None and listed <= 2, row.status
    assert seconds_in(shown_status(view, name)) in (listed, listed + 1)
    full, loaded = counts["full"], counts["loaded"]

    # the row on screen was listed with a second's uncertainty: one inspect pins it to StartedAt
    started = unix_seconds(docker_engine.cli("inspect", "-f", "{{.State.StartedAt}}", name).stdout.strip())
    def pinned():
        low, high = next(r for r in model.rows() if r.name == name).anchor
        return low == high and abs(low - started) < 0.05  # (the clock offset events showed: ms)

    qtbot.waitUntil(pinned, timeout=5000)
    qtbot.waitUntil(lambda: (seconds_in(shown_status(view, name)) or 0) >= listed + 3, timeout=10000)
    assert (counts["full"], counts["loaded"]) == (full, loaded)  # no listing: the clock moved on
    cli, asked, answered = cli_status(docker_engine, (name,))
    ok, seen = agrees_with_cli(model, name, cli[name], asked, answered)
    assert ok, f"the CLI says {cli[name]!r}, Berth would say one of {sorted(seen)}"

    # hidden, the view stops rewording (no timer runs for nobody); shown again, it is current
    parent.hide()
    assert not view._status_timer.isActive()
    parent.show()
    assert view._status_timer.isActive()
    assert (counts["full"], counts["loaded"]) == (full, loaded)

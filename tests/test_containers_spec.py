"""The pure parts of containers: what ``docker run`` is asked (names, env files, ports, mounts,
limits, the create body), the CLI's stats arithmetic, log framing, the terminal screen, and the
models (with the model tester)."""

import struct

import pytest

from desktop.engine import logs, run_spec, stats
from desktop.engine.ansi import PLAIN, Style
from desktop.engine.containers import PortMapping, port_url, rows_from_api
from desktop.engine.run import defaults_from_inspect, explain_start_failure, published_clashes
from desktop.engine.run_spec import RunSpec, SpecError
from desktop.models.terminal_screen import TerminalScreen, encode_key


# --- names --------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["ab", "web-1", "a.b_c-d", "/slash-ok", "9lives", "A1"])
def test_names_the_engine_accepts(name):
    assert run_spec.name_problem(name) is None
    assert run_spec.validate_name(name) == name.lstrip("/")


@pytest.mark.parametrize("name, words", [("a", "too short"), ("-web", "must start"), ("_x", "must start"),
                                         ("web 1", "not allowed"), ("wéb", "not allowed"), ("a/b", "not allowed")])
def test_names_the_engine_refuses(name, words):
    problem = run_spec.name_problem(name)
    assert problem and words in problem and name in problem
    with pytest.raises(SpecError):
        run_spec.validate_name(name)


def test_an_empty_name_lets_the_engine_choose():
    assert run_spec.name_problem("") is None


# --- environment ----------------------------------------------------------------------------------
def test_env_lines_are_read_as_docker_env_file_reads_them():
    text = ("\ufeff# comment\n"
            "\n"
            "   PLAIN=value\n"
            "QUOTED=\"kept as written\"  \n"
            "EMPTY=\n"
            "EQUALS=a=b=c\n"
            "  # indented comment\n"
            "FROM_ENV\n"
            "MISSING_FROM_ENV\n")
    pairs = run_spec.parse_env_lines(text, environ={"FROM_ENV": "from the environment"})
    assert pairs == [("PLAIN", "value"), ("QUOTED", "\"kept as written\"  "), ("EMPTY", ""),
                     ("EQUALS", "a=b=c"), ("FROM_ENV", "from the environment")]


def test_env_lines_with_errors_name_the_line():
    with pytest.raises(SpecError, match="Line 2 in app.env has no variable name"):
        run_spec.parse_env_lines("A=1\n=2\n", environ={}, source="app.env")
    with pytest.raises(SpecError, match="Line 1: the variable name “MY VAR” contains whitespace"):
        run_spec.parse_env_lines("MY VAR=1", environ={})


def test_env_file_must_be_utf8():
    assert run_spec.env_file_text("A=é\n".encode(), "x.env") == "A=é\n"
    with pytest.raises(SpecError, match="not a UTF-8 text file"):
        run_spec.env_file_text(b"A=\xff\xfe\n", "x.env")


def test_labels():
    assert run_spec.parse_labels("a=1\n\n# c\nflag\n b = x \n") == [("a", "1"), ("flag", ""), ("b", " x ")]
    with pytest.raises(SpecError, match="Label line 1 has no key"):
        run_spec.parse_labels("=v")


# --- ports ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("8080", run_spec.PortSpec(8080)),
    ("80:8080", run_spec.PortSpec(8080, "tcp", "", 80)),
    ("127.0.0.1:80:8080/udp", run_spec.PortSpec(8080, "udp", "127.0.0.1", 80)),
    ("127.0.0.1::8080", run_spec.PortSpec(8080, "tcp", "127.0.0.1", None)),
    ("[::1]:80:8080", run_spec.PortSpec(8080, "tcp", "::1", 80)),
])
def test_port_specs_in_cli_syntax(text, expected):
    assert run_spec.parse_port_spec(text) == expected


@pytest.mark.parametrize("args, words", [
    (("0",), "out of range"), (("70000",), "out of range"), (("http",), "not a number"),
    (("80", "tcp", "localhost"), "not an IP address"), (("80", "icmp"), "not one of"),
    (("80", "tcp", "", "99999"), "host port 99999 is out of range"),
])
def test_bad_ports_are_refused_with_the_reason(args, words):
    with pytest.raises(SpecError, match=words):
        run_spec.make_port(*args)


def test_port_ranges_map_port_to_port():
    assert run_spec.make_ports("9000-9002", "udp", "127.0.0.1", "18000-18002") == [
        run_spec.PortSpec(9000, "udp", "127.0.0.1", 18000), run_spec.PortSpec(9001, "udp", "127.0.0.1", 18001),
        run_spec.PortSpec(9002, "udp", "127.0.0.1", 18002)]
    assert run_spec.make_ports("80-81") == [run_spec.PortSpec(80), run_spec.PortSpec(81)]  # the engine picks
    assert run_spec.make_ports(" 80 ", "tcp", "", "8080") == [run_spec.PortSpec(80, "tcp", "", 8080)]


@pytest.mark.parametrize("args, words", [
    (("90-80",), "runs backwards"), (("80-81", "tcp", "", "8080-8082"), "same length"),
    (("80", "tcp", "", "8080-8081"), "for one container port is not supported"), (("80-x",), "not a number"),
    (("1-70000",), "out of range"),
])
def test_bad_port_ranges_are_refused_with_the_reason(args, words):
    with pytest.raises(SpecError, match=words):
        run_spec.make_ports(*args)


def test_two_mappings_on_one_host_port_clash():
    ports = [run_spec.make_port(80, "tcp", "", 8080), run_spec.make_port(81, "tcp", "127.0.0.1", 8080),
             run_spec.make_port(82, "udp", "", 8080)]
    problems = run_spec.port_clashes(ports)
    assert len(problems) == 1 and "8080/tcp is asked for twice" in problems[0]
    # different addresses on the same port are fine
    assert run_spec.port_clashes([run_spec.make_port(80, "tcp", "127.0.0.1", 9000),
                                  run_spec.make_port(81, "tcp", "127.0.0.2", 9000)]) == []


def test_ports_published_by_running_containers_are_seen_before_creation():
    spec = RunSpec("img", ports=(run_spec.make_port(80, "tcp", "127.0.0.1", 8080),))
    listing = [{"Names": ["/web"], "Ports": [{"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"}]}]
    assert published_clashes(spec, listing) == ["Host port 127.0.0.1:8080/tcp is already published by container web."]
    other = [{"Names": ["/web"], "Ports": [{"IP": "127.0.0.2", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"}]}]
    assert published_clashes(spec, other) == []


# --- mounts and limits ----------------------------------------------------------------------------
def test_mounts():
    assert run_spec.parse_volume_spec("/srv/data:/data:ro") == run_spec.MountSpec("bind", "/srv/data", "/data", True)
    assert run_spec.parse_volume_spec("cache:/cache") == run_spec.MountSpec("volume", "cache", "/cache", False)
    assert run_spec.parse_volume_spec("/anon") == run_spec.MountSpec("volume", "", "/anon", False)
    with pytest.raises(SpecError, match="must be absolute"):
        run_spec.make_mount("bind", "relative/dir", "/x")
    with pytest.raises(SpecError, match="container path “data” must be absolute"):
        run_spec.make_mount("volume", "v1", "data")
    with pytest.raises(SpecError, match="volume name “-bad” is not allowed"):
        run_spec.make_mount("volume", "-bad", "/x")
    with pytest.raises(SpecError, match="needs a host path"):
        run_spec.make_mount("bind", "", "/x")


@pytest.mark.parametrize("text, expected", [("512m", 512 * 1024 ** 2), ("1g", 1024 ** 3), ("1.5G", 1536 * 1024 ** 2),
                                            ("256MiB", 256 * 1024 ** 2), ("10485760", 10485760), ("", None),
                                            ("7mb", 7 * 1024 ** 2)])
def test_memory_sizes_as_the_cli_reads_them(text, expected):
    assert run_spec.parse_memory(text) == expected


def test_memory_below_the_engine_minimum_or_unreadable():
    with pytest.raises(SpecError, match="minimum of 6 MiB"):
        run_spec.parse_memory("4m")
    with pytest.raises(SpecError, match="not a memory size"):
        run_spec.parse_memory("lots")


def test_cpus():
    assert run_spec.parse_cpus("1.5") == 1_500_000_000
    assert run_spec.parse_cpus("0.01") == 10_000_000
    assert run_spec.parse_cpus("") is None
    with pytest.raises(SpecError, match="more than 0"):
        run_spec.parse_cpus("0")
    with pytest.raises(SpecError, match="too precise"):
        run_spec.parse_cpus("0.0000000001")
    with pytest.raises(SpecError, match="not a number of CPUs"):
        run_spec.parse_cpus("two")


@pytest.mark.parametrize("text, words", [
    ("99999999999999p", "The memory limit 99999999999999p is more than the engine can take: give less than 8 EiB"),
    ("8192p", "more than the engine can take"),
    ("9" * 5000, "more than the engine can take"),
    ("1e400", "“1e400” is not a memory size"), ("inf", "“inf” is not a memory size"),
    ("-1g", "is not a memory size"), ("١٢m", "is not a memory size"), ("1_000m", "is not a memory size"),
    ("64m\n", None), ("64\tm", "is not a memory size"),
])
def test_memory_limits_are_bounded_by_what_the_engine_takes(text, words):
    if words is None:
        assert run_spec.parse_memory(text) == 64 * 1024 ** 2
        return
    with pytest.raises(SpecError) as info:
        run_spec.parse_memory(text)
    assert words in str(info.value) and len(str(info.value)) < 200


def test_the_largest_memory_limit_is_the_engines_int64():
    assert run_spec.parse_memory("8191p") == 8191 * 1024 ** 5
    assert run_spec.parse_memory(str(2 ** 63 - 1)) == 2 ** 63 - 1
    with pytest.raises(SpecError, match="more than the engine can take"):
        run_spec.parse_memory(str(2 ** 63))
    # exact arithmetic: 28 digits of Decimal would round these
    assert run_spec.parse_memory("7.000000000000000000000000000001m") == 7 * 1024 ** 2


@pytest.mark.parametrize("text, words", [
    ("1e400", "The number of CPUs 1e400 is more than the engine can take (at most 9,223,372,036)"),
    ("1e999999999999999999", "more than the engine can take"),  # was a decimal.Overflow
    ("9" * 30, "more than the engine can take"),
    ("inf", "“inf” is not a number of CPUs"), ("-inf", "is not a number of CPUs"),
    ("nan", "“nan” is not a number of CPUs"), ("sNaN", "is not a number of CPUs"),
    ("-1", "must be more than 0 (got -1)"), ("-0", "must be more than 0"),
    ("1_0", "is not a number of CPUs"), ("١", "is not a number of CPUs"),
    ("0.001", "below the engine's minimum of 0.01"),
    ("1.0000000000000000000000000000001", "too precise"),  # was rounded to 1 and accepted
])
def test_cpus_are_bounded_by_what_the_engine_takes(text, words):
    with pytest.raises(SpecError) as info:
        run_spec.parse_cpus(text)
    assert words in str(info.value) and len(str(info.value)) < 200


def test_cpus_up_to_what_the_engine_has_when_known():
    assert run_spec.parse_cpus("2", available=2) == 2_000_000_000
    assert run_spec.parse_cpus("1e0") == run_spec.parse_cpus("1.") == run_spec.parse_cpus(".5e1") // 5
    assert run_spec.parse_cpus("9223372036.854775807") == 2 ** 63 - 1
    with pytest.raises(SpecError, match="more than the engine has: it has 2, so give at most 2"):
        run_spec.parse_cpus("2.5", available=2)


def test_a_spec_built_by_hand_is_checked_against_the_same_bounds():
    assert any("more than the engine can take" in p for p in RunSpec("img", memory=2 ** 63).problems())
    assert any("from 0.01" in p for p in RunSpec("img", nano_cpus=2 ** 63).problems())
    assert any("from 0.01" in p for p in RunSpec("img", nano_cpus=1000).problems())
    assert RunSpec("img", memory=2 ** 63 - 1, nano_cpus=10_000_000).problems() == []


def test_names_and_ports_are_read_as_the_cli_reads_them():
    # a name with a line break after it matched the old "^...$" pattern
    assert "not allowed" in run_spec.name_problem("web\n")
    with pytest.raises(SpecError):
        run_spec.validate_name("web\n")
    # int() took these; the CLI and the engine do not
    for text in ("8_080", "+80", "٨٠", "80 80"):
        with pytest.raises(SpecError, match="is not a number"):
            run_spec.make_port(text)
        with pytest.raises(SpecError, match="is not a port mapping"):
            run_spec.parse_port_spec(text)
    with pytest.raises(SpecError, match="host port 99999 is out of range"):
        run_spec.parse_port_spec("99999:80")
    with pytest.raises(SpecError) as huge:
        run_spec.make_port("9" * 5000)
    assert "out of range" in str(huge.value) and len(str(huge.value)) < 120
    assert run_spec.make_port("00080") == run_spec.PortSpec(80)


def test_a_bare_env_key_that_cannot_be_in_the_environment_is_left_out():
    # os.environ encodes keys: a lone surrogate raised UnicodeEncodeError
    assert run_spec.parse_env_lines("A\udcff\nB=1\n") == [("B", "1")]


def test_restart_policies():
    assert str(run_spec.parse_restart("on-failure:5")) == "on-failure:5"
    assert run_spec.parse_restart("unless-stopped").name == "unless-stopped"
    with pytest.raises(SpecError, match="not one of"):
        run_spec.parse_restart("sometimes")
    with pytest.raises(SpecError, match="Only on-failure takes a retry count"):
        run_spec.parse_restart("always:3")
    # found by fuzzing: int() took these, and the engine's int64 cannot hold the last one
    for text in ("on-failure:+3", "on-failure:1_0", "on-failure:\u0663"):
        with pytest.raises(SpecError, match="is not a number"):
            run_spec.parse_restart(text)
    with pytest.raises(SpecError, match="cannot be negative"):
        run_spec.parse_restart("on-failure:-1")
    with pytest.raises(SpecError, match="more than the engine can take"):
        run_spec.parse_restart("on-failure:9223372036854775808")
    assert run_spec.parse_restart("on-failure:9223372036854775807").max_retries == 2 ** 63 - 1


def test_commands_split_like_a_shell():
    assert run_spec.split_command("sh -c 'echo hi; sleep 1'") == ("sh", "-c", "echo hi; sleep 1")
    assert run_spec.split_command("  ") is None
    with pytest.raises(SpecError, match="cannot be split"):
        run_spec.split_command("echo 'unclosed")


# --- the whole spec -------------------------------------------------------------------------------
def test_spec_problems_collect_everything_the_engine_would_refuse():
    spec = RunSpec("", name="x", working_dir="rel", auto_remove=True, restart=run_spec.RestartPolicy("always"),
                   mounts=(run_spec.MountSpec("volume", "", "/d"), run_spec.MountSpec("volume", "v2", "/d")))
    problems = spec.problems()
    assert "Choose an image to run." in problems
    assert any("too short" in p for p in problems)
    assert any("working directory “rel” must be absolute" in p for p in problems)
    assert any("cannot also have a restart policy" in p for p in problems)
    assert any("same container path /d" in p for p in problems)
    with pytest.raises(SpecError):
        spec.check()


def test_create_body_is_what_docker_run_sends():
    spec = RunSpec(
        "busybox", name="web", command=("httpd", "-f"), entrypoint=(), env=(("A", "1"),),
        ports=(run_spec.make_port(80, "tcp", "127.0.0.1", 8080), run_spec.make_port(53, "udp")),
        mounts=(run_spec.make_mount("bind", "/srv", "/srv", True), run_spec.make_mount("volume", "", "/anon"),
                run_spec.make_mount("tmpfs", "", "/tmp")),
        working_dir="/w", user="1000", restart=run_spec.parse_restart("on-failure:3"), labels=(("k", "v"),),
        network="backend", memory=64 * 1024 ** 2, nano_cpus=500_000_000, tty=True, interactive=True)
    body = run_spec.create_body(spec)
    assert body["Image"] == "busybox" and body["Cmd"] == ["httpd", "-f"] and body["Entrypoint"] == [""]
    assert body["Env"] == ["A=1"] and body["WorkingDir"] == "/w" and body["User"] == "1000"
    assert body["ExposedPorts"] == {"80/tcp": {}, "53/udp": {}}
    assert body["Labels"] == {"k": "v"} and body["Tty"] is True and body["OpenStdin"] is True
    host = body["HostConfig"]
    assert host["PortBindings"] == {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}],
                                    "53/udp": [{"HostIp": "", "HostPort": ""}]}
    assert host["Mounts"] == [{"Type": "bind", "Target": "/srv", "ReadOnly": True, "Source": "/srv"},
                              {"Type": "volume", "Target": "/anon", "ReadOnly": False},
                              {"Type": "tmpfs", "Target": "/tmp", "ReadOnly": False}]
    assert host["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
    assert host["NetworkMode"] == "backend" and host["Memory"] == 64 * 1024 ** 2 and host["NanoCpus"] == 500_000_000
    plain = run_spec.create_body(RunSpec("busybox"))
    assert plain == {"Image": "busybox", "HostConfig": {}}  # the image's defaults, nothing forced


def test_start_failures_in_plain_words():
    spec = RunSpec("busybox")
    assert "the command “nope” does not exist" in explain_start_failure(
        'OCI runtime create failed: exec: "nope": executable file not found in $PATH: unknown', spec)
    assert "host port 127.0.0.1:8080 is already in use" in explain_start_failure(
        "driver failed programming external connectivity: Bind for 127.0.0.1:8080 failed: port is already allocated",
        spec)
    assert "host port 0.0.0.0:81 is already in use" in explain_start_failure(
        "Error starting userland proxy: listen tcp4 0.0.0.0:81: bind: address already in use", spec)
    assert explain_start_failure("something else", spec) == "something else"


def test_image_defaults_from_inspect():
    data = {"Id": "sha256:abc", "Config": {"Cmd": ["httpd"], "ExposedPorts": {"8080/tcp": {}, "53/udp": {}},
                                          "Env": ["PATH=/bin", "X=a=b"], "WorkingDir": "/www", "Volumes": {"/data": {}}}}
    defaults = defaults_from_inspect("web:1", data)
    assert defaults.exposed_ports == ((53, "udp"), (8080, "tcp"))
    assert defaults.env == (("PATH", "/bin"), ("X", "a=b")) and defaults.cmd == ("httpd",)
    assert defaults.volumes == ("/data",) and defaults.working_dir == "/www"


# --- list rows and ports ------------------------------------------------------------------------
def test_rows_exit_codes_and_published_ports():
    [row] = rows_from_api([{"Id": "c" * 64, "Names": ["/web"], "State": "exited", "Status": "Exited (137) 2 minutes ago",
                            "Ports": [{"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
                                      {"IP": "::", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
                                      {"PrivatePort": 443, "Type": "tcp"}]}])
    assert row.exit_code == 137 and not row.running
    assert [str(p) for p in row.published_ports] == ["0.0.0.0:8080->80/tcp"]  # the IPv6 twin is the same port


def test_port_urls_point_at_the_engine_machine():
    published = PortMapping(80, "tcp", "0.0.0.0", 8080)
    assert port_url(published, "unix:///var/run/docker.sock") == "http://localhost:8080/"
    assert port_url(published, "tcp://build-box.lan:2376") == "http://build-box.lan:8080/"
    assert port_url(published, "ssh://me@10.0.0.5") == "http://10.0.0.5:8080/"
    assert port_url(PortMapping(80, "tcp", "127.0.0.1", 8080)) == "http://127.0.0.1:8080/"
    assert port_url(PortMapping(53, "udp", "0.0.0.0", 5353)) == ""
    assert port_url(PortMapping(80, "tcp")) == ""


# --- stats ----------------------------------------------------------------------------------------
def _raw(total, system, pre_total=0, pre_system=0, online=2, usage=100_000_000, inactive=40_000_000, v1=True):
    key = "total_inactive_file" if v1 else "inactive_file"
    return {"read": "2026-01-01T00:00:01.5Z",
            "cpu_stats": {"cpu_usage": {"total_usage": total, "percpu_usage": [1, 2]}, "system_cpu_usage": system,
                          "online_cpus": online},
            "precpu_stats": {"cpu_usage": {"total_usage": pre_total}, "system_cpu_usage": pre_system},
            "memory_stats": {"usage": usage, "limit": 1_000_000_000, "stats": {key: inactive}},
            "networks": {"eth0": {"rx_bytes": 100, "tx_bytes": 50}, "eth1": {"rx_bytes": 1, "tx_bytes": 2}},
            "blkio_stats": {"io_service_bytes_recursive": [{"op": "Read", "value": 4096}, {"op": "Write", "value": 8192},
                                                           {"op": "read", "value": 4}, {"op": "Total", "value": 1}]},
            "pids_stats": {"current": 3}}


def test_stats_as_docker_stats_computes_them():
    # 0.5 s of CPU in 2 s of machine time on 2 CPUs: 50 %
    sample = stats.sample_from_api("c1", _raw(1_500_000_000, 12_000_000_000, 1_000_000_000, 10_000_000_000))
    assert sample.cpu_percent == pytest.approx(50.0)
    assert sample.memory_usage == 60_000_000 and sample.memory_percent == pytest.approx(6.0)
    assert (sample.net_rx, sample.net_tx) == (101, 52)
    assert (sample.block_read, sample.block_write) == (4100, 8192)
    assert sample.pids == 3
    v2 = stats.sample_from_api("c1", _raw(1, 1, v1=False, inactive=10_000_000))
    assert v2.memory_usage == 90_000_000


def test_one_shot_samples_take_cpu_against_the_previous_round():
    first = stats.sample_from_api("c1", _raw(1_000_000_000, 10_000_000_000))
    assert first.cpu_percent == 0.0  # nothing to compare with yet
    second = stats.sample_from_api("c1", _raw(1_250_000_000, 11_000_000_000), previous=first)
    assert second.cpu_percent == pytest.approx(50.0)


# --- logs framing ---------------------------------------------------------------------------------
def test_log_frames_become_lines_per_stream():
    splitter = logs.LineSplitter()
    out = splitter.feed_frame(1, b"2026-01-01T00:00:00.000000001Z hello\n")
    assert out == [logs.LogLine(1, "hello", "2026-01-01T00:00:00.000000001Z")]
    # a long line split in two messages: the second timestamp is not part of the text
    assert splitter.feed_frame(2, b"2026-01-01T00:00:01.1Z first half ") == []
    out = splitter.feed_frame(2, b"2026-01-01T00:00:01.2Z second half\r\n")
    assert out == [logs.LogLine(2, "first half second half", "2026-01-01T00:00:01.1Z")]
    assert splitter.feed_frame(1, b"2026-01-01T00:00:02Z no newline at the end") == []
    assert splitter.flush() == [logs.LogLine(1, "no newline at the end", "2026-01-01T00:00:02Z")]


def test_tty_logs_are_one_stream_with_stamps_inline():
    splitter = logs.LineSplitter()
    out = splitter.feed_raw(b"2026-01-01T00:00:00Z a\r\n2026-01-01T00:00:01Z b\r\n2026-01-01T00:00:02Z c")
    assert [(l.text, l.timestamp) for l in out] == [("a", "2026-01-01T00:00:00Z"), ("b", "2026-01-01T00:00:01Z")]
    assert [l.text for l in splitter.flush()] == ["c"]


def test_frames_are_read_from_the_multiplexed_stream():
    import io

    class Response:
        raw = io.BufferedReader(io.BytesIO(
            struct.pack(">BxxxL", 1, 3) + b"ab\n" + struct.pack(">BxxxL", 2, 0) + struct.pack(">BxxxL", 2, 4) + b"err\n"))

    assert list(logs.iter_chunks(Response(), tty=False)) == [(1, b"ab\n", True), (2, b"err\n", True)]


# --- the terminal screen --------------------------------------------------------------------------
def test_terminal_screen_draws_what_a_shell_sends_and_answers_queries():
    screen = TerminalScreen(4, 20)
    screen.feed(b"/ # \x1b[6n")
    assert screen.take_replies() == b"\x1b[1;5R"
    screen.feed(b"echo hi\r\nhi\r\n/ # ")
    assert screen.text() == "/ # echo hi\nhi\n/ #"
    screen.feed(b"abc\x08\x08\x1b[K")  # backspace twice, erase to the end of the line
    assert screen.line_text(2) == "/ # a"
    screen.feed(b"\r\n1\r\n2\r\n3\r\n4")  # scrolls: the top lines go to the scrollback
    assert screen.text() == "1\n2\n3\n4"
    assert "/ # echo hi" in screen.all_text() and len(screen.scrollback) == 3


def test_terminal_screen_reads_colours_as_the_logs_do():
    screen = TerminalScreen(2, 10)
    screen.feed(b"\x1b[38;2;10;20;30;48;5;200mX\x1b[4:3mY\x1b[mZ")  # true colour, 256, a sub-parameter
    assert [cell.attr for cell in screen.lines[0][:3]] == [Style(fg=(10, 20, 30), bg=200),
                                                          Style(fg=(10, 20, 30), bg=200, underline=True), PLAIN]


def test_terminal_screen_colours_alternate_screen_and_wrapping():
    screen = TerminalScreen(3, 5)
    screen.feed(b"\x1b[1;31mred\x1b[0m")
    assert screen.lines[0][0].attr == Style(fg=1, bold=True)
    assert screen.lines[0][3].attr == PLAIN
    screen.feed(b"\x1b[?1049h\x1b[2J\x1b[HFULL")
    assert screen.alternate and screen.text() == "FULL"
    screen.feed(b"\x1b[?1049l")
    assert not screen.alternate and screen.text() == "red"
    screen.feed(b"\r\n123456")  # wraps onto the next line
    assert screen.line_text(1) == "12345" and screen.line_text(2) == "6"
    screen.resize(2, 8)
    assert screen.rows == 2 and screen.line_text(screen.cursor_row) == "6"


def test_key_encoding():
    assert encode_key("up") == b"\x1b[A" and encode_key("up", app_cursor=True) == b"\x1bOA"
    assert encode_key("delete") == b"\x1b[3~" and encode_key("enter") == b"\r" and encode_key("f1") == b"\x1bOP"


# --- models ---------------------------------------------------------------------------------------
def _row(name, state="running", project="", created=1, status=None):
    from desktop.engine.containers import ContainerRow

    labels = (("com.docker.compose.project", project), ("com.docker.compose.service", name)) if project else ()
    return ContainerRow(id=f"{name:0<64}"[:64], name=name, image="img", image_id="sha256:1", command="sh",
                        state=state, status=status or ("Up 1 minute" if state == "running" else "Exited (0) 1 minute ago"),
                        created=created, labels=labels)


def test_containers_model_usage_cells(qapp, qtmodeltester):
    from desktop.models.containers_model import ContainersModel

    model = ContainersModel()
    model.apply([_row("web"), _row("old", "exited")])
    qtmodeltester.check(model)
    web = model.row_for_key(_row("web").id)
    sample = stats.sample_from_api(_row("web").id, _raw(1_500_000_000, 12_000_000_000, 1_000_000_000, 10_000_000_000))
    changed = []
    model.dataChanged.connect(lambda a, b, roles=(): changed.append((a.row(), a.column(), b.column())))
    model.set_usage({_row("web").id: sample, _row("old").id: sample, "gone": sample})
    assert changed == [(web, model.CPU, model.MEMORY)]  # only the cells of a listed, running container
    assert model.index(web, model.CPU).data() == "50.0 %"
    assert model.index(web, model.MEMORY).data() == "60MB"
    old = model.row_for_key(_row("old").id)
    assert model.index(old, model.CPU).data() == ""  # not running: no figure, even if one came
    model.sort(model.CPU, __import__("PySide6.QtCore").QtCore.Qt.SortOrder.DescendingOrder)
    assert model.row_at(0).name == "web"
    model.clear_usage()
    assert model.index(model.row_for_key(_row("web").id), model.CPU).data() == ""
    qtmodeltester.check(model)


def test_compose_groups_follow_the_flat_model(qapp, qtmodeltester):
    from PySide6.QtCore import QPersistentModelIndex, Qt

    from desktop.models.compose_groups import GROUP_ROLE, MEMBERS_ROLE, ComposeGroupsModel
    from desktop.models.containers_model import ContainersModel

    model = ContainersModel()
    model.sort(model.NAME, Qt.SortOrder.AscendingOrder)
    model.apply([_row("a-web", project="shop"), _row("b-solo"), _row("c-db", "exited", project="shop")])
    groups = ComposeGroupsModel(model, model.NAME, model.STATUS)
    qtmodeltester.check(groups)
    assert groups.rowCount() == 2  # the project, then the container outside any project
    shop = groups.index(0, 0)
    assert shop.data(GROUP_ROLE) == "shop" and shop.data() == "shop (2)"
    assert groups.index(0, model.STATUS).data() == "1 running, 1 stopped"
    assert [r.name for r in shop.data(MEMBERS_ROLE)] == ["a-web", "c-db"]
    assert groups.index(1, 0).data() == "b-solo"
    kept = QPersistentModelIndex(groups.index(1, 0, shop))  # c-db, e.g. selected
    model.apply([_row("a-web", project="shop"), _row("b-solo"), _row("c-db", "exited", project="shop"),
                 _row("d-cache", project="shop"), _row("e-api", project="api")])
    qtmodeltester.check(groups)
    assert kept.isValid() and kept.data() == "c-db"  # selection follows its row through the change
    assert groups.projects() == ["shop", "api"]
    assert groups.rowCount(groups.group_index("shop")) == 3
    model.apply([_row("b-solo"), _row("e-api", project="api")])  # the project's containers went
    assert not kept.isValid() and groups.projects() == ["api"]
    assert groups.index_for_key(_row("e-api").id).parent() == groups.group_index("api")
    qtmodeltester.check(groups)


def test_compose_groups_pass_on_changed_cells_only_while_followed(qapp):
    """The grouped tree is hidden unless the list is grouped: a status that ages each second must
    not make it size rows nobody sees. Back on, every cell is said changed once."""
    from PySide6.QtCore import Qt

    from desktop.models.compose_groups import ComposeGroupsModel
    from desktop.models.containers_model import ContainersModel

    model = ContainersModel()
    model.sort(model.NAME, Qt.SortOrder.AscendingOrder)
    model.apply([_row("a-web", project="shop"), _row("b-solo")])
    groups = ComposeGroupsModel(model, model.NAME, model.STATUS)
    changed = []
    groups.dataChanged.connect(lambda a, b, roles=(): changed.append((a.row(), b.row())))
    model.apply([_row("a-web", project="shop"), _row("b-solo", "exited")])
    assert changed, "followed: a changed cell is passed on"
    groups.set_following(False)
    changed.clear()
    model.apply([_row("a-web", "exited", project="shop"), _row("b-solo", "exited")])
    assert changed == []
    assert groups.index(0, model.STATUS).data() == "1 stopped"  # the data itself is current
    groups.set_following(True)
    assert changed, "followed again: what changed meanwhile is said"


def test_refusals_show_what_was_typed_shortened_and_visible():
    """Found by fuzzing: a pasted 5000-character value or a NUL went into the message as it was."""
    for call in (lambda: run_spec.parse_port_spec("a\x00b\nc:80"),
                 lambda: run_spec.parse_volume_spec("x" * 5000 + ":a:b"),
                 lambda: run_spec.make_mount("volume", "bad\x00name", "/x"),
                 lambda: run_spec.make_port("80", "t\x00cp")):
        with pytest.raises(SpecError) as info:
            call()
        assert len(str(info.value)) < 200 and str(info.value).isprintable(), str(info.value)
    with pytest.raises(SpecError, match="The host address “a\ufffdb\ufffdc” is not an IP address"):
        run_spec.parse_port_spec("a\x00b\nc:80")

"""Tagging, moving a tag, untagging and version suggestions against the real engine; ``docker
images`` and ``docker image inspect`` are the oracle for every change."""

from __future__ import annotations

import pytest

from desktop.engine import semver
from desktop.engine.connection import Endpoint, open_client
from desktop.engine.errors import Conflict, NotFound
from desktop.engine.reference import InvalidReference
from desktop.engine.tags import (TargetStatus, UntagOutcome, apply_tags, index_from_api, load_tag_index,
                                 make_untag_plan, plan_tag, plan_untag, target_references, untag)
from tests.helpers import cli_tags

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def client(docker_engine):
    client = open_client(Endpoint(docker_engine.docker_host, "user"))
    yield client
    client.close()




def cli_dangling(engine) -> set[str]:
    out = engine.cli("images", "--filter", "dangling=true", "--no-trunc", "--format", "{{.ID}}").stdout
    return set(out.split())


def cli_exists(engine, image_id) -> bool:
    return engine.cli("image", "inspect", image_id, check=False).returncode == 0


# --- tagging --------------------------------------------------------------------------------

def test_several_new_tags_at_once(docker_engine, client, made, unique_repo):
    image = made.image(f"{unique_repo}:v1.2.0")
    targets = target_references(unique_repo, ["v1.2.1", "v1.2", "v1", "prod"])
    plan = plan_tag(client, image, targets)
    assert [t.status for t in plan.targets] == [TargetStatus.NEW] * 4
    assert plan.image_references == (f"{unique_repo}:v1.2.0",)
    assert [t.full for t in plan.targets][0] == f"docker.io/{unique_repo}:v1.2.1"

    result = apply_tags(client, image, targets)
    assert result.done and result.image_id == image
    assert result.tagged == tuple(f"{unique_repo}:{t}" for t in ("v1.2.1", "v1.2", "v1", "prod"))
    assert cli_tags(docker_engine, unique_repo) == {t: image for t in ("v1.2.0", "v1.2.1", "v1.2", "v1", "prod")}

    again = apply_tags(client, image, [f"{unique_repo}:prod", f"docker.io/{unique_repo}:v1"])
    assert again.done and again.tagged == ()
    assert [t.status for t in again.plan.targets] == [TargetStatus.ALREADY] * 2


def test_an_untagged_name_means_latest(docker_engine, client, made, unique_repo):
    image = made.image(f"{unique_repo}:v1")
    [ref] = target_references(unique_repo, [])
    assert ref.tag == "latest"
    result = apply_tags(client, image, [unique_repo])
    assert result.tagged == (f"{unique_repo}:latest",)
    assert cli_tags(docker_engine, unique_repo) == {"v1": image, "latest": image}


def test_moving_a_tag_asks_first_and_the_other_image_becomes_none(docker_engine, client, made, unique_repo):
    old = made.image(f"{unique_repo}:prod")
    new = made.image(f"{unique_repo}:v2")
    plan = plan_tag(client, new, [f"{unique_repo}:prod"])
    [target] = plan.moves
    assert target.previous_image_id == old and target.previous_becomes_untagged
    assert "becomes <none>" in target.describe_move() and old.split(":")[1][:12] in target.describe_move()

    refused = apply_tags(client, new, [f"{unique_repo}:prod"])
    assert not refused.done and refused.needs_confirmation and refused.tagged == ()
    assert refused.plan.move_keys == {(f"docker.io/{unique_repo}:prod", old)}
    assert cli_tags(docker_engine, unique_repo) == {"prod": old, "v2": new}  # nothing changed

    moved = apply_tags(client, new, [f"{unique_repo}:prod"], allow_moves=refused.plan.move_keys)
    assert moved.done and moved.tagged == (f"{unique_repo}:prod",)
    assert cli_tags(docker_engine, unique_repo) == {"prod": new, "v2": new}
    assert old in cli_dangling(docker_engine)  # the CLI lists it as <none> <none>


def test_moving_a_tag_from_an_image_that_keeps_another(docker_engine, client, made, unique_repo):
    old = made.image(f"{unique_repo}:stable")
    docker_engine.cli("tag", old, f"{unique_repo}:v1.0.0")
    new = made.image(f"{unique_repo}:v1.1.0")
    plan = plan_tag(client, new, [f"{unique_repo}:stable"])
    [target] = plan.moves
    assert target.previous_keeps == (f"{unique_repo}:v1.0.0",) and not target.previous_becomes_untagged
    assert f"keeps {unique_repo}:v1.0.0" in target.describe_move()
    result = apply_tags(client, new, [f"{unique_repo}:stable"], allow_moves=plan.move_keys)
    assert result.done
    assert cli_tags(docker_engine, unique_repo) == {"stable": new, "v1.1.0": new, "v1.0.0": old}


def test_a_confirmation_covers_only_the_move_that_was_shown(docker_engine, client, made, unique_repo):
    first = made.image(f"{unique_repo}:prod")
    second = made.image(f"{unique_repo}:other")
    mine = made.image(f"{unique_repo}:mine")
    shown = plan_tag(client, mine, [f"{unique_repo}:prod"])
    docker_engine.cli("tag", second, f"{unique_repo}:prod")  # someone else moves it meanwhile
    result = apply_tags(client, mine, [f"{unique_repo}:prod"], allow_moves=shown.move_keys)
    assert not result.done
    assert result.plan.moves[0].previous_image_id == second
    assert cli_tags(docker_engine, unique_repo)["prod"] == second
    assert first in cli_dangling(docker_engine)


def test_retag_back_and_forth(docker_engine, client, made, unique_repo):
    a = made.image(f"{unique_repo}:a")
    b = made.image(f"{unique_repo}:b")
    for holder, other in ((a, b), (b, a), (a, b)):
        plan = plan_tag(client, holder, [f"{unique_repo}:current"])
        result = apply_tags(client, holder, [f"{unique_repo}:current"], allow_moves=plan.move_keys)
        assert result.done
        assert cli_tags(docker_engine, unique_repo)["current"] == holder


def test_bad_input_changes_nothing(docker_engine, client, made, unique_repo):
    image = made.image(f"{unique_repo}:v1")
    before = cli_tags(docker_engine, unique_repo)
    with pytest.raises(InvalidReference) as bad_tag:
        target_references(unique_repo, ["v2", "v1/0"])
    assert 'tag "v1/0" contains "/" at position 2' in str(bad_tag.value)
    with pytest.raises(InvalidReference) as upper:
        apply_tags(client, image, ["Berth-Test/App:v1"])
    assert "must be lowercase" in str(upper.value)
    with pytest.raises(InvalidReference):
        apply_tags(client, image, [f"{unique_repo}:ok", f"{unique_repo}:-bad"])
    with pytest.raises(InvalidReference) as digest:
        apply_tags(client, image, [f"{unique_repo}@sha256:" + "a" * 64])
    assert "has a digest" in str(digest.value)
    assert cli_tags(docker_engine, unique_repo) == before
    with pytest.raises(NotFound) as gone:
        apply_tags(client, "sha256:" + "0" * 64, [f"{unique_repo}:x"])
    assert "no longer exists" in str(gone.value)
    assert cli_tags(docker_engine, unique_repo) == before


# --- untagging ------------------------------------------------------------------------------

def test_untag_keeps_the_image_with_other_tags(docker_engine, client, made, unique_repo):
    image = made.image(f"{unique_repo}:v1")
    docker_engine.cli("tag", image, f"{unique_repo}:latest")
    plan = plan_untag(client, f"{unique_repo}:latest", image)
    assert plan.outcome is UntagOutcome.UNTAG and plan.keeps == (f"{unique_repo}:v1",)
    result = untag(client, f"{unique_repo}:latest", image)
    assert result.done and result.untagged == (f"{unique_repo}:latest",) and not result.image_deleted
    assert result.summary() == f"Removed the tag {unique_repo}:latest; image {image[7:19]} keeps {unique_repo}:v1."
    assert cli_tags(docker_engine, unique_repo) == {"v1": image}


def test_untagging_the_last_tag_removes_the_image_only_when_allowed(docker_engine, client, made, unique_repo):
    image = made.image(f"{unique_repo}:only")
    plan = plan_untag(client, f"{unique_repo}:only", image)
    assert plan.outcome is UntagOutcome.DELETES_IMAGE
    assert "removing the tag removes the image" in plan.describe()
    declined = untag(client, f"{unique_repo}:only", image)
    assert not declined.done and declined.summary().startswith("Nothing removed.")
    assert cli_tags(docker_engine, unique_repo) == {"only": image}
    removed = untag(client, f"{unique_repo}:only", image, delete_image=True)
    assert removed.done and removed.image_deleted
    assert removed.summary() == f"Removed image {image[7:19]} with its last tag {unique_repo}:only."
    assert not cli_exists(docker_engine, image)


def test_untagging_the_last_tag_of_an_image_in_use_is_refused(docker_engine, client, made, unique_repo):
    image = made.image(f"{unique_repo}:used")
    name = made.container(f"{unique_repo.replace('/', '-')}-user", image)
    plan = plan_untag(client, f"{unique_repo}:used", image)
    assert plan.outcome is UntagOutcome.IN_USE
    assert [c.name for c in plan.containers] == [name]
    assert f"stopped container {name}" in plan.describe()
    with pytest.raises(Conflict) as refused:
        untag(client, f"{unique_repo}:used", image, delete_image=True)
    assert name in str(refused.value)
    assert cli_tags(docker_engine, unique_repo) == {"used": image}


def test_untagging_the_last_tag_of_a_parent_keeps_it(docker_engine, client, made, unique_repo):
    parent = made.image(f"{unique_repo}:parent")
    child_ctx_line = f"FROM {unique_repo}:parent"
    child = docker_engine.build_busybox_image(f"{unique_repo}-child:1", [child_ctx_line, "RUN touch /child"])
    made.images.append(child)
    plan = plan_untag(client, f"{unique_repo}:parent", parent)
    assert plan.outcome is UntagOutcome.KEEPS_IMAGE and plan.children >= 1
    result = untag(client, f"{unique_repo}:parent", parent)
    assert result.done and not result.image_deleted and "listed with the intermediate images" in result.summary()
    assert cli_tags(docker_engine, unique_repo) == {}
    assert cli_exists(docker_engine, parent)  # still there, listed only with -a


def test_untag_of_a_moved_name_leaves_it_alone(docker_engine, client, made, unique_repo):
    a = made.image(f"{unique_repo}:x")
    b = made.image(f"{unique_repo}:y")
    docker_engine.cli("tag", b, f"{unique_repo}:x")
    plan = plan_untag(client, f"{unique_repo}:x", a)
    assert plan.outcome is UntagOutcome.GONE and "now names image" in plan.reason
    result = untag(client, f"{unique_repo}:x", a, delete_image=True)
    assert not result.done
    assert cli_tags(docker_engine, unique_repo) == {"x": b, "y": b}
    assert cli_exists(docker_engine, a)


def test_untag_plan_with_digests():
    image = {"Id": "sha256:" + "1" * 64, "RepoTags": ["app:1"],
             "RepoDigests": ["app@sha256:" + "2" * 64, "reg.example/app@sha256:" + "3" * 64]}
    plan = make_untag_plan("app:1", image["Id"], [image], [])
    # the digest of the repository that loses its last tag goes; another repository's stays
    assert plan.outcome is UntagOutcome.UNTAG
    assert plan.keeps == ("reg.example/app@sha256:" + "3" * 64,)
    alone = {"Id": "sha256:" + "4" * 64, "RepoTags": ["app:2"], "RepoDigests": ["app@sha256:" + "5" * 64]}
    assert make_untag_plan("app:2", alone["Id"], [alone], []).outcome is UntagOutcome.DELETES_IMAGE
    assert make_untag_plan("docker.io/library/app:2", alone["Id"], [alone], []).reference == "app:2"


# --- what the engine has, for suggestions -------------------------------------------------------

def test_semver_suggestions_from_the_engines_tags(docker_engine, client, made, unique_repo):
    image = made.image(f"{unique_repo}:v1.0.0")
    for tag in ("v1.1.0", "v1.1", "latest", "nightly"):
        docker_engine.cli("tag", image, f"{unique_repo}:{tag}")
    index = load_tag_index(client)
    assert index.tags_of(unique_repo) == sorted(cli_tags(docker_engine, unique_repo))
    assert index.tags_of(f"docker.io/{unique_repo}") == index.tags_of(unique_repo)
    assert unique_repo in index.repositories()
    s = semver.suggest(index.tags_of(unique_repo))
    assert (s.patch, s.minor, s.major) == ("v1.1.1", "v1.2.0", "v2.0.0")
    assert semver.companion_tags(s.minor) == ["v1.2", "v1"]


def test_index_from_api_is_pure():
    index = index_from_api([
        {"Id": "sha256:a", "RepoTags": ["x:1", "localhost:5000/x:2"], "ParentId": ""},
        {"Id": "sha256:b", "RepoTags": ["<none>:<none>"], "ParentId": "sha256:a"},
    ])
    assert index.holder("x:1") == "sha256:a" and index.holder("localhost:5000/x:2") == "sha256:a"
    assert index.children["sha256:a"] == 1
    assert index.references["sha256:b"] == ()
    assert index.repositories() == ["localhost:5000/x", "x"]
    assert index.tags_of("localhost:5000/x") == ["2"]
    assert index.tags_of("Not Valid") == []

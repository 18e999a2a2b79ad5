"""``/images/json`` items become the rows ``docker images`` prints (pure)."""

from collections import Counter

from PySide6.QtCore import Qt

from desktop.engine.images import NONE, rows_from_api

ID_A = "sha256:" + "a" * 64
ID_B = "sha256:" + "b" * 64
ID_C = "sha256:" + "c" * 64


def test_one_row_per_tag_and_none_for_untagged():
    items = [
        {"Id": ID_A, "RepoTags": ["app:1", "localhost:5000/team/app:1"], "RepoDigests": [], "Created": 10, "Size": 5},
        {"Id": ID_B, "RepoTags": None, "RepoDigests": None, "Created": 11, "Size": 6},
        {"Id": ID_C, "RepoTags": [], "RepoDigests": ["reg.io/x@sha256:" + "d" * 64], "Created": 12, "Size": 7},
    ]
    rows = rows_from_api(items, Counter({ID_A: 2}))
    assert [(r.repository, r.tag, r.id, r.containers) for r in rows] == [
        ("app", "1", ID_A, 2),
        ("localhost:5000/team/app", "1", ID_A, 2),
        (NONE, NONE, ID_B, 0),
        ("reg.io/x", NONE, ID_C, 0),
    ]
    assert rows[2].dangling and not rows[3].dangling
    assert rows[3].reference == "reg.io/x@sha256:" + "d" * 64
    assert rows[0].reference == "app:1" and rows[2].reference == "b" * 12


def test_registry_port_is_not_a_tag():
    rows = rows_from_api([{"Id": ID_A, "RepoTags": ["localhost:5000/app:v1"], "Created": 1, "Size": 1}])
    assert (rows[0].repository, rows[0].tag) == ("localhost:5000/app", "v1")


def test_untagged_rows_say_whether_they_are_intermediate_layers_or_dangling():
    from desktop.models.images_model import ImagesModel

    items = [
        {"Id": ID_A, "RepoTags": ["app:1"], "ParentId": ID_B, "Created": 3, "Size": 5},
        {"Id": ID_B, "RepoTags": None, "ParentId": "", "Created": 2, "Size": 5},  # app:1 is built on it
        {"Id": ID_C, "RepoTags": ["<none>:<none>"], "ParentId": ID_B, "Created": 1, "Size": 5},  # left over
    ]
    rows = {r.id: r for r in rows_from_api(items)}
    assert [rows[i].untagged_kind for i in (ID_A, ID_B, ID_C)] == ["", "intermediate", "dangling"]
    model = ImagesModel()
    model.apply(list(rows.values()))
    shown = {}
    for n in range(model.rowCount()):
        index = model.index(n, ImagesModel.REPOSITORY)
        shown[model.row_at(n).id] = (index.data(), index.data(Qt.ItemDataRole.ToolTipRole))
    assert shown[ID_A] == ("app", "app")
    assert shown[ID_B][0] == "<none> (intermediate layer)" and "built on it" in shown[ID_B][1]
    assert shown[ID_C][0] == "<none> (dangling)" and "Prune" in shown[ID_C][1]
    assert "dangling" in model.filter_text(rows[ID_C]) and "intermediate" in model.filter_text(rows[ID_B])

"""scripts/validate.py: broken content fails with the file, the place and the attribute."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml
from helpers import content_copy

from contentkit.load import ROOT
from contentkit.validate import validate_all


@pytest.fixture
def repo(tmp_path):
    return content_copy(tmp_path / "repo")


def edit(path, old, new):
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


@pytest.mark.slow
def test_the_repository_is_valid():
    assert [str(p) for p in validate_all(ROOT)] == []


@pytest.mark.slow
def test_every_problem_is_reported_at_once_with_file_place_and_attribute(repo):
    rule = repo / "siem_rules" / "zoom-mass-user-deletion.yaml"
    # Panther's old mistake: wrong field case
    edit(rule, "(@ocsf.type_uid:300106 OR (@ocsf.type_uid:300404 @ocsf.entity.type:User))", "@Action:delete")
    other = repo / "siem_rules" / "zoom-owner-transfer.yaml"
    edit(other, "@zoom.role.to:Owner", "@ocsf.type_uid:300108 @zoom.role.to:Owner")
    third = repo / "siem_rules" / "zoom-self-escalation.yaml"
    edit(third, "{{@usr.email}}", "{{@usr.mail}}")
    problems = [str(p) for p in validate_all(repo)]
    assert any(
        p.startswith("siem_rules/zoom-mass-user-deletion.yaml: queries/0/query: attribute @Action is never produced")
        for p in problems
    ), problems
    assert any(
        "siem_rules/zoom-owner-transfer.yaml: queries/0/query: @ocsf.type_uid:300108 is never produced by the pipeline"
        in p
        for p in problems
    ), problems
    assert any("siem_rules/zoom-self-escalation.yaml: message: template variable {{@usr.mail}}" in p for p in problems)
    # the deletion rule can no longer fire: its own tests say so too
    assert any(p.startswith("siem_rules/zoom-mass-user-deletion.yaml: tests (") for p in problems)


@pytest.mark.slow
def test_changed_content_without_a_version_bump_fails_and_update_lock_bumps_it(repo):
    rule = repo / "siem_rules" / "zoom-user-created.yaml"
    version = yaml.safe_load(rule.read_text())["version"]  # the locked version (2 since pipeline 2.0.0)
    edit(rule, "name: Zoom user created", "name: Zoom user created by an admin or SCIM")
    problems = [str(p) for p in validate_all(repo)]
    assert any(
        f"siem_rules/zoom-user-created.yaml: version: content changed since version {version}" in p for p in problems
    ), problems
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build.py"), "--update-lock", "--root", str(repo)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert f"rule zoom-user-created: version {version} -> {version + 1}" in result.stdout
    assert yaml.safe_load(rule.read_text())["version"] == version + 1
    assert validate_all(repo) == []


@pytest.mark.slow
def test_pipeline_change_needs_a_version_bump_and_limits_are_checked(repo):
    pipeline = repo / "pipelines" / "zoom_activity_logs" / "pipeline.yaml"
    edit(
        pipeline,
        "name: Build a readable summary\n          is_enabled: true",
        "name: Build a readable summary\n          is_enabled: false",
    )
    problems = [str(p) for p in validate_all(repo)]
    assert any(
        "pipelines/zoom_activity_logs/pipeline.yaml: definition/processors/1" in p and "is_enabled is not true" in p
        for p in problems
    ), problems
    assert any("content changed since version" in p and "pipeline.yaml" in p for p in problems)
    assert any(p.startswith("pipelines/zoom_activity_logs/tests.yaml: samples/") for p in problems)


@pytest.mark.slow
def test_validate_script_exit_codes(repo):
    ok = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "validate.py"), "--root", str(repo)], capture_output=True, text=True
    )
    assert ok.returncode == 0 and "all content is valid" in ok.stdout
    edit(repo / "siem_rules" / "zoom-user-created.yaml", "@ocsf.entity.type:User", "@ocsf.entity.type:Users")
    bad = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "validate.py"), "--root", str(repo)], capture_output=True, text=True
    )
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert "zoom-user-created.yaml: queries/0/query: @ocsf.entity.type:Users is never produced" in bad.stderr


@pytest.mark.parametrize(
    "script", ["validate.py", "build.py", "push_rules.py", "push_pipelines.py", "push_dashboards.py"]
)
def test_script_help_says_the_whole_first_paragraph(script):
    import ast

    path = ROOT / "scripts" / script
    first = " ".join(ast.get_docstring(ast.parse(path.read_text())).split("\n\n")[0].split())
    shown = subprocess.run([sys.executable, str(path), "--help"], capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0
    assert first.endswith(".") and first in " ".join(shown.stdout.split())


UNREADABLE = {
    "empty": (b"", "empty (no YAML document, or only comments or null)"),
    "comments only": (b"# a rule will go here\n", "empty (no YAML document, or only comments or null)"),
    "null": (b"null\n", "empty (no YAML document, or only comments or null)"),
    "binary": (b"\x00\x01\x02rule\xff", "a binary file, not text"),
    "not UTF-8": (b"id: zoom-user-created\nname: caf\xe9\n", "not UTF-8 text (byte 31)"),
}


def scripts_on(root, *extra):
    """validate.py, build.py --out and push_rules.py --prune on this content, as a user runs them."""
    env = {"DD_API_KEY": "k", "DD_APP_KEY": "a", "PATH": "/usr/bin:/bin"}
    run = [
        subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "validate.py"), "--root", str(root)],
            capture_output=True,
            text=True,
            timeout=120,
        ),
        subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "build.py"), "--root", str(root), "--out", str(root / "out")],
            capture_output=True,
            text=True,
            timeout=120,
        ),
        # nothing listens there: a request would fail with another message
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "scripts" / "push_rules.py"),
                "--root",
                str(root),
                "--prune",
                "--api-url",
                "http://127.0.0.1:9",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        ),
    ]
    for result in run:
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert not (root / "out").exists()  # no payload written, broken or not
    return [[line for line in r.stderr.splitlines() if line.startswith("error: ")] for r in run]


@pytest.mark.slow  # runs validate, build and every push script per file
@pytest.mark.parametrize("kind", sorted(UNREADABLE))
def test_an_unreadable_rule_file_is_an_error_naming_it_everywhere(repo, kind):
    content, message = UNREADABLE[kind]
    (repo / "siem_rules" / "zoom-user-created.yaml").write_bytes(content)
    validate, build, push = scripts_on(repo)
    assert f"error: siem_rules/zoom-user-created.yaml: {message}" in validate
    assert build == validate == push  # the same one-line errors whichever script meets them


@pytest.mark.slow  # runs validate, build and every push script per case
@pytest.mark.parametrize(
    "old,new,needle",
    [
        ("@ocsf.type_uid:300101", "@ocsf.type_uid:(300101", "queries/0/query"),
        ("@ocsf.type_uid:300101", "@ocsf.tpye_uid:300101", "attribute @ocsf.tpye_uid is never produced"),
        ("condition: a > 0", "condition: b > 0", "no query named 'b'"),
    ],
)
def test_a_bad_query_or_condition_fails_build_and_push_like_validate(repo, old, new, needle):
    edit(repo / "siem_rules" / "zoom-user-created.yaml", old, new)
    validate, build, push = scripts_on(repo)
    assert any(line.startswith("error: siem_rules/zoom-user-created.yaml: ") and needle in line for line in validate), (
        validate
    )
    assert build == validate == push


@pytest.mark.slow
def test_a_stray_file_and_an_empty_pack_are_errors(repo):
    (repo / "siem_rules" / "zoom-new-rule.yml").write_text("id: zoom-new-rule\n")
    assert (
        "error: siem_rules/zoom-new-rule.yml: not a rule file: each rule is siem_rules/<id>.yaml" in scripts_on(repo)[0]
    )
    for path in (repo / "siem_rules").iterdir():
        path.unlink()
    assert any("siem_rules: no rules found" in line for line in scripts_on(repo)[2])

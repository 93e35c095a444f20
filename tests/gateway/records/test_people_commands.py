"""`healthaid cadres add` and `healthaid campaigns add`."""

import pytest
from sqlalchemy.orm import Session

from healthaid.cli import main
from registry import cadres, campaigns

pytestmark = pytest.mark.usefixtures("cli_database")


@pytest.fixture
def cli_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("HEALTHAID_DATABASE_URL", database_url)
    return database_url


def test_a_cadre_is_added_with_the_password_from_the_environment(
    session: Session, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HEALTHAID_CADRE_PASSWORD", "a long enough password")

    code = main(
        [
            "cadres",
            "add",
            "li",
            "--name",
            "李村医",
            "--region",
            "guyang",
            "--village",
            "东河村",
            "--village",
            "西河村",
        ]
    )

    assert code == 0, capsys.readouterr().err
    cadre = cadres.authenticate(session, "li", "a long enough password")
    assert cadre is not None and cadre.role == "cadre"
    assert cadre.village_names == ["东河村", "西河村"]
    assert "a long enough password" not in capsys.readouterr().out


def test_an_admin_needs_no_village_and_a_username_is_taken_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HEALTHAID_CADRE_PASSWORD", "a long enough password")
    args = ["cadres", "add", "wang", "--name", "王", "--region", "nantong", "--admin"]

    assert main(args) == 0
    assert main(args) == 1
    assert "已存在" in capsys.readouterr().err


def test_no_password_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("HEALTHAID_CADRE_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)

    code = main(
        ["cadres", "add", "li", "--name", "李", "--region", "guyang", "--village", "东河村"]
    )

    assert code == 1
    assert "HEALTHAID_CADRE_PASSWORD" in capsys.readouterr().err


def test_a_campaign_is_added_and_its_keyword_and_scene_stay_unique(
    session: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    first = [
        "campaigns",
        "add",
        "gy2024",
        "--name",
        "固阳宣传",
        "--topic",
        "treat_first",
        "--region",
        "guyang",
        "--wechat-scene",
        "gy",
        "--sms-keyword",
        "gy",
    ]
    clash = [
        "campaigns",
        "add",
        "gy2025",
        "--name",
        "又一个",
        "--topic",
        "premium",
        "--region",
        "guyang",
        "--sms-keyword",
        "GY",
    ]

    assert main(first) == 0
    assert main(clash) == 1

    assert "短信关键词" in capsys.readouterr().err
    campaign = campaigns.by_code(session, "gy2024")
    assert campaign is not None and campaign.sms_keyword == "GY" and campaign.wechat_scene == "gy"

"""What docs/deploy.md hands a county: the systemd units pass `systemd-analyze verify`, and the
documentation's YAML is valid and matches the template it was rendered from."""

import re
import shutil
import subprocess

import pytest
import yaml

from healthaid.stack import ENDPOINT_TEMPLATES, ROOT
from healthaid.templates import render_yaml

DEPLOY_DOC = ROOT / "docs" / "deploy.md"


def _yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", DEPLOY_DOC.read_text(encoding="utf-8"), re.DOTALL)


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze is not installed (Debian's systemd package)",
)
def test_the_systemd_units_pass_systemd_analyze_verify() -> None:
    done = subprocess.run(
        [ROOT / "scripts" / "verify-units.sh"], capture_output=True, text=True, check=False
    )

    assert done.returncode == 0, done.stderr
    assert "6 units verified" in done.stdout


def test_every_yaml_block_of_the_deployment_guide_parses() -> None:
    blocks = _yaml_blocks()

    for block in blocks:
        assert list(yaml.safe_load_all(block)), block
    assert len(blocks) >= 2


def test_the_guides_endpoints_file_is_the_production_template_filled_in() -> None:
    documented = next(block for block in _yaml_blocks() if "tracker_store" in block)
    county = {
        "ACTION_WEBHOOK": "http://127.0.0.1:5055/webhook",
        "TRACKER_HOST": "127.0.0.1",
        "TRACKER_PORT": 5432,
        "TRACKER_DB": "rasa",
        "TRACKER_USER": "healthaid",
        "TRACKER_PASSWORD": "<password>",
        "LOCK_HOST": "127.0.0.1",
        "LOCK_PORT": 6379,
        "LOCK_DB": 1,
        "LOCK_PASSWORD": None,
        "LOCK_KEY_PREFIX": "healthaid",
    }

    rendered = render_yaml(ENDPOINT_TEMPLATES / "production.yml.tmpl", county)

    assert yaml.safe_load(documented) == yaml.safe_load(rendered)

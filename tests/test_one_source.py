"""The region and topic lists have one source each, and everything else is checked against it:
regions are policies/rules/<key>.yaml (settlement/regions.py), topics are actions.answers.Topic.
A region or topic named in the domain, the stories, the NLU data or the words files must exist
there, and every region must have its answers and its words."""

import re
from pathlib import Path

import yaml

from actions.answers import Topic
from settlement.identifiers import Region
from settlement.regions import policies_dir
from settlement.schema import SPECS
from settlement.topics import topic_title, topic_titles

ROOT = Path(__file__).resolve().parent.parent
REGION_VALUE = re.compile(r'"region"\s*:\s*"([a-z]+)"|\bregion:[ \t]*([a-z]+)\b')


def _yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_the_regions_are_the_rules_files() -> None:
    files = {p.stem for p in (policies_dir() / "rules").glob("*.yaml")} - {"national"}
    assert {region.value for region in Region.all()} == files


def test_every_region_has_answers_and_words() -> None:
    for region in Region.all():
        assert (policies_dir() / "answers" / f"{region}.yaml").is_file(), region
        words = _yaml(policies_dir() / "words" / f"{region}.yaml")
        assert words["region"] == region.value
        assert words["names"], region


def test_the_domain_and_the_stories_name_only_regions_of_policies() -> None:
    known = {region.value for region in Region.all()}
    for path in [ROOT / "bot" / "domain.yml", *sorted((ROOT / "bot" / "data").glob("*.yml"))]:
        named = {a or b for a, b in REGION_VALUE.findall(path.read_text(encoding="utf-8"))}
        assert named <= known, (path.name, named - known)
    # The region slot is free text: a categorical slot would list the regions a second time.
    assert _yaml(ROOT / "bot" / "domain.yml")["slots"]["region"]["type"] == "text"


def test_the_nlu_lookup_of_region_names_holds_only_words_of_policies() -> None:
    words: dict[str, str] = {}
    for path in (policies_dir() / "words").glob("*.yaml"):
        if path.name != "common.yaml":
            data = _yaml(path)
            for word in [*data.get("names", []), *data.get("places", [])]:
                words[word] = data["region"]
    lookups = [
        item
        for path in (ROOT / "data" / "nlu").glob("*.yml")
        for item in _yaml(path).get("nlu", [])
        if item.get("lookup") == "region_names"
    ]
    listed = {line[2:].strip() for item in lookups for line in item["examples"].splitlines()}
    listed.discard("")
    assert listed, "data/nlu has no region_names lookup"
    assert listed <= set(words), sorted(listed - set(words))
    # Each region is in the lookup by at least one name.
    assert {words[word] for word in listed} == {region.value for region in Region.all()}


def test_the_domain_intents_and_the_topics_agree() -> None:
    domain = _yaml(ROOT / "bot" / "domain.yml")
    asked = {
        i[len("ask_") :] for i in domain["intents"] if isinstance(i, str) and i.startswith("ask_")
    }
    asked.discard("detail")  # 「详细」: the estimate's working, not a topic
    topics = {topic.value for topic in Topic}
    assert asked <= topics, asked - topics
    # Topics without an intent of their own are answered by cue words (policies/words).
    cued = set(_yaml(policies_dir() / "words" / "common.yaml")["topics"])
    assert topics - asked <= cued, (topics - asked) - cued


def test_every_answers_file_answers_every_topic() -> None:
    for path in (policies_dir() / "answers").glob("*.yaml"):
        assert set(_yaml(path)["topics"]) == {topic.value for topic in Topic}, path.name


def test_no_code_names_a_region() -> None:
    # A new region touches policies/ and NLU data only: code, comments and templates of the
    # actions, the settlement core and the gateway name no region, by key or by any of its names.
    names: set[str] = set()
    for region in Region.all():
        names |= {region.value, region.display, region.short}
        names |= set(_yaml(policies_dir() / "words" / f"{region}.yaml")["names"])
    found = []
    for package in ("actions", "settlement", "gateway"):
        for path in sorted((ROOT / package).rglob("*")):
            if path.suffix not in {".py", ".html", ".js", ".css"}:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                found += [f"{path.relative_to(ROOT)}:{number}: {n}" for n in names if n in line]
    assert found == []


def test_the_guide_for_a_new_region_lists_every_parameter_and_topic() -> None:
    guide = (ROOT / "docs" / "adding-a-region.md").read_text(encoding="utf-8")
    for name, spec in SPECS.items():
        assert f"| `{name}` | {spec.unit.value} |" in guide, name
    for topic in Topic:
        assert f"`{topic.value}`" in guide, topic


def test_every_topic_has_a_chinese_name_and_only_topics_have_one() -> None:
    titles = topic_titles()

    assert set(titles) == {topic.value for topic in Topic}
    assert all(re.search(r"[\u4e00-\u9fff]", title) for title in titles.values()), titles
    assert topic_title("treat_first") == "先诊疗后付费"
    # A key recorded before its topic was removed is shown as it is, not refused.
    assert topic_title("retired_topic") == "retired_topic"

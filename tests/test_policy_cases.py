"""The YAML policy cases (policies/cases/*.yaml), one pytest test per case.

Cases are collected by `pytest_generate_tests` (at collection, not at import) with the same
loader and checker as `healthaid policies check`, so both report the same failures:
file → case name → field.
"""

from collections import Counter

import pytest

from settlement.cases import LoadedCase, check_case, default_cases_dir, load_cases
from settlement.identifiers import Region
from settlement.policy import PolicySet, load_policies

MIN_CASES_PER_REGION = 12


def _case_id(loaded: LoadedCase) -> str:
    return f"{loaded.file}::{loaded.case.name}"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "policy_case" in metafunc.fixturenames:
        cases = load_cases(default_cases_dir())
        metafunc.parametrize("policy_case", cases, ids=[_case_id(c) for c in cases])


@pytest.fixture(scope="module")
def policies() -> PolicySet:
    return load_policies()


def test_policy_case(policy_case: LoadedCase, policies: PolicySet) -> None:
    problems = check_case(policy_case, policies)

    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.mark.parametrize("region", [region.value for region in Region.all()])
def test_region_has_enough_cases(region: str) -> None:
    counts = Counter(loaded.file for loaded in load_cases(default_cases_dir()))

    assert counts[f"{region}.yaml"] >= MIN_CASES_PER_REGION, (
        f"policies/cases/{region}.yaml has {counts[f'{region}.yaml']} cases, "
        f"at least {MIN_CASES_PER_REGION} expected"
    )

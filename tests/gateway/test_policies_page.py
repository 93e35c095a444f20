"""GET /policies and /policies/{region}: public pages listing every rule with its source."""

import re
from datetime import date

import httpx
import pytest
from markupsafe import escape

from settlement.listing import known_regions, policy_listing
from settlement.policy import default_policies

pytestmark = pytest.mark.anyio
HTML = {"Accept": "text/html"}


async def test_the_index_lists_every_region_by_its_chinese_name_without_sign_in(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/policies", headers=HTML)

    assert page.status_code == 200
    assert "未登录" in page.text  # public: no redirect to /login
    for code, name in known_regions(default_policies()):
        assert f'<a href="/policies/{code}">{name}</a>' in page.text
    assert "healthaid_session" not in page.headers.get("set-cookie", "")


@pytest.mark.parametrize("region", [code for code, _ in known_regions(default_policies())])
async def test_a_region_page_shows_every_parameter_with_value_dates_and_provenance(
    client: httpx.AsyncClient, region: str
) -> None:
    day = date(2024, 5, 1)
    listing = policy_listing(default_policies(), region, day)

    page = await client.get(f"/policies/{region}", params={"date": day.isoformat()})

    assert page.status_code == 200
    html = page.text
    assert f"{listing.name}健康帮扶政策" in html
    for group in listing.groups:
        assert f'id="{group.key}-title">{group.name}</h2>' in html
        for p in group.parameters:
            assert f'id="{p.name}"' in html
            assert str(escape(p.description)) in html
            for label, text in p.rows:
                assert f"<dt>{escape(label)}</dt><dd>{escape(text)}</dd>" in html, p.name
            if not p.rows:
                assert f'<p class="value">{escape(p.text)}</p>' in html, p.name
            assert f"施行：{p.period}" in html
            if p.reference:
                assert str(escape(p.reference.text)) in html
                assert str(escape(p.reference.label)) in html
            if p.source:
                assert str(escape(p.source.title)) in html
            if p.estimated:
                assert str(escape(p.reason or "")) in html
    # one 「估算」 badge per estimated figure, besides the one in the summary line
    assert html.count('<span class="badge">估算</span>') == 1 + 2 * listing.estimated_count


async def test_groups_appear_in_settlement_order(client: httpx.AsyncClient) -> None:
    page = await client.get("/policies/guyang", params={"date": "2024-05-01"})

    titles = re.findall(r'<h2 id="[a-z_]+-title">([^<]+)</h2>', page.text)
    assert titles == ["适用对象", "基本医疗保险", "大病保险", "医疗救助", "商业补充保险",
                      "医疗扶贫救助基金", "综合规定"]  # fmt: skip


async def test_the_estimate_mark_carries_its_reason_and_the_clause_is_quoted(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/policies/guyang", params={"date": "2024-05-01"})

    html = page.text
    assert "由70%提高到80%" in html  # 五（三）3 in the document's own words
    assert "《固阳县贫困人口医疗救助实施方案》（2017年）五（三）3" in html
    cap = html[html.index('id="basic_insurance.inpatient.deductible"') :]
    cap = cap[: cap.index("</article>")]
    assert '<span class="badge">估算</span>' in cap and "乌兰察布" in cap


async def test_the_date_decides_what_is_shown(client: httpx.AsyncClient) -> None:
    before = await client.get("/policies/yancheng", params={"date": "2021-10-31"})
    during = await client.get("/policies/yancheng", params={"date": "2025-06-01"})

    assert before.status_code == 200 and "这一天还没有施行的规定" in before.text
    assert "施行：2021-11-01至2025-12-31" in during.text
    assert 'value="2025-06-01"' in during.text


async def test_without_a_date_the_page_shows_today(client: httpx.AsyncClient) -> None:
    page = await client.get("/policies/nantong")

    assert page.status_code == 200
    assert f'value="{date.today().isoformat()}"' in page.text


async def test_an_unknown_region_is_the_not_found_page(client: httpx.AsyncClient) -> None:
    page = await client.get("/policies/beijing", headers=HTML)

    assert page.status_code == 404
    assert "没有这个地区的政策" in page.text
    assert '<a href="/policies">' in page.text


@pytest.mark.parametrize("bad", ["2024-02-30", "2024/05/01", "明天", "x" * 300])
async def test_a_bad_date_is_a_polite_400_with_the_date_form(
    client: httpx.AsyncClient, bad: str
) -> None:
    page = await client.get("/policies/guyang", params={"date": bad}, headers=HTML)

    assert page.status_code == 400
    assert "抱歉，无法查看这一天的政策" in page.text
    assert "例如2024-05-01" in page.text
    assert '<input id="date" name="date" type="date"' in page.text
    assert "x" * 30 not in page.text  # a long input is not echoed whole


async def test_the_widget_links_to_the_policies(client: httpx.AsyncClient) -> None:
    page = await client.get("/chat")

    assert '<a id="policies-link" href="/policies">查看各地政策原文</a>' in page.text

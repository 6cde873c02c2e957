"""JUnit XML: read back by junitparser, a real consumer; a case per rule, a failure per violation."""

from __future__ import annotations

from pathlib import Path

from junitparser import Failure, JUnitXml

from checker.outputs import render


def test_junit_parses_with_a_case_per_rule_and_a_failure_per_new_violation(
    scenario: tuple, tmp_path: Path
) -> None:
    result, options = scenario
    path = tmp_path / "report.xml"
    path.write_text(render("junit", result, options), "utf-8")
    xml = JUnitXml.fromfile(str(path))
    (suite,) = list(xml)
    cases = {case.name: case for case in suite}
    assert sorted(cases) == sorted({p.id for p in result.policies})
    assert int(suite.tests) == len(cases) and int(suite.failures) == 2
    early = [r for r in cases["aliexpress.affiliate.early-exit"].result if isinstance(r, Failure)]
    assert len(early) == 1 and early[0].type == "high"  # x3; x1 is baselined, x2 waived
    assert "s\\x1b[31m" in early[0].text  # a control character cannot break the XML
    assert "baselined: x1" in cases["aliexpress.affiliate.early-exit"].system_out
    assert "waived: x2" in cases["aliexpress.affiliate.early-exit"].system_out
    close = cases["taobao.affiliate.close-without-reason"].result
    assert [r.type for r in close] == ["low"]  # its waiver expired: the finding counts again
    assert cases["juhuasuan.late-deposit"].is_passed

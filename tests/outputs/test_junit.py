"""JUnit XML: read back by junitparser, a real consumer; a case per rule, a failure per violation."""

from __future__ import annotations

from pathlib import Path

from junitparser import Failure, JUnitXml, Skipped

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
    # only early-exit fails: close-without-reason's finding is low, below --fail-on medium
    assert int(suite.tests) == len(cases) and int(suite.failures) == 1 and int(suite.skipped) == 1
    early = [r for r in cases["aliexpress.affiliate.early-exit"].result if isinstance(r, Failure)]
    assert len(early) == 1 and early[0].type == "high"  # x3; x1 is baselined, x2 waived
    assert "s\\x1b[31m" in early[0].text  # a control character cannot break the XML
    skipped = [r for r in cases["aliexpress.affiliate.early-exit"].result if isinstance(r, Skipped)]
    assert sorted(r.message.split(":")[0] for r in skipped) == ["baselined", "waived"]
    assert "baselined: x1" in cases["aliexpress.affiliate.early-exit"].system_out
    assert "waived: x2" in cases["aliexpress.affiliate.early-exit"].system_out
    close = cases["taobao.affiliate.close-without-reason"]
    # its waiver expired, so the finding is new again, but below the gate: skipped, saying why
    assert [type(r) for r in close.result] == [Skipped] and close.is_skipped
    assert close.result[0].message.startswith("below --fail-on medium: ")
    assert cases["juhuasuan.late-deposit"].is_passed

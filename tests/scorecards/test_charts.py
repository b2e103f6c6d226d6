"""The SVG charts are images a screen reader can name and a printer can print: parsed as XML
they hold one marker per week with a value, a distinct shape for out-of-control weeks, no
script and no external reference, and labels escaped."""

import xml.etree.ElementTree as ET

import pytest

from scorecards.charts import SeriesPoint, p_chart_svg, trend_chart

WEEKS = [f"2026-W{w:02d}" for w in range(3, 15)]


def weekly(values):
    return [
        SeriesPoint(label, v, None if v is None else v - 0.03, None if v is None else v + 0.02)
        for label, v in zip(WEEKS, values, strict=True)
    ]


ACCURACY = [0.95, 0.94, None, 0.96, 0.93, 0.95, 0.97, 0.94, None, 0.95, 0.96, 0.95]


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == "svg"
    return root


def markers(root: ET.Element, cls: str) -> list[ET.Element]:
    return [e for e in root.iter() if cls in (e.get("class") or "").split()]


def assert_accessible_and_self_contained(svg: str, root: ET.Element) -> None:
    assert root.get("role") == "img" and root.get("aria-label")
    assert root.get("viewBox") == "0 0 720 280"
    assert root.find("title") is not None and root.find("title").text
    assert "http" not in svg and "href" not in svg and "url(" not in svg
    assert not [e for e in root.iter() if e.tag in ("script", "foreignObject", "image")]
    assert not [name for e in root.iter() for name in e.attrib if name.startswith("on")]


def test_the_trend_chart_has_one_point_per_week_with_a_value_and_breaks_at_gaps():
    svg = trend_chart(weekly(ACCURACY))
    root = parse(svg)

    assert_accessible_and_self_contained(svg, root)
    assert len(markers(root, "point")) == 10
    assert len(markers(root, "gap")) == 2
    # Gaps split the line (and its band) into three runs: W03–W04, W06–W10, W12–W14.
    assert len([e for e in markers(root, "line") if e.tag == "path"]) == 3
    assert len(markers(root, "band")) == 3
    assert "latest accuracy 2026-W14: 95.0%" in root.get("aria-label")


def test_the_y_axis_zooms_to_the_data_but_stays_within_0_and_100_percent():
    root = parse(trend_chart(weekly(ACCURACY)))
    ticks = [e.text for e in root.iter("text") if e.text and e.text.endswith("%")]
    values = [float(t.rstrip(" %")) for t in ticks]
    assert min(values) >= 80 and max(values) <= 100

    wide = parse(trend_chart([SeriesPoint("W1", 0.02, 0.0, 0.1), SeriesPoint("W2", 0.9, 0.8, 1.0)]))
    values = [float(e.text.rstrip(" %")) for e in wide.iter("text") if e.text.endswith("%")]
    assert min(values) == 0 and max(values) == 100


def test_out_of_control_weeks_are_triangles_not_just_another_colour():
    errors = [
        SeriesPoint(label, v)
        for label, v in zip(
            WEEKS,
            [0.05, 0.06, None, 0.04, 0.05, 0.3, 0.05, 0.06, 0.04, 0.05, 0.05, 0.0],
            strict=True,
        )
    ]
    ucl = [None if p.value is None else 0.15 for p in errors]
    lcl = [None if p.value is None else 0.01 for p in errors]
    flagged = [label in ("2026-W08", "2026-W14") for label in WEEKS]
    svg = p_chart_svg(errors, 0.06, lcl, ucl, flagged)
    root = parse(svg)

    assert_accessible_and_self_contained(svg, root)
    flagged_markers = markers(root, "flagged")
    assert len(flagged_markers) == 2
    assert {e.tag for e in flagged_markers} == {"path"}  # triangles
    assert {e.tag for e in markers(root, "point")} - {"path"} == {"circle"}
    assert len(markers(root, "point")) == 11
    assert [e.find("title").text.split(":")[0] for e in flagged_markers] == ["2026-W08", "2026-W14"]
    assert len(markers(root, "center-line")) == 1
    # The limits step per week and break around the week without audits.
    assert len(markers(root, "ucl")) == 2 and len(markers(root, "lcl")) == 2
    assert "2 out of control: 2026-W08, 2026-W14" in root.get("aria-label")


def test_labels_are_escaped():
    points = [
        SeriesPoint('<script>alert("x")</script>', 0.9, 0.8, 0.95),
        SeriesPoint("W & W", 0.91, 0.85, 0.96),
    ]
    svg = trend_chart(points, title="Acme <b>")
    root = parse(svg)
    assert "<script>" not in svg and not list(root.iter("script"))
    assert root.find("title").text == "Acme <b>"


def test_a_p_chart_needs_parallel_limits():
    with pytest.raises(ValueError):
        p_chart_svg(weekly(ACCURACY), 0.05, [0.1], [0.2], [False])


def test_an_empty_chart_is_still_a_valid_image():
    root = parse(trend_chart([]))
    assert root.get("role") == "img" and not markers(root, "point")
    assert "no week out of control" in parse(p_chart_svg([], None, [], [], [])).get("aria-label")

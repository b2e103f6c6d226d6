"""ISO 2859-1 AQL plans: every cell of Table 1 and of Table 2-A, checked through code_letter and
aql_plan (issue 13).

ISO 2859-1:1999 Table 2-A is ANSI/ASQ Z1.4-2008 Table II-A and MIL-STD-105E Table II-A. The
tables below were transcribed from two published R packages, independent of each other and of
sampling._aql, which agree in every cell:

- AQLSchemes 1.7-2 (J. Lawson; repository cran/AQLSchemes, file R/AAZ14Single.R): the matrix
  SSCodeLetters is Table 1; ANSIASQSingleNormalss, ...Normalac and ...Normalre give for each code
  letter and AQL the plan the standard has you use, arrows already followed: n, Ac and Re.
- Planesmuestra 0.1 (E. Marroquin, after Montgomery, Introduction to Statistical Quality Control;
  repository cran/Planesmuestra, files data/code_letter.rda for Table 1 and
  data/milstd105eplans.rda, inspection type "n", for the Ac of every letter and AQL).

TABLE_2A is the table as printed, recovered from AQLSchemes: a cell is a plan where AQLSchemes
keeps the letter's own sample size, otherwise an arrow pointing towards the letter whose plan it
uses. Following the arrows one row at a time gives back AQLSchemes' n, Ac and Re in all 416
cells, and Planesmuestra's Ac in all 416.
"""

import pytest

from sampling.stats import aql_plan, code_letter

LEVELS = ("S-1", "S-2", "S-3", "S-4", "I", "II", "III")
LARGEST_LOT = 10**9  # stands for "500 001 and over"

# Table 1, row by row as printed: the lot size range, then the letters for the seven levels.
TABLE_1 = [
    (2, 8, "AAAAAAB"),
    (9, 15, "AAAAABC"),
    (16, 25, "AABBBCD"),
    (26, 50, "ABBCCDE"),
    (51, 90, "BBCCCEF"),
    (91, 150, "BBCDDFG"),
    (151, 280, "BCDEEGH"),
    (281, 500, "BCDEFHJ"),
    (501, 1200, "CCEFGJK"),
    (1201, 3200, "CDEGHKL"),
    (3201, 10000, "CDFGJLM"),
    (10001, 35000, "CDFHKMN"),
    (35001, 150000, "DEGJLNP"),
    (150001, 500000, "DEGJMPQ"),
    (500001, LARGEST_LOT, "DEHKNQR"),
]

# Table 2-A (single sampling, normal inspection), letter by letter: the sample size, then per AQL
# "Ac/Re" or an arrow (↓ use the first plan below, ↑ the first plan above).
TABLE_2A = """
    n     0.010 0.015 0.025 0.040 0.065 0.10  0.15  0.25  0.40  0.65  1.0   1.5   2.5   4.0   6.5   10    15    25    40    65    100   150   250   400   650   1000
A   2     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     0/1   ↓     ↓     1/2   2/3   3/4   5/6   7/8   10/11 14/15 21/22 30/31
B   3     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     0/1   ↑     ↓     1/2   2/3   3/4   5/6   7/8   10/11 14/15 21/22 30/31 44/45
C   5     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     0/1   ↑     ↓     1/2   2/3   3/4   5/6   7/8   10/11 14/15 21/22 30/31 44/45 ↑
D   8     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     0/1   ↑     ↓     1/2   2/3   3/4   5/6   7/8   10/11 14/15 21/22 30/31 44/45 ↑     ↑
E   13    ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     0/1   ↑     ↓     1/2   2/3   3/4   5/6   7/8   10/11 14/15 21/22 30/31 44/45 ↑     ↑     ↑
F   20    ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     0/1   ↑     ↓     1/2   2/3   3/4   5/6   7/8   10/11 14/15 21/22 ↑     ↑     ↑     ↑     ↑     ↑
G   32    ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     0/1   ↑     ↓     1/2   2/3   3/4   5/6   7/8   10/11 14/15 21/22 ↑     ↑     ↑     ↑     ↑     ↑     ↑
H   50    ↓     ↓     ↓     ↓     ↓     ↓     ↓     0/1   ↑     ↓     1/2   2/3   3/4   5/6   7/8   10/11 14/15 21/22 ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑
J   80    ↓     ↓     ↓     ↓     ↓     ↓     0/1   ↑     ↓     1/2   2/3   3/4   5/6   7/8   10/11 14/15 21/22 ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑
K   125   ↓     ↓     ↓     ↓     ↓     0/1   ↑     ↓     1/2   2/3   3/4   5/6   7/8   10/11 14/15 21/22 ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑
L   200   ↓     ↓     ↓     ↓     0/1   ↑     ↓     1/2   2/3   3/4   5/6   7/8   10/11 14/15 21/22 ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑
M   315   ↓     ↓     ↓     0/1   ↑     ↓     1/2   2/3   3/4   5/6   7/8   10/11 14/15 21/22 ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑
N   500   ↓     ↓     0/1   ↑     ↓     1/2   2/3   3/4   5/6   7/8   10/11 14/15 21/22 ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑
P   800   ↓     0/1   ↑     ↓     1/2   2/3   3/4   5/6   7/8   10/11 14/15 21/22 ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑
Q   1250  0/1   ↑     ↓     1/2   2/3   3/4   5/6   7/8   10/11 14/15 21/22 ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑
R   2000  ↑     ↑     1/2   2/3   3/4   5/6   7/8   10/11 14/15 21/22 ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑
"""  # noqa: E501

_HEADER, *_ROWS = TABLE_2A.strip().splitlines()
AQLS = [float(value) for value in _HEADER.split()[1:]]
LETTERS = [row.split()[0] for row in _ROWS]
SAMPLE_SIZE = {row.split()[0]: int(row.split()[1]) for row in _ROWS}
CELL = {
    (row.split()[0], aql): cell
    for row in _ROWS
    for aql, cell in zip(AQLS, row.split()[2:], strict=True)
}


def plan_used(letter, aql):
    """Follow TABLE_2A's arrows from (letter, aql) to the plan: (letter, n, Ac, Re)."""
    while CELL[letter, aql] in ("↓", "↑"):
        letter = LETTERS[LETTERS.index(letter) + (1 if CELL[letter, aql] == "↓" else -1)]
    ac, re = map(int, CELL[letter, aql].split("/"))
    return letter, SAMPLE_SIZE[letter], ac, re


def expected_plan(lot_size, letter, aql):
    """The plan for a lot with this code letter; a sample as large as the lot means 100 %."""
    used, n, ac, re = plan_used(letter, aql)
    return used, min(n, lot_size), ac, re


def test_the_transcription_is_whole():
    assert len(AQLS) == 26 and len(LETTERS) == 16 and len(CELL) == 16 * 26
    assert LETTERS == list("ABCDEFGHJKLMNPQR")
    assert {letter for *_, letters in TABLE_1 for letter in letters} == set(LETTERS)


@pytest.mark.parametrize(("low", "high", "letters"), TABLE_1, ids=lambda v: str(v))
def test_every_cell_of_table_1(low, high, letters):
    for level, letter in zip(LEVELS, letters, strict=True):
        assert (code_letter(low, level), code_letter(high, level)) == (letter, letter), level


@pytest.mark.parametrize("letter", "ABCDEFGHJKLMNPQR")
def test_every_cell_of_table_2a(letter):
    # The largest lot that gets this letter at some level, so that n is rarely capped.
    lot, level = max(
        (high, level)
        for _, high, letters in TABLE_1
        for level, row_letter in zip(LEVELS, letters, strict=True)
        if row_letter == letter
    )
    wrong = [
        (aql, got, expected)
        for aql in AQLS
        if (got := aql_plan(lot, aql, level)) != (expected := expected_plan(lot, letter, aql))
    ]
    assert wrong == []


@pytest.mark.parametrize(("low", "high", "letters"), TABLE_1, ids=lambda v: str(v))
def test_every_lot_size_row_level_and_aql(low, high, letters):
    for level, letter in zip(LEVELS, letters, strict=True):
        for lot in (low, high):
            for aql in AQLS:
                assert aql_plan(lot, aql, level) == expected_plan(lot, letter, aql), (lot, aql)


@pytest.mark.parametrize(
    ("lot", "aql", "level", "expected"),
    [
        # The cells an earlier diagonal encoding of the table got wrong (issue 13):
        # A at AQL 10 is a down arrow; with B's down arrow it leads to C's 1/2.
        (8, 10, "II", ("C", 5, 1, 2)),
        # E's row has 30/31 at 150 and 44/45 at 250, and the up arrows below lead there.
        (90, 150, "II", ("E", 13, 30, 31)),
        (90, 250, "II", ("E", 13, 44, 45)),
        (1000, 150, "II", ("E", 13, 30, 31)),
        (1000, 250, "II", ("E", 13, 44, 45)),
        # R at 0.015 is an up arrow; with Q's it leads to P's 0/1.
        (600_000, 0.015, "III", ("P", 800, 0, 1)),
        # Plans read directly from the table, no arrow involved.
        (1000, 1.0, "II", ("J", 80, 2, 3)),
        (1000, 2.5, "II", ("J", 80, 5, 6)),
        (1000, 0.65, "II", ("J", 80, 1, 2)),
        (500, 2.5, "II", ("H", 50, 3, 4)),
        (5000, 1.5, "II", ("L", 200, 7, 8)),
        (5000, 2.5, "III", ("M", 315, 14, 15)),
        (5, 6.5, "II", ("A", 2, 0, 1)),
        (12, 1000, "II", ("B", 3, 44, 45)),
        # Arrows: up from J at 0.25 to H's 0/1, down from J at 0.40 and at 0.10 to K.
        (1000, 0.25, "II", ("H", 50, 0, 1)),
        (1000, 0.40, "II", ("K", 125, 1, 2)),
        (1000, 0.10, "II", ("K", 125, 0, 1)),
        # R at 0.010 points up to Q's 0/1.
        (600_000, 0.010, "III", ("Q", 1250, 0, 1)),
    ],
)
def test_plans_a_reader_of_the_standard_would_pick(lot, aql, level, expected):
    assert aql_plan(lot, aql, level) == expected


def test_a_sample_as_large_as_the_lot_means_inspecting_the_whole_lot():
    # Lot 6 at AQL 0.65: the down arrows lead to F (n = 20, 0/1), more than the lot: 100 %.
    assert aql_plan(6, 0.65) == ("F", 6, 0, 1)


@pytest.mark.parametrize("level", LEVELS)
def test_larger_lots_never_get_smaller_samples_nor_looser_aqls_stricter_plans(level):
    lots = [low for low, _, _ in TABLE_1]
    for aql in AQLS:
        plans = [aql_plan(lot, aql, level) for lot in lots]
        assert all(re == ac + 1 for _, _, ac, re in plans)  # single sampling: Re = Ac + 1
        sample_sizes = [n for _, n, _, _ in plans]
        assert sample_sizes == sorted(sample_sizes)
    for lot in lots:
        acceptance = [aql_plan(lot, aql, level)[2] for aql in AQLS]
        assert acceptance == sorted(acceptance)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="preferred AQLs"):
        aql_plan(1000, 3.0)
    with pytest.raises(ValueError, match="level"):
        aql_plan(1000, 1.0, "IV")
    with pytest.raises(ValueError, match="lot_size"):
        aql_plan(0, 1.0)
    assert aql_plan(1000, 1.0, "s2") == aql_plan(1000, 1.0, "S-2")

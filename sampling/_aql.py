"""ISO 2859-1 AQL sampling plans (single sampling, normal inspection).

Private to sampling.stats, which re-exports code_letter and aql_plan; import them from there.
The two tables are transcribed from ISO 2859-1:1999 (identical to ANSI/ASQ Z1.4-2008 and
MIL-STD-105E): Table 1 (sample size code letters) and Table 2-A (master table, normal
inspection), both stored as printed so that they can be read against the standard cell by cell.
docs/statistics.md names the sources they were checked against.
"""

from __future__ import annotations

import math

# Table 1: upper lot-size bound of each row (the last row is "500 001 and over") ...
_LOT_BOUNDS = (8, 15, 25, 50, 90, 150, 280, 500, 1200, 3200, 10000, 35000, 150000, 500000)
# ... and, per inspection level, the code letter of each of those 15 rows.
_LEVEL_LETTERS = {
    "S-1": "AAAABBBBCCCCDDD",
    "S-2": "AAABBBCCCDDDEEE",
    "S-3": "AABBCCDDEEFFGGH",
    "S-4": "AABCCDEEFGGHJJK",
    "I": "AABCCDEFGHJKLMN",
    "II": "ABCDEFGHJKLMNPQ",
    "III": "BCDEFGHJKLMNPQR",
}

# Table 2-A as printed: per code letter its sample size n and, per AQL (percent nonconforming up
# to 10, nonconformities per 100 units above), either a plan "Ac/Re" or an arrow: ↓ use the first
# plan below the arrow, ↑ the first plan above it (with that plan's n as well as its Ac and Re).
# It is not quite a diagonal pattern: A has ↓ at 10 and R has ↑ at 0.015 (no arrow leaves the
# table), and the 30/31 and 44/45 plans run down to letter E.
_TABLE_2A = """
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


_ARROWS = {"↓": 1, "↑": -1}  # the row step each arrow takes


def _read_table_2a(text: str):
    """Parse _TABLE_2A into (AQLs, letters, sample sizes, cells); a cell is (Ac, Re) or the
    row step of its arrow."""
    header, *lines = text.strip().splitlines()
    aqls = tuple(float(value) for value in header.split()[1:])
    letters, sizes, cells = "", [], []
    for line in lines:
        letter, n, *row = line.split()
        if len(row) != len(aqls):
            raise ValueError(f"Table 2-A row {letter} has {len(row)} cells, not {len(aqls)}")
        letters += letter
        sizes.append(int(n))
        cells.append(tuple(_ARROWS.get(cell) or tuple(map(int, cell.split("/"))) for cell in row))
    if -1 in cells[0] or 1 in cells[-1]:
        raise ValueError("Table 2-A has an arrow pointing off the table")
    return aqls, letters, tuple(sizes), tuple(cells)


_AQLS, _LETTERS, _LETTER_SAMPLE, _CELLS = _read_table_2a(_TABLE_2A)


def code_letter(lot_size: int, level: str = "II") -> str:
    """Sample size code letter from ISO 2859-1:1999 Table 1 (= ANSI/ASQ Z1.4 Table I) for
    general inspection levels I, II, III and special levels S-1..S-4."""
    if isinstance(lot_size, bool) or not float(lot_size).is_integer() or lot_size < 1:
        raise ValueError(f"lot_size must be a positive integer, got {lot_size!r}")
    lot_size = int(lot_size)
    key = str(level).upper().replace("S-", "S").replace("S", "S-", 1)
    if key not in _LEVEL_LETTERS:
        raise ValueError(f"level must be one of {tuple(_LEVEL_LETTERS)}, got {level!r}")
    row = sum(lot_size > bound for bound in _LOT_BOUNDS)
    return _LEVEL_LETTERS[key][row]


def aql_plan(lot_size: int, aql: float, level: str = "II") -> tuple[str, int, int, int]:
    """ISO 2859-1:1999 single sampling plan, normal inspection: (code_letter, n, ac, re).

    The Table 1 code letter (see code_letter) and the AQL column (one of the 26 preferred AQLs
    0.010 ... 1000) locate a cell of Table 2-A (= ANSI/ASQ Z1.4 Table II-A). Arrows are
    followed as the standard says: the plan used is the first one below (down) or above (up),
    and its n, Ac, Re AND its code letter are returned (e.g. A at AQL 10 gives C: n = 5, 1/2).
    If n >= lot_size the standard says inspect 100%: n is then lot_size and Ac/Re stay those
    of the plan.
    """
    column = next((i for i, v in enumerate(_AQLS) if math.isclose(float(aql), v)), None)
    if column is None:
        raise ValueError(f"aql must be one of the ISO 2859-1 preferred AQLs {_AQLS}, got {aql!r}")
    row = _LETTERS.index(code_letter(lot_size, level))
    while not isinstance(cell := _CELLS[row][column], tuple):
        row += cell
    return _LETTERS[row], min(_LETTER_SAMPLE[row], lot_size), cell[0], cell[1]

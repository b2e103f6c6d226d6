"""ISO 2859-1 AQL sampling plans (single sampling, normal inspection).

Private to sampling.stats, which re-exports code_letter and aql_plan; import them from there.
The two tables are transcribed from ISO 2859-1:1999 (identical to ANSI/ASQ Z1.4-2008 and
MIL-STD-105E): Table 1 (sample size code letters) and Table 2-A (master table, normal
inspection), the latter stored by its diagonal structure rather than cell by cell.
"""

from __future__ import annotations

import math

_LETTERS = "ABCDEFGHJKLMNPQR"
_LETTER_SAMPLE = (2, 3, 5, 8, 13, 20, 32, 50, 80, 125, 200, 315, 500, 800, 1250, 2000)
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
_AQLS = (0.010, 0.015, 0.025, 0.040, 0.065, 0.10, 0.15, 0.25, 0.40, 0.65, 1.0, 1.5, 2.5, 4.0,
         6.5, 10, 15, 25, 40, 65, 100, 150, 250, 400, 650, 1000)  # fmt: skip
# Table 2-A is constant along diagonals (row + column): 0/1 on diagonal 14, an up arrow on 15,
# a down arrow on 16, then these Ac/Re pairs on diagonals 17, 18, ...
_AC_RE = ((1, 2), (2, 3), (3, 4), (5, 6), (7, 8), (10, 11), (14, 15), (21, 22), (30, 31), (44, 45))


def _table_2a(row: int, column: int) -> tuple[int, int] | int:
    """Cell of ISO 2859-1 Table 2-A: (Ac, Re), or +1 (down arrow) / -1 (up arrow)."""
    diagonal = row + column
    last = 26 if row <= 3 else 24  # 30/31 and 44/45 are printed for letters A-D only
    if diagonal <= 13 or diagonal == 16:
        return 1
    if diagonal == 15 or diagonal > last:
        return -1
    return (0, 1) if diagonal == 14 else _AC_RE[diagonal - 17]


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
    and its n, Ac, Re AND its code letter are returned. Two arrows point off the table (A at
    AQL 10 upward, R at AQL 0.015 downward); they resolve to the nearest plan of the same row
    (0/1 with n = 2, 1/2 with n = 2000). If n >= lot_size the standard says inspect 100%: n is
    then lot_size and Ac/Re stay those of the plan.
    """
    column = next((i for i, v in enumerate(_AQLS) if math.isclose(float(aql), v)), None)
    if column is None:
        raise ValueError(f"aql must be one of the ISO 2859-1 preferred AQLs {_AQLS}, got {aql!r}")
    row = _LETTERS.index(code_letter(lot_size, level))
    while not isinstance(cell := _table_2a(row, column), tuple):
        if not 0 <= row + cell < len(_LETTERS):
            cell = (0, 1) if cell < 0 else (1, 2)
            break
        row += cell
    return _LETTERS[row], min(_LETTER_SAMPLE[row], lot_size), cell[0], cell[1]

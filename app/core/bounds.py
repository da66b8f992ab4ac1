"""The largest figures the service accepts, the same in uploads, JSON and the database (CHECK constraints
in migration 0007). A figure beyond them is a typing or unit mistake (pence in a £m column, a total
pasted as a line), never a real cost line: refusing it at its cell or field beats a plan built on it,
and keeps every sum the database makes inside a 64-bit integer. docs/operators/limits.md lists them."""

from __future__ import annotations

from decimal import Decimal

# Pay or non-pay of one function at one organisation in one year: the largest NHS trusts spend about
# £2 billion a year on everything, so £1 billion on one back-office function is far past plausible.
MAX_COST_POUNDS = Decimal(1_000_000_000)
MAX_COST_PENCE = 100_000_000_000
# Whole-time equivalent staff of one function at one organisation: the NHS's largest employers have
# about 20,000 staff in all.
MAX_WTE = Decimal(100_000)

COST_TOO_LARGE = "more than £1 billion is not a plausible cost of one function at one organisation in a year"
WTE_TOO_LARGE = "more than 100,000 WTE is not a plausible staff number for one function at one organisation"
NOT_ASCII_DIGITS = "write numbers with the digits 0-9 (full-width or other scripts' digits are not accepted)"

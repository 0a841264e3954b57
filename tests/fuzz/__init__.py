"""A grammar-aware fuzz harness (issue 11): generated and mutated rulesets in both forms
and case files in every format, through every verb (check, fmt, convert, schema, eval,
explain, test, diff, report), in process.

`inputs.py` draws the inputs (hypothesis strategies built on tests/generated_rulesets.py),
`oracle.py` runs the verbs and checks the invariants. tests/test_fuzz.py runs a few
examples in the default suite and many under `-m slow`; `python -m tests.fuzz --minutes 60`
runs for a given time and prints how many inputs it tried and every distinct failure.
"""

"""Contenders: the classifier contract (`base`), one registry (`registry`), and one
module per contender. Adding a contender is one new module plus one registry line.
This file imports nothing, so importing the registry never loads torch."""

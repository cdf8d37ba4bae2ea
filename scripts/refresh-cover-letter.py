#!/usr/bin/env python3
"""Carry the subject and text of the series' cover letter over to a cover
letter that git format-patch --cover-letter has just generated, so that
its shortlog, diffstat and patch count follow the series.

The results table under the line RESULTS_HEAD is replaced by the S1 table
that `make bench` last wrote (docs/results/bench-cover.txt), so that the
cover letter never carries a table copied by hand.

Usage: scripts/refresh-cover-letter.py OLD NEW   (NEW is rewritten)
"""
import os
import re
import sys

RESULTS_HEAD = 'Scenario S1 of the benchmark, as `make bench` last reported it:'
RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'docs',
                       'results', 'bench-cover.txt')

SHORTLOG = re.compile(r'^\S.* \(\d+\):$')


def split(text):
    """Header lines, body lines before the shortlog, the rest."""
    lines = text.split('\n')
    end = lines.index('')
    body = lines[end + 1:]
    start = next((i for i, l in enumerate(body) if SHORTLOG.match(l)), len(body))
    return lines[:end], body[:start], body[start:]


def with_results(blurb):
    """The blurb with the table under RESULTS_HEAD taken from RESULTS."""
    if RESULTS_HEAD not in blurb or not os.path.exists(RESULTS):
        return blurb
    start = blurb.index(RESULTS_HEAD) + 1
    end = start
    while end < len(blurb) and blurb[end].startswith('  '):
        end += 1
    table = ['  ' + l for l in open(RESULTS).read().splitlines()]
    return blurb[:start] + table + blurb[end:]


def main():
    old_path, new_path = sys.argv[1:3]
    old_head, old_blurb, _ = split(open(old_path).read())
    new_head, _, new_rest = split(open(new_path).read())
    old_subject = next((l for l in old_head if l.startswith('Subject:')), '')
    text = re.sub(r'^Subject: \[PATCH[^]]*\] ', '', old_subject)
    out = []
    for line in new_head:
        if line.startswith('Subject:'):
            line = re.sub(r'\*\*\* SUBJECT HERE \*\*\*', text, line)
        out.append(line)
    if any('*** BLURB HERE ***' in l for l in old_blurb):
        sys.exit('cover letter: write the text of patches/0000-cover-letter.patch first')
    open(new_path, 'w').write('\n'.join(out + [''] + with_results(old_blurb) + new_rest))


if __name__ == '__main__':
    main()

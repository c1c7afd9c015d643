#!/usr/bin/env python3
"""Scores G2P hypotheses against the g014b2b references the way nnlab g2p eval does.

    g2p_score.py REF HYP        # prints one JSON line

REF: `WORD<TAB>PRON1[<TAB>PRON2 ...]` (phones separated by spaces), e.g. g014b2b.ref.
HYP: `WORD<TAB>PHONES` (or `WORD<TAB>SCORE<TAB>PHONES`, as phonetisaurus-g2pfst prints with
scores; a line whose second field is a number is read that way). The first hypothesis of a word
is used; a word of REF without one counts as an empty pronunciation.

Convention (src/text/sequence_metrics.cpp, and the published results on this split): a word is
correct when its hypothesis equals ANY reference; its phone errors are the edit distance to the
closest reference (ties: the shorter reference), and PER divides the summed distances by the
summed lengths of those closest references. WER and PER are percentages.
"""
import json
import sys


def edit_distance(a, b):
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_references(path):
    references = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if not fields[0]:
                continue
            prons = [p.split() for p in fields[1:] if p.strip()]
            if not prons:
                raise SystemExit(f"{path}: '{fields[0]}' has no reference")
            references.append((fields[0], prons))
    return references


def read_hypotheses(path):
    hypotheses = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if not fields[0]:
                continue
            rest = fields[1:]
            if len(rest) >= 2 and is_number(rest[0]):
                rest = rest[1:]
            hypotheses.setdefault(fields[0], " ".join(rest).split())
    return hypotheses


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    references = read_references(sys.argv[1])
    hypotheses = read_hypotheses(sys.argv[2])
    wrong = errors = length = missing = 0
    for word, prons in references:
        hyp = hypotheses.get(word)
        if hyp is None:
            missing += 1
            hyp = []
        best = None
        for pron in prons:
            candidate = (edit_distance(hyp, pron), len(pron))
            if best is None or candidate < best:
                best = candidate
        wrong += best[0] != 0
        errors += best[0]
        length += best[1]
    words = len(references)
    print(json.dumps({"words": words, "wrong": wrong, "wer": round(100.0 * wrong / words, 3),
                      "phone_errors": errors, "reference_phones": length,
                      "per": round(100.0 * errors / length, 3), "missing": missing}))


if __name__ == "__main__":
    main()

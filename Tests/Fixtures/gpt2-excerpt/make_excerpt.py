"""The first 1,000 merges of GPT-2's tokenizer, cut from data/gpt2 (OpenAI's files) with their
formatting kept: encoder.json holds ids 0-1255 (the 256 bytes, then one token per merge, as in
the full file: merge k makes token 256 + k) and <|endoftext|> renumbered 1256; vocab.bpe its
#version line and the first 1,000 merges. A real GPT-2 tokenizer, small enough to fuzz
thousands of times a second (Tests/TokenizersTests/ParserFuzzTests.swift).

    python3 Tests/Fixtures/gpt2-excerpt/make_excerpt.py      # from the package root
"""
import json

MERGES = 1000
keep = 256 + MERGES

encoder_text = open("data/gpt2/encoder.json", encoding="utf-8").read()
encoder = json.loads(encoder_text)
assert all(encoder[token] == i for i, token in enumerate(encoder)), "encoder.json lists its tokens in id order"
# The file's own bytes up to the member of id keep - 1: find where member `keep` starts.
members = list(encoder)
cut = encoder_text.index(", " + json.dumps(members[keep]) + ": " + str(keep))
excerpt = encoder_text[:cut] + ', "<|endoftext|>": ' + str(keep) + "}"
assert list(json.loads(excerpt).values()) == list(range(keep + 1))

lines = open("data/gpt2/vocab.bpe", encoding="utf-8").read().split("\n")
assert lines[0].startswith("#version")
for k, line in enumerate(lines[1:MERGES + 1]):
    first, second = line.split(" ")
    assert encoder[first + second] == 256 + k, "merge k makes token 256 + k"

open("Tests/Fixtures/gpt2-excerpt/encoder.json", "w", encoding="utf-8").write(excerpt)
open("Tests/Fixtures/gpt2-excerpt/vocab.bpe", "w", encoding="utf-8").write("\n".join(lines[:MERGES + 1]) + "\n")

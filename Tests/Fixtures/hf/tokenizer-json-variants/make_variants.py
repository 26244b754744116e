#!/usr/bin/env python3
"""Variants of the seven tokenizer.json families (../tokenizer-json) that exercise the components
and options the families themselves do not use, each with cases made by the `tokenizers` library:

  python3 make_variants.py        (from this directory; pip install tokenizers==0.23.3)

  <variant>/tokenizer.json    a family's file with its normalizer, pre-tokenizer, post-processor,
                              decoder or added tokens replaced (see VARIANTS below), or a small
                              BPE trained here (end_of_word_suffix, continuing_subword_prefix)
  <variant>/cases.jsonl       {"text", "ids" (encode, special tokens added), "decoded",
                               "decoded_skip" (decode with skip_special_tokens=True)}

Deterministic for a given library version.
"""
import copy
import json
import random
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

HERE = Path(__file__).resolve().parent
FAMILIES = HERE.parent / "tokenizer-json"
rng = random.Random(15)


def base(family):
    return json.loads((FAMILIES / family / "tokenizer.json").read_text())


def token(content, id, special=True, lstrip=False, rstrip=False, single_word=False, normalized=False):
    return {"id": id, "content": content, "single_word": single_word, "lstrip": lstrip, "rstrip": rstrip,
            "normalized": normalized, "special": special}


# ---------------------------------------------------------------- texts

POOLS = ["abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789", "٣४໕½", " ", "  ", "\n", "\r\n", "\t",
         "\x0b", "\x85", "\u00a0", "\u3000", "\u200b", "'s'S'ſ're'RE'Ll'd'M'T've", "éèñüßÅøæœ", "e\u0301a\u0308o\u0302\u0323",
         "日本語中文字符한국어", "😀🎉👍🏽👨‍👩‍👧", "مرحبا", "Привет", "ﬁﬂ①²ⅷ㌀", "İıΣσς", ".,;:!?'\"()[]{}-_/\\@#$%^&*+=<>|~`",
         "\U0001F16C\u32ff\U00010781\U00011938", "\x00\x01\x7f\ufffd", "▁▁ ▁", "<0x41><0xE6>", "##ing", "</w>", "x  "]
WORDS = ["the", "Hello", "world", "don't", "I'll", "HTTP", "1234567", "3.14159", "foo_bar", "naïve", " do not ", "it 's",
         "ROMEO:", "thou art", "  indented", "end.\n\n"]


def random_text():
    out = []
    for _ in range(rng.randint(0, 12)):
        if rng.random() < 0.4:
            out.append(rng.choice(WORDS))
        else:
            p = rng.choice(POOLS)
            out.append("".join(rng.choice(p) for _ in range(rng.randint(1, 4))) if len(p) > 3 and rng.random() < 0.7 else p)
        if rng.random() < 0.5:
            out.append(" ")
    return "".join(out)


def texts(specials):
    fixed = ["", " ", "  hello", "hello  ", "Hello world", "\nfirst line", "naïve café", "ﬁnal ②", "x" * 150]
    with_specials = [f"a{s}b" for s in specials] + [f" {s} " for s in specials] + [f"{s}word" for s in specials] + \
                    [f"word{s}" for s in specials] + ["".join(specials), f"{specials[0]}  spaced  {specials[-1]}"]
    return fixed + with_specials + [random_text() for _ in range(120)]


# ---------------------------------------------------------------- variants

def wordpiece_options():
    """BERT's vocabulary; NFD+StripAccents+Lowercase+Strip; WhitespaceSplit, Punctuation (contiguous),
    Digits (individual); RobertaProcessing; WordPiece decoding without clean-up; flagged added tokens."""
    t = base("bert")
    t["normalizer"] = {"type": "Sequence", "normalizers": [{"type": "NFD"}, {"type": "StripAccents"}, {"type": "Lowercase"},
                                                          {"type": "Strip", "strip_left": True, "strip_right": True}]}
    t["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"},
                                                               {"type": "Punctuation", "behavior": "Contiguous"},
                                                               {"type": "Digits", "individual_digits": True}]}
    t["post_processor"] = {"type": "RobertaProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2], "trim_offsets": True,
                           "add_prefix_space": False}
    t["decoder"] = {"type": "WordPiece", "prefix": "##", "cleanup": False}
    t["added_tokens"] = [token("[PAD]", 0), token("[UNK]", 1), token("[CLS]", 2), token("[SEP]", 3),
                         token("[MASK]", 4, lstrip=True, rstrip=True),
                         token("hello", 5, special=False, single_word=True, normalized=True),
                         token("ROMEO", 6, special=False, normalized=True)]
    return t, ["[MASK]", "[CLS]", "hello", "ROMEO", "Hello"]


def bert_whitespace():
    """BertNormalizer with every option changed; the Whitespace pre-tokenizer; BertProcessing; CTC decoding."""
    t = base("bert")
    t["normalizer"] = {"type": "BertNormalizer", "clean_text": False, "handle_chinese_chars": False,
                       "strip_accents": True, "lowercase": False}
    t["pre_tokenizer"] = {"type": "Whitespace"}
    t["decoder"] = {"type": "CTC", "pad_token": "[PAD]", "word_delimiter_token": "|", "cleanup": True}
    return t, ["[CLS]", "[SEP]", "[MASK]"]


def bytelevel_options():
    """Llama 3's byte-level BPE with an NFKC+Replace(regex)+Lowercase normalizer, Splits of every behavior (general
    regular expressions, one with \\w), ByteLevel adding a prefix space, a decoder chain, truncation and padding;
    added tokens with lstrip and rstrip, a normalized single-word one."""
    t = base("llama3")
    t["normalizer"] = {"type": "Sequence", "normalizers": [{"type": "NFKC"},
                                                          {"type": "Replace", "pattern": {"Regex": "[ \\t]{2,}"}, "content": " "},
                                                          {"type": "Lowercase"}]}
    t["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"String": "\n"}, "behavior": "MergedWithPrevious", "invert": False},
        {"type": "Split", "pattern": {"Regex": "\\d{1,2}"}, "behavior": "Contiguous", "invert": False},
        {"type": "Split", "pattern": {"Regex": "[^\\s\\p{L}\\p{N}]+|\\s+"}, "behavior": "MergedWithNext", "invert": False},
        {"type": "Split", "pattern": {"Regex": "\\w+"}, "behavior": "Removed", "invert": True},
        {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": False}]}
    # (Strip before ByteLevel: the library's Strip fails on an empty token, and with start > 0 on a token
    # made only of the stripped characters)
    t["decoder"] = {"type": "Sequence", "decoders": [{"type": "Strip", "content": "x", "start": 0, "stop": 1},
                                                     {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                                                      "use_regex": True},
                                                     {"type": "Replace", "pattern": {"String": "  "}, "content": " "}]}
    vocab = t["model"]["vocab"]
    for entry in t["added_tokens"]:
        if entry["content"] == "<|eot_id|>":
            entry["lstrip"] = entry["rstrip"] = True
    t["added_tokens"] += [token("Hello", vocab.get("Hello", len(vocab)), special=False, normalized=True, single_word=True),
                          token(" world", vocab.get(" world", len(vocab) + 1), special=False, rstrip=True)]
    t["truncation"] = {"direction": "Left", "max_length": 24, "strategy": "LongestFirst", "stride": 0}
    t["padding"] = {"strategy": {"Fixed": 20}, "direction": "Left", "pad_to_multiple_of": 8, "pad_id": 1,
                    "pad_type_id": 0, "pad_token": "<|end_of_text|>"}
    return t, ["<|begin_of_text|>", "<|eot_id|>", "Hello", " world"]


def gpt2_regex_engine():
    """Qwen2's file with its Split pattern made a little different, so that the general regular-expression engine
    (not the Qwen2 scanner) runs it; the legacy "a b" merges format; RobertaProcessing with added <s> </s>."""
    t = base("qwen2")
    t["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = \
        "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,2}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
    t["model"]["merges"] = [" ".join(m) for m in t["model"]["merges"]]
    n = len(t["model"]["vocab"])
    t["added_tokens"] += [token("<s>", n), token("</s>", n + 1)]
    t["post_processor"] = {"type": "RobertaProcessing", "sep": ["</s>", n + 1], "cls": ["<s>", n], "trim_offsets": True,
                           "add_prefix_space": True}
    return t, ["<|im_start|>", "<s>", "</s>"]


def metaspace_first():
    """Mistral's SentencePiece-BPE with normalizers that move or remove the first character, in front of a
    Metaspace with prepend_scheme "first" after a WhitespaceSplit: which piece is "first" depends on offsets."""
    t = base("mistral")
    t["normalizer"] = {"type": "Sequence", "normalizers": [{"type": "Strip", "strip_left": True, "strip_right": False},
                                                          {"type": "Replace", "pattern": {"String": "xx"}, "content": "X"},
                                                          {"type": "Prepend", "prepend": "~"}]}
    t["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"String": "~"}, "behavior": "Isolated", "invert": False},
        {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": True}]}
    return t, ["<s>", "</s>"]


def unigram_byte_fallback():
    """The Unigram family with byte pieces and byte_fallback, NFKD+Lowercase, Digits then a non-splitting
    Metaspace, and a Metaspace+ByteFallback+Fuse decoder."""
    t = base("unigram")
    vocab = t["model"]["vocab"]
    vocab += [[f"<0x{b:02X}>", -20.0] for b in range(256)]
    t["model"]["byte_fallback"] = True
    t["normalizer"] = {"type": "Sequence", "normalizers": [{"type": "NFKD"}, {"type": "Lowercase"}]}
    t["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "Digits", "individual_digits": False},
        {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": False}]}
    t["decoder"] = {"type": "Sequence", "decoders": [{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always",
                                                      "split": False},
                                                     {"type": "ByteFallback"}, {"type": "Fuse"}]}
    return t, ["</s>", "<pad>"]


def trained(prefix=None, suffix=None):
    corpus = [l for l in (HERE.parents[3] / "data" / "the-verdict.txt").read_text().splitlines() if l.strip()]
    markers = {k: v for k, v in [("continuing_subword_prefix", prefix), ("end_of_word_suffix", suffix)] if v}
    tok = Tokenizer(models.BPE(unk_token="[UNK]", **markers))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=["[UNK]", "[SEP]"], show_progress=False, **markers)
    tok.train_from_iterator(corpus, trainer)
    return tok


def bpe_suffix():
    """A BPE trained here with end_of_word_suffix "</w>" (as CLIP's), fuse_unk, and the BPEDecoder."""
    tok = trained(suffix="</w>")
    tok.decoder = decoders.BPEDecoder(suffix="</w>")
    t = json.loads(tok.to_str())
    t["model"]["fuse_unk"] = True
    return t, ["[SEP]"]


def bpe_prefix():
    """A BPE trained here with continuing_subword_prefix "##", decoded by the WordPiece decoder."""
    tok = trained(prefix="##")
    tok.decoder = decoders.WordPiece(prefix="##", cleanup=True)
    return json.loads(tok.to_str()), ["[SEP]"]


VARIANTS = {"wordpiece-options": wordpiece_options, "bert-whitespace": bert_whitespace,
            "bytelevel-options": bytelevel_options, "regex-engine": gpt2_regex_engine,
            "metaspace-first": metaspace_first, "unigram-byte-fallback": unigram_byte_fallback,
            "bpe-suffix": bpe_suffix, "bpe-prefix": bpe_prefix}

for name, make in VARIANTS.items():
    d = HERE / name
    d.mkdir(exist_ok=True)
    spec, specials = make()
    (d / "tokenizer.json").write_text(json.dumps(spec, ensure_ascii=False, indent=1))
    tok = Tokenizer.from_file(str(d / "tokenizer.json"))        # exactly what is on disk
    with open(d / "cases.jsonl", "w") as f:
        for text in texts(specials):
            ids = tok.encode(text).ids
            f.write(json.dumps({"text": text, "ids": ids, "decoded": tok.decode(ids, skip_special_tokens=False),
                                "decoded_skip": tok.decode(ids, skip_special_tokens=True)}, ensure_ascii=False) + "\n")
    print(name, "cases:", len(open(d / "cases.jsonl").readlines()))

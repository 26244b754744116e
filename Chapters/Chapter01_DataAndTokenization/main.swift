// Chapter 1 — Data and tokenization.
// Text becomes numbers: words, characters, byte-pair encoding learned from scratch, GPT-2's
// own tokenizer, BERT's WordPiece and SentencePiece's unigram model — each checked against
// the library people use — then training windows and embeddings.

import CourseKit
import Foundation
import LLMKit
import TensorKit
import Tokenizers

let options = Options(program: "Chapter01_DataAndTokenization", summary: "from raw text to token ids, training windows and embeddings")
let text = options.string("--text", default: "Tokenization isn't magic: unbelievably, it's just counting!",
                          help: "the sentence every tokenizer encodes side by side")
let bpeSize = options.int("--bpe-vocab", default: 400, help: "vocabulary size of the BPE trained from scratch (≥ 256)")
let maxLength = options.int("--max-length", default: 4, help: "window length of the training pairs")
let strideFlag = options.int("--stride", default: 1, help: "distance between training windows")
let seed = options.int("--seed", default: 123, help: "seed of the embedding layers")
let traceWord = options.string("--trace-word", default: " painted",
                               help: "the word whose encoding 1.3 traces merge by merge (one pre-token: a word with its leading space)",
                               placeholder: "WORD")
let saveMerges = options.optionalString("--save-merges", help: "write the learned BPE merges to FILE and read them back", placeholder: "FILE")
options.positional("encode|decode …", help: "encode gpt2 FILE.jsonl | encode wordpiece VOCAB FILE.jsonl | encode sentencepiece MODEL FILE.jsonl"
                   + " | encode hf TOKENIZER_JSON FILE.jsonl | decode hf TOKENIZER_JSON FILE.jsonl")
options.epilogue = """
Try: --text "your own sentence"     (see how each tokenizer cuts it)
     --bpe-vocab 1000               (a larger vocabulary: fewer, longer tokens)
     --max-length 8 --stride 4
"""
options.parse()
if options.positional.dropFirst().first == "hf" || options.positional.first == "decode" {
    runHuggingFaceCommand(options.positional, options: options)                    // HuggingFaceCommands.swift
}
if options.positional.first == "encode" { runEncodeCommand(Array(options.positional.dropFirst()), options: options) }
if let extra = options.positional.first { options.fail("unknown command \(extra) (the commands are encode and decode)") }
if bpeSize.value < 256 { options.fail("--bpe-vocab must be at least 256 (one token per byte), got \(bpeSize.value)") }
if maxLength.value < 1 || strideFlag.value < 1 { options.fail("--max-length and --stride must be positive") }

func load<T>(_ body: () throws -> T) -> T {
    do { return try body() } catch { options.fail("\(error)") }
}
let verdict = load { try readDataText("the-verdict.txt") }
let shakespeare = load { try readDataText("tinyshakespeare.txt") }

chapterTitle(1, "Data and tokenization")

// MARK: - Words

section("1.1 Words")
say("""
A model reads numbers, not text. The simplest way to turn text into numbers: split it into \
words and punctuation, give every distinct one an id. The book's short story "The Verdict" \
(Edith Wharton, 1908) has \(grouped(verdict.count)) characters:
""")
print("  \(quoted(String(verdict.prefix(99))))…")
let words = WordTokenizer.split(verdict)
print("\nSplit on whitespace and , . : ; ? _ ! \" ( ) ' -- : \(grouped(words.count)) tokens")
print("  " + words.prefix(30).map { quoted($0) }.joined(separator: " "))
let wordTokenizer = WordTokenizer(training: verdict)
print("\nDistinct tokens, sorted, numbered: a vocabulary of \(grouped(wordTokenizer.vocabularySize))")
print("  " + (0..<12).map { "\(quoted(wordTokenizer.tokens[$0])): \($0)" }.joined(separator: ", ") + ", …")
let bookSentence = "\"It's the last he painted, you know,\" Mrs. Gisburn said with pardonable pride."
let bookIDs = load { try wordTokenizer.encodeChecked(bookSentence) }
print("\nencode(\(quoted(bookSentence)))")
print("  = \(bookIDs)")
print("decode(those ids)")
print("  = \(quoted(wordTokenizer.decode(bookIDs)))")
say("""

The spaces around punctuation are lost: this tokenizer cannot give back exactly the text it \
read. Worse, a word it has never seen has no id at all:
""")
do {
    _ = try wordTokenizer.encodeChecked("Hello, do you like tea?")
} catch {
    print("  encode(\"Hello, do you like tea?\") → error: \((error as! TokenizerError).problem)")
}
let wordTokenizerV2 = WordTokenizer(training: verdict, specialTokens: [WordTokenizer.endOfText, WordTokenizer.unknown])
let twoDocuments = "Hello, do you like tea? <|endoftext|> In the sunlit terraces of the palace."
say("""

The book's fix adds two special tokens (vocabulary \(grouped(wordTokenizerV2.vocabularySize))): <|unk|> (id \
\(wordTokenizerV2.idOfToken["<|unk|>"]!)) for any unknown word, and <|endoftext|> (id \
\(wordTokenizerV2.idOfToken["<|endoftext|>"]!)) between unrelated documents joined for training:
""")
print("  \(quoted(twoDocuments))")
print("  → \(wordTokenizerV2.encode(twoDocuments))")
print("  → \(quoted(wordTokenizerV2.decode(wordTokenizerV2.encode(twoDocuments))))")
say("\nOther families of models use other special tokens:")
table(["token", "used by", "what it is for"], [
    ["[CLS]", "BERT", "first token; its final vector summarises the whole input (classification)"],
    ["[SEP]", "BERT", "ends a sentence, separates the two sentences of a pair"],
    ["[PAD]", "BERT, most", "fills short sequences up to the batch's length; masked out"],
    ["[UNK]", "BERT", "a word the vocabulary cannot spell"],
    ["[MASK]", "BERT", "hides a word the model must guess (masked language modelling)"],
    ["<s>, </s>", "Llama, T5, Marian", "beginning and end of sequence (BOS, EOS)"],
    ["<|endoftext|>", "GPT-2", "end of a document; also used as padding"],
])

// MARK: - Characters

section("1.2 Characters")
let chars = CharTokenizer(training: shakespeare)
say("""
The other extreme: one token per character. Tiny Shakespeare (\(grouped(shakespeare.count)) characters) \
uses \(chars.vocabularySize) distinct ones:
""")
print("  " + chars.characters.map { quoted(String($0)).dropFirst().dropLast() }.joined(separator: " "))
let line = "First Citizen:"
print("\nencode(\(quoted(line))) = \(chars.encode(line))")
let shakespeareWords = WordTokenizer.split(shakespeare).count
say("""

Nothing in the text is ever unknown and the vocabulary is tiny, but sequences get long — \
\(grouped(shakespeare.unicodeScalars.count)) tokens for what words cut into \(grouped(shakespeareWords)) — so a model \
with a fixed context sees less text at once, and each token means little by itself.
""")

// MARK: - BPE

section("1.3 Byte-pair encoding, learned from scratch")
say("""
Byte-pair encoding sits between the two. Start from the 256 possible bytes (so any text, in \
any script, can be encoded), count every pair of neighbouring tokens in a training text, \
merge the most frequent pair into a new token, and repeat. The text is first cut with \
GPT-2's pattern (words with their leading space, numbers, punctuation), so merges never \
cross words. The first merges on The Verdict, as they happen:
""")
var mergeRows: [[String]] = []
let bpe = BytePairTokenizer.train(verdict, vocabularySize: bpeSize.value) { merge, tokenizer in
    if merge.token < 256 + 12 {
        mergeRows.append([String(merge.token), "\(tokenizer.display(merge.first)) + \(tokenizer.display(merge.second))",
                          tokenizer.display(merge.token), grouped(merge.count)])
    }
}
table(["new id", "pair merged", "new token", "times seen"], mergeRows, rightAligned: [0, 3])
say("(␣ is a space.) Later merges build whole words:")
print("  " + (max(256, bpe.vocabularySize - 10)..<bpe.vocabularySize).map { quoted(bpe.display($0)) }.joined(separator: " "))
say("""

Encoding uses the merges in the order they were learned. The text is cut into words first \
(GPT-2's pattern: a word keeps its leading space), then each word starts as its bytes, and \
the adjacent pair merged earliest in training (the lowest merge number) is merged, again and \
again, until no adjacent pair was ever merged. \(quoted(traceWord.value)), step by step:
""")
let trace = bpe.traceEncoding(traceWord.value)
var traceRows: [[String]] = [["", "", "", trace.bytes.map { bpe.display($0) }.joined(separator: " ")]]
for step in trace.steps {
    traceRows.append(["\(step.rank + 1)", "\(step.merge.token)", "\(bpe.display(step.merge.first)) + \(bpe.display(step.merge.second))",
                      step.tokens.map { bpe.display($0) }.joined(separator: " ")])
}
table(["merge #", "new id", "pair merged", "tokens"], traceRows, rightAligned: [0, 1])
print("= ids \(trace.steps.last?.tokens ?? trace.bytes), as encode gives: \(bpe.encode(traceWord.value))")
say("""
(Encoding looks up each pair's merge number in a hash table and merges without rescanning \
(MergeTable.swift); the step-by-step version above is BytePairTrace.swift. Training too \
comes twice: the fast trainer used here keeps the pair counts in a heap and updates only the \
words a merge touches (BytePairEncoding.swift); BytePairNaive.swift recounts every pair after \
every merge, the algorithm as first written. The tests check that both learn the same merges.)
""")
say("\nA larger vocabulary means fewer tokens for the same text:")
let verdictBytes = verdict.utf8.count
var sizeRows: [[String]] = [["256 (bytes only)", grouped(verdictBytes), "1.00"]]
for size in [300, 500, 1000, 2000] {
    let ids = (size == bpe.vocabularySize ? bpe : BytePairTokenizer.train(verdict, vocabularySize: size)).encode(verdict)
    sizeRows.append([grouped(size), grouped(ids.count), String(format: "%.2f", Double(verdictBytes) / Double(ids.count))])
}
table(["vocabulary", "tokens for The Verdict", "bytes per token"], sizeRows, rightAligned: [0, 1, 2])
let tricky = "Ünïcödé, emoji 👩‍👩‍👧 and 日本語 — never unknown."
let trickyIDs = bpe.encode(tricky)
print("\nencode(\(quoted(tricky))): \(trickyIDs.count) tokens; decode gives it back exactly: \(bpe.decode(trickyIDs) == tricky)")
if let path = saveMerges.value {
    let url = URL(fileURLWithPath: path)
    load { try bpe.save(to: url) }
    let reloaded = load { try BytePairTokenizer.load(from: url) }
    print("Saved \(bpe.merges.count) merges to \(path); reloaded, they encode the same: \(reloaded.encode(verdict) == bpe.encode(verdict))")
} else {
    print("Saved merges are one \"first second\" id pair per line (try --save-merges FILE):")
    print("  " + bpe.savedText.split(separator: "\n").prefix(4).joined(separator: " | "))
}

// MARK: - GPT-2

section("1.4 GPT-2's tokenizer, from its own files")
let gpt2 = load { try GPT2Tokenizer(directory: dataDirectory().appendingPathComponent("gpt2")) }
say("""
GPT-2's tokenizer is the same algorithm trained on 40 GB of web text: data/gpt2/encoder.json \
maps its \(grouped(gpt2.vocabularySize)) tokens to ids, data/gpt2/vocab.bpe lists its 50,000 merges in order. \
The files store bytes as printable characters — a space is "Ġ", a newline "Ċ":
""")
let hello = " Hello world\n"
print("  \(quoted(hello)) → tokens " + gpt2.encode(hello).map { "\(quoted(gpt2.tokenString($0)))=\($0)" }.joined(separator: " "))
let example = "Hello, do you like tea? <|endoftext|> In the sunlit terraces of someunknownPlace."
print("\nThe book's example, with <|endoftext|> as the special token \(gpt2.endOfText):")
print("  \(gpt2.encode(example))")
let akwirw = "Akwirw ier"
let akwirwIDs = gpt2.encode(akwirw)
print("\nAn unknown word is spelled with smaller pieces: \(quoted(akwirw)) → \(akwirwIDs) = "
      + akwirwIDs.map { quoted(gpt2.decode([$0])) }.joined(separator: " + "))
let verdictIDs = gpt2.encode(verdict)
print("\nThe Verdict: \(grouped(verdict.count)) characters → \(grouped(verdictIDs.count)) GPT-2 tokens (tiktoken: 5,145); first ten \(Array(verdictIDs.prefix(10)))")
print("decode(encode(The Verdict)) gives back the exact text: \(gpt2.decode(verdictIDs) == verdict)")

// MARK: - WordPiece and SentencePiece

section("1.5 WordPiece (BERT) and 1.6 SentencePiece (unigram)")
let wordPiece = load { try WordPieceTokenizer(vocabulary: dataFile("wordpiece-vocab.txt")) }
let unigram = load { try SentencePieceTokenizer(model: dataFile("sentencepiece-unigram.model")) }
say("""
WordPiece (BERT) lower-cases and strips accents, splits off punctuation, then cuts each word \
greedily into the longest pieces in its vocabulary, marking pieces inside a word with "##"; \
a word it cannot spell becomes [UNK]. SentencePiece's unigram model writes spaces as "▁" and \
picks, among all ways to cut the text into its pieces, the one with the highest total \
probability. Both vocabularies here were trained on the course's texts (\(grouped(wordPiece.vocabularySize)) and \
\(grouped(unigram.vocabularySize)) tokens). The same sentence, three ways:
""")
print("  \(quoted(text.value))\n")
let gpt2Pieces = gpt2.encode(text.value).map { gpt2.decode([$0]) }
let wordPieces = wordPiece.tokens(for: text.value)
let unigramPieces = unigram.pieces(for: text.value).map(\.piece)
print("BPE (GPT-2), \(gpt2Pieces.count) tokens:       " + gpt2Pieces.map { quoted($0) }.joined(separator: " "))
print("WordPiece (BERT), \(wordPieces.count) tokens:   " + wordPieces.joined(separator: " "))
print("unigram (SentencePiece), \(unigramPieces.count) tokens: " + unigramPieces.joined(separator: " "))
say("""

Byte-level BPE can spell anything, but the other two fail on characters their training text \
never had — the sentence 1.3 encoded in \(trickyIDs.count) byte-level tokens:
""")
print("  WordPiece: " + wordPiece.tokens(for: tricky).joined(separator: " "))
print("  unigram:   " + unigram.pieces(for: tricky).map { $0.id == unigram.model.unknownID ? "<unk>(\($0.piece))" : $0.piece }
                                .joined(separator: " "))
say("""
(Llama 1 and 2 also ship a SentencePiece tokenizer.model, but trained in SentencePiece's \
BPE mode with byte fallback: a character outside its vocabulary becomes its UTF-8 bytes — \
日 the three pieces <0xE6> <0x97> <0xA5> — never <unk>.)
""")

section("How the five compare")
table(["tokenizer", "vocabulary", "unknown input", "decode gives back the text", "used by"], [
    ["words", "every word seen (1,130 here)", "<|unk|> or error", "no (spacing lost)", "early NLP"],
    ["characters", "every character seen (65)", "error", "yes", "char-RNNs, tiny demos"],
    ["byte-level BPE", "256 bytes + merges (50,257)", "never: bytes", "yes, byte for byte", "GPT-2/3/4, Llama 3"],
    ["WordPiece", "pieces + ##pieces (30,522)", "[UNK] per word", "no (case, accents)", "BERT"],
    ["unigram", "pieces with scores (32,000)", "<unk> per run", "mostly (spaces kept)", "T5, ALBERT, Marian"],
])

// MARK: - Training data

section("1.7 Training pairs: a sliding window")
say("""
A language model learns to predict the next token. From the token ids of a text, take a \
window of \(maxLength.value) ids as input and the same window shifted by one as the target: each \
position's target is the token that follows it. Windows start \(strideFlag.value) token(s) apart.
""")
let dataset = SlidingWindowDataset(ids: verdictIDs, maxLength: maxLength.value, stride: strideFlag.value)
for i in 0..<min(2, dataset.count) {
    let (input, target) = dataset[i]
    print("window \(i): input \(input)  target \(target)")
}
if let (input, target) = dataset.count > 0 ? dataset[0] : nil {
    print("\nWhat the first window teaches:")
    for k in 0..<input.count {
        let context = gpt2.decode(Array(input[0...k]))
        print("  \(quoted(context)) → \(quoted(gpt2.decode([target[k]])))")
    }
}
let batches = dataset.batches(batchSize: 8)
print("\n\(grouped(dataset.count)) windows; in batches of 8: \(batches.count) batches of shape \(describeShape(batches.first?.shape ?? [0, 0]))")

// MARK: - Embeddings

section("1.8 Embeddings")
say("""
Ids are just names. An embedding layer turns each id into a vector of learned numbers: it is a \
table with one row per token, and looking up id i returns row i. The book's small example, \
6 tokens × 3 numbers, initialised by PyTorch's generator after manual_seed(\(seed.value)):
""")
Tensor.manualSeed(UInt64(seed.value))
let small = Embedding(6, 3)
show("embedding table", small.weight)
show("rows for ids [2, 3, 5, 1]", small([2, 3, 5, 1]))
say("""

For GPT-2's vocabulary with 256 numbers per token, a batch of 8 windows of \(maxLength.value) ids becomes \
a tensor of 8 × \(maxLength.value) vectors. Attention (chapter 3) does not know where a token is, so a second \
table adds a vector per position — the same for every sequence in the batch:
""")
Tensor.manualSeed(UInt64(seed.value))
let tokenEmbedding = Embedding(50257, 256)
let positionEmbedding = Embedding(maxLength.value, 256)
if let first = batches.first {
    let tokenVectors = tokenEmbedding(first.inputs, shape: first.shape)              // (8, T, 256)
    let positionVectors = positionEmbedding(Array(0..<maxLength.value))              // (T, 256)
    let inputVectors = tokenVectors + positionVectors                               // (8, T, 256)
    print("token ids                 \(describeShape(first.shape))")
    print("token embeddings          \(describeShape(tokenVectors.shape))")
    print("position embeddings       \(describeShape(positionVectors.shape))")
    print("input embeddings (sum)    \(describeShape(inputVectors.shape))")
}

section("What to remember")
say("""
Tokenizers turn text into ids; subword tokenizers (BPE, WordPiece, unigram) balance a \
manageable vocabulary against short sequences and spell a new word from smaller pieces. Only \
byte-level BPE (and SentencePiece with byte fallback) never fails: WordPiece and unigram \
still give [UNK] or <unk> for characters they never saw. Training pairs are windows shifted \
by one token; embeddings turn ids into the vectors a model computes with.
""")

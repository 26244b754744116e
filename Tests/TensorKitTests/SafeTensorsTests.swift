import Foundation
import TestSupport
import XCTest
@testable import TensorKit

/// The safetensors reader and writer, checked against files Hugging Face's own `safetensors`
/// library wrote (Tests/Fixtures/safetensors, made by make_reference.py there, and the
/// gpt2-tiny checkpoint `save_pretrained` wrote), and one malformed file per error.
final class SafeTensorsTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("safetensors-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// The float32 with these bits: reference values are written as bits, so they are exact.
    func f(_ bits: UInt32) -> Float { Float(bitPattern: bits) }

    // MARK: - Writing, compared with the reference library

    /// The tensors of make_reference.py's reference.safetensors, written by Swift, give the
    /// same bytes as `safetensors.numpy.save_file`: the header order (int64 before float32,
    /// then by name), the compact JSON, the space padding to 8 bytes, and the data.
    func testWriterMatchesReferenceLibraryByteForByte() throws {
        let url = directory.appendingPathComponent("reference.safetensors")
        try SafeTensors.write(
            ["matrix": Tensor([[1.5, -2.25, 3], [0.1, .leastNonzeroMagnitude, -0.0]]),
             "scalar": Tensor(scalar: 7),
             "empty": Tensor(shape: [0, 3], data: [])],
            integers: ["input_ids": (shape: [2, 3], values: [50256, 0, -1, 2_147_483_652, 42, 7])],
            metadata: ["format": "pt"], to: url)
        XCTAssertEqual(try Data(contentsOf: url), try Data(contentsOf: fixtureURL("safetensors/reference.safetensors")))
    }

    /// Metadata with quotes, a backslash, a slash, control characters and an accented letter,
    /// and a non-ASCII tensor name, are escaped as the reference library escapes them.
    func testWriterEscapesLikeReferenceLibrary() throws {
        let url = directory.appendingPathComponent("escapes.safetensors")
        try SafeTensors.write(["poids.é": Tensor([1])], metadata: ["note": "a \"quoted\" é/\\ value\n\twith \u{01} control"], to: url)
        XCTAssertEqual(try Data(contentsOf: url), try Data(contentsOf: fixtureURL("safetensors/escapes.safetensors")))
    }

    /// No tensors and no metadata: `{}` and six spaces, as the reference library writes it.
    func testWriterWithNothing() throws {
        let url = directory.appendingPathComponent("nothing.safetensors")
        try SafeTensors.write([:], to: url)
        XCTAssertEqual(try Data(contentsOf: url), try Data(contentsOf: fixtureURL("safetensors/nothing.safetensors")))
        let file = try SafeTensorsFile(contentsOf: url)
        XCTAssertEqual(file.names, [])
        XCTAssertEqual(file.metadata, [:])
    }

    // MARK: - Round trips

    func testFloatRoundTripIsBitExact() throws {
        let url = directory.appendingPathComponent("floats.safetensors")
        let special: [Float] = [0, -0.0, 1, -1, .pi, .infinity, -.infinity, .nan, f(0x7FC1_2345), .leastNonzeroMagnitude,
                                .leastNormalMagnitude, .greatestFiniteMagnitude, f(0x0001_2345), 0.1]
        // Scattered bit patterns (a fixed multiplicative hash): all kinds of exponents and signs.
        let scattered = (0..<24).map { Float(bitPattern: UInt32($0 + 1) &* 2_654_435_761) }
        let tensors = [
            "special": Tensor(special),
            "cube": Tensor(shape: [2, 3, 4], data: scattered),
            "scalar": Tensor(scalar: -3.5),
            "none": Tensor(shape: [0], data: []),
            "no.rows": Tensor(shape: [0, 5], data: []),
        ]
        try SafeTensors.write(tensors, to: url)
        let file = try SafeTensorsFile(contentsOf: url)
        XCTAssertEqual(file.names, ["cube", "no.rows", "none", "scalar", "special"])
        for (name, tensor) in tensors {
            XCTAssertEqual(file.info(name)?.dtype, .F32, name)
            let back = try file.tensor(name)
            XCTAssertEqual(back.shape, tensor.shape, name)
            XCTAssertEqual(back.data.map(\.bitPattern), tensor.data.map(\.bitPattern), name)
        }
        // The data starts 8-byte aligned: the header length is a multiple of 8.
        XCTAssertEqual(file.headerLength % 8, 0)
    }

    func testIntegerRoundTrip() throws {
        let url = directory.appendingPathComponent("ids.safetensors")
        let ids = [Int.min, -1, 0, 1, 50256, Int.max]
        try SafeTensors.write(["x": Tensor([0.5])], integers: ["input_ids": (shape: [2, 3], values: ids), "none": (shape: [0], values: [])], to: url)
        let file = try SafeTensorsFile(contentsOf: url)
        XCTAssertEqual(file.names, ["input_ids", "none", "x"])
        XCTAssertEqual(file.info("input_ids"), SafeTensorsFile.Entry(dtype: .I64, shape: [2, 3], byteRange: 0 ..< 48))
        let back = try file.integers("input_ids")
        XCTAssertEqual(back.shape, [2, 3])
        XCTAssertEqual(back.values, ids)
        XCTAssertEqual(try file.integers("none").values, [])
        // As floats (the nearest float32 of each).
        XCTAssertEqual(try file.tensor("input_ids").data, [-0x1p63, -1, 0, 1, 50256, 0x1p63])
    }

    func testMetadataRoundTrip() throws {
        let url = directory.appendingPathComponent("metadata.safetensors")
        let metadata = ["format": "pt", "empty": "", "quote\"key": "line\nbreak\\ and \u{1F} and ünïcödé 🦙", "step": "1200"]
        try SafeTensors.write(["w": Tensor([1, 2])], metadata: metadata, to: url)
        XCTAssertEqual(try SafeTensorsFile(contentsOf: url).metadata, metadata)
    }

    func testWritingReplacesAtomicallyAndLeavesNoTemporaryFile() throws {
        let url = directory.appendingPathComponent("b.safetensors")
        try SafeTensors.write(["x": Tensor([1])], to: url)
        let old = try SafeTensorsFile(contentsOf: url)
        try SafeTensors.write(["x": Tensor([2, 3])], to: url)
        XCTAssertEqual(try SafeTensorsFile(contentsOf: url).tensor("x").data, [2, 3])
        // The file opened before still reads its own (renamed-over, not overwritten) bytes.
        XCTAssertEqual(try old.tensor("x").data, [1])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["b.safetensors"])
    }

    func testFailedWriteLeavesNothingBehind() throws {
        // The directory does not exist: the temporary file cannot even be made.
        let missing = directory.appendingPathComponent("no/such/dir/c.safetensors")
        XCTAssertThrowsError(try SafeTensors.write(["x": Tensor([1])], to: missing)) { error in
            XCTAssertTrue(error is InputError, "\(error)")
            XCTAssertTrue("\(error)".contains("c.safetensors"), "\(error)")
            XCTAssertTrue("\(error)".contains("No such file or directory"), "\(error)")
        }
        // The destination is a directory: everything is written, the final rename fails, and
        // the temporary file is removed.
        let occupied = directory.appendingPathComponent("occupied.safetensors")
        try FileManager.default.createDirectory(at: occupied.appendingPathComponent("inside"), withIntermediateDirectories: true)
        XCTAssertThrowsError(try SafeTensors.write(["x": Tensor([1])], to: occupied)) { error in
            XCTAssertTrue("\(error)".contains("occupied.safetensors: cannot be written"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["occupied.safetensors"])
    }

    /// Tensors larger than the pieces the reader converts at a time (8 MB, here 4 KB: one
    /// page), after each of which it gives the file's pages back, come out whole, and the same
    /// again when read a second time.
    func testLargeTensorsReadInPiecesAndReadAgain() throws {
        let halves = 20_000, floats = 9_000, ids = 5_000   // 40 KB, 36 KB, 40 KB: many pieces each
        var header = #"{"f16":{"dtype":"F16","shape":[\#(halves)],"data_offsets":[0,\#(2 * halves)]},"#
            + #""f32":{"dtype":"F32","shape":[\#(floats)],"data_offsets":[\#(2 * halves),\#(2 * halves + 4 * floats)]},"#
            + #""ids":{"dtype":"I64","shape":[\#(ids)],"data_offsets":[\#(2 * halves + 4 * floats),\#(2 * halves + 4 * floats + 8 * ids)]}}"#
        header += String(repeating: " ", count: 3)   // data not aligned to pages or elements: pieces straddle pages
        var data = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        (0..<halves).map { UInt16(truncatingIfNeeded: $0 * 3).littleEndian }.withUnsafeBytes { data.append(contentsOf: $0) }
        (0..<floats).map { Float($0).bitPattern.littleEndian }.withUnsafeBytes { data.append(contentsOf: $0) }
        (0..<ids).map { Int64(-$0).littleEndian }.withUnsafeBytes { data.append(contentsOf: $0) }
        let url = try raw(data)
        let file = try SafeTensorsFile(contentsOf: url, pieceBytes: 4096)
        for _ in 0..<2 {
            let f16 = try file.tensor("f16").data
            XCTAssertEqual(f16.count, halves)
            for i in 0..<halves {
                let expected = float16ToFloat(UInt16(truncatingIfNeeded: i * 3))
                if f16[i].bitPattern != expected.bitPattern && !(f16[i].isNaN && expected.isNaN) { return XCTFail("f16[\(i)] = \(f16[i])") }
            }
            XCTAssertEqual(try file.tensor("f32").data, (0..<floats).map(Float.init))
            XCTAssertEqual(try file.integers("ids").values, (0..<ids).map { -$0 })
        }
    }

    // MARK: - Half precision

    /// float16 bit patterns and their values, as numpy converts them
    /// (`np.array(bits, np.uint16).view(np.float16).astype(np.float32)`; make_reference.py).
    func testFloat16BitPatterns() {
        let cases: [(bits: UInt16, value: Float, what: String)] = [
            (0x3C00, 1, "one"), (0xC000, -2, "minus two"), (0x7BFF, 65504, "largest"),
            (0x0001, f(0x3380_0000), "smallest subnormal, 2⁻²⁴"), (0x03FF, f(0x387F_C000), "largest subnormal"),
            (0x0400, f(0x3880_0000), "smallest normal, 2⁻¹⁴"), (0x7C00, .infinity, "infinity"), (0xFC00, -.infinity, "minus infinity"),
            (0x3554, f(0x3EAA_8000), "0.333 rounded to float16: 0.3330078125"), (0x8000, -0.0, "minus zero"),
        ]
        for c in cases {
            XCTAssertEqual(float16ToFloat(c.bits).bitPattern, c.value.bitPattern, c.what)
        }
        XCTAssertEqual(float16ToFloat(0x7E00).bitPattern, 0x7FC0_0000, "the quiet NaN")
        XCTAssertTrue(float16ToFloat(0xFD01).isNaN, "a negative NaN with a payload")
    }

    #if !(os(macOS) && arch(x86_64))
    /// Against Swift's own Float16 (absent on Intel Macs), for all 65,536 bit patterns.
    func testFloat16AgreesWithSwiftFloat16Everywhere() {
        for bits in 0...UInt16.max {
            let ours = float16ToFloat(bits), swift = Float(Float16(bitPattern: bits))
            XCTAssertTrue(ours.bitPattern == swift.bitPattern || (ours.isNaN && swift.isNaN), "0x\(String(bits, radix: 16))")
        }
    }
    #endif

    /// bfloat16 is the top half of a float32: value = float32 with bits `b << 16`
    /// (Python: `struct.unpack('<f', struct.pack('<I', b << 16))`; make_reference.py).
    func testBFloat16BitPatterns() {
        let cases: [(bits: UInt16, value: Float, what: String)] = [
            (0x3F80, 1, "one"), (0xC000, -2, "minus two"), (0x4780, 65536, "65504 rounded to bfloat16"),
            (0x0001, f(0x0001_0000), "smallest subnormal, 2⁻¹³³"), (0x7F80, .infinity, "infinity"), (0xFF80, -.infinity, "minus infinity"),
            (0x3EAA, 0.33203125, "0.333 rounded to bfloat16"), (0x8000, -0.0, "minus zero"),
        ]
        for c in cases {
            XCTAssertEqual(bfloat16ToFloat(c.bits).bitPattern, c.value.bitPattern, c.what)
        }
        XCTAssertTrue(bfloat16ToFloat(0x7FC0).isNaN)
    }

    // MARK: - Half-precision tensors kept as stored

    /// `tensorAsStored` points into the mapped file instead of widening: the same values as
    /// `tensor(_:)` (numpy's, above), read element by element or widened, with no float32 copy.
    func testHalfPrecisionTensorsCanStayAsStored() throws {
        let file = try SafeTensorsFile(contentsOf: fixtureURL("safetensors/dtypes.safetensors"))
        for (name, form) in [("f16", ElementForm.float16), ("bf16", .bfloat16)] {
            let stored = try file.tensorAsStored(name), widened = try file.tensor(name)
            XCTAssertEqual(stored.storage.form, form)
            XCTAssertEqual(stored.shape, widened.shape)
            XCTAssertEqual(stored.data.map(\.bitPattern), widened.data.map(\.bitPattern), name)
            XCTAssertEqual(stored.widened().storage.form, .float32)
            XCTAssertEqual(stored.widened().data.map(\.bitPattern), widened.data.map(\.bitPattern), name)
            XCTAssertEqual(stored[1].bitPattern, widened[1].bitPattern, name)
            // A write widens it into storage of its own; the file is untouched.
            stored[0] = 42
            XCTAssertEqual(stored.storage.form, .float32)
            XCTAssertEqual(Array(stored.data.dropFirst()).map(\.bitPattern), Array(widened.data.dropFirst()).map(\.bitPattern))
            XCTAssertEqual(try file.tensorAsStored(name).data.map(\.bitPattern), widened.data.map(\.bitPattern))
        }
        // Other dtypes are converted as tensor(_:) converts them.
        XCTAssertEqual(try file.tensorAsStored("f64").storage.form, .float32)
        XCTAssertEqual(try file.tensorAsStored("f64").data, try file.tensor("f64").data)
    }

    // MARK: - Every dtype, from a file the reference library wrote

    /// dtypes.safetensors (make_reference.py) holds one tensor per dtype; the expected floats
    /// are numpy's `.astype(np.float32)` of the same arrays, printed by that script.
    func testReadsEveryDTypeFromReferenceFile() throws {
        let file = try SafeTensorsFile(contentsOf: fixtureURL("safetensors/dtypes.safetensors"))
        XCTAssertEqual(file.names, ["bf16", "bool", "f16", "f64", "i16", "i32", "i64", "i8", "u8"])
        XCTAssertEqual(file.metadata, [:])

        let f16 = try file.tensor("f16")
        XCTAssertEqual(file.info("f16")?.dtype, .F16)
        XCTAssertEqual(f16.shape, [11])
        let f16Bits: [UInt32] = [0x3F80_0000, 0xC000_0000, 0x477F_E000, 0x3380_0000, 0x387F_C000, 0x3880_0000,
                                 0x7F80_0000, 0xFF80_0000, 0x7FC0_0000, 0x3EAA_8000, 0x8000_0000]
        XCTAssertEqual(f16.data.map(\.bitPattern), f16Bits)

        let bf16 = try file.tensor("bf16")
        XCTAssertEqual(file.info("bf16")?.dtype, .BF16)
        XCTAssertEqual(bf16.data.map(\.bitPattern), [0x3F80_0000, 0xC000_0000, 0x4780_0000, 0x0001_0000, 0x7F80_0000,
                                                     0xFF80_0000, 0x7FC0_0000, 0x3EAA_0000, 0x8000_0000])

        // F64 rounds to the nearest float32: 0.1, 1/3, -1e300 (→ -inf), 2⁻¹⁴⁹.
        XCTAssertEqual(try file.tensor("f64").data.map(\.bitPattern), [0x3DCC_CCCD, 0x3EAA_AAAB, 0xFF80_0000, 0x0000_0001])

        let i64 = try file.integers("i64")
        XCTAssertEqual(i64.shape, [2, 2])
        XCTAssertEqual(i64.values, [-1, 50256, 1 << 40, 0])
        XCTAssertEqual(try file.integers("i32").values, [-2_147_483_648, 2_147_483_647, 0, 16_777_217])
        // 2³¹ - 1 and 2²⁴ + 1 have no float32: they round as numpy rounds them.
        XCTAssertEqual(try file.tensor("i32").data, [-2_147_483_648, 2_147_483_648, 0, 16_777_216])
        XCTAssertEqual(try file.integers("i16").values, [-32768, 32767])
        XCTAssertEqual(try file.integers("i8").values, [-128, 127])
        XCTAssertEqual(try file.integers("u8").values, [0, 255, 7])
        XCTAssertEqual(try file.tensor("u8").data, [0, 255, 7])
        XCTAssertEqual(try file.integers("bool").values, [1, 0, 1])
        XCTAssertEqual(try file.tensor("bool").data, [1, 0, 1])
    }

    // MARK: - A real checkpoint

    /// gpt2-tiny's model.safetensors, as Hugging Face's save_pretrained wrote it. The
    /// expected values were read independently with Python's json and struct modules:
    /// `n = struct.unpack('<Q', d[:8])[0]; h = json.loads(d[8:8+n])`, then the 4 bytes at
    /// `8 + n + h[name]['data_offsets'][0] + 4 * index`, shown as the float32's bits.
    func testReadsHuggingFaceCheckpoint() throws {
        let file = try SafeTensorsFile(contentsOf: fixtureURL("gpt2-tiny/model.safetensors"))
        XCTAssertEqual(file.names.count, 28)
        XCTAssertEqual(file.headerLength, 2592)
        XCTAssertEqual(file.metadata, ["format": "pt"])
        XCTAssertEqual(file.names.first, "transformer.h.0.attn.c_attn.bias")
        XCTAssertEqual(file.names.last, "transformer.wte.weight")

        // The shapes the config gives: vocab_size 1000, n_positions 64, n_embd 32.
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: fixtureURL("gpt2-tiny/config.json"))) as! [String: Any]
        let (vocab, positions, width) = (config["vocab_size"] as! Int, config["n_positions"] as! Int, config["n_embd"] as! Int)
        XCTAssertEqual([vocab, positions, width], [1000, 64, 32])
        let wte = try file.tensor("transformer.wte.weight")
        XCTAssertEqual(wte.shape, [vocab, width])
        XCTAssertEqual(file.info("transformer.wpe.weight")?.shape, [positions, width])
        XCTAssertEqual(file.info("transformer.h.0.attn.c_attn.weight")?.shape, [width, 3 * width])   // Conv1D: (in, out)
        XCTAssertEqual(file.info("transformer.wte.weight")?.byteRange, 110_080 ..< 238_080)

        XCTAssertEqual(wte.data[0].bitPattern, 0xBD04_5E85)            // -0.03231670334935188
        XCTAssertEqual(wte.data[1].bitPattern, 0x3B22_20D9)            //  0.0024738817010074854
        XCTAssertEqual(wte.data[5 * 32 + 7].bitPattern, 0x3C24_E0D9)   //  0.010063373483717442, row 5 column 7
        XCTAssertEqual(wte.data[31_999].bitPattern, 0x3CCD_D5F7)       //  0.025126440450549126, the last
        XCTAssertEqual(try file.tensor("transformer.wpe.weight").data[63 * 32 + 31].bitPattern, 0x3ABC_6173)   // 0.0014372303849086165
        XCTAssertEqual(try file.tensor("transformer.ln_f.weight").data, [Float](repeating: 1, count: 32))
    }

    /// gpt2-tiny's expected.safetensors (written by the reference library from PyTorch) holds
    /// input_ids as I64 and the loss as F32; values read with Python's struct as above.
    func testReadsReferenceInputIdsAndLoss() throws {
        let file = try SafeTensorsFile(contentsOf: fixtureURL("gpt2-tiny/expected.safetensors"))
        let ids = try file.integers("input_ids")
        XCTAssertEqual(ids.shape, [2, 16])
        XCTAssertEqual(Array(ids.values.prefix(4)), [977, 768, 798, 888])
        XCTAssertEqual(ids.values.last, 886)
        XCTAssertEqual(try file.tensor("loss").data.map(\.bitPattern), [0x40DE_7191])   // 6.9513630867004395
    }

    // MARK: - Malformed files, one error each

    /// Writes a file of the 8-byte `length` (the header's own unless given), `header` and
    /// `dataBytes` zero bytes.
    func malformed(header: String, dataBytes: Int = 0, length: UInt64? = nil) throws -> URL {
        var data = Data()
        withUnsafeBytes(of: (length ?? UInt64(header.utf8.count)).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        data.append(Data(count: dataBytes))
        return try raw(data)
    }

    /// Writes `data` as a file.
    func raw(_ data: Data) throws -> URL {
        let url = directory.appendingPathComponent("bad-\(UUID().uuidString.prefix(8)).safetensors")
        try data.write(to: url)
        return url
    }

    /// Opening `url` fails with `kind`, and the message names the file and contains `text`.
    func assertError(_ url: URL, _ kind: SafeTensorsError.Kind, mentions text: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafeTensorsFile(contentsOf: url), file: file, line: line) { error in
            check(error, kind, url, text, file: file, line: line)
        }
    }

    func check(_ error: Error, _ kind: SafeTensorsError.Kind, _ url: URL, _ text: String,
               file: StaticString = #filePath, line: UInt = #line) {
        guard let e = error as? SafeTensorsError else { return XCTFail("not a SafeTensorsError: \(error)", file: file, line: line) }
        XCTAssertEqual(e.kind, kind, "\(e)", file: file, line: line)
        XCTAssertTrue(e.description.hasPrefix(url.path + ": "), "the error names the file: \(e)", file: file, line: line)
        XCTAssertTrue(e.description.contains(text), "\(e)\nshould mention: \(text)", file: file, line: line)
        XCTAssertFalse(e.hint.isEmpty, "every error has a hint: \(e)", file: file, line: line)
    }

    let entry = #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#

    func testMissingFile() {
        assertError(directory.appendingPathComponent("nope.safetensors"), .unreadable, mentions: "no such file")
    }

    func testDirectoryInsteadOfFile() {
        assertError(directory, .unreadable, mentions: "is a directory")
    }

    /// A path that goes through a regular file, as if it were a directory: open() fails with
    /// ENOTDIR for every user, root included (permission bits, which root bypasses, play no part).
    func testUnreadableFile() throws {
        let file = try malformed(header: entry, dataBytes: 8)
        let url = file.appendingPathComponent("model.safetensors")
        XCTAssertFalse(FileManager.default.isReadableFile(atPath: url.path))
        assertError(url, .unreadable, mentions: "cannot be read (Not a directory)")
    }

    func testFileShorterThanTheHeaderLength() throws {
        assertError(try raw(Data()), .truncated, mentions: "is 0 bytes long")
        assertError(try raw(Data([1, 2, 3])), .truncated, mentions: "is 3 bytes long, too short")
    }

    func testFileShorterThanTheHeader() throws {
        assertError(try malformed(header: "{}", length: 50), .truncated, mentions: "a header of 50 bytes, but only 2 follow")
    }

    func testDataShorterThanOffsetsClaim() throws {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[4],"data_offsets":[4,20]}}"#
        assertError(try malformed(header: header, dataBytes: 12), .truncated,
                    mentions: "its tensors need 20 bytes of data (tensor b ends at byte 20), but only 12 follow the header")
    }

    func testAbsurdHeaderLength() throws {
        assertError(try malformed(header: "{}", length: 1 << 40), .badHeaderLength, mentions: "1099511627776 bytes, larger than 100 MB")
        assertError(try malformed(header: "{}", length: 100_000_001), .badHeaderLength, mentions: "larger than 100 MB")
    }

    func testHeaderNotUTF8() throws {
        var data = Data()
        withUnsafeBytes(of: UInt64(4).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: [0x7B, 0xFF, 0xFE, 0x7D])
        assertError(try raw(data), .badHeaderJSON, mentions: "is not UTF-8 text")
    }

    func testHeaderNotJSON() throws {
        assertError(try malformed(header: #"{"x": [1, 2"#), .badHeaderJSON, mentions: "11-byte header is not valid JSON")
    }

    func testHeaderNotAnObject() throws {
        assertError(try malformed(header: "[1, 2]"), .badHeaderJSON, mentions: "header is a JSON array, not an object")
    }

    func testMetadataNotStrings() throws {
        assertError(try malformed(header: #"{"__metadata__":{"format":"pt","step":1}}"#), .badMetadata,
                    mentions: "__metadata__ entry step is a JSON number, not a string")
        assertError(try malformed(header: #"{"__metadata__":["pt"]}"#), .badMetadata, mentions: "__metadata__ is a JSON array")
    }

    func testEntryMissingFields() throws {
        assertError(try malformed(header: #"{"x":{"shape":[1],"data_offsets":[0,4]}}"#, dataBytes: 4), .badEntry, mentions: "tensor x has no dtype")
        assertError(try malformed(header: #"{"x":{"dtype":"F32","data_offsets":[0,4]}}"#, dataBytes: 4), .badEntry, mentions: "tensor x has no shape")
        assertError(try malformed(header: #"{"x":{"dtype":"F32","shape":[1]}}"#, dataBytes: 4), .badEntry, mentions: "tensor x has no data_offsets")
        assertError(try malformed(header: #"{"x":[0,4]}"#, dataBytes: 4), .badEntry, mentions: "the entry of tensor x is a JSON array")
    }

    func testEntryFieldsOfWrongType() throws {
        assertError(try malformed(header: #"{"x":{"dtype":32,"shape":[1],"data_offsets":[0,4]}}"#, dataBytes: 4), .badEntry,
                    mentions: "tensor x has a non-string dtype")
        assertError(try malformed(header: #"{"x":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, dataBytes: 4), .badEntry,
                    mentions: "a shape that is not a list of sizes")
        assertError(try malformed(header: #"{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, dataBytes: 4), .badEntry,
                    mentions: "a shape that is not a list of sizes ≥ 0")
        assertError(try malformed(header: #"{"x":{"dtype":"F32","shape":[1],"data_offsets":[true,4]}}"#, dataBytes: 4), .badEntry,
                    mentions: "data_offsets that are not two integers")
        assertError(try malformed(header: #"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}"#, dataBytes: 4), .badEntry,
                    mentions: "data_offsets that are not two integers")
    }

    func testOffsetsOutOfRange() throws {
        assertError(try malformed(header: #"{"x":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}"#, dataBytes: 8), .offsetsOutOfRange,
                    mentions: "tensor x has data_offsets [8, 4]: they must satisfy 0 ≤ begin ≤ end")
        assertError(try malformed(header: #"{"x":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}"#, dataBytes: 4), .offsetsOutOfRange,
                    mentions: "data_offsets [-4, 0]")
    }

    func testOverlappingOffsets() throws {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        assertError(try malformed(header: header, dataBytes: 12), .offsetsOverlapOrHoles,
                    mentions: "tensor b (data bytes 4..<12) overlaps tensor a, which ends at byte 8")
    }

    func testHoleBetweenTensors() throws {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        assertError(try malformed(header: header, dataBytes: 12), .offsetsOverlapOrHoles,
                    mentions: "data bytes 4..<8, before tensor b, belong to no tensor")
    }

    func testBytesAfterTheLastTensor() throws {
        assertError(try malformed(header: entry, dataBytes: 12), .offsetsOverlapOrHoles,
                    mentions: "the last 4 bytes of its data (from byte 8) belong to no tensor")
    }

    func testUnknownDType() throws {
        assertError(try malformed(header: #"{"x":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}"#, dataBytes: 8), .unknownDType,
                    mentions: "tensor x has dtype C64, which the course cannot read")
    }

    func testShapeDoesNotMatchByteCount() throws {
        assertError(try malformed(header: #"{"x":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}"#, dataBytes: 20), .shapeMismatch,
                    mentions: "tensor x of shape [2, 3] and dtype F32 needs 24 bytes (6 × 4), but its data_offsets [0, 20] span 20")
        // A shape too large to count is refused, not multiplied into nonsense.
        let huge = #"{"x":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}"#
        assertError(try malformed(header: huge, dataBytes: 4), .shapeMismatch, mentions: "more bytes than can be counted")
    }

    func testMissingTensorSuggestsSimilarNames() throws {
        let url = fixtureURL("gpt2-tiny/model.safetensors")
        let file = try SafeTensorsFile(contentsOf: url)
        XCTAssertThrowsError(try file.tensor("wte.weight")) { error in
            check(error, .missingTensor, url, "has no tensor named wte.weight\nhint: did you mean transformer.wte.weight?")
        }
    }

    func testMissingTensorListsSomeNames() throws {
        let url = fixtureURL("gpt2-tiny/model.safetensors")
        let file = try SafeTensorsFile(contentsOf: url)
        XCTAssertThrowsError(try file.integers("input_ids")) { error in
            check(error, .missingTensor, url, "it holds 28 tensors, e.g. transformer.h.0.attn.c_attn.bias, transformer.h.0.attn.c_attn.weight")
        }
    }

    func testIntegersOfAFloatTensor() throws {
        let url = try malformed(header: entry, dataBytes: 8)
        XCTAssertThrowsError(try SafeTensorsFile(contentsOf: url).integers("x")) { error in
            check(error, .wrongKind, url, "tensor x holds F32 numbers, not integers")
        }
    }
}

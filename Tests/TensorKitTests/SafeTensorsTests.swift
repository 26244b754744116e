import Foundation
import TestSupport
import XCTest
@testable import TensorKit

final class SafeTensorsTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("safetensors-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: - Round trips

    func testFloatIntegerAndMetadataRoundTrip() throws {
        let url = directory.appendingPathComponent("a.safetensors")
        let tensors = [
            "matrix": Tensor([[1.5, -2.25, 3], [0.1, Float.leastNonzeroMagnitude, -0.0]]),
            "scalar": Tensor(scalar: 7),
            "empty": Tensor(shape: [0, 3], data: []),
        ]
        let ids = (shape: [2, 3], values: [50256, 0, -1, Int(Int32.max) + 5, 42, 7])
        try SafeTensors.write(tensors, integers: ["input_ids": ids], metadata: ["format": "pt", "note": "a \"quoted\" value"], to: url)
        let file = try SafeTensorsFile(contentsOf: url)
        XCTAssertEqual(file.names, ["empty", "input_ids", "matrix", "scalar"])
        XCTAssertEqual(file.metadata, ["format": "pt", "note": "a \"quoted\" value"])
        for (name, t) in tensors {
            let back = try file.tensor(name)
            XCTAssertEqual(back.shape, t.shape)
            XCTAssertEqual(back.data.map(\.bitPattern), t.data.map(\.bitPattern), name)
        }
        let backIds = try file.integers("input_ids")
        XCTAssertEqual(backIds.shape, [2, 3])
        XCTAssertEqual(backIds.values, ids.values)
        XCTAssertEqual(file.info("input_ids")?.dtype, .I64)
        // the data starts 8-byte aligned, as the reference library writes it
        let bytes = try Data(contentsOf: url)
        let headerLength = bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        XCTAssertEqual((8 + headerLength) % 8, 0)
    }

    func testWritingReplacesAtomicallyAndLeavesNoTemporaryFile() throws {
        let url = directory.appendingPathComponent("b.safetensors")
        try SafeTensors.write(["x": Tensor([1])], to: url)
        try SafeTensors.write(["x": Tensor([2, 3])], to: url)
        XCTAssertEqual(try SafeTensorsFile(contentsOf: url).tensor("x").data, [2, 3])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["b.safetensors"])
        let missingDirectory = directory.appendingPathComponent("no/such/dir/c.safetensors")
        XCTAssertThrowsError(try SafeTensors.write(["x": Tensor([1])], to: missingDirectory)) { error in
            XCTAssertTrue(error is InputError)
            XCTAssertTrue("\(error)".contains("c.safetensors"))
        }
    }

    // MARK: - Half precision

    func testFloat16AndBFloat16Decoding() throws {
        // bit patterns and the floats they stand for (IEEE 754 binary16; bfloat16 = top half of binary32)
        let halves: [(UInt16, Float)] = [(0x3C00, 1), (0xC000, -2), (0x7BFF, 65504), (0x0001, 0x1p-24), (0x03FF, 0x3FFp-24),
                                         (0x0400, 0x1p-14), (0x7C00, .infinity), (0xFC00, -.infinity), (0x3555, 0.333251953125), (0x8000, -0.0)]
        for (bits, value) in halves { XCTAssertEqual(float16ToFloat(bits).bitPattern, value.bitPattern, "0x\(String(bits, radix: 16))") }
        XCTAssertTrue(float16ToFloat(0x7E00).isNaN)

        var header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,6]},\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[6,10]}}"
        while (header.utf8.count + 8) % 8 != 0 { header += " " }
        var data = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        for h: UInt16 in [0x3C00, 0xC000, 0x0001, 0x3F80, 0xC0A0] { withUnsafeBytes(of: h.littleEndian) { data.append(contentsOf: $0) } }
        let url = directory.appendingPathComponent("half.safetensors")
        try data.write(to: url)
        let file = try SafeTensorsFile(contentsOf: url)
        XCTAssertEqual(try file.tensor("h").data, [1, -2, 0x1p-24])
        XCTAssertEqual(try file.tensor("b").data, [1, -5])   // 0x3F80 → 1.0, 0xC0A0 → -5.0
    }

    // MARK: - A real checkpoint

    /// gpt2-tiny's model.safetensors, as Hugging Face's save_pretrained wrote it. The values
    /// were read independently with Python's struct module from the same bytes.
    func testReadsHuggingFaceCheckpoint() throws {
        let file = try SafeTensorsFile(contentsOf: fixtureURL("gpt2-tiny/model.safetensors"))
        XCTAssertEqual(file.names.count, 28)
        XCTAssertEqual(file.metadata, ["format": "pt"])
        XCTAssertEqual(file.names.first, "transformer.h.0.attn.c_attn.bias")
        let wte = try file.tensor("transformer.wte.weight")
        XCTAssertEqual(wte.shape, [1000, 32])
        XCTAssertEqual(Array(wte.data.prefix(3)), [-0.03231670334935188, 0.0024738817010074854, 0.008617239072918892])
        XCTAssertEqual(wte.data.last, 0.025126440450549126)
        XCTAssertEqual(file.info("transformer.h.0.attn.c_attn.weight")?.shape, [32, 96])   // Conv1D: (in, out)
    }

    // MARK: - Malformed files, one error each

    /// Writes a file from a header text and a data buffer.
    func file(header: String, dataBytes: Int, raw: Data? = nil) throws -> URL {
        let url = directory.appendingPathComponent("bad-\(UUID().uuidString).safetensors")
        if let raw { try raw.write(to: url); return url }
        var data = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        data.append(Data(count: dataBytes))
        try data.write(to: url)
        return url
    }

    func assertError(_ url: URL, _ kind: SafeTensorsError.Kind, mentions text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafeTensorsFile(contentsOf: url), file: file, line: line) { error in
            guard let e = error as? SafeTensorsError else { return XCTFail("not a SafeTensorsError: \(error)", file: file, line: line) }
            XCTAssertEqual(e.kind, kind, "\(e)", file: file, line: line)
            XCTAssertTrue(e.description.contains(url.lastPathComponent), "the error names the file: \(e)", file: file, line: line)
            XCTAssertTrue(e.description.contains(text), "\(e) should mention \(text)", file: file, line: line)
        }
    }

    func testMissingFile() {
        assertError(directory.appendingPathComponent("nope.safetensors"), .unreadable, mentions: "no such file")
    }

    func testTruncatedFiles() throws {
        assertError(try file(header: "", dataBytes: 0, raw: Data([1, 2, 3])), .truncated, mentions: "too short")
        var shortHeader = Data()
        withUnsafeBytes(of: UInt64(50).littleEndian) { shortHeader.append(contentsOf: $0) }
        shortHeader.append(contentsOf: Array("{}".utf8))
        assertError(try file(header: "", dataBytes: 0, raw: shortHeader), .truncated, mentions: "runs past the end")
        let header = "{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}"
        assertError(try file(header: header, dataBytes: 8), .offsetsOutOfRange, mentions: "[0, 16]")
    }

    func testAbsurdHeaderLength() throws {
        var data = Data()
        withUnsafeBytes(of: UInt64(1) << 40) { data.append(contentsOf: $0) }
        assertError(try file(header: "", dataBytes: 0, raw: data), .badHeaderLength, mentions: "larger than 100 MB")
    }

    func testBadJSON() throws {
        assertError(try file(header: "{\"x\": [1, 2", dataBytes: 0), .badHeaderJSON, mentions: "not a JSON object")
        assertError(try file(header: "[1, 2]", dataBytes: 0), .badHeaderJSON, mentions: "not a JSON object")
        assertError(try file(header: "{\"x\":{\"dtype\":\"F32\",\"shape\":[1]}}", dataBytes: 4), .badEntry, mentions: "data_offsets")
        assertError(try file(header: "{\"__metadata__\":{\"a\":1}}", dataBytes: 0), .badHeaderJSON, mentions: "__metadata__")
    }

    func testUnknownDType() throws {
        assertError(try file(header: "{\"x\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}", dataBytes: 8), .unknownDType, mentions: "C64")
    }

    func testOverlapAndHoles() throws {
        let overlap = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}"
        assertError(try file(header: overlap, dataBytes: 12), .offsetsOverlapOrHoles, mentions: "overlaps")
        let hole = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}"
        assertError(try file(header: hole, dataBytes: 12), .offsetsOverlapOrHoles, mentions: "belong to no tensor")
        let tail = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"
        assertError(try file(header: tail, dataBytes: 12), .offsetsOverlapOrHoles, mentions: "last 8 bytes")
    }

    func testShapeDoesNotMatchByteCount() throws {
        assertError(try file(header: "{\"x\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", dataBytes: 20),
                    .shapeMismatch, mentions: "needs 24 bytes")
    }

    func testMissingTensorNamesSimilarOnes() throws {
        let file = try SafeTensorsFile(contentsOf: fixtureURL("gpt2-tiny/model.safetensors"))
        XCTAssertThrowsError(try file.tensor("wte.weight")) { error in
            XCTAssertEqual((error as? SafeTensorsError)?.kind, .missingTensor)
            XCTAssertTrue("\(error)".contains("transformer.wte.weight"), "\(error)")
        }
    }
}

"""Writes the reference files SafeTensorsTests compares the Swift reader and writer with.

Every file here is written by Hugging Face's own `safetensors` library (pip install
safetensors numpy; made with safetensors 0.8.0, numpy 2.4.6), so a test that reads them
checks the Swift reader against the real format, and a test that writes the same tensors
checks the Swift writer byte for byte. Run from this directory:

    python3 make_reference.py

It prints the values the tests hard-code, computed here with numpy and struct (never
with the Swift code), and each file's header.
"""
import os
import struct

import numpy as np
import safetensors
from safetensors.numpy import save_file


def float32_bits(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


def bfloat16_bits(x):
    """float32 → bfloat16 bits, rounding to nearest even (as torch's .to(torch.bfloat16))."""
    bits = float32_bits(x)
    if (bits & 0x7FFFFFFF) > 0x7F800000:  # NaN: keep it a quiet NaN
        return (bits >> 16) | 0x0040
    return (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16


# 1. What the writer must reproduce byte for byte: float32 and int64 tensors, a scalar,
#    an empty tensor and one metadata entry (one, because the library writes a
#    metadata dictionary of several entries in hash order).
save_file(
    {
        "matrix": np.array([[1.5, -2.25, 3.0], [0.1, 1e-45, -0.0]], dtype=np.float32),  # 1e-45: the smallest float32, 2⁻¹⁴⁹
        "scalar": np.array(7.0, dtype=np.float32),
        "empty": np.zeros((0, 3), dtype=np.float32),
        "input_ids": np.array([[50256, 0, -1], [2**31 + 4, 42, 7]], dtype=np.int64),
    },
    "reference.safetensors",
    metadata={"format": "pt"},
)

# 2. No tensors, no metadata: `{}` padded with spaces.
save_file({}, "nothing.safetensors")

# 3. A metadata string that needs JSON escapes, and a name with a non-ASCII letter.
save_file(
    {"poids.é": np.array([1.0], dtype=np.float32)},
    "escapes.safetensors",
    metadata={"note": 'a "quoted" é/\\ value\n\twith \x01 control'},
)

# 4. Every dtype the reader converts.
f16_values = [1.0, -2.0, 65504.0, 2.0**-24, 1023 * 2.0**-24, 2.0**-14, np.inf, -np.inf, np.nan, 0.333, -0.0]
bf16_values = [1.0, -2.0, 65504.0, 2.0**-133, np.inf, -np.inf, np.nan, 0.333, -0.0]
bf16 = np.array([bfloat16_bits(v) for v in bf16_values], dtype=np.uint16)
arrays = {
    "f16": np.array(f16_values, dtype=np.float16),
    "f64": np.array([0.1, 1.0 / 3.0, -1e300, 2.0**-149], dtype=np.float64),
    "i64": np.array([[-1, 50256], [2**40, 0]], dtype=np.int64),
    "i32": np.array([-(2**31), 2**31 - 1, 0, 2**24 + 1], dtype=np.int32),
    "i16": np.array([-32768, 32767], dtype=np.int16),
    "i8": np.array([-128, 127], dtype=np.int8),
    "u8": np.array([0, 255, 7], dtype=np.uint8),
    "bool": np.array([True, False, True], dtype=np.bool_),
}
specs = {
    name: safetensors.TensorSpec(dtype=a.dtype.name, shape=list(a.shape), data_ptr=a.ctypes.data, data_len=a.nbytes)
    for name, a in arrays.items()
}
specs["bf16"] = safetensors.TensorSpec(dtype="bfloat16", shape=[len(bf16)], data_ptr=bf16.ctypes.data, data_len=bf16.nbytes)
with open("dtypes.safetensors", "wb") as f:
    f.write(safetensors.serialize(specs))

print("f16 bits and float32 values:")
for h, v in zip(arrays["f16"].view(np.uint16), arrays["f16"].astype(np.float32)):
    print(f"  0x{int(h):04X} -> {float(v)!r} (float32 bits 0x{float32_bits(v):08X})")
print("bf16 bits and float32 values (bits << 16):")
for h in bf16:
    v = struct.unpack("<f", struct.pack("<I", int(h) << 16))[0]
    print(f"  0x{int(h):04X} -> {v!r} (float32 bits 0x{int(h) << 16:08X})")
for name in ["f64", "i64", "i32", "i16", "i8", "u8", "bool"]:
    with np.errstate(over="ignore"):  # -1e300 becomes -inf in float32, as intended
        as32 = arrays[name].astype(np.float32).ravel()
    print(name, arrays[name].tolist(), "as float32:", [float(x) for x in as32],
          "bits:", [f"0x{float32_bits(float(x)):08X}" for x in as32])
for path in ["reference.safetensors", "nothing.safetensors", "escapes.safetensors", "dtypes.safetensors"]:
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    print(path, len(data), "bytes, header", n, data[8 : 8 + n])
    os.chmod(path, 0o644)

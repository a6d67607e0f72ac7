"""What the golden generators next to this file share.

make_attention_goldens.py, make_rnn_goldens.py and make_grad_goldens.py
draw each case's values from a generator seeded by the case's name, compute
the goldens with PyTorch, and write all cases to one safetensors file that
a unit test reads. This module seeds the generators and writes the file.

The safetensors file is written by hand: the `safetensors` package is not
in Debian.
"""
import json
import struct
import zlib

import torch


def seeded_generator(key):
    """A torch.Generator seeded by the CRC-32 of `key` (a case's name), so
    that adding a case changes no other case's numbers."""
    return torch.Generator().manual_seed(zlib.crc32(key.encode()))


class Gen:
    """Draws float32 tensors (or int64 token ids) from a generator seeded by
    `name`; floats are drawn in float64 and rounded."""

    def __init__(self, name):
        self.g = seeded_generator(name)

    def uniform(self, shape, scale):
        u = torch.rand(shape, generator=self.g, dtype=torch.float64)
        return ((2 * u - 1) * scale).float()

    def normal(self, shape):
        return torch.randn(shape, generator=self.g,
                           dtype=torch.float64).float()

    def tokens(self, shape, count):
        return torch.randint(count, shape, generator=self.g)


def max_error(a, b):
    return (a - b).abs().max().item() if a.numel() else 0.0


def case_tensors(case, tensors):
    """The tensors of one case by their names in the file: "<case>/<name>"."""
    return {"%s/%s" % (case, name): t for name, t in tensors.items()}


DTYPES = {torch.float32: ("F32", "<f4"), torch.float64: ("F64", "<f8"),
          torch.int64: ("I64", "<i8")}


def write_safetensors(path, tensors, metadata):
    """The safetensors layout: u64 LE header size, JSON header, raw data."""
    header, blobs, offset = {}, [], 0
    for name, tensor in tensors.items():
        dtype, numpy_type = DTYPES[tensor.dtype]
        data = tensor.detach().contiguous().numpy().astype(numpy_type).tobytes()
        header[name] = {"dtype": dtype, "shape": list(tensor.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def write_goldens(path, tensors, cases, source):
    """Writes the tensors of `cases` to `path`; the metadata names the
    generator `source`, PyTorch's version and the cases."""
    write_safetensors(path, tensors, {
        "source": source, "torch": torch.__version__,
        "cases": ",".join(cases)})
    print("%s: %d cases, %d tensors" % (path, len(cases), len(tensors)))

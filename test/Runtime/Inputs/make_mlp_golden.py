#!/usr/bin/python3
"""Golden data for the MLP 4 -> 16 tanh -> 3 softmax, computed by PyTorch.

Writes, next to this script:
  mlp.safetensors   the weights fc1.W [16, 4], fc1.b [16], fc2.W [3, 16],
                    fc2.b [3] (F32), the parameter names of examples/mlp.seq
                    and of mlp.mlir
  mlp_inputs.csv    10 instances of 4 features, with a header row
  mlp_golden.csv    PyTorch's float32 softmax outputs for them, with a header

Regenerate (Debian's python3-torch; the output is deterministic):
  /usr/bin/python3 test/Runtime/Inputs/make_mlp_golden.py

Numbers are printed with 9 significant digits, which round-trip float32, so
the runtime sees exactly the weights and inputs PyTorch used. The
safetensors file is written by hand: the `safetensors` package is not in
Debian.
"""
import json
import os
import struct

import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def write_safetensors(path, tensors):
    """The safetensors layout: u64 LE header size, JSON header, raw data."""
    header, blobs, offset = {}, [], 0
    for name, tensor in tensors.items():
        data = tensor.detach().contiguous().numpy().astype("<f4").tobytes()
        header[name] = {
            "dtype": "F32",
            "shape": list(tensor.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt", "source": "make_mlp_golden.py"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def write_csv(path, names, rows):
    with open(path, "w") as f:
        f.write(",".join(names) + "\n")
        for row in rows:
            f.write(",".join("%.9g" % value for value in row) + "\n")


def main():
    torch.manual_seed(20240601)
    fc1 = torch.nn.Linear(4, 16)
    fc2 = torch.nn.Linear(16, 3)
    # Inputs of several scales, so that tanh saturates for some rows.
    x = torch.randn(10, 4) * torch.tensor([[0.5], [1.0], [2.0], [4.0], [1.0],
                                           [0.5], [1.0], [2.0], [3.0], [1.0]])
    with torch.no_grad():
        probs = torch.softmax(fc2(torch.tanh(fc1(x))), dim=1)

    write_safetensors(os.path.join(HERE, "mlp.safetensors"), {
        "fc1.W": fc1.weight, "fc1.b": fc1.bias,
        "fc2.W": fc2.weight, "fc2.b": fc2.bias,
    })
    write_csv(os.path.join(HERE, "mlp_inputs.csv"),
              ["x0", "x1", "x2", "x3"], x.tolist())
    write_csv(os.path.join(HERE, "mlp_golden.csv"),
              ["p0", "p1", "p2"], probs.tolist())


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes the small .npy and .npz files the tensorio tests read.

Run from this folder: python3 make.py (needs numpy). The values follow
simple formulas that tensorio's tests compute independently:
  element i (C order) of a signed integer or float array is i - 3,
  of an unsigned array max - 5 + i, of a bool array i % 2 == 1,
  of a complex array (i - 3) + (i + 0.5)j.
"""
import numpy as np

CODES = ["f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "b1", "c8", "c16"]


def values(code, shape):
    n = int(np.prod(shape))
    i = np.arange(n)
    kind = code[0]
    if kind == "b":
        v = i % 2 == 1
    elif kind == "u":
        v = np.iinfo("u" + code[1:]).max - 5 + i.astype("u8")
    elif kind == "c":
        v = (i - 3) + (i + 0.5) * 1j
    else:
        v = i - 3
    return v.reshape(shape)


def main():
    for code in CODES:
        v = values(code, (2, 3))
        orders = "<>" if code not in ("i1", "u1", "b1") else "|"
        for order in orders:
            dt = np.dtype(order + code)
            name = {"<": "le", ">": "be", "|": "le"}[order]
            np.save(f"{name}_{code}.npy", v.astype(dt))

    # Fortran order, little- and big-endian.
    np.save("fortran_i4.npy", np.asfortranarray(values("i4", (2, 3, 4)).astype("<i4")))
    np.save("fortran_be_f8.npy", np.asfortranarray(values("f8", (3, 2)).astype(">f8")))

    # Header versions 2.0 and 3.0.
    for ver in [(2, 0), (3, 0)]:
        with open(f"v{ver[0]}_f4.npy", "wb") as f:
            np.lib.format.write_array(f, values("f4", (2, 3)).astype("<f4"), version=ver)

    np.save("scalar_f8.npy", np.float64(3.5))
    np.save("empty_f4.npy", np.zeros((0, 3), "<f4"))
    np.save("vec_i8.npy", values("i8", (5,)).astype("<i8"))

    # Arrays tensorio refuses.
    np.save("str_U.npy", np.array(["ab", "c"]))
    np.save("rec.npy", np.zeros(2, dtype=[("a", "<i4"), ("b", "<f4")]))

    a = values("f4", (2, 3)).astype("<f4")
    b = values("i8", (4,)).astype("<i8")
    np.savez("stored.npz", x=a, y=b)
    np.savez_compressed("deflated.npz", x=a, y=b)
    np.savez("positional.npz", a, b)


if __name__ == "__main__":
    main()

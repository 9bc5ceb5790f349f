"""RFC 6962 (and RFC 9162 §2.1) Merkle trees: hashes, roots, audit paths and their checks.

Written from the RFCs' definitions rather than taken from a library: the one Python library
with consistency proofs (``pymerkle``) emits its own proof format, not RFC audit paths, so it
could not be checked against the Certificate Transparency test vectors that
``tests/unit/test_merkle.py`` runs (and it serves there as an independent oracle for roots).

- ``leaf_hash(d) = SHA-256(0x00 || d)``, ``node_hash(l, r) = SHA-256(0x01 || l || r)``, the
  empty tree's root is ``SHA-256("")``.
- The tree over ``n`` leaves splits at ``k``, the largest power of two smaller than ``n``.
- Proofs are lists of 32-byte hashes, ordered as the RFC's ``PATH`` and ``PROOF``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof that does not verify."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two smaller than ``size`` (for ``size`` > 1)."""
    return 1 << ((size - 1).bit_length() - 1)


class Frontier:
    """A compact range: the roots of the perfect subtrees covering leaves ``[0, size)``, left
    to right, so that appending a leaf and computing the root are O(log n)."""

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        self.size = size
        self.hashes = list(hashes)

    def append(self, leaf: bytes) -> None:
        self.hashes.append(leaf)
        self.size += 1
        merges = (self.size & -self.size).bit_length() - 1  # trailing zeros of the new size
        for _ in range(merges):
            right = self.hashes.pop()
            left = self.hashes.pop()
            self.hashes.append(node_hash(left, right))

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        digest = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            digest = node_hash(left, digest)
        return digest


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes."""
    frontier = Frontier()
    for leaf in leaves:
        frontier.append(leaf)
    return frontier.root()


class Tree:
    """Every complete level of the tree over ``leaves``, hashed once: then the root of any
    range the RFC's recursion asks for (a perfect aligned subtree, or a split of one) costs
    O(log n), and a proof O(log² n) instead of rehashing whole subtrees."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.size = len(leaves)
        self.levels: list[list[bytes]] = [list(leaves)]
        sha256 = hashlib.sha256
        while len(self.levels[-1]) > 1:
            below = self.levels[-1]  # node_hash over each pair, inlined: a level of n/2 calls
            pairs = zip(below[0::2], below[1::2], strict=False)  # an odd last node waits
            self.levels.append([sha256(b"\x01" + left + right).digest() for left, right in pairs])

    def root(self, start: int = 0, end: int | None = None) -> bytes:
        """MTH of the leaves ``[start, end)``."""
        end = self.size if end is None else end
        size = end - start
        if size == 0:
            return EMPTY_ROOT
        if size & (size - 1) == 0 and start % size == 0:  # a perfect, aligned subtree
            level = size.bit_length() - 1
            return self.levels[level][start >> level]
        k = _split(size)
        return node_hash(self.root(start, start + k), self.root(start + k, end))

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """PATH(index, D[0:size])."""
        size = self.size if size is None else size
        if not 0 <= index < size <= self.size:
            msg = f"leaf {index} is not in a tree of {size}"
            raise ValueError(msg)
        return self._path(index, 0, size)

    def _path(self, index: int, start: int, end: int) -> list[bytes]:
        if end - start == 1:
            return []
        k = _split(end - start)
        if index < start + k:
            return [*self._path(index, start, start + k), self.root(start + k, end)]
        return [*self._path(index, start + k, end), self.root(start, start + k)]

    def consistency_proof(self, first: int, size: int | None = None) -> list[bytes]:
        """PROOF(first, D[0:size])."""
        size = self.size if size is None else size
        if not 0 < first <= size <= self.size:
            msg = f"no consistency proof from {first} to {size} leaves"
            raise ValueError(msg)
        return self._subproof(first, 0, size, complete=True)

    def _subproof(self, first: int, start: int, end: int, *, complete: bool) -> list[bytes]:
        if first == end - start:
            return [] if complete else [self.root(start, end)]
        k = _split(end - start)
        if first <= k:
            return [
                *self._subproof(first, start, start + k, complete=complete),
                self.root(start + k, end),
            ]
        return [
            *self._subproof(first - k, start + k, end, complete=False),
            self.root(start, start + k),
        ]


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(index, leaves): the audit path of one leaf in the tree of ``leaves``."""
    return Tree(leaves).inclusion_proof(index)


def consistency_proof(leaves: Sequence[bytes], first: int) -> list[bytes]:
    """PROOF(first, leaves): that the tree of ``leaves[:first]`` is a prefix of this one."""
    return Tree(leaves).consistency_proof(first)


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], expected_root: bytes
) -> None:
    """RFC 9162 §2.1.3.2. Raises ``ProofError`` unless the proof holds."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size}")
    _check_hashes(leaf, expected_root, *proof)
    fn, sn, digest = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            raise ProofError("the proof is too long")
        if fn & 1 or fn == sn:
            digest = node_hash(sibling, digest)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            digest = node_hash(digest, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the proof is too short")
    if digest != expected_root:
        raise ProofError("the proof does not lead to the root")


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> None:
    """RFC 9162 §2.1.4.2. Raises ``ProofError`` unless the proof holds."""
    if _trivially_consistent(first, second, first_root, second_root, proof):
        return
    path = list(proof)
    if first & (first - 1) == 0:  # an exact power of two: the first root is a node of the path
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    first_digest = second_digest = path[0]
    for node in path[1:]:
        if sn == 0:
            raise ProofError("the proof is too long")
        if fn & 1 or fn == sn:
            first_digest = node_hash(node, first_digest)
            second_digest = node_hash(node, second_digest)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            second_digest = node_hash(second_digest, node)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the proof is too short")
    if (first_digest, second_digest) != (first_root, second_root):
        raise ProofError("the proof does not lead to the two roots")


def _trivially_consistent(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """The cases settled before walking the path: True when the trees are one and the same,
    an error when no proof could hold."""
    _check_hashes(*proof)
    if first > second:
        raise ProofError("the first tree is larger than the second")
    if first == 0:
        raise ProofError("a consistency proof from the empty tree proves nothing")
    if first == second:
        if proof:
            raise ProofError("trees of one size need an empty proof")
        if first_root != second_root:
            raise ProofError("trees of one size have one root")
        return True
    if not proof:
        raise ProofError("the proof is empty")
    _check_hashes(first_root, second_root)
    return False


def _check_hashes(*hashes: bytes) -> None:
    if any(len(h) != HASH_SIZE for h in hashes):
        raise ProofError("every hash is 32 bytes")

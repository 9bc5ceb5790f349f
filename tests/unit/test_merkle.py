"""The Merkle tree against RFC 6962: its worked example, the transparency-dev test vectors
(valid cases accepted, every invalid case rejected), and pymerkle as an independent oracle."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymerkle import InmemoryTree

from procurement.audit import merkle
from tests.reference_data import reference

VECTORS = reference("merkle-testdata")
# The leaves of the RFC 6962 reference tests (as in Certificate Transparency's own suites).
RFC_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]
RFC_ROOTS = {
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    6: "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    7: "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}
LEAVES = [merkle.leaf_hash(d) for d in RFC_LEAVES]


def _b64(values: list[str] | None) -> list[bytes]:
    return [base64.b64decode(v) for v in values or []]


def _cases(kind: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (str(path.relative_to(VECTORS)), json.loads(path.read_text()))
        for path in sorted((VECTORS / kind).rglob("*.json"))
    ]


def test_the_empty_tree_and_the_rfc_reference_roots() -> None:
    assert merkle.root([]).hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    for size, expected in RFC_ROOTS.items():
        assert merkle.root(LEAVES[:size]).hex() == expected


@pytest.mark.parametrize(("name", "case"), _cases("inclusion"))
def test_inclusion_vectors(name: str, case: dict[str, Any]) -> None:
    def check() -> None:
        merkle.verify_inclusion(
            case["leafIdx"],
            case["treeSize"],
            base64.b64decode(case["leafHash"] or ""),
            _b64(case["proof"]),
            base64.b64decode(case["root"] or ""),
        )

    if case["wantErr"]:
        with pytest.raises(merkle.ProofError):
            check()
    else:
        check()
        if case["treeSize"] <= len(LEAVES) and base64.b64decode(case["root"]) == merkle.root(
            LEAVES[: case["treeSize"]]
        ):  # a vector over the reference tree: our path is the vector's
            assert merkle.inclusion_proof(LEAVES[: case["treeSize"]], case["leafIdx"]) == _b64(
                case["proof"]
            ), name


@pytest.mark.parametrize(("name", "case"), _cases("consistency"))
def test_consistency_vectors(name: str, case: dict[str, Any]) -> None:
    def check() -> None:
        merkle.verify_consistency(
            case["size1"],
            case["size2"],
            base64.b64decode(case["root1"] or ""),
            base64.b64decode(case["root2"] or ""),
            _b64(case["proof"]),
        )

    if case["wantErr"]:
        with pytest.raises(merkle.ProofError):
            check()
    else:
        check()
        second = case["size2"]
        if 0 < case["size1"] < second <= len(LEAVES) and base64.b64decode(
            case["root2"]
        ) == merkle.root(LEAVES[:second]):
            assert merkle.consistency_proof(LEAVES[:second], case["size1"]) == _b64(
                case["proof"]
            ), name


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=40), min_size=1, max_size=70), st.data())
def test_roots_match_pymerkle_and_every_proof_verifies(
    entries: list[bytes], data: st.DataObject
) -> None:
    leaves = [merkle.leaf_hash(e) for e in entries]
    oracle = InmemoryTree(algorithm="sha256")
    for entry in entries:
        oracle.append_entry(entry)
    assert merkle.root(leaves) == oracle.get_root()

    size = len(leaves)
    index = data.draw(st.integers(0, size - 1))
    proof = merkle.inclusion_proof(leaves, index)
    merkle.verify_inclusion(index, size, leaves[index], proof, merkle.root(leaves))
    first = data.draw(st.integers(1, size))
    consistency = merkle.consistency_proof(leaves, first)
    merkle.verify_consistency(
        first, size, merkle.root(leaves[:first]), merkle.root(leaves), consistency
    )
    if proof:  # any changed hash breaks the proof
        changed = [proof[0][:-1] + bytes([proof[0][-1] ^ 1]), *proof[1:]]
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(index, size, leaves[index], changed, merkle.root(leaves))
    if first < size:
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(
                first, size, merkle.root(leaves[:first]), merkle.root(leaves[:-1]), consistency
            ) if size - 1 != first else merkle.verify_consistency(
                first, size, merkle.leaf_hash(b"other"), merkle.root(leaves), consistency
            )


def test_the_frontier_gives_every_prefix_root() -> None:
    frontier = merkle.Frontier()
    for size, leaf in enumerate(LEAVES, start=1):
        frontier.append(leaf)
        assert frontier.root().hex() == RFC_ROOTS[size]
    again = merkle.Frontier(frontier.size, frontier.hashes)
    assert again.root() == frontier.root()


def test_the_vectors_are_there() -> None:
    """An empty vector folder would skip the checks above silently."""
    assert len(_cases("inclusion")) > 20
    assert len(_cases("consistency")) > 20


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=8), min_size=1, max_size=80), st.data())
def test_one_tree_answers_for_every_prefix(entries: list[bytes], data: st.DataObject) -> None:
    leaves = [merkle.leaf_hash(e) for e in entries]
    tree = merkle.Tree(leaves)
    size = data.draw(st.integers(1, len(leaves)))
    index = data.draw(st.integers(0, size - 1))
    first = data.draw(st.integers(1, size))
    assert tree.root(0, size) == merkle.root(leaves[:size])
    assert tree.inclusion_proof(index, size) == merkle.Tree(leaves[:size]).inclusion_proof(index)
    assert tree.consistency_proof(first, size) == merkle.consistency_proof(leaves[:size], first)

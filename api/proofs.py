"""Ledger proofs as the API serves them: hashes in hex, with the signed checkpoint they lead to."""

from __future__ import annotations

from typing import Any

import asyncpg
from litestar.concurrency import sync_to_thread

from api.errors import ApiProblem
from api.schemas import ConsistencyProofOut, InclusionProofOut
from procurement.audit import merkle
from projections import reads


async def inclusion(pool: asyncpg.Pool, index: int, size: int) -> InclusionProofOut:
    await _check_size(pool, size)
    if not 0 <= index < size:
        raise ApiProblem(422, "invalid_proof_request", f"leaf {index} is not in a tree of {size}")
    leaves = await reads.leaf_hashes(pool, size)
    tree = await sync_to_thread(merkle.Tree, leaves)
    proof = tree.inclusion_proof(index)
    root = tree.root()
    return InclusionProofOut(
        leaf_index=index,
        tree_size=size,
        leaf_hash=leaves[index].hex(),
        root=root.hex(),
        proof=[node.hex() for node in proof],
    )


async def consistency(pool: asyncpg.Pool, first: int, second: int) -> ConsistencyProofOut:
    await _check_size(pool, second)
    if not 0 < first <= second:
        raise ApiProblem(
            422, "invalid_proof_request", "a consistency proof needs 0 < first <= second"
        )
    leaves = await reads.leaf_hashes(pool, second)
    tree = await sync_to_thread(merkle.Tree, leaves)
    proof = tree.consistency_proof(first)
    return ConsistencyProofOut(
        first=first,
        second=second,
        first_root=tree.root(0, first).hex(),
        second_root=tree.root().hex(),
        proof=[node.hex() for node in proof],
    )


async def for_position(pool: asyncpg.Pool, position: int) -> dict[str, Any]:
    """Where an event stands in the ledger: its leaf, and once a checkpoint covers it, the
    signed checkpoint and the inclusion proof that leads to its root."""
    leaf = await reads.leaf_index_of(pool, position)
    if leaf is None:
        return {"status": "not_yet_in_ledger"}
    checkpoint = await reads.checkpoint_covering(pool, leaf)
    if checkpoint is None:
        return {"status": "awaiting_checkpoint", "leaf_index": leaf}
    proof = await inclusion(pool, leaf, int(checkpoint["tree_size"]))
    return {
        "status": "proved",
        "leaf_index": leaf,
        "leaf_hash": proof.leaf_hash,
        "inclusion_proof": proof.proof,
        "checkpoint": checkpoint,
    }


async def _check_size(pool: asyncpg.Pool, size: int) -> None:
    available = await reads.ledger_size(pool)
    if not 0 < size <= available:
        raise ApiProblem(
            422, "invalid_proof_request", f"the ledger has {available} leaves; ask for 1 to that"
        )

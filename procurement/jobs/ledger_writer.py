"""The ledger writer: the job that appends every stored event to the ledger's Merkle tree
(``procurement/audit/ledger.py``) and signs its checkpoints.

- The writer appends new events in batches, in one transaction with its state row (locked, so
  two writers never interleave), and signs a checkpoint when one is due: after every batch
  holding a closing of bidding or an opening, and otherwise every ``checkpoint_interval``.
- Before signing, the new tree is checked against the stored leaves and proved consistent
  with the previous checkpoint; if either fails, nothing is signed and the error is raised.
- The state row keeps the size of the last checkpoint signed (``signed_size``). While the
  newest stored checkpoint is missing or smaller (its rows deleted: the writer would otherwise
  sign over whatever the tail of the history has become), the writer appends but signs nothing
  and keeps the reason in ``refusal``; its job fails with it (logged once, recorded in
  ``job_failures``, retried with back-off: ``procurement/jobs/failures.py``). Whoever can write
  the database can rewrite that column too: only checkpoints kept outside it (an auditor's
  pinned copy) protect against that.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from procurement.audit import merkle
from procurement.audit.ledger import URGENT_TOPICS, LedgerError, checkpoint_fields, event_leaf
from procurement.clock import Clock
from procurement.crypto.receipts import ReceiptSigner
from procurement.jobs.periodic import Periodic

log = logging.getLogger("procurement.ledger")  # the name operators filter on


@dataclass
class LedgerWriter:
    dsn: str
    signer: ReceiptSigner
    clock: Clock
    origin: str
    checkpoint_interval: float = 60.0
    poll_interval: float = 0.5
    batch_size: int = 5000
    refusal: str | None = None  # why the last pass signed nothing it should have, if so
    _periodic: Periodic | None = None

    def run_once(self) -> int:
        """Append the events the ledger has not seen (one batch) and sign a checkpoint if
        one is due. Returns the number of events appended."""
        with psycopg.connect(self.dsn, row_factory=dict_row) as conn, conn.transaction():
            state = conn.execute(
                "SELECT size, last_position, frontier, signed_size FROM ledger_state "
                "WHERE id = 1 FOR UPDATE"
            ).fetchone()
            if state is None:  # pragma: no cover (the migration inserts it)
                msg = "the ledger state row is missing"
                raise LedgerError(msg)
            frontier = merkle.Frontier(int(state["size"]), [bytes(h) for h in state["frontier"]])
            rows = conn.execute(
                "SELECT notification_id, originator_id, originator_version, topic, state "
                "FROM procurement_events WHERE notification_id > %s "
                "ORDER BY notification_id LIMIT %s",
                (state["last_position"], self.batch_size),
            ).fetchall()
            leaves = []
            urgent = False
            for row in rows:
                leaf = event_leaf(
                    int(row["notification_id"]),
                    row["originator_id"],
                    int(row["originator_version"]),
                    row["topic"],
                    bytes(row["state"]),
                )
                leaves.append((frontier.size, int(row["notification_id"]), leaf))
                frontier.append(leaf)
                urgent = urgent or row["topic"] in URGENT_TOPICS
            if leaves:
                with conn.cursor() as cursor:
                    cursor.executemany(
                        "INSERT INTO ledger_leaves (leaf_index, position, leaf_hash) "
                        "VALUES (%s, %s, %s)",
                        leaves,
                    )
                conn.execute(
                    "UPDATE ledger_state SET size = %s, last_position = %s, frontier = %s "
                    "WHERE id = 1",
                    (frontier.size, leaves[-1][1], frontier.hashes),
                )
            self._maybe_sign(conn, frontier, int(state["signed_size"]), urgent=urgent)
            return len(leaves)

    def _maybe_sign(
        self,
        conn: psycopg.Connection[Any],
        frontier: merkle.Frontier,
        signed_size: int,
        *,
        urgent: bool,
    ) -> None:
        last = conn.execute(
            "SELECT tree_size, root, signed_at FROM ledger_checkpoints "
            "ORDER BY tree_size DESC LIMIT 1"
        ).fetchone()
        stored = 0 if last is None else int(last["tree_size"])
        if stored < signed_size:
            self.refusal = (
                f"the ledger signed checkpoint {signed_size} but the newest stored is "
                f"{stored or 'none'}: signed history is missing, nothing is signed"
            )
            return
        self.refusal = None
        if frontier.size == 0 or (last is not None and last["tree_size"] == frontier.size):
            return
        now = self.clock.now()
        due = last is None or (now - last["signed_at"]).total_seconds() >= self.checkpoint_interval
        if urgent or due:
            self._sign(conn, frontier, last, "opening or deadline" if urgent else "interval")

    def _sign(
        self,
        conn: psycopg.Connection[Any],
        frontier: merkle.Frontier,
        last: dict[str, Any] | None,
        reason: str,
    ) -> None:
        stored = [
            bytes(r["leaf_hash"])
            for r in conn.execute(
                "SELECT leaf_hash FROM ledger_leaves WHERE leaf_index < %s ORDER BY leaf_index",
                (frontier.size,),
            )
        ]
        root = frontier.root()
        tree = merkle.Tree(stored)
        if tree.size != frontier.size or tree.root() != root:
            msg = "the stored leaves do not give the ledger's root: nothing is signed"
            raise LedgerError(msg)
        if last is not None:
            previous = int(last["tree_size"])
            try:
                merkle.verify_consistency(
                    previous,
                    frontier.size,
                    bytes(last["root"]),
                    root,
                    tree.consistency_proof(previous),
                )
            except merkle.ProofError as error:
                msg = f"the tree is not consistent with checkpoint {previous}: {error}"
                raise LedgerError(msg) from None
        now = self.clock.now()
        signed = self.signer.sign(checkpoint_fields(self.origin, frontier.size, root, now))
        conn.execute(
            "INSERT INTO ledger_checkpoints (tree_size, root, signed_at, reason, checkpoint) "
            "VALUES (%s, %s, %s, %s, %s)",
            (frontier.size, root, now, reason, Jsonb(signed)),
        )
        conn.execute("UPDATE ledger_state SET signed_size = %s WHERE id = 1", (frontier.size,))
        log.info("ledger checkpoint %d signed (%s)", frontier.size, reason)

    def catch_up(self) -> int:
        """Append every event there is (batch after batch). Returns events appended."""
        total = 0
        while appended := self.run_once():
            total += appended
        return total

    def start(self) -> None:
        """Catch up every ``poll_interval`` seconds in a thread of its own, until ``stop``. A
        pass that signs nothing it should have is a failure of the job (``_pass``)."""
        self._periodic = Periodic("ledger", self.poll_interval, self._pass, self.dsn)
        self._periodic.start()

    def _pass(self) -> int:
        """``catch_up``, failing with the refusal if nothing could be signed: logged once
        and recorded by the job's health, and retried with back-off."""
        appended = self.catch_up()
        if self.refusal is not None:
            raise LedgerError(self.refusal)
        return appended

    def stop(self) -> None:
        if self._periodic is not None:
            self._periodic.stop()

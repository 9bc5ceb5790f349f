"""Tender documents: the document store's blobs and chunks, and the public documents' list.

``document_blobs`` names each stored content once, by its SHA-256; its bytes are rows of
``document_chunks`` (1 MiB each, in order), written in the upload's own transaction, so an
upload cut off half-way leaves nothing. ``public_tender_documents`` is a read model of the
``public_tenders`` projection: every version of every document of a published tender.
``bid_document_uploads`` counts each vendor's sealed bid documents against their limit.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE document_blobs (
            sha256 text PRIMARY KEY,
            blob_id uuid NOT NULL UNIQUE,
            size bigint NOT NULL,
            media_type text NOT NULL,
            chunk_size integer NOT NULL,
            stored_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute(
        """
        CREATE TABLE document_chunks (
            blob_id uuid NOT NULL,
            seq integer NOT NULL,
            data bytea NOT NULL,
            PRIMARY KEY (blob_id, seq)
        )
        """
    )
    # The chunks are already compressed (PDF, ZIP, office files) or not worth it: stored
    # as they are, out of line, without TOAST's compression attempt.
    op.execute("ALTER TABLE document_chunks ALTER COLUMN data SET STORAGE EXTERNAL")
    op.execute(
        """
        CREATE TABLE public_tender_documents (
            tender_id uuid NOT NULL,
            document_id uuid NOT NULL,
            version integer NOT NULL,
            kind text NOT NULL,
            title text NOT NULL,
            language text NOT NULL,
            sha256 text NOT NULL,
            size bigint NOT NULL,
            media_type text NOT NULL,
            file_name text NOT NULL,
            issued_at timestamptz NOT NULL,
            amendment integer,
            withdrawn_at timestamptz,
            withdrawn_by_amendment integer,
            PRIMARY KEY (tender_id, document_id, version)
        )
        """
    )
    op.execute("CREATE INDEX public_tender_documents_id ON public_tender_documents (document_id)")
    # Each vendor's sealed documents for a bid on a tender, counted against its limit.
    op.execute(
        """
        CREATE TABLE bid_document_uploads (
            tender_id uuid NOT NULL,
            vendor_id uuid NOT NULL,
            blob text NOT NULL,
            size bigint NOT NULL,
            uploaded_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tender_id, vendor_id, blob)
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE bid_document_uploads")
    op.execute("DROP TABLE public_tender_documents")
    op.execute("DROP TABLE document_chunks")
    op.execute("DROP TABLE document_blobs")

"""OCDS in one package: releases, records, merge rules, their projection and bulk export."""

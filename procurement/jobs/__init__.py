"""Background jobs: projection runners, scheduler, snapshots, rebuild, job failures."""

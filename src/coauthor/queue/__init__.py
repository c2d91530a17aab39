"""The job queue: runs and batch items as jobs on procrastinate, executed by workers."""

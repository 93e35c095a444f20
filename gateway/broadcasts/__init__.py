"""Broadcasts: the job engine that schedules and sends them (engine.py), the sending job
itself (job.py), its throttle (throttle.py) and the consumer process (worker.py)."""

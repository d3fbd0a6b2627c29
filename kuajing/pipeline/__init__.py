"""The background pipeline (后台处理): sending declarations to customs, applying customs answers, timeouts.

Embedded mode runs it in-process (a daemon thread started with the app); the scale-out mode (a later
issue) runs the same ``tick`` as Celery tasks on worker processes.
"""

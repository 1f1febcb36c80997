"""What the operator sees of a running process: metrics (Prometheus), health and readiness, traces.

``no_metrics`` is the core's default (nothing imported); ``prometheus`` implements the ``Metrics`` port;
``readiness`` and ``checks`` answer "can this process do its work now"; ``http`` serves ``/healthz``,
``/readyz`` and ``/metrics``; ``tracing`` is OpenTelemetry, only when it is configured.
"""

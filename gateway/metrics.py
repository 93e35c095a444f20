"""Prometheus metrics, in a registry per app so several apps (tests) never collide."""

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.requests = Counter(
            "healthaid_requests",
            "Inbound messages per channel",
            ["channel"],
            registry=self.registry,
        )
        self.replies = Counter(
            "healthaid_replies", "Replies sent per channel", ["channel"], registry=self.registry
        )
        self.failures = Counter(
            "healthaid_failures",
            "Messages that could not be answered, by reason",
            ["channel", "reason"],
            registry=self.registry,
        )
        self.rasa_latency = Histogram(
            "healthaid_rasa_latency_seconds",
            "Time Rasa took to answer",
            registry=self.registry,
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32),
        )
        self.outbox = Counter(
            "healthaid_outbox_deliveries",
            "Send attempts of messages outside an HTTP reply (WeChat customer-service "
            "messages, SMS through Twilio), by channel and outcome",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self.sms_status = Counter(
            "healthaid_sms_status_reports",
            "Twilio status callbacks, by reported status and whether they were recorded "
            "(recorded, stale, unknown, ignored)",
            ["status", "reported"],
            registry=self.registry,
        )

"""python -m bench.broadcast: a broadcast to 10,000 fictional residents over the `sms` channel
to the fake Twilio API, sent by the real consumer (Huey on Redis) into a PostgreSQL registry,
at a configured rate; then the same with the consumer SIGKILLed mid-broadcast and restarted;
then the latency of a cadre's handoff replies. Prints figures and ratios (achieved rate against
the configured one, reply path against a direct Twilio create); asserts nothing.
"""

import argparse
import os
import subprocess
import time

from sqlalchemy.orm import Session, sessionmaker

from bench.broadcast import handoff, sending, world
from bench.stack import percentile
from gateway.settings import Settings
from healthaid.stack import running_services
from registry.db import get_engine, make_sessionmaker


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--residents", type=int, default=10_000)
    parser.add_argument("--rate", default="20/second", help="HEALTHAID_BROADCAST__SMS_RATE")
    parser.add_argument("--not-consenting-every", type=int, default=14, metavar="N")
    parser.add_argument("--opted-out-every", type=int, default=20, metavar="N")
    parser.add_argument("--kill-at", type=float, default=0.5, help="share sent before SIGKILL")
    parser.add_argument("--replies", type=int, default=300)
    args = parser.parse_args(argv)

    env = world.environment(args.rate)
    os.environ.update(env)  # this process's producer reads the same settings
    settings = Settings()
    with world.running_world():
        began = time.monotonic()
        people = world.seed(
            world.registry_url(),
            args.residents,
            not_consenting_every=args.not_consenting_every,
            opted_out_every=args.opted_out_every,
        )
        print(
            f"commit {_commit()}; registry (PostgreSQL) seeded through the CSV import in "
            f"{time.monotonic() - began:.1f} s: {args.residents} residents, "
            f"{len(people.consenting)} consenting, {len(people.opted_out)} consenting but "
            f"opted out (退订), {len(people.not_consenting)} not consenting"
        )
        engine = get_engine(world.registry_url())
        sessions = make_sessionmaker(engine)
        planned = [world.fake_twilio(), world.gateway(env), world.consumer(env)]
        with running_services(planned, world.WORK / "log", 120) as running:
            plain = sending.plain(settings, sessions, sending.TEXT)
            report("broadcast", args.rate, people, plain)
            replacement = world.consumer(env, "broadcasts-restarted")
            running.append(replacement)  # stopped with the others
            at_sent = int(len(people.consenting) * args.kill_at)
            text = sending.TEXT + "（第二次）"
            outcome, restart = sending.killed(
                settings, sessions, text, running[2], replacement, at_sent
            )
            report("broadcast, consumer SIGKILLed and restarted", args.rate, people, outcome)
            report_restart(restart)
            latencies(settings, sessions, args.replies)
        engine.dispose()
    return 0


def report(label: str, rate: str, people: world.People, outcome: sending.Outcome) -> None:
    checked = sending.check(people, outcome)
    configured = float(rate.split("/")[0]) / {"second": 1, "minute": 60}[rate.split("/")[1]]
    achieved = outcome.rate()
    span = outcome.received[-1] - outcome.started
    print(f"{label}:")
    print(
        f"  {checked['received']} SMS received by the fake Twilio API in {span:.1f} s from the "
        f"broadcast's start (first after {outcome.received[0] - outcome.started:.2f} s; "
        f"registry marked it done after {outcome.done - outcome.started:.1f} s)"
    )
    print(
        f"  rate: configured {rate} = {configured:.1f}/s, achieved {achieved:.1f}/s "
        f"(first to last message), ratio {achieved / configured:.3f}"
    )
    print(
        f"  duplicates {checked['duplicates']}, to opted-out or non-consenting residents "
        f"{checked['to_excluded']}, consenting residents who got nothing {checked['lost']}, "
        f"to numbers not in the registry {checked['unknown']}"
    )
    counts = outcome.counts
    print(
        f"  statistics page: sent {counts['sent']}, delivered {counts['delivered']}, "
        f"failed {counts['failed']}, opted out {counts['opted_out']}, queued {counts['queued']}; "
        f"status callbacks answered 200 by the gateway: {outcome.callbacks_ok}"
    )


def report_restart(restart: sending.Restart) -> None:
    first = restart.first_after
    resumed = f"{first - restart.killed_at:.1f} s" if first is not None else "never"
    print(
        f"  killed after {restart.sent_before} messages recorded sent; the new consumer was "
        f"running {restart.ready_at - restart.killed_at:.1f} s after the kill; the fake received "
        f"the next message {resumed} after the kill"
    )


def latencies(settings: Settings, sessions: sessionmaker[Session], count: int) -> None:
    ids = handoff.open_requests(sessions, count)
    measured = handoff.replies(ids)
    baseline = handoff.direct(settings, count)
    print(f"handoff replies over SMS, {count} in turn, one signed-in cadre:")
    for label, values in (
        ("cadre's POST → fake Twilio received", measured.to_provider),
        ("cadre's POST → 201 answered", measured.answered),
        ("baseline: direct Twilio create → received", baseline),
    ):
        p50, p95 = (percentile(values, q) * 1000 for q in (0.5, 0.95))
        print(f"  {label:<44} n={len(values):>4}  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms")
    ratio = percentile(measured.to_provider, 0.5) / percentile(baseline, 0.5)
    print(f"  ratio reply/direct (p50): {ratio:.1f}")


def _commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() or "unknown"


if __name__ == "__main__":
    raise SystemExit(main())

"""Telemetry simulator: a racing fleet with injected faults and ground truth, and its producers.

Command line (python -m simulator --help for every option)::

    python -m simulator --vehicles 20 --hz 2 --duration 600 --out out/telemetry.jsonl --manifest out/truth.jsonl
    python -m simulator --stream-name telemetry --endpoint-url http://127.0.0.1:5000 --region us-east-1 --rate 200

Library API (everything a test or benchmark needs)::

    from simulator import FleetConfig, generate, clean_records, write_jsonl, read_jsonl, write_manifest, KinesisProducer

    FleetConfig(vehicles=10, hz=2.0, duration=600.0, records=None, seed=42, start="2026-11-23T12:00:00.000Z",
                malformed_rate=0.005, duplicate_rate=0.002, out_of_order_rate=0.002, late_rate=0.001,  # per record
                ramp_rate=4, spike_rate=4, drift_rate=3, silence_rate=2)                # per vehicle-hour
    sim = generate(config, **overrides)  -> Simulation, e.g. generate(vehicles=3, seed=7)
    records = list(sim)                  # [(partition_key: str, payload: bytes)], same seed -> same bytes
    sim.manifest                         # ground truth: a dict per scenario / faulty record (complete after iterating)
    sim.counts                           # Counter: records and each injected kind
    clean_records(config, **overrides)   -> list of valid, unique, in-order records (config.clean(): no faults)

    write_jsonl(records, path, rate=0.0, progress=None) -> int     # one payload per line (none contains b"\n")
    read_jsonl(path) -> Iterator[(key, payload)]                    # replay, keys derived as generated
    write_manifest(sim.manifest, path)
    KinesisProducer(boto3_kinesis_client, stream_name=None, stream_arn=None, max_attempts=8).send(
        records, rate=0.0, progress=None) -> SendSummary(sent, failed, retried, throttled, requests, failures)

Manifest entry: {"kind", "vehicle_id", "channel", "start", "end", "expected"} plus, for single records,
"index" (position in the generated order) and, for malformed ones, "detail" (truncated, binary, text, ...).
kind is ramp | drift | spike | silence | malformed | duplicate | out_of_order | late. channel is a
dotted path into the record ("temperatures.brakes.front_left", "speed") or null. expected is
alert:rate_of_change | alert:threshold (the alert fires at some event time in [start, end]), no_alert
(nothing fires in [start, end]), none (accepted as usual), or dead_letter:<one of DEAD_LETTER_REASONS>.
A temperature spike has two entries: it crosses the threshold and is also a fast rise.

The ground truth assumes the job's default rules: rate of change = reading minus the channel's
minimum over the preceding RULE_WINDOW_S exceeds RATE[group]; threshold = reading > THRESHOLD[group];
late = more than WATERMARK_S behind the newest event time seen; duplicate = same vehicle_id and
event_time again. Malformed records come in addition to the valid samples (1 ms after one), so
the valid stream stays continuous.
"""
from .fleet import (
                    DEAD_LETTER_REASONS,
                    DEFAULT_START,
                    GARBAGE_KEY,
                    RATE,
                    RULE_WINDOW_S,
                    TEMP_CHANNELS,
                    THRESHOLD,
                    WATERMARK_S,
                    FleetConfig,
                    Simulation,
                    channel_group,
                    clean_records,
                    format_event_time,
                    generate,
                    parse_event_time,
                    partition_key,
)
from .sinks import (
                    MAX_BATCH_BYTES,
                    MAX_BATCH_RECORDS,
                    MAX_RECORD_BYTES,
                    KinesisProducer,
                    SendSummary,
                    read_jsonl,
                    write_jsonl,
                    write_manifest,
)

__all__ = [
    "DEAD_LETTER_REASONS", "DEFAULT_START", "GARBAGE_KEY", "RATE", "RULE_WINDOW_S", "TEMP_CHANNELS", "THRESHOLD",
    "WATERMARK_S", "FleetConfig", "Simulation", "channel_group", "clean_records", "format_event_time", "generate",
    "parse_event_time", "partition_key", "MAX_BATCH_BYTES", "MAX_BATCH_RECORDS", "MAX_RECORD_BYTES",
    "KinesisProducer", "SendSummary", "read_jsonl", "write_jsonl", "write_manifest",
]

"""Telemetry simulator: a racing fleet with injected faults and ground truth, and its producers.

Library API (everything a test or benchmark needs)::

    from simulator import FleetConfig, generate, clean_records, write_jsonl, read_jsonl, write_manifest, KinesisProducer

    sim = generate(FleetConfig(vehicles=10, hz=2, duration=600, seed=42))   # or generate(vehicles=10, ...)
    records = list(sim)            # [(partition_key: str, payload: bytes), ...], deterministic per seed
    sim.manifest                   # ground truth, one dict per injected scenario / faulty record (after iterating)
    sim.counts                     # Counter of records and of each injected kind
    clean_records(vehicles=3, duration=60)   # valid, unique, in-order records only

    write_jsonl(records, "out.jsonl", rate=0)       -> int        # one payload per line
    read_jsonl("out.jsonl")                         -> Iterator[(key, payload)]
    write_manifest(sim.manifest, "manifest.jsonl")
    KinesisProducer(boto3_client, stream_name=... | stream_arn=...).send(records, rate=0) -> SendSummary
        # SendSummary(sent, failed, retried, throttled, requests, failures)

Manifest entry: {"kind", "vehicle_id", "channel" (dotted path or null), "start", "end" (event times),
"expected", ...}. kind is ramp | drift | spike | silence | malformed | duplicate | out_of_order | late;
expected is alert:rate_of_change | alert:threshold | no_alert | none | dead_letter:<reason> with the
reasons in DEAD_LETTER_REASONS. An expected alert fires at some event time in [start, end]; single
records also carry "index" (position in the generated order) and malformed ones a "detail".
The rules the ground truth assumes are the job's defaults: RATE, RULE_WINDOW_S, THRESHOLD, WATERMARK_S.
"""
from .fleet import (DEAD_LETTER_REASONS, DEFAULT_START, GARBAGE_KEY, RATE, RULE_WINDOW_S, TEMP_CHANNELS, THRESHOLD,
                    WATERMARK_S, FleetConfig, Simulation, channel_group, clean_records, format_event_time, generate,
                    parse_event_time, partition_key)
from .sinks import (MAX_BATCH_BYTES, MAX_BATCH_RECORDS, MAX_RECORD_BYTES, KinesisProducer, SendSummary, read_jsonl,
                    write_jsonl, write_manifest)

__all__ = [
    "DEAD_LETTER_REASONS", "DEFAULT_START", "GARBAGE_KEY", "RATE", "RULE_WINDOW_S", "TEMP_CHANNELS", "THRESHOLD",
    "WATERMARK_S", "FleetConfig", "Simulation", "channel_group", "clean_records", "format_event_time", "generate",
    "parse_event_time", "partition_key", "MAX_BATCH_BYTES", "MAX_BATCH_RECORDS", "MAX_RECORD_BYTES",
    "KinesisProducer", "SendSummary", "read_jsonl", "write_jsonl", "write_manifest",
]

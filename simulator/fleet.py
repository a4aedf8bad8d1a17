"""Fleet generation: vehicles, injected scenarios and faults, and the ground-truth manifest.

Determinism: every random choice comes from `random.Random` instances seeded from the config's
seed (physics per vehicle, scenarios and faults on their own streams), and event time is derived
from the tick counter, never from the wall clock.
"""
from __future__ import annotations

import heapq
import json
import math
import random
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Iterator

from jobs.config import SCHEMA
from udfs.telemetry import HEARTBEAT, PARSER_MISMATCH, REASONS

from .physics import CORNERS, build_lap, render_motion

DEFAULT_START = "2026-11-23T12:00:00.000Z"
# The ground truth assumes the job's default rules, read from the job's own schema and parser
# (plain Python, no Flink); the simulator keeps one value per channel group, and a test checks
# that every channel of a group has the same default.
_JOB = {f"{k.group}.{k.name}": k.default for k in SCHEMA}
WATERMARK_S = _JOB["job.watermark.out-of-orderness.ms"] / 1000
RULE_WINDOW_S = float(_JOB["rules.rate.engine.window.s"])
# Max rise within RULE_WINDOW_S per channel group, and max values.
RATE = {"engine": _JOB["rules.rate.engine.rise"], "brakes": _JOB["rules.rate.brake_front_left.rise"],
        "tires": _JOB["rules.rate.tire_front_left.rise"]}
THRESHOLD = {"engine": _JOB["rules.threshold.engine"], "brakes": _JOB["rules.threshold.brake_front_left"],
             "tires": _JOB["rules.threshold.tire_front_left"], "speed": _JOB["rules.threshold.speed"],
             "rpm": _JOB["rules.threshold.rpm"]}
TEMP_CHANNELS = ("temperatures.engine", *(f"temperatures.{g}.{c}" for g in ("brakes", "tires") for c in CORNERS))
GARBAGE_KEY = "garbage"  # partition key for payloads without a usable vehicle_id
# What the manifest can expect: the parser's reasons and SQL's 'duplicate'; heartbeats are sent
# by whoever runs the job, never injected, and no record makes a parser mismatch (a bug).
DEAD_LETTER_REASONS = (*(r for r in REASONS if r not in (HEARTBEAT, PARSER_MISMATCH)), "duplicate")

_TAU_S = (90.0,) + (30.0,) * 4 + (45.0,) * 4  # thermal time constants: engine, brakes, tires
_NOISE = (0.2,) + (2.0,) * 4 + (0.3,) * 4  # peak-to-peak sensor noise
_NOISE_ROWS = 4093  # a shared, pre-drawn noise sequence: drawing 9 numbers per record is a third of the cost


def channel_group(channel: str) -> str:
    """'temperatures.brakes.rear_left' -> 'brakes'; 'speed' -> 'speed'."""
    parts = channel.split(".")
    return parts[1] if parts[0] == "temperatures" else parts[0]


def parse_event_time(text: str) -> int:
    """Event time string -> epoch milliseconds."""
    dt = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    return round(dt.timestamp() * 1000)


class _Clock:
    """Formats epoch ms as the record's event_time; caches the per-second prefix (hot path)."""

    def __init__(self):
        self._sec, self._prefix = None, ""

    def __call__(self, ms: int) -> str:
        sec, milli = divmod(ms, 1000)
        if sec != self._sec:
            self._sec = sec
            self._prefix = datetime.fromtimestamp(sec, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        return f"{self._prefix}.{milli:03d}Z"


format_event_time = _Clock()


@dataclass(frozen=True)
class FleetConfig:
    """What to simulate. Rates of per-record faults are probabilities per valid record; scenario
    rates are expected occurrences per vehicle per hour of event time (a vehicle has one scenario
    at a time, a rule window apart, and only scenarios that finish within the run start).
    Out-of-order records need hz >= 2/3: below that a one-tick delay may already be late."""

    vehicles: int = 10
    hz: float = 2.0  # records per second per vehicle
    duration: float = 600.0  # seconds of event time
    records: int | None = None  # if set, simulate ceil(records / vehicles) ticks instead of `duration`
    seed: int = 42
    start: str = DEFAULT_START
    malformed_rate: float = 0.005
    duplicate_rate: float = 0.002
    out_of_order_rate: float = 0.002
    late_rate: float = 0.001
    ramp_rate: float = 4.0
    spike_rate: float = 4.0
    drift_rate: float = 3.0
    silence_rate: float = 2.0
    laps: int = 8  # distinct lap variants shared by the fleet

    def __post_init__(self):
        if self.vehicles < 1 or not 0 < self.hz <= 100:
            raise ValueError("need vehicles >= 1 and 0 < hz <= 100")
        if any(not 0 <= r <= 1 for r in self.record_fault_rates()):
            raise ValueError("per-record fault rates are probabilities in [0, 1]")
        parse_event_time(self.start)

    def record_fault_rates(self) -> tuple[float, float, float, float]:
        return self.malformed_rate, self.duplicate_rate, self.out_of_order_rate, self.late_rate

    @property
    def ticks(self) -> int:
        if self.records is not None:
            return -(-self.records // self.vehicles)
        return round(self.duration * self.hz)

    def clean(self) -> "FleetConfig":
        """The same fleet with no scenarios and no faults."""
        return replace(self, malformed_rate=0, duplicate_rate=0, out_of_order_rate=0, late_rate=0,
                       ramp_rate=0, spike_rate=0, drift_rate=0, silence_rate=0)


def partition_key(payload: bytes) -> str:
    """The record's vehicle_id if it has a usable one, else a stable key for garbage."""
    try:
        vid = json.loads(payload).get("vehicle_id")
    except (ValueError, AttributeError):
        return GARBAGE_KEY
    return vid if isinstance(vid, str) and 0 < len(vid) <= 64 else GARBAGE_KEY


def _render(head, ts, motion, ride, damper, t, pressures, p, tail) -> str:
    return (
        f'{head}{ts}", {motion}"suspension": {{"ride_height": {ride}, "damper_settings": {damper}}}, '
        f'"temperatures": {{"engine": {t[0]:.1f}, "brakes": {{"front_left": {t[1]:.1f}, "front_right": {t[2]:.1f}, '
        f'"rear_left": {t[3]:.1f}, "rear_right": {t[4]:.1f}}}, "tires": {{"front_left": {t[5]:.1f}, '
        f'"front_right": {t[6]:.1f}, "rear_left": {t[7]:.1f}, "rear_right": {t[8]:.1f}}}}}, "pressures": {{{pressures}'
        f'"tires": {{"front_left": {p[0]:.2f}, "front_right": {p[1]:.2f}, "rear_left": {p[2]:.2f}, '
        f'"rear_right": {p[3]:.2f}}}}}, {tail}')


class _Vehicle:
    __slots__ = ("vid", "head", "offset_ms", "rng", "laps", "lap", "pos", "tail", "temps", "bias", "alpha",
                 "cold", "damper", "scn", "next_scn", "next_kind", "held", "noise", "nidx")

    def __init__(self, i: int, n: int, cfg: FleetConfig, laps: list, noise: tuple):
        self.vid = f"veh-{i + 1:04d}"
        self.head = f'{{"vehicle_id": "{self.vid}", "event_time": "'
        # spread vehicles across the tick period, in vehicle order, so each tick is emitted in event-time order
        self.offset_ms = i * int(1000 / cfg.hz) // n
        self.rng = rng = random.Random(f"{cfg.seed}:vehicle:{i}")
        self.laps, self.lap = laps, rng.choice(laps)
        self.pos = rng.randrange(len(self.lap.ticks))  # cars are spread around the track
        self.tail = self._tail(self.lap)
        self.bias = [rng.uniform(-w, w) for w in (3,) + (25,) * 4 + (2,) * 4]  # this car's own running temperatures
        self.alpha = [1.0 - math.exp(-1.0 / (cfg.hz * tau)) for tau in _TAU_S]
        ticks = self.lap.ticks
        # start at the lap-average equilibrium so the first minute has no warm-up ramp
        self.temps = [sum(tk.targets[j] for tk in ticks) / len(ticks) + self.bias[j] for j in range(9)]
        self.cold = rng.uniform(1.42, 1.50) / 293.15  # cold tire pressure per kelvin (set at 20 °C)
        self.noise, self.nidx = noise, rng.randrange(len(noise))
        self.damper = ("{" + ", ".join(f'"{c}": {rng.uniform(3, 12):.1f}' for c in CORNERS) + "}")
        self.scn, self.next_scn, self.next_kind, self.held = None, 0, None, 0

    def _tail(self, lap) -> str:
        return f'"fuel_consumption": {lap.fuel * self.rng.uniform(0.97, 1.03):.2f}, "lap_time": {lap.lap_time:.3f}}}'

    def step(self):
        """Advance one tick: returns the lap sample and the sensor temperatures."""
        ticks = self.lap.ticks
        tk = ticks[self.pos]
        self.pos += 1
        if self.pos == len(ticks):  # lap done: its time and fuel show from now on
            self.tail, self.pos = self._tail(self.lap), 0
            self.lap = self.rng.choice(self.laps)
        s = self.temps = [s + a * (g + b - s) for s, a, g, b in zip(self.temps, self.alpha, tk.targets, self.bias)]
        self.nidx = (self.nidx + 1) % _NOISE_ROWS
        return tk, [x + e for x, e in zip(s, self.noise[self.nidx])]


@dataclass
class _Scenario:
    kind: str  # ramp | drift | spike | silence
    channel: str | None
    k0: int  # first tick
    kp: int  # end of rise (ramp/drift), first tick after the spike or silence
    k_end: int  # first tick after the scenario
    level: float = 0.0  # rise for ramp/drift, value for spike
    cap: float = math.inf

    def apply(self, k: int, value: float) -> float:
        if self.kind == "spike":
            return self.level if k < self.kp else value
        # triangle: rise to `level` by kp, back to 0 by k_end
        frac = (k - self.k0) / (self.kp - self.k0) if k <= self.kp else (self.k_end - k) / (self.k_end - self.kp)
        return min(value + self.level * max(0.0, frac), self.cap)


# Scenario magnitudes per channel group. Ramps rise over 2x the rule's rate within 45 s but stay
# under the threshold; drifts rise at 0.3x the rate per window; spikes sit above the threshold.
_RAMP_RISE = {"engine": (12, 18), "brakes": (330, 420), "tires": (36, 44)}
_SPIKE_LEVEL = {"engine": (132, 145), "brakes": (1010, 1150), "tires": (132, 140), "speed": (342, 355),
                "rpm": (17550, 18000)}
_MARGIN = 0.97  # ramps and drifts are capped at 97 % of the threshold


class Simulation:
    """Iterating yields (partition_key, payload) pairs; `manifest` (ground truth, one dict per
    injected scenario or faulty record) and `counts` are complete once iteration ends."""

    def __init__(self, config: FleetConfig):
        self.config = config
        self.manifest: list[dict] = []
        self.counts: Counter = Counter()

    def __iter__(self) -> Iterator[tuple[str, bytes]]:
        return self._run()

    # -- manifest -------------------------------------------------------------------------------
    def _note(self, kind, vid, channel, start_ms, end_ms, expected, **extra) -> dict:
        entry = {"kind": kind, "vehicle_id": vid, "channel": channel, "start": format_event_time(start_ms),
                 "end": format_event_time(end_ms), "expected": expected, **extra}
        self.manifest.append(entry)
        self.counts[kind] += 1
        return entry

    # -- scenarios -------------------------------------------------------------------------------
    def _schedule(self, v: _Vehicle, k: int, rng: random.Random, after_s: float = 0.0):
        cfg = self.config
        per_tick = (cfg.ramp_rate + cfg.spike_rate + cfg.drift_rate + cfg.silence_rate) / 3600 / cfg.hz
        if per_tick <= 0:
            v.next_scn = math.inf
            return
        v.next_scn = k + round(after_s * cfg.hz) + math.ceil(rng.expovariate(per_tick))
        v.next_kind = rng.choices(("ramp", "drift", "spike", "silence"),
                                  (cfg.ramp_rate, cfg.drift_rate, cfg.spike_rate, cfg.silence_rate))[0]

    def _ms(self, v: _Vehicle, k: int) -> int:
        """Event time (epoch ms) of vehicle v's sample at tick k."""
        return self._start_ms + round(k * 1000 / self.config.hz) + v.offset_ms

    def _start_scenario(self, v: _Vehicle, k: int, rng: random.Random) -> None:
        cfg, hz = self.config, self.config.hz
        kind = v.next_kind
        if kind == "silence" and v.held:  # a held-back late record must not end up on time: wait
            v.next_scn = k + 1
            return
        window = round(RULE_WINDOW_S * hz)
        if kind == "silence":
            end = k + max(1, round(rng.uniform(10, 60) * hz))
            scn = _Scenario(kind, None, k, end, end)
        else:
            group = rng.choice(tuple(_SPIKE_LEVEL) if kind == "spike" else tuple(RATE))
            channel = group if group in ("speed", "rpm") else (
                "temperatures.engine" if group == "engine" else f"temperatures.{group}.{rng.choice(CORNERS)}")
            if kind == "spike":
                kp = k + max(2, round(rng.uniform(1, 3) * hz))
                scn = _Scenario(kind, channel, k, kp, kp, rng.uniform(*_SPIKE_LEVEL[group]))
            elif kind == "ramp":
                kp = k + max(2, round(rng.uniform(20, 45) * hz))
                scn = _Scenario(kind, channel, k, kp, kp + round(rng.uniform(60, 90) * hz),
                                rng.uniform(*_RAMP_RISE[group]), THRESHOLD[group] * _MARGIN)
            else:
                rise_s = rng.uniform(150, 300)
                kp = k + round(rise_s * hz)
                scn = _Scenario(kind, channel, k, kp, kp + (kp - k), 0.3 * RATE[group] * rise_s / RULE_WINDOW_S,
                                THRESHOLD[group] * _MARGIN)
        if max(scn.k_end, scn.kp + window) > cfg.ticks:  # would not finish in this run
            v.next_scn = math.inf
            return
        v.scn = scn

        def note(last: int, expected: str) -> None:  # the entry spans ticks k..last
            self._note(kind, v.vid, scn.channel, self._ms(v, k), self._ms(v, last), expected)

        if kind == "silence":
            note(scn.kp - 1, "none")
        elif kind == "drift":
            note(scn.k_end - 1, "no_alert")
        elif kind == "ramp":  # the rule can fire until its window no longer reaches back before the ramp
            note(scn.kp + window, "alert:rate_of_change")
        else:
            note(scn.kp - 1, "alert:threshold")
            if scn.channel.startswith("temperatures."):  # a jump that big is also a fast rise
                note(scn.kp - 1 + window, "alert:rate_of_change")

    # -- the generator ---------------------------------------------------------------------------
    def _run(self) -> Iterator[tuple[str, bytes]]:
        cfg = self.config
        self.manifest, self.counts = [], Counter()
        laps = [build_lap(cfg.hz, random.Random(f"{cfg.seed}:lap:{i}")) for i in range(cfg.laps)]
        noise_rng = random.Random(f"{cfg.seed}:noise")
        noise = tuple(tuple((noise_rng.random() - 0.5) * w for w in _NOISE) for _ in range(_NOISE_ROWS))
        fleet = [_Vehicle(i, cfg.vehicles, cfg, laps, noise) for i in range(cfg.vehicles)]
        scn_rng, faults = random.Random(f"{cfg.seed}:scenarios"), _Faults(cfg, self)
        for v in fleet:
            self._schedule(v, 0, scn_rng)
        self._start_ms = start_ms = parse_event_time(cfg.start)
        hz, n_ticks = cfg.hz, cfg.ticks
        clock, soon, n = _Clock(), faults.soonest, 0
        self._index = 0
        for k in range(n_ticks):
            base_ms = start_ms + round(k * 1000 / hz)
            for v in fleet:
                tk, t = v.step()
                scn = v.scn
                if scn is None and k >= v.next_scn:
                    self._start_scenario(v, k, scn_rng)
                    scn = v.scn
                motion = tk.motion
                if scn is not None:
                    if k >= scn.k_end:
                        v.scn = scn = None
                        self._schedule(v, k, scn_rng, RULE_WINDOW_S)  # keep rule windows of scenarios apart
                    elif scn.kind == "silence":
                        continue
                    elif scn.channel in ("speed", "rpm"):  # a sensor glitch: the other readings stay put
                        m = {"speed": tk.speed, "rpm": tk.rpm}
                        m[scn.channel] = scn.apply(k, m[scn.channel])
                        motion = render_motion(m["speed"], round(m["rpm"]), tk.gear, tk.throttle, tk.brakes,
                                               tk.steering)
                    else:
                        j = TEMP_CHANNELS.index(scn.channel)
                        t[j] = scn.apply(k, t[j])
                ms = base_ms + v.offset_ms
                cold = v.cold
                payload = _render(v.head, clock(ms), motion, tk.ride, v.damper, t, tk.pressures,
                                  [cold * (x + 273.15) for x in t[5:]], v.tail)
                n += 1
                if n < soon:
                    self._index += 1
                    yield v.vid, payload.encode()
                else:
                    faults.n = n
                    yield from faults.inject(v, k, ms, payload)
                    soon = faults.soonest
            yield from faults.release(k)
        self.counts["records"] = self._index

    def _emit(self, key: str, data: bytes, entry: dict | None = None):
        if entry is not None:
            entry["index"] = self._index
        self._index += 1
        yield key, data


class _Faults:
    """Per-record faults, scheduled by geometric gaps so the hot path is one comparison."""

    KINDS = ("malformed", "duplicate", "out_of_order", "late")

    def __init__(self, cfg: FleetConfig, sim: Simulation):
        self.cfg, self.sim = cfg, sim
        self.rng = random.Random(f"{cfg.seed}:faults")
        self.rates = dict(zip(self.KINDS, cfg.record_fault_rates()))
        self.n = 0  # valid records so far
        self.next = {kind: self._gap(kind) for kind in self.KINDS}
        self.held: list = []  # heap of (release tick, seq, vehicle, key, data, manifest entry)
        # an out-of-order record must stay well inside the watermark delay, a late one well beyond it
        self.max_ooo = math.floor((WATERMARK_S - 2.0) * cfg.hz) - 1

    def _gap(self, kind: str, after: int = 0) -> float:
        p = self.rates[kind]
        if p <= 0:
            return math.inf
        if p >= 1:
            return after + 1
        return after + 1 + math.floor(math.log(1.0 - self.rng.random()) / math.log(1.0 - p))

    @property
    def soonest(self) -> float:
        return min(self.next.values())

    def inject(self, v: _Vehicle, k: int, ms: int, payload: str):
        sim, rng, n, nxt, data = self.sim, self.rng, self.n, self.next, payload.encode()
        hold, free = None, v.scn is None and not v.held  # one hold at a time, so the vehicle moves on meanwhile
        if n >= nxt["late"] and free:
            d = math.ceil(rng.uniform(2 * WATERMARK_S, 4 * WATERMARK_S) * self.cfg.hz)
            if k + d < self.cfg.ticks:
                hold, kind, expected = d, "late", "dead_letter:late"
            nxt["late"] = self._gap("late", n)
        elif n >= nxt["out_of_order"] and free and self.max_ooo >= 1:
            d = rng.randint(1, self.max_ooo)
            if k + d < self.cfg.ticks:
                hold, kind, expected = d, "out_of_order", "none"
            nxt["out_of_order"] = self._gap("out_of_order", n)
        if hold:
            entry = {"kind": kind, "vehicle_id": v.vid, "channel": None, "start": format_event_time(ms),
                     "end": format_event_time(ms), "expected": expected}
            heapq.heappush(self.held, (k + hold, n, v, v.vid, data, entry))
            v.held += 1
        else:
            yield from sim._emit(v.vid, data)
            if n >= nxt["duplicate"]:
                yield from sim._emit(v.vid, data, sim._note("duplicate", v.vid, None, ms, ms, "dead_letter:duplicate"))
                nxt["duplicate"] = self._gap("duplicate", n)
        if n >= nxt["malformed"]:
            # 1 ms after the valid record: a distinct (vehicle_id, event_time), so no reading of it is a duplicate
            data, reason, detail, channel = _malform(rng, payload, ms + 1)
            entry = sim._note("malformed", v.vid, channel, ms + 1, ms + 1, f"dead_letter:{reason}", detail=detail)
            yield from sim._emit(partition_key(data), data, entry)
            nxt["malformed"] = self._gap("malformed", n)

    def release(self, k: int):
        while self.held and self.held[0][0] <= k:
            _, _, v, key, data, entry = heapq.heappop(self.held)
            v.held -= 1
            self.sim.manifest.append(entry)
            self.sim.counts[entry["kind"]] += 1
            yield from self.sim._emit(key, data, entry)


# (path, replacement) pools for the structurally valid but rejected records
_WRONG_TYPE = (("speed", lambda x: f"{x}"), ("rpm", lambda x: x + 0.5), ("gear", lambda x: True),
               ("throttle", lambda x: str(x)), ("temperatures.engine", lambda x: f"{x}"),
               ("pressures.brakes.front_left", lambda x: str(x)), ("suspension", lambda x: [x]),
               ("lap_time", lambda x: False), ("vehicle_id", lambda x: 1234),
               ("temperatures.brakes", lambda x: list(x.values())))
_OUT_OF_RANGE = (("speed", 512.0), ("speed", -4.0), ("rpm", 26000), ("gear", 9), ("gear", -1), ("throttle", 1.4),
                 ("brakes", -0.1), ("steering_angle", 1.3), ("temperatures.engine", 1600.0),
                 ("temperatures.tires.rear_left", -60.0), ("fuel_consumption", 150.0), ("lap_time", 0.0),
                 ("lap_time", 3700.0))
_REQUIRED = ("vehicle_id", "event_time", "speed", "rpm", "gear", "throttle", "brakes", "steering_angle",
             "suspension", "suspension.ride_height", "suspension.damper_settings.rear_left", "temperatures",
             "temperatures.engine", "temperatures.brakes.front_right", "temperatures.tires", "pressures",
             "pressures.engine", "pressures.brakes.rear_right", "pressures.tires.front_left",
             "fuel_consumption", "lap_time")
_BAD_TIMES = ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M:%S.{ms}Z", "%Y-%m-%dT%H:%M:%S.{ms}", "%Y-%m-%dT%H:%M:%S.{ms}+00:00",
              "%Y-%m-%dT%H:%M:%S.{ms}123Z", "%d/%m/%Y %H:%M:%S")
_NOT_NEWLINE = bytes(b for b in range(256) if b not in b"\r\n")  # keeps every payload on one JSON-lines line


def _parent(record: dict, path: str):
    *parents, leaf = path.split(".")
    for p in parents:
        record = record[p]
    return record, leaf


def _malform(rng: random.Random, payload: str, ms: int) -> tuple[bytes, str, str, str | None]:
    """A rejected variant of a valid record: (data, dead-letter reason, detail, channel)."""
    record = json.loads(payload)
    record["event_time"] = format_event_time(ms)
    kind = rng.choice(("truncated", "binary", "text", "not_object", "missing_field", "wrong_type", "out_of_range",
                       "bad_event_time", "clock_ahead"))
    path = None
    if kind == "truncated":
        text = json.dumps(record)
        return text[:rng.randrange(1, len(text))].encode(), "not_json", kind, None
    if kind == "binary":  # a lone continuation byte first: never valid UTF-8, so never JSON
        body = bytes(rng.choice(_NOT_NEWLINE) for _ in range(rng.randrange(8, 200)))
        return bytes([rng.randrange(0x80, 0xC0)]) + body, "not_json", kind, None
    if kind == "text":  # the classic mistakes: a Python repr, or key=value pairs
        pairs = " ".join(f"{k}={record[k]}" for k in ("vehicle_id", "speed", "rpm"))
        text = repr(record) if rng.random() < 0.5 else pairs
        return text.encode(), "not_json", kind, None
    if kind == "not_object":
        other = rng.choice(([record], record["vehicle_id"], record["speed"], None))
        return json.dumps(other).encode(), kind, kind, None
    if kind == "missing_field":
        path = rng.choice(_REQUIRED)
        parent, leaf = _parent(record, path)
        del parent[leaf]
    elif kind == "wrong_type":
        path, change = rng.choice(_WRONG_TYPE)
        parent, leaf = _parent(record, path)
        parent[leaf] = change(parent[leaf])
    elif kind == "out_of_range":
        path, value = rng.choice(_OUT_OF_RANGE)
        parent, leaf = _parent(record, path)
        parent[leaf] = value
    elif kind == "clock_ahead":  # a device clock jumped ahead: well-formed, months to years in the future
        record["event_time"] = format_event_time(ms + rng.randrange(30, 5 * 365) * 86_400_000)
        return json.dumps(record).encode(), "future_event_time", kind, "event_time"
    else:
        path = "event_time"
        dt = datetime.fromtimestamp(ms / 1000, timezone.utc)
        record[path] = dt.strftime(rng.choice(_BAD_TIMES).replace("{ms}", f"{ms % 1000:03d}"))
    return json.dumps(record).encode(), kind, kind, path


def generate(config: FleetConfig | None = None, **overrides) -> Simulation:
    """The fleet's records as an iterable Simulation; keyword overrides apply to the config."""
    return Simulation(replace(config or FleetConfig(), **overrides))


def clean_records(config: FleetConfig | None = None, **overrides) -> list[tuple[str, bytes]]:
    """Only valid, unique, in-order records: the config's fleet without scenarios or faults."""
    return list(Simulation(replace(config or FleetConfig(), **overrides).clean()))

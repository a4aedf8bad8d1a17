"""Lap profiles: a point-mass car on a fixed circuit, sampled once per fleet tick.

Speed comes from corner speed limits plus acceleration/braking limits (forward and backward
passes over a 5 m grid), so throttle, brakes, gear and rpm are consistent with it by construction.
Each profile is one lap at one tick rate; the fleet shares a small pool of slightly different laps
and every record's motion fields are pre-rendered here, which keeps generation cheap.
"""
from __future__ import annotations

import bisect
import math
import random
from dataclasses import dataclass

DS = 5.0  # metres per grid step
# (straight before the corner in m, corner length in m, apex speed in km/h, direction: +1 left, -1 right)
TRACK = (
    (800, 120, 100, 1), (380, 160, 170, -1), (260, 200, 240, 1), (560, 100, 85, -1),
    (340, 180, 190, 1), (820, 140, 130, -1), (240, 220, 255, 1), (400, 110, 110, 1),
)
GEAR_TOP_KMH = (0, 105, 145, 180, 215, 250, 285, 320, 362)  # speed at SHIFT_RPM in each gear
SHIFT_RPM = 15000
CHANNELS = ("engine", "front_left", "front_right", "rear_left", "rear_right")
CORNERS = CHANNELS[1:]


@dataclass(frozen=True)
class Tick:
    motion: str  # '"speed": ..., "steering_angle": ..., ' rendered once
    speed: float
    rpm: int
    gear: int
    throttle: float
    brakes: float
    steering: float
    ride: str  # ride height, rendered
    pressures: str  # '"engine": ..., "brakes": {...}, ' rendered once
    targets: tuple  # equilibrium temperatures: engine, 4 brakes, 4 tires


@dataclass(frozen=True)
class Lap:
    ticks: tuple
    lap_time: float
    fuel: float  # litres used on the lap


def gear_rpm(kmh: float) -> tuple[int, int]:
    gear = next((g for g in range(1, 9) if kmh <= GEAR_TOP_KMH[g]), 8)
    return gear, max(4000, min(18000, round(SHIFT_RPM * kmh / GEAR_TOP_KMH[gear])))


def render_motion(speed, rpm, gear, throttle, brakes, steering) -> str:
    return (f'"speed": {speed:.2f}, "rpm": {rpm:d}, "gear": {gear:d}, "throttle": {throttle:.2f}, '
            f'"brakes": {brakes:.2f}, "steering_angle": {steering:.2f}, ')


def _speed_profile(vmax: float, corner_scale: float, accel: float, decel: float):
    limits, steer = [], []
    for straight, corner, apex, direction in TRACK:
        limits += [vmax] * int(straight / DS)
        steer += [0.0] * int(straight / DS)
        n = int(corner / DS)
        limits += [apex * corner_scale / 3.6] * n
        # tighter (slower) corners need more lock; ease in and out so steering is continuous
        lock = direction * min(0.9, 0.1 + 45.0 / apex)
        steer += [lock * math.sin(math.pi * (i + 0.5) / n) for i in range(n)]
    n = len(limits)
    v = list(limits)
    for _ in range(2):  # twice around so the lap wraps seamlessly
        for i in range(n):
            u = v[i - 1]
            a = accel * max(0.0, 1.0 - (u / vmax) ** 2)  # drag eats the thrust near top speed
            v[i] = min(v[i], math.sqrt(u * u + 2 * a * DS))
        for i in range(n - 1, -1, -1):
            v[i] = min(v[i], math.sqrt(v[(i + 1) % n] ** 2 + 2 * decel * DS))
    return limits, steer, v


def _targets(kmh: float, thr: float, brk: float, steer: float) -> tuple:
    """Equilibrium temperatures under this load: engine, brakes (FL, FR, RL, RR), tires (same)."""
    lateral = abs(steer) * kmh / 250.0
    outer_left = steer < 0  # a right-hand corner loads the left tires
    return (
        90.0 + 12.0 * thr,
        *(300.0 + 620.0 * brk * bias for bias in (1.0, 1.0, 0.75, 0.75)),
        *(82.0 + 14.0 * lateral * (1.4 if outer_left == left else 0.6) + load
          for left, load in ((True, 4 * brk), (False, 4 * brk), (True, 4 * thr), (False, 4 * thr))),
    )


def build_lap(hz: float, rng: random.Random) -> Lap:
    """One lap of one driver/car variant, sampled at `hz`."""
    vmax = rng.uniform(318, 332) / 3.6
    accel, decel = rng.uniform(13.0, 15.0), rng.uniform(32.0, 38.0)
    limits, steer, v = _speed_profile(vmax, rng.uniform(0.97, 1.03), accel, decel)
    n = len(v)
    times, t = [], 0.0
    throttle, brake = [], []
    for i in range(n):
        times.append(t)
        w = v[(i + 1) % n]
        t += 2 * DS / (v[i] + w)
        acc = (w * w - v[i] * v[i]) / (2 * DS)
        if acc < -1.0:
            throttle.append(0.0)
            brake.append(min(1.0, -acc / decel))
        elif v[i] >= limits[i] - 0.01 and limits[i] < vmax:  # holding corner speed
            throttle.append(0.25 + 0.35 * limits[i] / vmax)
            brake.append(0.0)
        else:
            throttle.append(1.0)
            brake.append(0.0)
    lap_time = t
    times.append(lap_time)
    heat = [_targets(v[i] * 3.6, throttle[i], brake[i], steer[i]) for i in range(n)]
    n_ticks = max(1, round(lap_time * hz))
    starts = [bisect.bisect_right(times, k * lap_time / n_ticks) - 1 for k in range(n_ticks)] + [n]
    ticks = []
    for k in range(n_ticks):
        i = starts[k]
        kmh = v[i] * 3.6
        gear, rpm = gear_rpm(kmh)
        thr, brk, st = throttle[i], brake[i], steer[i]
        ride = 40.0 - 7.5 * (kmh / 330.0) ** 2  # downforce squats the car
        p_brake = round(brk * 110)
        # heat input averaged over the whole tick, so a braking zone counts the same at any tick rate
        span = range(i, max(starts[k + 1], i + 1))
        weights = [times[j + 1] - times[j] for j in span]
        targets = tuple(sum(heat[j][c] * w for j, w in zip(span, weights)) / sum(weights) for c in range(9))
        ticks.append(Tick(
            render_motion(kmh, rpm, gear, thr, brk, st), kmh, rpm, gear, thr, brk, st, f"{ride:.2f}",
            f'"engine": {2.5 + 2.0 * rpm / SHIFT_RPM:.1f}, "brakes": {{"front_left": {p_brake}, '
            f'"front_right": {p_brake}, "rear_left": {round(p_brake * 0.8)}, "rear_right": {round(p_brake * 0.8)}}}, ',
            targets))
    fuel = 1.1 + 2.2 * sum(throttle) / n
    return Lap(tuple(ticks), lap_time, fuel)

#!/usr/bin/env python3
"""Seeded synthetic cache traces for `zestor bench --workload cache_trace` (one key id per line).

Every trace draws from 100,000 objects (ids 0..99999) and has --requests requests (default
1,000,000). The same --seed always gives the same files.

  zipf-0.8      Zipf, alpha 0.8, popularity ranks shuffled over the ids
  zipf-1.0      Zipf, alpha 1.0
  zipf-scan     Zipf 1.0, and every 100,000 requests a one-time scan of 20,000 ids never
                requested before or after (scan resistance)
  loop          a cyclic loop over 11,000 ids: slightly larger than a cache of 10% of the
                objects (10,000), far larger than one of 1% (LRU misses every request)
  shift         Zipf 1.0 whose hot set moves to other ids halfway (adaptivity)

Usage: Benchmarks/Traces/generate.py [--out DIR] [--requests N] [--seed S]
"""
import argparse
import bisect
import itertools
import os
import random

OBJECTS = 100_000


def zipf_sampler(rng, alpha, objects=OBJECTS):
    """Draws ids with P(rank k) proportional to 1/k^alpha; ranks map to ids by a seeded shuffle."""
    weights = [1.0 / (rank ** alpha) for rank in range(1, objects + 1)]
    cumulative = list(itertools.accumulate(weights))
    total = cumulative[-1]
    ids = list(range(objects))
    rng.shuffle(ids)

    def draw():
        return ids[bisect.bisect_left(cumulative, rng.random() * total)]

    return draw, ids


def write(path, requests):
    with open(path, "w") as out:
        out.write("\n".join(str(r) for r in requests))
        out.write("\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)) + "/generated")
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    n = args.requests

    for alpha in (0.8, 1.0):
        rng = random.Random(args.seed)
        draw, _ = zipf_sampler(rng, alpha)
        write(f"{args.out}/zipf-{alpha}.txt", [draw() for _ in range(n)])

    # Zipf 1.0 with periodic one-time scans of fresh ids (OBJECTS and above: never reused).
    rng = random.Random(args.seed)
    draw, _ = zipf_sampler(rng, 1.0)
    requests, fresh = [], OBJECTS
    while len(requests) < n:
        requests.extend(draw() for _ in range(80_000))
        requests.extend(range(fresh, fresh + 20_000))
        fresh += 20_000
    write(f"{args.out}/zipf-scan.txt", requests[:n])

    loop = 11_000
    write(f"{args.out}/loop.txt", [i % loop for i in range(n)])

    # Zipf 1.0; halfway, the popularity ranks move to a different shuffle of the ids.
    rng = random.Random(args.seed)
    first, _ = zipf_sampler(rng, 1.0)
    second, _ = zipf_sampler(rng, 1.0)
    write(f"{args.out}/shift.txt", [first() for _ in range(n // 2)] + [second() for _ in range(n - n // 2)])


if __name__ == "__main__":
    main()

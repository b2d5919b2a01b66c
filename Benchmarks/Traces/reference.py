#!/usr/bin/env python3
"""Reference miss ratios from libCacheSim (`pip install libcachesim`) for the traces written by
generate.py, in the same `<subject> miss_ratio:<trace>:<capacity>:<policy> 1 <ratio>` lines as
`zestor bench --workload cache_trace` (subject `libcachesim`), so the two can be put side by side.

Policies: LRU, SIEVE, S3-FIFO, ARC and W-TinyLFU with libCacheSim's default parameters.

Usage: Benchmarks/Traces/reference.py [--capacity 1000,10000] TRACE...
"""
import argparse
import os

import libcachesim as lcs

POLICIES = [("lru", lcs.LRU), ("sieve", lcs.Sieve), ("s3fifo", lcs.S3FIFO), ("arc", lcs.ARC),
            ("wtinylfu", lcs.WTinyLFU)]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--capacity", default="1000,10000", help="comma-separated cache sizes (objects)")
    parser.add_argument("traces", nargs="+")
    args = parser.parse_args()
    capacities = [int(text) for text in args.capacity.split(",")]
    for path in args.traces:
        name = os.path.splitext(os.path.basename(path))[0]
        reader = lcs.TraceReader(trace=path, trace_type=lcs.TraceType.PLAIN_TXT_TRACE)
        for capacity in capacities:
            for label, policy in POLICIES:
                reader.reset()
                ratio, _ = policy(cache_size=capacity).process_trace(reader)
                print(f"libcachesim miss_ratio:{name}:{capacity}:{label} 1 {ratio:.4f}", flush=True)


if __name__ == "__main__":
    main()

"""The local AWS stand-in: moto's server, with Kinesis resharding behaving as Kinesis documents it.

Run as `python -m tooling.moto_server -H 127.0.0.1 -p PORT` (tooling/local_aws.py's MotoServer
does). moto 5.2, on UpdateShardCount / SplitShard / MergeShards, closes the parents and lists the
children, but:
- keeps routing PutRecord(s) to the closed parents (it looks the key up over all shards, parents
  first), where Kinesis writes to the open child that owns the hash key;
- moves or copies the parents' records into the children, where Kinesis leaves them in the
  parents, readable until they expire, and starts the children empty;
- never ends a closed shard: GetRecords always returns a NextShardIterator and no ChildShards,
  where Kinesis, at the end of a closed shard, returns no NextShardIterator and the ChildShards
  (GetRecords API reference). That is where the Flink Kinesis source finishes a parent and hands
  its keys to the children, so without it the job's resharding path cannot run locally;
- ignores ListShards' ShardFilter. The source looks for new shards with AFTER_SHARD_ID (the last
  one it saw) and forgets a parent once it has read it to the end: given every shard again, it
  took the finished parents for new shards and read them again from the start.
Also, without changing behaviour: PutRecord found a shard's last sequence number by copying all
its keys and GetRecords scanned the shard from its start, O(records in the shard) per call (a
10-minute soak slowed the sender from 1,000 to ~130 records/s). tests/test_faults.py checks each
of these against the documented behaviour; the rest of moto is untouched.
"""
from __future__ import annotations

import hashlib
import sys
from collections import OrderedDict


def apply() -> None:
    from moto.core.responses import ActionResult
    from moto.kinesis.models import Shard, Stream
    from moto.kinesis.responses import KinesisResponse
    from moto.kinesis.utils import decompose_shard_iterator

    original_shard_for_key = Stream.get_shard_for_key
    original_split, original_merge = Stream.split_shard, Stream.merge_shards

    def get_shard_for_key(self, partition_key, explicit_hash_key):
        found = original_shard_for_key(self, partition_key, explicit_hash_key)   # validates the key
        if found is None or found.is_open:
            return found
        key = int(explicit_hash_key) if explicit_hash_key else int(
            hashlib.md5(partition_key.encode("utf-8")).hexdigest(), 16)
        return next((s for s in self.shards.values() if s.is_open and s.starting_hash <= key <= s.ending_hash), None)

    def keeping_records(original):
        def reshard(self, *shard_ids_and_key):
            parents = [self.shards[s] for s in shard_ids_and_key if s in self.shards]
            kept = [p.records for p in parents]
            for p in parents:
                p.records = OrderedDict()        # nothing for moto to move or copy
            try:
                original(self, *shard_ids_and_key)
            finally:
                for p, records in zip(parents, kept, strict=True):
                    p.records = records
        return reshard

    def max_sequence_number(self) -> int:
        return next(reversed(self.records)) if self.records else 0

    def min_sequence_number(self) -> int:
        return next(iter(self.records)) if self.records else 0

    def shard_get_records(self, last_sequence_id, limit):
        # Sequence numbers in a shard are consecutive (moto numbers them 1, 2, ...): look them up.
        last = int(last_sequence_id)
        if not self.records:
            return [], last, 0
        newest = next(reversed(self.records))
        results = []
        seq = max(last + 1, next(iter(self.records)))
        while seq <= newest and (not limit or len(results) < limit):
            record = self.records.get(seq)
            if record is not None:
                results.append(record)
                last = seq
            seq += 1
        behind = self.records[newest].created_at - results[-1].created_at if results else 0.0
        return results, last, int(behind * 1000)

    def get_records(self):
        stream_arn = self._get_param("StreamARN")
        iterator = self._get_param("ShardIterator")
        next_iterator, records, behind = self.kinesis_backend.get_records(
            stream_arn, iterator, self._get_param("Limit"))
        result = {"NextShardIterator": next_iterator, "Records": [r.to_json() for r in records],
                  "MillisBehindLatest": behind}
        stream_name, shard_id, _ = decompose_shard_iterator(iterator)
        stream = self.kinesis_backend.describe_stream(stream_arn=stream_arn, stream_name=stream_name)
        shard = stream.get_shard(shard_id)
        if not shard.is_open and int(decompose_shard_iterator(next_iterator)[2]) >= shard.get_max_sequence_number():
            del result["NextShardIterator"]
            result["ChildShards"] = [
                {"ShardId": child.shard_id,
                 "ParentShards": [p for p in (child.parent, child.adjacent_parent) if p],
                 "HashKeyRange": {"StartingHashKey": str(child.starting_hash),
                                  "EndingHashKey": str(child.ending_hash)}}
                for child in stream.shards.values() if shard.shard_id in (child.parent, child.adjacent_parent)]
        return ActionResult(result)

    original_list_shards = KinesisResponse.list_shards

    def list_shards(self):
        listed = original_list_shards(self)
        shard_filter = self._get_param("ShardFilter") or {}
        kind, shards = shard_filter.get("Type"), listed.result["Shards"]
        if kind == "AFTER_SHARD_ID":
            listed.result["Shards"] = [s for s in shards if s["ShardId"] > shard_filter["ShardId"]]
        elif kind == "AT_LATEST":
            listed.result["Shards"] = [s for s in shards if "EndingSequenceNumber" not in s["SequenceNumberRange"]]
        # AT_/FROM_TRIM_HORIZON: every shard (none expires here); *_TIMESTAMP: every shard, as before.
        return listed

    Stream.get_shard_for_key = get_shard_for_key
    Stream.split_shard = keeping_records(original_split)
    Stream.merge_shards = keeping_records(original_merge)
    Shard.get_max_sequence_number = max_sequence_number
    Shard.get_min_sequence_number = min_sequence_number
    Shard.get_records = shard_get_records
    KinesisResponse.get_records = get_records
    KinesisResponse.list_shards = list_shards


if __name__ == "__main__":
    apply()
    from moto.server import main

    main(sys.argv[1:])

package io.telemetry.flink;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.connector.kinesis.source.serialization.KinesisDeserializationSchema;
import org.apache.flink.util.Collector;

import software.amazon.awssdk.services.kinesis.model.Record;

/**
 * Kinesis record -> the source line of {@link TelemetryWatermarks}: {@code <event ms>TAB<verdict>TAB<payload>}.
 *
 * <p>The verdict is decided per shard, in shard order, so it does not depend on how many subtasks
 * read the shards or how far apart they are: {@code F} when the event time is more than the
 * allowed skew ahead of the record's Kinesis arrival time, {@code L} when it is at or behind its
 * shard's watermark (the newest event time accepted from that shard minus the out-of-orderness),
 * else {@code -}. The event ms is 0 when there is no usable event time (the record breaks the
 * contract, or F): such a record never moves a watermark.
 * Per-shard positions are not checkpointed: after a restart each shard starts afresh.
 */
public final class TelemetryKinesisDeserializer implements KinesisDeserializationSchema<String> {
    private static final long serialVersionUID = 1L;

    private final long outOfOrdernessMs;
    private final long maxFutureSkewMs;
    private final TelemetryContract contract;
    private transient Map<String, long[]> newestPerShard;

    /** {@code contract}: the record contract's checks as JSON, see {@link TelemetryContract}. */
    public TelemetryKinesisDeserializer(long outOfOrdernessMs, long maxFutureSkewMs, String contract) {
        this.outOfOrdernessMs = outOfOrdernessMs;
        this.maxFutureSkewMs = maxFutureSkewMs;
        this.contract = new TelemetryContract(contract);
    }

    @Override
    public void deserialize(Record record, String stream, String shardId, Collector<String> output) {
        if (newestPerShard == null) {
            newestPerShard = new HashMap<>();
        }
        // Invalid UTF-8 becomes U+FFFD: binary garbage reaches the parser and the dead letters as text.
        String payload = new String(record.data().asByteArrayUnsafe(), StandardCharsets.UTF_8);
        long[] newest = newestPerShard.computeIfAbsent(shardId, k -> new long[] {Long.MIN_VALUE});
        long arrival = record.approximateArrivalTimestamp() == null
                ? 0 : record.approximateArrivalTimestamp().toEpochMilli();
        output.collect(TelemetryWatermarks.line(contract, payload, arrival, newest, outOfOrdernessMs, maxFutureSkewMs));
    }

    @Override
    public TypeInformation<String> getProducedType() {
        return Types.STRING;
    }
}

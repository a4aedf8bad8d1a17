package io.telemetry.flink;

import java.nio.charset.StandardCharsets;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.connector.kinesis.source.serialization.KinesisDeserializationSchema;
import org.apache.flink.util.Collector;

import software.amazon.awssdk.services.kinesis.model.Record;

/**
 * Kinesis record -> {@code <event ms>TAB<F or ->TAB<shard id>TAB<payload>} ({@link TelemetryWatermarks#stamp}
 * with the shard's id), for the source's per-shard watermarks and then {@link ShardVerdicts}, which
 * adds the late verdict per shard.
 *
 * <p>{@code F} when the event time is more than the allowed skew ahead of the record's Kinesis
 * arrival time. The event ms is 0 when there is no usable event time (the record breaks the
 * contract, or F): such a record never moves a watermark. Stateless: what a shard has seen so far
 * is {@link ShardVerdicts}' checkpointed state, which a deserializer cannot have.
 */
public final class TelemetryKinesisDeserializer implements KinesisDeserializationSchema<String> {
    private static final long serialVersionUID = 1L;

    private final long maxFutureSkewMs;
    private final TelemetryContract contract;

    /** {@code contract}: the record contract's checks as JSON, see {@link TelemetryContract}. */
    public TelemetryKinesisDeserializer(long maxFutureSkewMs, String contract) {
        this.maxFutureSkewMs = maxFutureSkewMs;
        this.contract = new TelemetryContract(contract);
    }

    @Override
    public void deserialize(Record record, String stream, String shardId, Collector<String> output) {
        // Invalid UTF-8 becomes U+FFFD: binary garbage reaches the parser and the dead letters as text.
        String payload = new String(record.data().asByteArrayUnsafe(), StandardCharsets.UTF_8);
        long arrival = record.approximateArrivalTimestamp() == null
                ? 0 : record.approximateArrivalTimestamp().toEpochMilli();
        output.collect(TelemetryWatermarks.stamp(contract, payload, arrival, maxFutureSkewMs)
                + '\t' + shardId + '\t' + payload);
    }

    @Override
    public TypeInformation<String> getProducedType() {
        return Types.STRING;
    }
}

package io.telemetry.flink;

import java.nio.charset.StandardCharsets;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.connector.kinesis.source.serialization.KinesisDeserializationSchema;
import org.apache.flink.util.Collector;

import software.amazon.awssdk.services.kinesis.model.Record;

/**
 * Kinesis record -> {@code <event ms>TAB<F or ->TAB<origin>TAB<payload>} ({@link TelemetryWatermarks#stamp},
 * {@link TelemetryWatermarks#origin}: shard id first), for the source's per-shard watermarks and
 * then {@link ShardVerdicts}, which adds the late verdict per shard.
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
        byte[] bytes = record.data().asByteArrayUnsafe();
        String payload = new String(bytes, StandardCharsets.UTF_8);
        long arrival = record.approximateArrivalTimestamp() == null
                ? 0 : record.approximateArrivalTimestamp().toEpochMilli();
        // Only a payload with U+FFFD can have lost bytes; the archive then also gets the bytes.
        byte[] raw = payload.indexOf('\uFFFD') >= 0 && !java.util.Arrays.equals(
                bytes, payload.getBytes(StandardCharsets.UTF_8)) ? bytes : null;
        output.collect(TelemetryWatermarks.stamp(contract, payload, arrival, maxFutureSkewMs) + '\t'
                + TelemetryWatermarks.origin(shardId, arrival, record.sequenceNumber(), raw) + '\t' + payload);
    }

    @Override
    public TypeInformation<String> getProducedType() {
        return Types.STRING;
    }
}

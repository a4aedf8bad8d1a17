package io.telemetry.flink;

import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

import org.apache.flink.api.common.eventtime.TimestampAssigner;
import org.apache.flink.api.common.eventtime.TimestampAssignerSupplier;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkGeneratorSupplier;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;

/**
 * Event time and watermarks for telemetry, given to the source itself so that every split
 * (Kinesis shard, replayed file) has a watermark of its own: a subtask reading several shards out
 * of step holds back to the slowest instead of declaring its records late.
 *
 * <p>The source emits lines {@code <event ms>TAB<verdict>TAB<payload>} (see {@link #line}: the
 * Kinesis deserializer and {@link ShardVerdicts} write them per shard, the replay per file). A
 * record's timestamp is its event ms; 0 ({@link #REJECTED}) means no usable event time (the record breaks the contract, or
 * is too far ahead), and such a record never moves a watermark. The watermark is the newest event time minus {@code outOfOrdernessMs}, like the SQL
 * {@code WATERMARK FOR t AS t - INTERVAL ...} it replaces, emitted periodically.
 */
public final class TelemetryWatermarks implements WatermarkStrategy<String> {
    private static final long serialVersionUID = 1L;

    /** The timestamp of a record without a usable event time: 1970-01-01T00:00:00.000Z. */
    public static final long REJECTED = 0L;

    private final long outOfOrdernessMs;

    public TelemetryWatermarks(long outOfOrdernessMs) {
        this.outOfOrdernessMs = outOfOrdernessMs;
    }

    @Override
    public TimestampAssigner<String> createTimestampAssigner(TimestampAssignerSupplier.Context context) {
        return (line, previous) -> {
            try {
                return Long.parseLong(line.substring(0, line.indexOf('\t')));
            } catch (RuntimeException e) {
                return REJECTED;
            }
        };
    }

    @Override
    public WatermarkGenerator<String> createWatermarkGenerator(WatermarkGeneratorSupplier.Context context) {
        return new Generator(outOfOrdernessMs);
    }

    /**
     * The source line for one payload of a split. A record the contract rejects gets no event time
     * (its reason is the parser's to give). {@code newest} holds the split's newest accepted
     * event time and is updated; {@code clock} is the stream's clock for the payload (its Kinesis
     * arrival time), 0 for none. The replay writes the same lines in Python (tooling/file_io.py);
     * the Kinesis source writes {@link #stamp} in the deserializer and {@link ShardVerdicts} adds
     * the late verdict, with {@code newest} in checkpointed state. {@code origin}: {@link #origin}.
     */
    public static String line(TelemetryContract contract, String payload, String origin, long clock, long[] newest,
                              long outOfOrdernessMs, long maxFutureSkewMs) {
        String stamp = stamp(contract, payload, clock, maxFutureSkewMs);
        int tab = stamp.indexOf('\t');
        boolean late = late(Long.parseLong(stamp, 0, tab, 10), stamp.charAt(tab + 1), newest, outOfOrdernessMs);
        return (late ? stamp.substring(0, tab + 1) + 'L' : stamp) + '\t' + origin + '\t' + payload;
    }

    /**
     * Where a record came from, for the raw archive: {@code <shard id> <arrival ms> <sequence
     * number>}, and {@code  <base64 of the bytes>} when they are not valid UTF-8 (the payload text
     * then has U+FFFD in their place; the archive keeps the exact bytes). No tab: the source line
     * is {@code <ms>TAB<verdict>TAB<origin>TAB<payload>}.
     */
    public static String origin(String shardId, long arrivalMs, String sequenceNumber, byte[] rawIfNotUtf8) {
        String origin = shardId + ' ' + arrivalMs + ' ' + sequenceNumber;
        return rawIfNotUtf8 == null ? origin : origin + ' ' + java.util.Base64.getEncoder().encodeToString(rawIfNotUtf8);
    }

    /**
     * {@code <event ms>TAB<F or ->}, the head of a record's source line before its split's late
     * verdict: the event time, 0 when the contract rejects the record or it is more than
     * {@code maxFutureSkewMs} ahead of {@code clock} (verdict F). Callers append the payload
     * (the Kinesis deserializer, the shard id first), so the payload is copied once.
     */
    public static String stamp(TelemetryContract contract, String payload, long clock, long maxFutureSkewMs) {
        Long t = contract.validEventTime(payload);
        if (t == null) {
            return REJECTED + "\t-";
        }
        if (clock > 0 && t - clock > maxFutureSkewMs) {
            return REJECTED + "\tF";
        }
        long ms = t == REJECTED ? REJECTED + 1 : t;   // a real reading at the epoch is not "rejected"
        return ms + "\t-";
    }

    /**
     * Whether a record stamped {@code ms}, {@code verdict} is late in its split: at or behind the
     * split's newest accepted event time minus the out-of-orderness. Updates {@code newest}.
     */
    public static boolean late(long ms, char verdict, long[] newest, long outOfOrdernessMs) {
        if (ms == REJECTED || verdict != '-') {
            return false;
        }
        if (newest[0] != Long.MIN_VALUE && ms <= newest[0] - outOfOrdernessMs) {
            return true;
        }
        if (ms > newest[0]) {
            newest[0] = ms;
        }
        return false;
    }

    /** Epoch milliseconds of an event_time in the record contract's format, or null. */
    static Long parseUtc(String s) {
        // The record contract's one format, checked position by position (cheaper than a formatter).
        if (s.length() != 24 || s.charAt(4) != '-' || s.charAt(7) != '-' || s.charAt(10) != 'T'
                || s.charAt(13) != ':' || s.charAt(16) != ':' || s.charAt(19) != '.' || s.charAt(23) != 'Z') {
            return null;
        }
        try {
            if (digits(s, 0, 4) < 1) {
                return null;   // Java has a year 0; the parser's calendar (Python's) starts at year 1
            }
            LocalDateTime t = LocalDateTime.of(digits(s, 0, 4), digits(s, 5, 7), digits(s, 8, 10),
                    digits(s, 11, 13), digits(s, 14, 16), digits(s, 17, 19), digits(s, 20, 23) * 1_000_000);
            return t.toInstant(ZoneOffset.UTC).toEpochMilli();
        } catch (DateTimeException | NumberFormatException e) {
            return null;
        }
    }

    private static int digits(String s, int from, int to) {
        int v = 0;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                throw new NumberFormatException(s);
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    static final class Generator implements WatermarkGenerator<String> {
        private final long outOfOrdernessMs;
        private long newest = Long.MIN_VALUE;

        Generator(long outOfOrdernessMs) {
            this.outOfOrdernessMs = outOfOrdernessMs;
        }

        @Override
        public void onEvent(String payload, long timestamp, WatermarkOutput output) {
            if (timestamp == REJECTED) {
                return;
            }
            if (timestamp > newest) {
                newest = timestamp;
            }
        }

        @Override
        public void onPeriodicEmit(WatermarkOutput output) {
            if (newest != Long.MIN_VALUE) {
                output.emitWatermark(new Watermark(newest - outOfOrdernessMs));
            }
        }
    }
}

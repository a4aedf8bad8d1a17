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
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonFactory;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonParser;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonToken;

/**
 * Event time and watermarks for telemetry payloads (JSON text), given to the source itself so
 * that every split (Kinesis shard, replayed file) has a watermark of its own: a subtask reading
 * several shards out of step holds back to the slowest instead of declaring its records late.
 *
 * <p>A record's timestamp is its top-level {@code event_time} (yyyy-MM-dd'T'HH:mm:ss.SSS'Z', UTC).
 * It gets {@link #REJECTED} instead when that is unreadable, or more than {@code maxFutureSkewMs}
 * ahead of the stream's clock: the Kinesis arrival time, or, for a replayed file, the clock the
 * replay wrote before each line ({@code <epoch ms>TAB<payload>}, with {@code clockPrefix}). A
 * REJECTED record never moves a watermark; staging dead-letters it (bad event time, or
 * future_event_time).
 *
 * <p>The watermark is the newest accepted event time minus {@code outOfOrdernessMs}, like the SQL
 * {@code WATERMARK FOR t AS t - INTERVAL ...} it replaces; {@code perRecord} emits it after every
 * record, so that a bounded replay's lateness does not depend on timing.
 */
public final class TelemetryWatermarks implements WatermarkStrategy<String> {
    private static final long serialVersionUID = 1L;

    /** The timestamp of a record without a usable event time: 1970-01-01T00:00:00.000Z. */
    public static final long REJECTED = 0L;

    private final long outOfOrdernessMs;
    private final long maxFutureSkewMs;
    private final boolean clockPrefix;
    private final boolean perRecord;

    public TelemetryWatermarks(long outOfOrdernessMs, long maxFutureSkewMs, boolean clockPrefix, boolean perRecord) {
        this.outOfOrdernessMs = outOfOrdernessMs;
        this.maxFutureSkewMs = maxFutureSkewMs;
        this.clockPrefix = clockPrefix;
        this.perRecord = perRecord;
    }

    @Override
    public TimestampAssigner<String> createTimestampAssigner(TimestampAssignerSupplier.Context context) {
        return new Assigner(maxFutureSkewMs, clockPrefix);
    }

    @Override
    public WatermarkGenerator<String> createWatermarkGenerator(WatermarkGeneratorSupplier.Context context) {
        return new Generator(outOfOrdernessMs, perRecord);
    }

    /** Epoch milliseconds of the payload's top-level event_time, or null when it has none readable. */
    public static Long eventTime(String payload) {
        if (payload == null) {
            return null;
        }
        String text = null;
        try (JsonParser p = JSON.createParser(payload)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            // Last occurrence wins, as in Python's json.loads that validates the record.
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if ("event_time".equals(name)) {
                    text = value == JsonToken.VALUE_STRING ? p.getText() : null;
                }
                p.skipChildren();
            }
        } catch (Exception e) {
            return null;
        }
        return text == null ? null : parseUtc(text);
    }

    private static final JsonFactory JSON = new JsonFactory();

    private static Long parseUtc(String s) {
        // The record contract's one format, checked position by position (cheaper than a formatter).
        if (s.length() != 24 || s.charAt(4) != '-' || s.charAt(7) != '-' || s.charAt(10) != 'T'
                || s.charAt(13) != ':' || s.charAt(16) != ':' || s.charAt(19) != '.' || s.charAt(23) != 'Z') {
            return null;
        }
        try {
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

    static final class Assigner implements TimestampAssigner<String> {
        private final long maxFutureSkewMs;
        private final boolean clockPrefix;

        Assigner(long maxFutureSkewMs, boolean clockPrefix) {
            this.maxFutureSkewMs = maxFutureSkewMs;
            this.clockPrefix = clockPrefix;
        }

        @Override
        public long extractTimestamp(String record, long arrival) {
            String payload = record;
            long clock = arrival;
            if (clockPrefix) {
                int tab = record.indexOf('\t');
                try {
                    clock = Long.parseLong(record.substring(0, tab));
                } catch (RuntimeException e) {
                    return REJECTED;   // not a line the replay prepared; staging reads the rest
                }
                payload = record.substring(tab + 1);
            }
            Long t = eventTime(payload);
            if (t == null || (clock > 0 && t - clock > maxFutureSkewMs)) {
                return REJECTED;
            }
            return t == REJECTED ? REJECTED + 1 : t;   // a real reading at the epoch is not "rejected"
        }
    }

    static final class Generator implements WatermarkGenerator<String> {
        private final long outOfOrdernessMs;
        private final boolean perRecord;
        private long newest = Long.MIN_VALUE;

        Generator(long outOfOrdernessMs, boolean perRecord) {
            this.outOfOrdernessMs = outOfOrdernessMs;
            this.perRecord = perRecord;
        }

        @Override
        public void onEvent(String payload, long timestamp, WatermarkOutput output) {
            if (timestamp == REJECTED) {
                return;
            }
            if (timestamp > newest) {
                newest = timestamp;
            }
            if (perRecord) {
                onPeriodicEmit(output);
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

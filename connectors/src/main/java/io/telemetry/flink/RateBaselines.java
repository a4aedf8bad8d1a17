package io.telemetry.flink;

import org.apache.flink.table.annotation.ArgumentHint;
import org.apache.flink.table.annotation.ArgumentTrait;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.annotation.StateHint;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.api.dataview.MapView;
import org.apache.flink.table.functions.ProcessTableFunction;
import org.apache.flink.types.Row;

import java.util.ArrayList;
import java.util.List;

/**
 * For each reading of a vehicle and each configured channel: the lowest value of that channel
 * within the channel's look-back (event time, this reading included), the baseline its
 * rate-of-change rule measures a rise against. The same rows as
 * {@code MIN(x) OVER (PARTITION BY vehicle_id ORDER BY event_ts RANGE BETWEEN look-back PRECEDING
 * AND CURRENT ROW)} per channel, in one operator and at a cost per reading that does not depend on
 * the look-back: one monotonic deque of minima per channel (amortized O(1) state operations per
 * reading), where the OVER form re-scans its whole look-back per reading, per channel.
 *
 * <p>Called from sql/20_analytics_rate_baselines.sql:
 *
 * <pre>
 * rate_baselines_of(input => TABLE telemetry_valid PARTITION BY vehicle_id, on_time =>
 *   DESCRIPTOR(event_ts), channels => 'engine engine_temp 60 5.0, ...')
 * </pre>
 *
 * <p>{@code channels}: entries separated by ',', each "name column look-back-seconds
 * allowed-rise"; an entry with a rise of 0 or less is left out (its rule is disabled). Output:
 * vehicle_id (the partition key), event_time, channel, value, allowed_rise, baseline, rowtime.
 *
 * <p>Like the OVER operator, a reading is processed when the watermark passes its event time, in
 * event-time order, readings with the same event time together. The PTF runtime drops a row at
 * or behind the watermark before eval(); none arrives here: staging dead-letters a reading behind
 * the watermark as late, and the operators in between emit each row before the watermark that
 * passes it. The state of a vehicle quiet for
 * longer than the longest look-back is cleared by a timer, so it does not depend on
 * table.exec.state.ttl (which counts processing time and could cut a look-back short).
 */
@FunctionHint(output = @DataTypeHint(
        "ROW<event_time STRING, channel STRING, `value` DOUBLE, allowed_rise DOUBLE, baseline DOUBLE>"))
public class RateBaselines extends ProcessTableFunction<Row> {

    private static final String CLEANUP = "cleanup";
    /** Deque keys: the channel's index in the high bits, a sequence number in the low ones. */
    private static final int SEQ_BITS = 48;

    /** Readings waiting for the watermark, per event time. */
    public static class Pending {
        public String[] eventTimes;
        /** One reading after another, each its channels' values in entry order (NaN for null). */
        public double[] values;
    }

    /** One deque element: an event time and a value. */
    public static class Entry {
        public long ts;
        public double value;
    }

    /** Per vehicle: the channels argument, each channel's deque ends, the newest event time read. */
    public static class Ends {
        public String spec;
        public String layout;
        public long[] head;
        public long[] tail;
        public long newest;
        public boolean cleanupPending;
    }

    private static final class Channel {
        final String name;
        final String column;
        final long lookBackMs;
        final double rise;

        Channel(String name, String column, long lookBackMs, double rise) {
            this.name = name;
            this.column = column;
            this.lookBackMs = lookBackMs;
            this.rise = rise;
        }
    }

    private transient String parsedSpec;
    private transient List<Channel> channels;
    private transient String layout;
    private transient long longestLookBackMs;

    public void eval(
            Context ctx,
            @StateHint(name = "pending", ttl = "0") MapView<Long, Pending> pending,
            @StateHint(name = "deques", ttl = "0") MapView<Long, Entry> deques,
            @StateHint(name = "ends", ttl = "0") Ends ends,
            @ArgumentHint(name = "input", value = {ArgumentTrait.SET_SEMANTIC_TABLE, ArgumentTrait.REQUIRE_ON_TIME})
                    Row input,
            @ArgumentHint(name = "channels", value = ArgumentTrait.SCALAR) String channels)
            throws Exception {
        parse(channels);
        if (!layout.equals(ends.layout)) {
            // First reading, or resumed with another list of channels (a rule enabled or disabled):
            // the deques and waiting readings are laid out by channel, so this vehicle starts afresh.
            // A changed look-back or rise alone keeps them.
            pending.clear();
            deques.clear();
            ends.layout = layout;
            ends.head = new long[this.channels.size()];
            ends.tail = new long[this.channels.size()];
        }
        ends.spec = channels;
        TimeContext<Long> time = ctx.timeContext(Long.class);
        long ts = time.time();
        ends.newest = Math.max(ends.newest, ts);
        int n = this.channels.size();
        Pending p = pending.get(ts);
        int had = p == null ? 0 : p.eventTimes.length;
        Pending next = new Pending();
        next.eventTimes = new String[had + 1];
        next.values = new double[(had + 1) * n];
        if (p != null) {
            System.arraycopy(p.eventTimes, 0, next.eventTimes, 0, had);
            System.arraycopy(p.values, 0, next.values, 0, had * n);
        }
        next.eventTimes[had] = input.getFieldAs("event_time");
        for (int c = 0; c < n; c++) {
            Object v = input.getField(this.channels.get(c).column);
            next.values[had * n + c] = v == null ? Double.NaN : ((Number) v).doubleValue();
        }
        pending.put(ts, next);
        if (p == null) {
            time.registerOnTime(ts);
        }
        if (!ends.cleanupPending) {
            time.registerOnTime(CLEANUP, ts + longestLookBackMs + 1);
            ends.cleanupPending = true;
        }
    }

    public void onTimer(OnTimerContext ctx, MapView<Long, Pending> pending, MapView<Long, Entry> deques, Ends ends)
            throws Exception {
        if (ends.spec == null) {
            return;
        }
        parse(ends.spec);
        TimeContext<Long> time = ctx.timeContext(Long.class);
        long ts = time.time();
        if (CLEANUP.equals(ctx.currentTimer())) {
            // Quiet for longer than any look-back: nothing in the deques can be a baseline again.
            // Every reading read so far is at or before `newest`, so its timer has fired already.
            if (ends.newest + longestLookBackMs < ts) {
                ctx.clearAll();
            } else {
                time.registerOnTime(CLEANUP, ends.newest + longestLookBackMs + 1);
            }
            return;
        }
        Pending p = pending.get(ts);
        pending.remove(ts);
        if (p != null) {
            process(ts, p, deques, ends);
        }
    }

    /** The readings of one event time: into each channel's deque, out with its baseline. */
    private void process(long ts, Pending p, MapView<Long, Entry> deques, Ends ends) throws Exception {
        int n = channels.size();
        int readings = p.eventTimes.length;
        for (int c = 0; c < n; c++) {
            Channel ch = channels.get(c);
            long base = ((long) c) << SEQ_BITS;
            for (int r = 0; r < readings; r++) {
                double v = p.values[r * n + c];
                if (Double.isNaN(v)) {
                    continue;
                }
                // Values behind this one that are not lower can never be a minimum again.
                while (ends.tail[c] > ends.head[c]) {
                    Entry last = deques.get(base + ends.tail[c] - 1);
                    if (last.value < v) {
                        break;
                    }
                    deques.remove(base + ends.tail[c] - 1);
                    ends.tail[c]--;
                }
                Entry e = new Entry();
                e.ts = ts;
                e.value = v;
                deques.put(base + ends.tail[c], e);
                ends.tail[c]++;
            }
            // Out of the look-back: event time before ts - look-back (RANGE ... PRECEDING includes it).
            Entry first = null;
            while (ends.head[c] < ends.tail[c]) {
                first = deques.get(base + ends.head[c]);
                if (first.ts >= ts - ch.lookBackMs) {
                    break;
                }
                deques.remove(base + ends.head[c]);
                ends.head[c]++;
                first = null;
            }
            Double baseline = first == null ? null : first.value;
            for (int r = 0; r < readings; r++) {
                double v = p.values[r * n + c];
                collect(Row.of(p.eventTimes[r], ch.name, Double.isNaN(v) ? null : v, ch.rise, baseline));
            }
        }
    }

    private void parse(String spec) {
        if (spec.equals(parsedSpec)) {
            return;
        }
        List<Channel> out = new ArrayList<>();
        long longest = 0;
        for (String entry : spec.split(",")) {
            String trimmed = entry.trim();
            if (trimmed.isEmpty()) {
                continue;
            }
            String[] f = trimmed.split("\\s+");
            if (f.length != 4) {
                throw new ValidationException("rate_baselines_of: channel entry '" + trimmed
                        + "' must be 'name column look-back-seconds allowed-rise'");
            }
            long lookBackMs;
            double rise;
            try {
                lookBackMs = Math.round(Double.parseDouble(f[2]) * 1000);
                rise = Double.parseDouble(f[3]);
            } catch (NumberFormatException e) {
                throw new ValidationException("rate_baselines_of: channel entry '" + trimmed
                        + "': look-back and rise must be numbers");
            }
            if (lookBackMs <= 0) {
                throw new ValidationException("rate_baselines_of: channel entry '" + trimmed
                        + "': the look-back must be more than 0 seconds");
            }
            if (rise > 0) {
                out.add(new Channel(f[0], f[1], lookBackMs, rise));
                longest = Math.max(longest, lookBackMs);
            }
        }
        channels = out;
        StringBuilder names = new StringBuilder();
        for (Channel c : out) {
            names.append(c.name).append('=').append(c.column).append(';');
        }
        layout = names.toString();
        longestLookBackMs = longest;
        parsedSpec = spec;
    }
}

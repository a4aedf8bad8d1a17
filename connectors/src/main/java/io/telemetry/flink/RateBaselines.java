package io.telemetry.flink;

import org.apache.flink.table.annotation.ArgumentHint;
import org.apache.flink.table.annotation.ArgumentTrait;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.annotation.StateHint;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.api.dataview.MapView;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
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
 * the look-back: one monotonic deque of minima per channel (amortized O(1) work per reading; the
 * deques hold only the readings that can still be a minimum, a handful on real telemetry: mean 4
 * at a 60 s look-back, 6 at 600 s, in the simulator's), where the OVER form re-scans its whole
 * look-back per reading, per channel. State per vehicle: the readings waiting for the watermark
 * (one map entry per event time) and one entry holding every channel's deque, so a reading costs
 * a fixed handful of state accesses on RocksDB too.
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
// Rows out as RowData: nine per reading, and converting each from a Row was a tenth of this function's time.
@FunctionHint(output = @DataTypeHint(
        value = "ROW<event_time STRING, channel STRING, `value` DOUBLE, allowed_rise DOUBLE, baseline DOUBLE>",
        bridgedTo = RowData.class))
public class RateBaselines extends ProcessTableFunction<RowData> {

    private static final String CLEANUP = "cleanup";

    /** Readings waiting for the watermark, per event time. */
    public static class Pending {
        public String[] eventTimes;
        /** One reading after another, each its channels' values in entry order (NaN for null). */
        public double[] values;
    }

    /** Every channel's deque, one after another: lengths[c] elements of (times, values) each. */
    public static class Deques {
        public int[] lengths;
        public long[] times;
        public double[] values;
    }

    /** Per vehicle, read on every call (so kept small): what the state is laid out for, and times. */
    public static class Meta {
        public String layout;
        /** Hash of the channels argument last stored in "spec". */
        public int specHash;
        public long newest;
        public long longestLookBackMs;
        public boolean cleanupPending;
    }

    private static final class Channel {
        final String name;
        final String column;
        final long lookBackMs;
        final double rise;
        final StringData nameData;

        Channel(String name, String column, long lookBackMs, double rise) {
            this.name = name;
            this.nameData = StringData.fromString(name);
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
            @StateHint(name = "meta", ttl = "0") Meta meta,
            @StateHint(name = "pending", ttl = "0") MapView<Long, Pending> pending,
            @StateHint(name = "deques", ttl = "0") MapView<Integer, Deques> deques,
            @StateHint(name = "spec", ttl = "0") MapView<Integer, String> spec,
            @ArgumentHint(name = "input", value = {ArgumentTrait.SET_SEMANTIC_TABLE, ArgumentTrait.REQUIRE_ON_TIME})
                    Row input,
            @ArgumentHint(name = "channels", value = ArgumentTrait.SCALAR) String channels)
            throws Exception {
        parse(channels);
        if (!layout.equals(meta.layout)) {
            // First reading, or resumed with another list of channels (a rule enabled or disabled):
            // the deques and waiting readings are laid out by channel, so this vehicle starts afresh.
            // A changed look-back or rise alone keeps them.
            pending.clear();
            deques.clear();
            meta.layout = layout;
        }
        if (meta.specHash != channels.hashCode()) {
            // For timers that fire after a restore, before any eval(): any change of a look-back or
            // rise is stored, not only of the longest look-back.
            spec.put(0, channels);
            meta.specHash = channels.hashCode();
            meta.longestLookBackMs = longestLookBackMs;
        }
        TimeContext<Long> time = ctx.timeContext(Long.class);
        long ts = time.time();
        // Newer than every reading so far (the usual case): nothing waits at this event time, and
        // the state lookup (a RocksDB read) is skipped.
        boolean newest = ts > meta.newest;
        meta.newest = Math.max(meta.newest, ts);
        int n = this.channels.size();
        Pending p = newest ? null : pending.get(ts);
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
        if (!meta.cleanupPending) {
            time.registerOnTime(CLEANUP, ts + longestLookBackMs + 1);
            meta.cleanupPending = true;
        }
    }

    public void onTimer(
            OnTimerContext ctx, Meta meta, MapView<Long, Pending> pending, MapView<Integer, Deques> deques,
            MapView<Integer, String> spec)
            throws Exception {
        if (channels == null) {
            String stored = spec.get(0);
            if (stored == null) {
                return;
            }
            parse(stored);
        }
        TimeContext<Long> time = ctx.timeContext(Long.class);
        long ts = time.time();
        if (CLEANUP.equals(ctx.currentTimer())) {
            // Quiet for longer than any look-back: nothing in the deques can be a baseline again.
            // Every reading read so far is at or before `newest`, so its timer has fired already.
            if (meta.newest + meta.longestLookBackMs < ts) {
                ctx.clearAll();
            } else {
                time.registerOnTime(CLEANUP, meta.newest + meta.longestLookBackMs + 1);
            }
            return;
        }
        Pending p = pending.get(ts);
        pending.remove(ts);
        if (p == null) {
            return;
        }
        Deques d = deques.get(0);
        deques.put(0, process(ts, p, d));
    }

    /** The readings of one event time: into each channel's deque, out with its baseline. */
    private Deques process(long ts, Pending p, Deques d) {
        int n = channels.size();
        int readings = p.eventTimes.length;
        StringData[] eventTimes = new StringData[readings];
        for (int r = 0; r < readings; r++) {
            eventTimes[r] = StringData.fromString(p.eventTimes[r]);
        }
        int total = 0;
        for (int c = 0; d != null && c < n; c++) {
            total += d.lengths[c];
        }
        Deques out = new Deques();
        out.lengths = new int[n];
        out.times = new long[total + n * readings];
        out.values = new double[total + n * readings];
        int from = 0;
        int to = 0;
        for (int c = 0; c < n; c++) {
            Channel ch = channels.get(c);
            int len = d == null ? 0 : d.lengths[c];
            int start = to;
            for (int i = 0; i < len; i++) {  // this channel's deque, oldest first
                out.times[to] = d.times[from + i];
                out.values[to] = d.values[from + i];
                to++;
            }
            from += len;
            for (int r = 0; r < readings; r++) {
                double v = p.values[r * n + c];
                if (Double.isNaN(v)) {
                    continue;
                }
                // Values behind this one that are not lower can never be a minimum again.
                while (to > start && out.values[to - 1] >= v) {
                    to--;
                }
                out.times[to] = ts;
                out.values[to] = v;
                to++;
            }
            // Out of the look-back: event time before ts - look-back (RANGE ... PRECEDING includes it).
            int head = start;
            while (head < to && out.times[head] < ts - ch.lookBackMs) {
                head++;
            }
            if (head > start) {
                System.arraycopy(out.times, head, out.times, start, to - head);
                System.arraycopy(out.values, head, out.values, start, to - head);
                to -= head - start;
            }
            out.lengths[c] = to - start;
            Double baseline = to > start ? out.values[start] : null;
            for (int r = 0; r < readings; r++) {
                double v = p.values[r * n + c];
                collect(GenericRowData.of(eventTimes[r], ch.nameData, Double.isNaN(v) ? null : v, ch.rise, baseline));
            }
        }
        out.times = java.util.Arrays.copyOf(out.times, to);
        out.values = java.util.Arrays.copyOf(out.values, to);
        return out;
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

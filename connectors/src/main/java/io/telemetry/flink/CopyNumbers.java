package io.telemetry.flink;

import org.apache.flink.table.annotation.ArgumentHint;
import org.apache.flink.table.annotation.ArgumentTrait;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.annotation.StateHint;
import org.apache.flink.metrics.Counter;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.functions.ProcessTableFunction;
import org.apache.flink.types.Row;

/**
 * Numbers the readings of a vehicle that carry the same event time, in arrival order (copy_no 1 =
 * first seen, 2.. = duplicates), and passes each row on at once with all its columns.
 *
 * <p>Dedupe horizon: the watermark. An event time is remembered while it is ahead of the
 * watermark; a row arriving at or behind this operator's watermark gets copy_no 0: late. Staging
 * already dead-letters what is behind its own subtask's watermark; this catches what only the
 * shuffle makes late: a source subtask whose shards were all quiet past the idle timeout is left
 * out of the watermark downstream, and the readings it then delivers may be older than the others'
 * watermark. That is why the function takes no on_time: Flink 2.2's runtime drops a row behind
 * the watermark before eval() when on_time is given, silently (FLINK-39436); without it the rows
 * reach eval() and the event time column keeps its time attribute (passed through). So the
 * state of a vehicle is the event times it sent within the last out-of-orderness span (a few
 * dozen at 10 Hz), pruned on each reading: it does not grow with the input, whatever
 * table.exec.state.ttl says (the OVER form this replaces kept one entry per reading until that
 * processing-time TTL expired it, and released each row only once the watermark passed it, which
 * put the whole out-of-orderness span into every output's latency).
 */
@FunctionHint(output = @DataTypeHint("ROW<copy_no BIGINT>"))
public class CopyNumbers extends ProcessTableFunction<Row> {

    /** The event time column of the input, a TIMESTAMP_LTZ(3) rowtime. */
    public static final String TIME_COLUMN = "event_ts";

    private transient Counter lateCounter;
    private transient Counter duplicateCounter;
    private transient Counter validCounter;

    @Override
    public void open(FunctionContext context) {
        // Counted where decided: copy 1 is a valid reading (14_staging_valid.sql), 2.. duplicates,
        // 0 late (the late ones staging finds are counted with the parser's rejections, under the
        // same name: JobMetrics.CountRejections).
        lateCounter = JobMetrics.rejected(context.getMetricGroup(), "late");
        duplicateCounter = JobMetrics.rejected(context.getMetricGroup(), "duplicate");
        validCounter = context.getMetricGroup().addGroup(JobMetrics.GROUP).counter(JobMetrics.RECORDS_VALID);
    }

    /**
     * Event times ahead of the watermark, ascending, and the copies seen of each: counts is null
     * while every one was seen once (nearly always), which halves what is written per reading.
     */
    public static class Seen {
        public long[] times;
        public long[] counts;
    }

    public void eval(
            Context ctx,
            @StateHint(name = "seen", ttl = "0") Seen seen,
            @ArgumentHint(
                            name = "input",
                            value = {ArgumentTrait.SET_SEMANTIC_TABLE, ArgumentTrait.PASS_COLUMNS_THROUGH})
                    Row input) {
        long ts = ((java.time.Instant) input.getFieldAs(TIME_COLUMN)).toEpochMilli();
        Long watermark = ctx.timeContext(Long.class).currentWatermark();  // null before the first one
        if (watermark != null && ts <= watermark) {
            lateCounter.inc();
            collect(Row.of(0L));
            return;
        }
        long[] times = seen.times == null ? new long[0] : seen.times;
        long[] counts = seen.counts;
        int keepFrom = 0;
        while (keepFrom < times.length && watermark != null && times[keepFrom] <= watermark) {
            keepFrom++;
        }
        int kept = times.length - keepFrom;
        int at = java.util.Arrays.binarySearch(times, keepFrom, times.length, ts);
        long copy;
        if (at >= 0) {
            copy = (counts == null ? 1 : counts[at]) + 1;
            long[] newCounts = new long[kept];
            for (int i = 0; i < kept; i++) {
                newCounts[i] = counts == null ? 1 : counts[keepFrom + i];
            }
            newCounts[at - keepFrom] = copy;
            seen.times = java.util.Arrays.copyOfRange(times, keepFrom, times.length);
            seen.counts = newCounts;
        } else {
            copy = 1;
            int insert = -at - 1 - keepFrom;
            long[] newTimes = new long[kept + 1];
            System.arraycopy(times, keepFrom, newTimes, 0, insert);
            newTimes[insert] = ts;
            System.arraycopy(times, keepFrom + insert, newTimes, insert + 1, kept - insert);
            seen.times = newTimes;
            if (counts != null) {
                long[] newCounts = new long[kept + 1];
                System.arraycopy(counts, keepFrom, newCounts, 0, insert);
                newCounts[insert] = 1;
                System.arraycopy(counts, keepFrom + insert, newCounts, insert + 1, kept - insert);
                boolean allOnce = true;
                for (long c : newCounts) {
                    allOnce &= c == 1;
                }
                seen.counts = allOnce ? null : newCounts;
            }
        }
        (copy == 1 ? validCounter : duplicateCounter).inc();
        collect(Row.of(copy));
    }
}

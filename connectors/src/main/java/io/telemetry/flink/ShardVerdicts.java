package io.telemetry.flink;

import java.util.HashMap;
import java.util.Map;

import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;

/**
 * The late verdict per Kinesis shard, chained right after the source: in {@code <ms>TAB<v>TAB<origin>TAB<payload>}
 * from {@link TelemetryKinesisDeserializer} (origin: shard id first) v becomes L when the
 * record is at or behind its shard's newest event time minus the out-of-orderness
 * ({@link TelemetryWatermarks#late}).
 *
 * <p>Each shard's newest event time is checkpointed with the source's positions, so after a restart
 * or a resume the records read again get the verdicts they had: a record late before a failure is
 * late after it, and never reopens a window that has already been written. Union list state: on a
 * restore every subtask gets every shard's entry, whichever subtask reads the shard now.
 */
public final class ShardVerdicts implements MapFunction<String, String>, CheckpointedFunction,
        ResultTypeQueryable<String> {
    private static final long serialVersionUID = 1L;

    private final long outOfOrdernessMs;
    private transient Map<String, long[]> newestPerShard;
    private transient ListState<Tuple2<String, Long>> checkpointed;

    public ShardVerdicts(long outOfOrdernessMs) {
        this.outOfOrdernessMs = outOfOrdernessMs;
    }

    @Override
    public String map(String line) {
        int tab = line.indexOf('\t');
        int shardEnd = line.indexOf(' ', tab + 3);
        long ms = Long.parseLong(line, 0, tab, 10);
        char verdict = line.charAt(tab + 1);
        long[] newest = newestPerShard.computeIfAbsent(line.substring(tab + 3, shardEnd), k -> new long[] {Long.MIN_VALUE});
        if (!TelemetryWatermarks.late(ms, verdict, newest, outOfOrdernessMs)) {
            return line;
        }
        return new StringBuilder(line.length()).append(line, 0, tab + 1).append('L')
                .append(line, tab + 2, line.length()).toString();
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        checkpointed.clear();
        for (Map.Entry<String, long[]> e : newestPerShard.entrySet()) {
            if (e.getValue()[0] != Long.MIN_VALUE) {
                checkpointed.add(Tuple2.of(e.getKey(), e.getValue()[0]));
            }
        }
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        checkpointed = context.getOperatorStateStore().getUnionListState(
                new ListStateDescriptor<>("newest-event-time-per-shard", Types.TUPLE(Types.STRING, Types.LONG)));
        newestPerShard = new HashMap<>();
        if (context.isRestored()) {
            for (Tuple2<String, Long> e : checkpointed.get()) {
                long[] newest = newestPerShard.computeIfAbsent(e.f0, k -> new long[] {Long.MIN_VALUE});
                newest[0] = Math.max(newest[0], e.f1);
            }
        }
    }

    @Override
    public TypeInformation<String> getProducedType() {
        return Types.STRING;
    }
}

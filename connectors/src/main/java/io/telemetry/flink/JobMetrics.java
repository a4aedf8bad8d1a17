package io.telemetry.flink;

import java.util.HashMap;
import java.util.Map;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.types.Row;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.functions.ScalarFunction;

/**
 * The job's own counters. Managed Flink forwards what is registered under {@link #GROUP} to
 * CloudWatch, each key/value group below it becoming a dimension. The names are the ones in
 * udfs/metric_names.py (a test holds the two together); the dashboard and alarms in infra/ use them.
 */
public final class JobMetrics {
    public static final String GROUP = "kinesisanalytics";
    public static final String RECORDS_READ = "telemetryRecordsRead";
    public static final String RECORDS_VALID = "telemetryRecordsValid";
    public static final String RECORDS_REJECTED = "telemetryRecordsRejected";
    public static final String ALERTS = "telemetryAlerts";

    private JobMetrics() {}

    /** The counter of rejections for one dead-letter reason. */
    public static Counter rejected(MetricGroup group, String reason) {
        return group.addGroup(GROUP).addGroup("Reason", reason).counter(RECORDS_REJECTED);
    }

    /**
     * The source line {@code <ms>TAB<verdict>TAB<origin>TAB<payload>} as the row (verdict, origin,
     * payload) of table {@code telemetry_raw} (jobs/io.py), counting every record read. Chained to
     * the source; a counter per record costs nothing here (in the Python parser it cost ~15% of the
     * job's throughput), and splitting here beats SQL's SUBSTRING/POSITION on the whole line,
     * which count UTF-8 characters from the start on every call (a fifth of the JVM's samples).
     */
    public static final class SourceRows extends RichMapFunction<String, Row> implements ResultTypeQueryable<Row> {
        private static final long serialVersionUID = 1L;
        private transient Counter read;

        @Override
        public void open(OpenContext context) {
            read = getRuntimeContext().getMetricGroup().addGroup(GROUP).counter(RECORDS_READ);
        }

        @Override
        public Row map(String line) {
            read.inc();
            int tab = line.indexOf('\t');
            int originEnd = line.indexOf('\t', tab + 3);
            return Row.of(line.substring(tab + 1, tab + 2), line.substring(tab + 3, originEnd),
                    line.substring(originEnd + 1));
        }

        @Override
        public TypeInformation<Row> getProducedType() {
            return Types.ROW_NAMED(new String[] {"verdict", "origin", "payload"},
                    Types.STRING, Types.STRING, Types.STRING);
        }
    }

    /**
     * Passes the parsed rows on unchanged, counting each rejection under its reason: the row's
     * field {@code field} is the parser's result (a ROW of {@code arity} fields whose first is the
     * reason, NULL for a valid record). In Java because a Python UDF's metrics reach Flink only in
     * process mode (PyFlink's thread mode drops them), and here costs nothing per record.
     */
    public static final class CountRejections extends RichMapFunction<RowData, RowData> {
        private static final long serialVersionUID = 1L;
        private final int field;
        private final int arity;
        private transient MetricGroup group;
        private transient Map<String, Counter> counters;

        public CountRejections(int field, int arity) {
            this.field = field;
            this.arity = arity;
        }

        @Override
        public void open(OpenContext context) {
            group = getRuntimeContext().getMetricGroup();
            counters = new HashMap<>();
        }

        @Override
        public RowData map(RowData row) {
            if (!row.isNullAt(field)) {
                RowData parsed = row.getRow(field, arity);
                if (!parsed.isNullAt(0)) {
                    counters.computeIfAbsent(parsed.getString(0).toString(), r -> rejected(group, r)).inc();
                }
            }
            return row;
        }
    }

    /**
     * {@code count_row(metric, key1, value1, key2, value2)}: TRUE, after counting the row under
     * {@code metric} with the dimensions key1=value1, key2=value2. The job puts it in the WHERE of
     * an output's INSERT (jobs/outputs.py `metric`), so the count is of the rows that reach the
     * sink. Not deterministic, so the planner neither folds nor drops it.
     */
    public static final class CountRow extends ScalarFunction {
        private static final long serialVersionUID = 1L;
        private transient MetricGroup group;
        private transient Map<String, Counter> counters;

        @Override
        public void open(FunctionContext context) {
            group = context.getMetricGroup().addGroup(GROUP);
            counters = new HashMap<>();
        }

        public boolean eval(String metric, String key1, String value1, String key2, String value2) {
            String v1 = value1 == null ? "none" : value1;
            String v2 = value2 == null ? "none" : value2;
            counters.computeIfAbsent(metric + '\u0000' + v1 + '\u0000' + v2,
                    k -> group.addGroup(key1, v1).addGroup(key2, v2).counter(metric)).inc();
            return true;
        }

        @Override
        public boolean isDeterministic() {
            return false;
        }
    }
}
